#pragma once

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>

#include <string>

namespace acd {

/// Client TLS for a protocol such as SMTP, with the server always verified: its certificate
/// chain against the certificate authorities of `caFile` (PEM) only, or against the system's
/// when `caFile` is "" (OpenSSL's default store on Linux, the Windows certificate store on
/// Windows), and `host` against the names of its certificate. TLS 1.2 or later. There is no
/// way to turn verification off.
///
/// Linux: Poco NetSSL_OpenSSL. Windows: Schannel (secur32) with the chain and the host name
/// checked by crypt32's SSL chain policy.
///
/// Both throw a Poco::Exception naming the host and the reason when the connection, the
/// handshake or the verification fails.

/// STARTTLS: the TLS handshake on `connected`, a plain socket on which the protocol has just
/// agreed to start TLS. Returns the socket to go on with; `connected` must not be read or
/// written directly afterwards (it shares the connection). `timeout` bounds every send and
/// receive, the handshake's included.
Poco::Net::StreamSocket startTls(const Poco::Net::StreamSocket& connected, const std::string& host,
                                 const std::string& caFile, Poco::Timespan timeout);

/// Implicit TLS (SMTPS): connects to `address` within `timeout` and runs the handshake before
/// the protocol's first byte. `host` is the name the certificate must carry.
Poco::Net::StreamSocket connectTls(const Poco::Net::SocketAddress& address, const std::string& host,
                                   const std::string& caFile, Poco::Timespan timeout);

} // namespace acd
