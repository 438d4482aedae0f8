// TlsSocket.h on Windows: Schannel through SSPI (secur32), the server's chain and name
// checked with crypt32. Debian's Poco sources carry no NetSSL_Win, so the TLS layer is a
// Poco StreamSocketImpl of its own: Poco's SMTP session reads and writes through it as it
// would through Poco's SecureStreamSocket.
#include "platform/TlsSocket.h"

#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocketImpl.h>

#define SECURITY_WIN32
#include <schannel.h>
#include <security.h>
#include <sspi.h>
#include <wincrypt.h>
#include <windows.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#ifndef SECURITY_FLAG_IGNORE_UNKNOWN_CA
#define SECURITY_FLAG_IGNORE_UNKNOWN_CA 0x00000100
#endif

namespace acd {

namespace {

std::wstring wide(const std::string& text)
{
    if (text.empty())
        return {};
    const int size = MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
    std::wstring result(static_cast<std::size_t>(size), L'\0');
    MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), result.data(), size);
    return result;
}

std::string hex(unsigned long code)
{
    char text[16];
    std::snprintf(text, sizeof text, "0x%08lx", code);
    return text;
}

[[noreturn]] void fail(const std::string& host, const std::string& what, unsigned long code)
{
    throw Poco::Net::NetException("TLS with " + host + ": " + what + " (" + hex(code) + ")");
}

/// The certificates of a PEM file, in a memory store.
HCERTSTORE loadCaFile(const std::string& caFile, const std::string& host)
{
    std::ifstream in(caFile, std::ios::binary);
    if (!in)
        throw Poco::Net::NetException("TLS with " + host + ": cannot read the CA file " + caFile);
    std::stringstream text;
    text << in.rdbuf();
    const std::string pem = text.str();
    HCERTSTORE store = CertOpenStore(CERT_STORE_PROV_MEMORY, 0, 0, 0, nullptr);
    if (!store)
        fail(host, "CertOpenStore", GetLastError());
    const std::string begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----";
    int count = 0;
    for (std::size_t at = pem.find(begin); at != std::string::npos; at = pem.find(begin, at))
    {
        const std::size_t stop = pem.find(end, at);
        if (stop == std::string::npos)
            break;
        const std::string block = pem.substr(at, stop + end.size() - at);
        at = stop + end.size();
        DWORD size = 0;
        if (!CryptStringToBinaryA(block.c_str(), static_cast<DWORD>(block.size()), CRYPT_STRING_BASE64HEADER,
                                  nullptr, &size, nullptr, nullptr))
            continue;
        std::vector<BYTE> der(size);
        if (CryptStringToBinaryA(block.c_str(), static_cast<DWORD>(block.size()), CRYPT_STRING_BASE64HEADER,
                                 der.data(), &size, nullptr, nullptr) &&
            CertAddEncodedCertificateToStore(store, X509_ASN_ENCODING, der.data(), size,
                                             CERT_STORE_ADD_ALWAYS, nullptr))
            ++count;
    }
    if (count == 0)
    {
        CertCloseStore(store, 0);
        throw Poco::Net::NetException("TLS with " + host + ": no certificate in the CA file " + caFile);
    }
    return store;
}

/// True when `certificate` is one of `store`'s.
bool inStore(HCERTSTORE store, PCCERT_CONTEXT certificate)
{
    PCCERT_CONTEXT found =
        CertFindCertificateInStore(store, X509_ASN_ENCODING, 0, CERT_FIND_EXISTING, certificate, nullptr);
    if (!found)
        return false;
    CertFreeCertificateContext(found);
    return true;
}

/// The server's certificate: its chain up to a trusted root (the Windows store, or only the
/// roots of caFile), valid now, for server authentication, and naming `host`.
void verifyServer(PCCERT_CONTEXT certificate, const std::string& host, const std::string& caFile)
{
    HCERTSTORE roots = caFile.empty() ? nullptr : loadCaFile(caFile, host);
    HCERTSTORE additional = CertOpenStore(CERT_STORE_PROV_MEMORY, 0, 0, 0, nullptr);
    if (!additional)
        fail(host, "CertOpenStore", GetLastError());
    // The intermediates the server sent, and the roots of caFile to build the chain up to.
    for (PCCERT_CONTEXT sent = nullptr; (sent = CertEnumCertificatesInStore(certificate->hCertStore, sent));)
        CertAddCertificateContextToStore(additional, sent, CERT_STORE_ADD_USE_EXISTING, nullptr);
    if (roots)
        for (PCCERT_CONTEXT root = nullptr; (root = CertEnumCertificatesInStore(roots, root));)
            CertAddCertificateContextToStore(additional, root, CERT_STORE_ADD_USE_EXISTING, nullptr);

    LPSTR usages[] = {const_cast<LPSTR>(szOID_PKIX_KP_SERVER_AUTH)};
    CERT_CHAIN_PARA chainPara{};
    chainPara.cbSize = sizeof chainPara;
    chainPara.RequestedUsage.dwType = USAGE_MATCH_TYPE_OR;
    chainPara.RequestedUsage.Usage.cUsageIdentifier = 1;
    chainPara.RequestedUsage.Usage.rgpszUsageIdentifier = usages;
    PCCERT_CHAIN_CONTEXT chain = nullptr;
    const bool built =
        CertGetCertificateChain(nullptr, certificate, nullptr, additional, &chainPara, 0, nullptr, &chain);
    const DWORD buildError = GetLastError();
    CertCloseStore(additional, 0);
    if (!built)
    {
        if (roots)
            CertCloseStore(roots, 0);
        fail(host, "cannot build the certificate chain", buildError);
    }

    SSL_EXTRA_CERT_CHAIN_POLICY_PARA ssl{};
    ssl.cbSize = sizeof ssl;
    ssl.dwAuthType = AUTHTYPE_SERVER;
    std::wstring name = wide(host);
    ssl.pwszServerName = name.data();
    std::string problem;
    if (roots)
    {
        // Only the roots of caFile: the chain must end at one of them. That Windows itself
        // does not trust that root is then expected, and the only chain error let through.
        const CERT_SIMPLE_CHAIN* simple = chain->rgpChain[0];
        if (!inStore(roots, simple->rgpElement[simple->cElement - 1]->pCertContext))
            problem = "the server's certificate chain does not end at a certificate authority of " + caFile;
        else if (chain->TrustStatus.dwErrorStatus & ~static_cast<DWORD>(CERT_TRUST_IS_UNTRUSTED_ROOT))
            problem = "the server's certificate chain is not valid (trust status " +
                      hex(chain->TrustStatus.dwErrorStatus) + ")";
        ssl.fdwChecks = SECURITY_FLAG_IGNORE_UNKNOWN_CA;
        CertCloseStore(roots, 0);
    }
    else if (chain->TrustStatus.dwErrorStatus != CERT_TRUST_NO_ERROR)
    {
        // Checked here and not left to the SSL policy alone: Wine's policy lets a chain that
        // ends at an unknown certificate authority through.
        const DWORD trust = chain->TrustStatus.dwErrorStatus;
        if (trust & (CERT_TRUST_IS_UNTRUSTED_ROOT | CERT_TRUST_IS_PARTIAL_CHAIN))
            problem = "the server's certificate is not from a certificate authority this computer trusts";
        else if (trust & CERT_TRUST_IS_NOT_TIME_VALID)
            problem = "the server's certificate has expired or is not yet valid";
        else
            problem = "the server's certificate chain is not valid";
        problem += " (trust status " + hex(trust) + ")";
    }
    unsigned long policyError = 0;
    if (problem.empty())
    {
        CERT_CHAIN_POLICY_PARA policyPara{};
        policyPara.cbSize = sizeof policyPara;
        policyPara.pvExtraPolicyPara = &ssl;
        CERT_CHAIN_POLICY_STATUS status{};
        status.cbSize = sizeof status;
        if (!CertVerifyCertificateChainPolicy(CERT_CHAIN_POLICY_SSL, chain, &policyPara, &status))
            policyError = GetLastError();
        else
            policyError = status.dwError;
    }
    CertFreeCertificateChain(chain);
    if (!problem.empty())
        throw Poco::Net::NetException("TLS with " + host + ": " + problem);
    if (policyError != 0)
    {
        std::string why = "the server's certificate is not trusted";
        if (policyError == static_cast<unsigned long>(CERT_E_CN_NO_MATCH))
            why = "the server's certificate does not name " + host;
        else if (policyError == static_cast<unsigned long>(CERT_E_EXPIRED))
            why = "the server's certificate has expired or is not yet valid";
        else if (policyError == static_cast<unsigned long>(CERT_E_UNTRUSTEDROOT))
            why = "the server's certificate is not from a trusted certificate authority";
        fail(host, why, policyError);
    }
}

/// A connected socket with a Schannel client context over it. It shares the plain socket's
/// descriptor (Poco's own SecureStreamSocketImpl does the same), which the plain socket, held
/// here, closes.
class SchannelSocketImpl : public Poco::Net::StreamSocketImpl
{
public:
    SchannelSocketImpl(const Poco::Net::StreamSocket& plain, const std::string& host)
        : _plain(plain), _host(host)
    {
        reset(_plain.impl()->sockfd());
    }

    ~SchannelSocketImpl() override
    {
        if (_haveContext)
            DeleteSecurityContext(&_context);
        if (_haveCredentials)
            FreeCredentialsHandle(&_credentials);
        reset(); // the descriptor is the plain socket's to close
    }

    void handshake(const std::string& caFile)
    {
        SCHANNEL_CRED cred{};
        cred.dwVersion = SCHANNEL_CRED_VERSION;
        cred.grbitEnabledProtocols = SP_PROT_TLS1_2_CLIENT;
        // Checked below with the chain policy, host name included: never skipped.
        cred.dwFlags = SCH_CRED_MANUAL_CRED_VALIDATION | SCH_CRED_NO_DEFAULT_CREDS | SCH_USE_STRONG_CRYPTO;
        TimeStamp expiry;
        SECURITY_STATUS status =
            AcquireCredentialsHandleW(nullptr, const_cast<SEC_WCHAR*>(UNISP_NAME_W), SECPKG_CRED_OUTBOUND,
                                      nullptr, &cred, nullptr, nullptr, &_credentials, &expiry);
        if (status != SEC_E_OK)
            fail(_host, "AcquireCredentialsHandle", static_cast<unsigned long>(status));
        _haveCredentials = true;

        std::wstring target = wide(_host);
        const DWORD request = ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT | ISC_REQ_CONFIDENTIALITY |
                              ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM;
        bool first = true;
        bool needInput = false;
        int incompleteCredentials = 0;
        for (;;)
        {
            if (needInput)
                readMore("the handshake");
            SecBuffer in[2] = {{static_cast<unsigned long>(_in.size()), SECBUFFER_TOKEN, _in.data()},
                               {0, SECBUFFER_EMPTY, nullptr}};
            SecBufferDesc inDesc{SECBUFFER_VERSION, 2, in};
            SecBuffer out[1] = {{0, SECBUFFER_TOKEN, nullptr}};
            SecBufferDesc outDesc{SECBUFFER_VERSION, 1, out};
            DWORD attributes = 0;
            status = InitializeSecurityContextW(&_credentials, first ? nullptr : &_context, target.data(),
                                                request, 0, 0, first ? nullptr : &inDesc, 0,
                                                first ? &_context : nullptr, &outDesc, &attributes, &expiry);
            if (first)
                _haveContext = status == SEC_I_CONTINUE_NEEDED || status == SEC_E_OK;
            first = false;
            if (out[0].pvBuffer)
            {
                std::string token(static_cast<const char*>(out[0].pvBuffer), out[0].cbBuffer);
                FreeContextBuffer(out[0].pvBuffer);
                if (!token.empty())
                    sendAll(token.data(), static_cast<int>(token.size()));
            }
            if (status == SEC_E_INCOMPLETE_MESSAGE)
            {
                needInput = true;
                continue;
            }
            if (status == SEC_I_INCOMPLETE_CREDENTIALS && ++incompleteCredentials == 1)
            {
                // The server asks for a client certificate; there is none: go on without.
                needInput = false;
                continue;
            }
            if (status != SEC_E_OK && status != SEC_I_CONTINUE_NEEDED)
                fail(_host, "the TLS handshake failed", static_cast<unsigned long>(status));
            if (in[1].BufferType == SECBUFFER_EXTRA && in[1].cbBuffer > 0)
                _in.erase(0, _in.size() - in[1].cbBuffer);
            else if (status == SEC_I_CONTINUE_NEEDED || status == SEC_E_OK)
                _in.clear();
            if (status == SEC_E_OK)
                break;
            needInput = _in.empty();
        }

        PCCERT_CONTEXT certificate = nullptr;
        status = QueryContextAttributesW(&_context, SECPKG_ATTR_REMOTE_CERT_CONTEXT, &certificate);
        if (status != SEC_E_OK || !certificate)
            fail(_host, "the server sent no certificate", static_cast<unsigned long>(status));
        try
        {
            verifyServer(certificate, _host, caFile);
        }
        catch (...)
        {
            CertFreeCertificateContext(certificate);
            throw;
        }
        CertFreeCertificateContext(certificate);
        status = QueryContextAttributesW(&_context, SECPKG_ATTR_STREAM_SIZES, &_sizes);
        if (status != SEC_E_OK)
            fail(_host, "QueryContextAttributes(STREAM_SIZES)", static_cast<unsigned long>(status));
    }

    int sendBytes(const void* buffer, int length, int) override
    {
        const char* data = static_cast<const char*>(buffer);
        for (int done = 0; done < length;)
        {
            const int chunk = std::min<int>(length - done, static_cast<int>(_sizes.cbMaximumMessage));
            std::vector<char> record(_sizes.cbHeader + chunk + _sizes.cbTrailer);
            std::memcpy(record.data() + _sizes.cbHeader, data + done, static_cast<std::size_t>(chunk));
            SecBuffer parts[4] = {
                {_sizes.cbHeader, SECBUFFER_STREAM_HEADER, record.data()},
                {static_cast<unsigned long>(chunk), SECBUFFER_DATA, record.data() + _sizes.cbHeader},
                {_sizes.cbTrailer, SECBUFFER_STREAM_TRAILER, record.data() + _sizes.cbHeader + chunk},
                {0, SECBUFFER_EMPTY, nullptr}};
            SecBufferDesc desc{SECBUFFER_VERSION, 4, parts};
            const SECURITY_STATUS status = EncryptMessage(&_context, 0, &desc, 0);
            if (status != SEC_E_OK)
                fail(_host, "EncryptMessage", static_cast<unsigned long>(status));
            sendAll(record.data(),
                    static_cast<int>(parts[0].cbBuffer + parts[1].cbBuffer + parts[2].cbBuffer));
            done += chunk;
        }
        return length;
    }

    int receiveBytes(void* buffer, int length, int) override
    {
        if (length <= 0)
            return 0;
        while (_plainText.empty() && !_closed)
        {
            if (!_in.empty())
            {
                SecBuffer parts[4] = {{static_cast<unsigned long>(_in.size()), SECBUFFER_DATA, _in.data()},
                                      {0, SECBUFFER_EMPTY, nullptr},
                                      {0, SECBUFFER_EMPTY, nullptr},
                                      {0, SECBUFFER_EMPTY, nullptr}};
                SecBufferDesc desc{SECBUFFER_VERSION, 4, parts};
                const SECURITY_STATUS status = DecryptMessage(&_context, &desc, 0, nullptr);
                if (status == SEC_E_OK || status == SEC_I_CONTEXT_EXPIRED || status == SEC_I_RENEGOTIATE)
                {
                    std::string extra;
                    for (const SecBuffer& part : parts)
                    {
                        if (part.BufferType == SECBUFFER_DATA && part.cbBuffer > 0)
                            _plainText.append(static_cast<const char*>(part.pvBuffer), part.cbBuffer);
                        else if (part.BufferType == SECBUFFER_EXTRA && part.cbBuffer > 0)
                            extra.assign(static_cast<const char*>(part.pvBuffer), part.cbBuffer);
                    }
                    _in = extra;
                    if (status == SEC_I_CONTEXT_EXPIRED) // the server's close_notify
                        _closed = true;
                    else if (status == SEC_I_RENEGOTIATE)
                        fail(_host, "the server asked to renegotiate TLS, which this client does not do",
                             static_cast<unsigned long>(status));
                    continue;
                }
                if (status != SEC_E_INCOMPLETE_MESSAGE)
                    fail(_host, "DecryptMessage", static_cast<unsigned long>(status));
            }
            if (!readMore(nullptr))
            {
                if (!_in.empty())
                    throw Poco::Net::NetException("TLS with " + _host +
                                                  ": the connection closed in the middle of a record");
                _closed = true;
            }
        }
        const int n = std::min<int>(length, static_cast<int>(_plainText.size()));
        std::memcpy(buffer, _plainText.data(), static_cast<std::size_t>(n));
        _plainText.erase(0, static_cast<std::size_t>(n));
        return n;
    }

    int available() override { return static_cast<int>(_plainText.size()); }

    bool secure() const override { return true; }

    void close() override
    {
        _plain.close();
        reset();
    }

private:
    /// Appends what the plain socket has to _in; false when the peer closed the connection.
    /// `during` names the step for the error when it closed mid-handshake (null: not an error).
    bool readMore(const char* during)
    {
        char chunk[16 * 1024];
        const int n = _plain.receiveBytes(chunk, sizeof chunk);
        if (n <= 0)
        {
            if (during)
                throw Poco::Net::NetException("TLS with " + _host + ": the connection closed during " +
                                              during);
            return false;
        }
        _in.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    void sendAll(const char* data, int length)
    {
        for (int sent = 0; sent < length;)
        {
            const int n = _plain.sendBytes(data + sent, length - sent);
            if (n <= 0)
                throw Poco::Net::NetException("TLS with " + _host + ": the connection closed while sending");
            sent += n;
        }
    }

    Poco::Net::StreamSocket _plain;
    std::string _host;
    CredHandle _credentials{};
    CtxtHandle _context{};
    bool _haveCredentials = false;
    bool _haveContext = false;
    SecPkgContext_StreamSizes _sizes{};
    std::string _in;        // received, not yet decrypted
    std::string _plainText; // decrypted, not yet read
    bool _closed = false;
};

} // namespace

Poco::Net::StreamSocket startTls(const Poco::Net::StreamSocket& connected, const std::string& host,
                                 const std::string& caFile, Poco::Timespan timeout)
{
    Poco::Net::StreamSocket plain(connected);
    plain.setReceiveTimeout(timeout);
    plain.setSendTimeout(timeout);
    auto* impl = new SchannelSocketImpl(plain, host);
    Poco::Net::StreamSocket secure(impl); // owns impl from here on
    try
    {
        impl->handshake(caFile);
    }
    catch (...)
    {
        // Nothing more goes over this connection, not even a QUIT in clear.
        plain.close();
        throw;
    }
    return secure;
}

Poco::Net::StreamSocket connectTls(const Poco::Net::SocketAddress& address, const std::string& host,
                                   const std::string& caFile, Poco::Timespan timeout)
{
    Poco::Net::StreamSocket plain;
    plain.connect(address, timeout);
    return startTls(plain, host, caFile, timeout);
}

} // namespace acd
