// Poco includes <Iphlpapi.h>; mingw-w64 ships it in lower case, and Linux file names are
// case-sensitive.
#pragma once
#include <iphlpapi.h>
// iphlpapi.h pulls in wincrypt.h, whose TIMESTAMP_REQUEST macro breaks an enumerator of the
// same name in Poco's Net/ICMPv4PacketImpl.h.
#undef TIMESTAMP_REQUEST
