#include "platform/Sha256.h"

#include <Poco/HMACEngine.h>
#include <Poco/SHA2Engine.h>

#include <algorithm>
#include <mutex>
#include <string>

namespace acd::platform {

namespace {

/// Poco 1.11's SHA2Engine lacks the block and digest sizes HMACEngine needs (1.12 adds them).
class Sha256Engine : public Poco::SHA2Engine
{
public:
    enum
    {
        BLOCK_SIZE = 64,
        DIGEST_SIZE = 32
    };

    Sha256Engine() : Poco::SHA2Engine(SHA_256) {}
};

Sha256Digest toDigest(const Poco::DigestEngine::Digest& bytes)
{
    Sha256Digest digest{};
    std::copy_n(bytes.begin(), digest.size(), digest.begin());
    return digest;
}

} // namespace

Sha256Digest sha256(std::string_view data)
{
    Sha256Engine engine;
    engine.update(data.data(), data.size());
    return toDigest(engine.digest());
}

struct HmacSha256::State
{
    explicit State(std::string_view key) : hmac(std::string(key)) {}

    // One state, reset by each digest(): building one per call made each hash a third slower.
    Poco::HMACEngine<Sha256Engine> hmac;
    std::mutex mutex;
};

HmacSha256::HmacSha256(std::string_view key) : _state(std::make_unique<State>(key)) {}

HmacSha256::~HmacSha256() = default;

Sha256Digest HmacSha256::digest(std::string_view text) const
{
    const std::lock_guard lock(_state->mutex);
    _state->hmac.update(text.data(), text.size());
    return toDigest(_state->hmac.digest());
}

} // namespace acd::platform
