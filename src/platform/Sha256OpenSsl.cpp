#include "platform/Sha256.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <mutex>
#include <stdexcept>

namespace acd::platform {

namespace {

[[noreturn]] void fail(const char* what)
{
    throw std::runtime_error(std::string("OpenSSL could not ") + what);
}

/// Fetched once: fetching per call is what makes OpenSSL 3's one-shot functions slow.
const EVP_MD& sha256Method()
{
    static EVP_MD* const method = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (method == nullptr)
        fail("provide SHA-256");
    return *method;
}

} // namespace

Sha256Digest sha256(std::string_view data)
{
    Sha256Digest digest{};
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &size, &sha256Method(), nullptr) != 1 ||
        size != digest.size())
        fail("compute SHA-256");
    return digest;
}

struct HmacSha256::State
{
    EVP_MAC* mac = nullptr;
    EVP_MAC_CTX* context = nullptr;
    std::mutex mutex; // one context, initialised again (with the same key) for each digest

    ~State()
    {
        EVP_MAC_CTX_free(context);
        EVP_MAC_free(mac);
    }
};

HmacSha256::HmacSha256(std::string_view key) : _state(std::make_unique<State>())
{
    _state->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (_state->mac == nullptr || (_state->context = EVP_MAC_CTX_new(_state->mac)) == nullptr)
        fail("provide HMAC");
    char digestName[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digestName, 0),
                                 OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(_state->context, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                     params) != 1)
        fail("set the HMAC key");
}

HmacSha256::~HmacSha256() = default;

Sha256Digest HmacSha256::digest(std::string_view text) const
{
    Sha256Digest digest{};
    std::size_t size = 0;
    const std::lock_guard lock(_state->mutex);
    // A null key keeps the one given at construction (EVP_MAC_init, OpenSSL 3).
    if (EVP_MAC_init(_state->context, nullptr, 0, nullptr) != 1 ||
        EVP_MAC_update(_state->context, reinterpret_cast<const unsigned char*>(text.data()), text.size()) !=
            1 ||
        EVP_MAC_final(_state->context, digest.data(), &size, digest.size()) != 1 || size != digest.size())
        fail("compute HMAC-SHA256");
    return digest;
}

} // namespace acd::platform
