#include "core/KeyedHash.h"

#include "platform/Sha256.h"

#include <Poco/DigestEngine.h>

#include <stdexcept>

namespace acd {

namespace {

std::string toHex(const platform::Sha256Digest& digest)
{
    return Poco::DigestEngine::digestToHex(Poco::DigestEngine::Digest(digest.begin(), digest.end()));
}

std::unique_ptr<platform::HmacSha256> keyedWith(const std::string& key)
{
    if (key.empty())
        throw std::invalid_argument("the keyed hash needs a non-empty key");
    return std::make_unique<platform::HmacSha256>(key);
}

} // namespace

KeyedHash::KeyedHash(const std::string& key) : _hmac(keyedWith(key)) {}

KeyedHash::~KeyedHash() = default;

std::string KeyedHash::hex(std::string_view text) const
{
    return toHex(_hmac->digest(text));
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
    return toHex(platform::sha256(text));
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
