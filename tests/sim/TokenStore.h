#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace acd::sim {

/// Which service an issued bearer token is good for.
enum class Audience
{
    Retail, // any audience but Key Vault's (Retail Server checks `id_token <token>`)
    Vault,  // https://vault.azure.net
};

/// The access tokens handed out by the Entra, IMDS and Azure Arc endpoints.
class TokenStore
{
public:
    struct Issued
    {
        std::string token;
        int expiresIn = 0;              // seconds
        std::int64_t expiresOnUnix = 0; // seconds since the epoch
    };

    Issued issue(Audience audience);
    bool isValid(const std::string& token, Audience audience) const;
    /// Lifetime of tokens issued from now on (existing ones keep theirs).
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
    int _lifetimeSeconds = 3599;
    std::unordered_map<std::string, Grant> _grants;
};

/// 2 * `bytes` random lowercase hex characters (tokens, nonce-like keys, secret versions).
std::string randomHex(std::size_t bytes);

} // namespace acd::sim
