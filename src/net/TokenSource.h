#pragma once

#include "core/Timestamp.h"
#include "net/RemoteError.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace acd {

/// No token could be had. The message names the token service and, when it answered, its
/// `error` and `error_description`; never the client secret. `refused()` tells credentials
/// the service turned down (fix the configuration) from an outage or throttling (try later).
class TokenError : public RemoteError
{
public:
    using RemoteError::RemoteError;
    bool refused() const { return kind() == RemoteFailure::Refused; }
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

/// A token as a token service issued it.
struct IssuedToken
{
    std::string value;
    std::int64_t lifetimeSeconds = 0;
};

struct TokenKeeperOptions
{
    /// The start of every warning, e.g. "Emarsys token request to https://…".
    std::string what;
    /// Which client and token service the tokens belong to, as a digest: a kept token of
    /// another owner is not taken from the cache.
    std::string owner;
    /// Keeps the token across processes; null = this process only.
    std::unique_ptr<TokenCache> cache;
    std::function<Timestamp()> clock = &Timestamp::now;
    /// Told once when the cache cannot keep a token (the next process then fetches its own).
    std::function<void(const std::string&)> warn;
};

/// The one caching rule of every token source: a token is handed out until 5 minutes before it
/// expires (half its life when it lives less than 10 minutes), and kept in the cache when one is
/// given so that the next process reuses it instead of fetching another: some services allow
/// only a few fetches an hour (Emarsys: 2 a minute, 10 an hour). A token the service refused is
/// never handed out again, even where the cache could not forget it.
class TokenKeeper
{
public:
    /// Throws std::invalid_argument when no clock is given.
    explicit TokenKeeper(TokenKeeperOptions options);

    /// The kept token, or the one `fetch` gets (it throws TokenError when none can be had).
    std::string token(const std::function<IssuedToken(Timestamp requestedAt)>& fetch);
    void invalidate();

private:
    void warnOnce(const std::string& line);

    TokenKeeperOptions _options;
    std::string _token;
    std::string _refused; // the last token the service refused
    Timestamp _refreshAt;
    bool _warned = false;
};

} // namespace acd
