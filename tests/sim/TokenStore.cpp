#include "TokenStore.h"

#include "SimTime.h"

#include <Poco/RandomStream.h>

#include <cstdio>

namespace acd::sim {

std::string randomHex(std::size_t bytes)
{
    Poco::RandomInputStream random;
    std::string out;
    out.reserve(bytes * 2);
    for (std::size_t i = 0; i < bytes; ++i)
    {
        char hex[3];
        std::snprintf(hex, sizeof hex, "%02x",
                      static_cast<unsigned>(static_cast<unsigned char>(random.get())));
        out += hex;
    }
    return out;
}

TokenStore::Issued TokenStore::issue(Audience audience)
{
    const std::int64_t now = nowTicks();
    Issued issued;
    issued.token = randomHex(24);
    std::lock_guard lock(_mutex);
    // A client told to use short-lived tokens asks for many: drop the dead ones now and then.
    if (_grants.size() > 10'000)
        std::erase_if(_grants, [now](const auto& entry) { return entry.second.expiresAtTicks <= now; });
    issued.expiresIn = _lifetimeSeconds.value_or(audience == Audience::Emarsys ? 3600 : 3599);
    const std::int64_t expiresAt = now + static_cast<std::int64_t>(issued.expiresIn) * TicksPerSecond;
    issued.expiresOnUnix = expiresAt / TicksPerSecond;
    _grants.emplace(issued.token, Grant{audience, expiresAt});
    return issued;
}

TokenStore::Check TokenStore::check(const std::string& token, Audience audience) const
{
    const std::int64_t now = nowTicks();
    std::lock_guard lock(_mutex);
    const auto it = _grants.find(token);
    if (it == _grants.end())
        return Check::Unknown;
    if (it->second.audience != audience)
        return Check::OtherAudience;
    return it->second.expiresAtTicks > now ? Check::Valid : Check::Expired;
}

void TokenStore::setLifetime(int seconds)
{
    std::lock_guard lock(_mutex);
    _lifetimeSeconds = seconds;
}

void TokenStore::revokeAll()
{
    std::lock_guard lock(_mutex);
    _grants.clear();
}

} // namespace acd::sim
