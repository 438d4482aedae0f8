#pragma once

#include "core/Timestamp.h"

#include <optional>
#include <stdexcept>
#include <string>

namespace acd {

/// No token could be had. The message names the token service and, when it answered, its
/// `error` and `error_description`; never the client secret. `refused()` tells credentials
/// the service turned down (fix the configuration) from an outage or throttling (try later).
class TokenError : public std::runtime_error
{
public:
    explicit TokenError(const std::string& message, bool refused = false)
        : std::runtime_error(message), _refused(refused)
    {}
    bool refused() const { return _refused; }

private:
    bool _refused;
};

/// Bearer tokens for one service, each kept until shortly before it expires. Not thread-safe,
/// like HttpClient.
class TokenSource
{
public:
    virtual ~TokenSource() = default;
    /// A valid access token, fetched only when none is kept or it is about to expire.
    /// Throws TokenError.
    virtual std::string token() = 0;
    /// The service refused the token: the next token() fetches a new one.
    virtual void invalidate() = 0;
};

/// An access token as kept between processes.
struct CachedToken
{
    std::string value;
    Timestamp expiresAt;
    std::string owner; // which client and token service it belongs to (a digest, not a secret)
};

/// Where tokens are kept between processes (a restart, each command line run), for services
/// that limit how often one may be fetched. Implementations keep them sealed like secrets
/// (DESIGN §5), never in the ledger or a log.
class TokenCache
{
public:
    virtual ~TokenCache() = default;
    /// Nothing when no token is kept. Throws std::runtime_error naming the cause, never the
    /// token, when a copy is there but cannot be read: the caller fetches another and says so.
    virtual std::optional<CachedToken> load() = 0;
    /// Throws std::runtime_error naming the cause, never the token.
    virtual void store(const CachedToken& token) = 0;
    virtual void clear() = 0;
};

} // namespace acd
