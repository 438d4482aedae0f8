#include "platform/TrustedRoots.h"

#ifdef _WIN32
#include <windows.h>

#include <wincrypt.h> // after windows.h, which it needs
#endif

namespace acd {

#ifdef _WIN32

namespace {

void appendPem(DWORD location, std::string& pem)
{
    HCERTSTORE store =
        CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0,
                      location | CERT_STORE_READONLY_FLAG | CERT_STORE_OPEN_EXISTING_FLAG, L"Root");
    if (store == nullptr)
        return;
    for (PCCERT_CONTEXT cert = nullptr; (cert = CertEnumCertificatesInStore(store, cert)) != nullptr;)
    {
        DWORD size = 0;
        if (!CryptBinaryToStringA(cert->pbCertEncoded, cert->cbCertEncoded, CRYPT_STRING_BASE64HEADER,
                                  nullptr, &size))
            continue;
        std::string text(size, '\0');
        if (CryptBinaryToStringA(cert->pbCertEncoded, cert->cbCertEncoded, CRYPT_STRING_BASE64HEADER,
                                 text.data(), &size))
        {
            text.resize(size);
            pem += text;
        }
    }
    CertCloseStore(store, 0);
}

} // namespace

std::string trustedRootsPem()
{
    std::string pem;
    appendPem(CERT_SYSTEM_STORE_LOCAL_MACHINE, pem);
    appendPem(CERT_SYSTEM_STORE_CURRENT_USER, pem);
    return pem;
}

#else

std::string trustedRootsPem()
{
    return "";
}

#endif

} // namespace acd
