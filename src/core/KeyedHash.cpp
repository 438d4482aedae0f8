#include "core/KeyedHash.h"

#include <Poco/DigestEngine.h>
#include <Poco/HMACEngine.h>
#include <Poco/SHA2Engine.h>

#include <stdexcept>

namespace acd {

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

} // namespace

struct KeyedHash::Engine
{
    explicit Engine(const std::string& key) : hmac(key) {}

    Poco::HMACEngine<Sha256Engine> hmac;
};

KeyedHash::KeyedHash(const std::string& key)
{
    if (key.empty())
        throw std::invalid_argument("the keyed hash needs a non-empty key");
    _engine = std::make_unique<Engine>(key);
}

KeyedHash::~KeyedHash() = default;

std::string KeyedHash::hex(std::string_view text) const
{
    const std::lock_guard lock(_mutex);
    _engine->hmac.update(text.data(), text.size());
    // digest() also resets the state for the next call.
    return Poco::DigestEngine::digestToHex(_engine->hmac.digest());
}

std::string KeyedHash::email(std::string_view normalizedEmail) const
{
    return hex(std::string("email:").append(normalizedEmail));
}

std::string KeyedHash::customer(std::string_view accountNumber) const
{
    return hex(std::string("customer:").append(accountNumber));
}

std::string KeyedHash::unsubscribeToken(std::string_view normalizedEmail) const
{
    return hex(std::string("unsubscribe:").append(normalizedEmail));
}

std::string sha256Hex(std::string_view text)
{
    Sha256Engine engine;
    engine.update(text.data(), text.size());
    return Poco::DigestEngine::digestToHex(engine.digest());
}

bool constantTimeEquals(std::string_view a, std::string_view b)
{
    // Comparing digests makes the work independent of the strings' lengths and contents.
    const std::string x = sha256Hex(a);
    const std::string y = sha256Hex(b);
    unsigned char difference = 0;
    for (std::size_t i = 0; i < x.size(); ++i)
        difference |= static_cast<unsigned char>(x[i] ^ y[i]);
    return difference == 0;
}

} // namespace acd
