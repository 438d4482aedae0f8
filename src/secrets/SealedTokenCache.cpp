#include "secrets/SealedTokenCache.h"

#include <sstream>

namespace acd {

namespace {

/// "acd-token-1", the owner, the time the token stops being handed out, the token: one per line.
constexpr const char* Format = "acd-token-1";

} // namespace

SealedTokenCache::SealedTokenCache(std::unique_ptr<SealedStore> store, std::string name)
    : _store(std::move(store)), _name(std::move(name))
{}

std::optional<CachedToken> SealedTokenCache::load()
{
    const std::optional<std::string> text = _store->unseal(_name);
    if (!text || text->empty())
        return std::nullopt;
    std::istringstream lines(*text);
    std::string format, owner, until, value;
    if (!std::getline(lines, format) || format != Format || !std::getline(lines, owner) ||
        !std::getline(lines, until) || !std::getline(lines, value))
        return std::nullopt;
    const std::optional<Timestamp> expiresAt = Timestamp::parse(until);
    if (!expiresAt)
        return std::nullopt;
    return CachedToken{value, *expiresAt, owner};
}

void SealedTokenCache::store(const CachedToken& token)
{
    _store->seal(_name, std::string(Format) + "\n" + token.owner + "\n" + token.expiresAt.toIso() + "\n" +
                            token.value + "\n");
}

void SealedTokenCache::clear()
{
    // A sealed store keeps a name once written; an empty copy is no token.
    _store->seal(_name, "");
}

} // namespace acd
