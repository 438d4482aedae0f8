#pragma once

#include "core/Timestamp.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace acd {

/// How long to wait before retrying a throttled or failed call (429, 5xx, timeout).
/// The server's word wins: `Retry-After` (seconds or an HTTP date) or `X-RateLimit-Reset`
/// (seconds to wait, or a Unix time when larger than a day). Otherwise exponential backoff
/// from `base`, doubled per attempt, capped at `cap`, with "full jitter" drawn from `random01`
/// (a value in [0,1)) so that many clients do not retry in step. `attempt` is 1 for the
/// first retry. A server's value is never negative and is capped at 5 minutes.
std::chrono::milliseconds retryDelay(int attempt, const std::string& retryAfter,
                                     const std::string& rateLimitReset, Timestamp now, double random01,
                                     std::chrono::milliseconds base = std::chrono::milliseconds(500),
                                     std::chrono::milliseconds cap = std::chrono::milliseconds(30000));

/// The one retry policy of every remote call (Retail Server, Emarsys, Key Vault, SMTP).
struct RetryPolicy
{
    int maxAttempts = 4; // tries of one call, the first included; a token refresh is not one
    std::chrono::milliseconds base{500};
    std::chrono::milliseconds cap{30000};
    /// A server asking for a longer wait is not waited for: the call gives up at once, so that
    /// a caller with a fallback (Key Vault's sealed copies) uses it instead of hanging.
    std::chrono::milliseconds longestWait{std::chrono::minutes(5)};
};

/// What a server said about when to come back: HTTP's `Retry-After` and Emarsys's
/// `X-RateLimit-Reset`. Empty for protocols without them (SMTP): backoff alone decides.
struct RetryHints
{
    std::string retryAfter;
    std::string rateLimitReset;
};

/// The tries of one call under a RetryPolicy, as pure decisions: the caller sends, sleeps and
/// reads the clock. A transient failure (no answer, timeout, 429, 5xx; an SMTP 4xx or a lost
/// connection) gets a wait with jitter, or the server's, while attempts remain, the wait is not
/// longer than the policy allows and it ends before the deadline. A 401 gets one fresh token
/// and one more try, never more.
class RetryState
{
public:
    /// Throws std::invalid_argument when the policy allows less than one attempt.
    explicit RetryState(RetryPolicy policy = {}, std::optional<Timestamp> deadline = std::nullopt);

    /// The try under way: 1 for the first.
    int attempt() const { return _attempt; }

    /// The try under way failed transiently: the wait before the next one, or nothing when the
    /// call gives up, and gaveUp() then says why. `failures` holds what each request of a round
    /// sent at once said: the longest wait asked for is the one taken.
    std::optional<std::chrono::milliseconds> afterFailure(const std::vector<RetryHints>& failures,
                                                          Timestamp now, double random01);
    std::optional<std::chrono::milliseconds> afterFailure(const RetryHints& hints, Timestamp now,
                                                          double random01);

    /// The try under way was refused as unauthenticated (HTTP 401): true the first time (fetch
    /// a fresh token and try again at once), false after, when the 401 is the answer. A token
    /// refused twice is a credential problem that more tries would only hide.
    bool refreshToken();
    bool tokenRefreshed() const { return _tokenRefreshed; }

    /// Why the call gave up, for messages: "after 4 attempts", "after 2 attempts, no time left
    /// before the deadline", "after 1 attempt, the server asks for a wait of 40 s, longer than
    /// 30 s". Empty while it goes on.
    const std::string& gaveUp() const { return _gaveUp; }

private:
    RetryPolicy _policy;
    std::optional<Timestamp> _deadline;
    int _attempt = 1;
    bool _tokenRefreshed = false;
    std::string _gaveUp;
};

} // namespace acd
