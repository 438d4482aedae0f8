// TlsSocket.h on Linux: Poco NetSSL_OpenSSL.
#include "platform/TlsSocket.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>

#include <mutex>

namespace acd {

namespace {

/// The peer verified: the chain against caFile (or the system store) and the host name
/// against the certificate, loopback included.
Poco::Net::Context::Ptr makeContext(const std::string& caFile)
{
    static std::once_flag once;
    std::call_once(once, [] {
        Poco::Net::initializeSSL();
        // Never the console prompt Poco falls back to: an untrusted certificate is refused.
        Poco::Net::SSLManager::instance().initializeClient(
            nullptr, new Poco::Net::RejectCertificateHandler(false),
            new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_STRICT,
                                   9, true));
    });
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", caFile,
                               Poco::Net::Context::VERIFY_STRICT, 9, caFile.empty());
    context->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                              Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
    return context;
}

} // namespace

Poco::Net::StreamSocket startTls(const Poco::Net::StreamSocket& connected, const std::string& host,
                                 const std::string& caFile, Poco::Timespan timeout)
{
    Poco::Net::StreamSocket plain(connected);
    plain.setReceiveTimeout(timeout);
    plain.setSendTimeout(timeout);
    try
    {
        return Poco::Net::SecureStreamSocket::attach(plain, host, makeContext(caFile));
    }
    catch (...)
    {
        // Nothing more goes over this connection, not even a QUIT in clear.
        plain.close();
        throw;
    }
}

Poco::Net::StreamSocket connectTls(const Poco::Net::SocketAddress& address, const std::string& host,
                                   const std::string& caFile, Poco::Timespan timeout)
{
    Poco::Net::SecureStreamSocket socket(makeContext(caFile));
    socket.setPeerHostName(host);
    socket.connect(address, timeout);
    socket.setReceiveTimeout(timeout);
    socket.setSendTimeout(timeout);
    return socket;
}

} // namespace acd
