// Poco includes <Winsock2.h>; mingw-w64 ships it in lower case, and Linux file names are
// case-sensitive.
#pragma once
#include <winsock2.h>
