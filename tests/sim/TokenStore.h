#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace acd::sim {

/// Which service an issued bearer token is good for.
enum class Audience
{
    Retail,  // any audience but Key Vault's (Retail Server checks `id_token <token>`)
    Vault,   // https://vault.azure.net
    Emarsys, // Emarsys's own OAuth 2.0 endpoint: good for the v3 API only
};

/// The access tokens handed out by the Entra, IMDS, Azure Arc and Emarsys token endpoints.
class TokenStore
{
public:
    struct Issued
    {
        std::string token;
        int expiresIn = 0;              // seconds
        std::int64_t expiresOnUnix = 0; // seconds since the epoch
    };

    enum class Check
    {
        Valid,
        Unknown, // never issued, or revoked
        OtherAudience,
        Expired,
    };

    Issued issue(Audience audience);
    Check check(const std::string& token, Audience audience) const;
    bool isValid(const std::string& token, Audience audience) const
    {
        return check(token, audience) == Check::Valid;
    }
    /// Lifetime of tokens issued from now on (existing ones keep theirs), whatever the audience.
    void setLifetime(int seconds);
    /// Every token issued so far stops working.
    void revokeAll();

private:
    struct Grant
    {
        Audience audience;
        std::int64_t expiresAtTicks;
    };

    mutable std::mutex _mutex;
    // Nothing: each service's own default (Entra 3599 s, Emarsys 3600 s).
    std::optional<int> _lifetimeSeconds;
    std::unordered_map<std::string, Grant> _grants;
};

/// 2 * `bytes` random lowercase hex characters (tokens, nonce-like keys, secret versions).
std::string randomHex(std::size_t bytes);

} // namespace acd::sim
