#pragma once

#include "core/Backoff.h"
#include "core/Timestamp.h"
#include "net/HttpClient.h"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace acd {

/// What the waits of a RetryState take: sleeping, the time, the jitter. Tests replace them.
struct RetryEnvironment
{
    std::function<void(std::chrono::milliseconds)> sleep; // empty: this thread sleeps
    std::function<Timestamp()> clock;                     // empty: Timestamp::now
    std::function<double()> random01;                     // empty: a PRNG seeded once per thread

    void wait(std::chrono::milliseconds delay) const;
    Timestamp now() const;
    double jitter() const;
};

/// How the caller reads one outcome of a try.
enum class Verdict
{
    Answer,       // kept and handed back, whatever its status
    Transient,    // no answer, a timeout, 429, 5xx: tried again under the policy
    Unauthorized, // 401: one fresh token and one more try; the second 401 is an answer
};

/// The usual reading: no answer, 429 and 5xx are transient, 401 asks for a fresh token, any other
/// status is the answer.
Verdict usualVerdict(const HttpClient::Outcome& outcome);

/// The Retry-After and X-RateLimit-Reset of an answer.
RetryHints retryHints(const HttpResponse& response);

struct RetryCall
{
    RetryPolicy policy;
    std::optional<Timestamp> deadline;
    /// The credential header each try carries (fetched again after a refresh); empty = none.
    /// May throw (a TokenError): the call ends with it, before anything is sent.
    std::function<std::pair<std::string, std::string>()> authorize;
    /// Drops the token the service refused; empty = a 401 is an answer at once.
    std::function<void()> refreshToken;
    /// May throw to end the call at once (an answer that makes the other requests pointless).
    std::function<Verdict(const HttpClient::Outcome&)> verdict = usualVerdict;
};

struct RetryResult
{
    HttpClient::Outcome outcome; // the answer, or the last transient failure when the call gave up
    std::string gaveUp;          // "" for an answer; else why the tries stopped (RetryState::gaveUp())
};

/// The loop every HTTP caller shares: sends `requests` (at once when there are several, each try
/// with the authorization of the moment) until each has an answer or the policy gives up. The
/// tries of one call count together, as rounds: a round with transient failures waits the
/// longest of their waits, then sends those again; one token refresh serves the whole call.
/// Results are in the order of the requests.
std::vector<RetryResult> sendWithRetries(HttpClient& http, const std::vector<HttpRequest>& requests,
                                         const RetryCall& call, const RetryEnvironment& environment);

/// One round: the requests at once (one alone through send(), on the client's own connection),
/// the outcomes in their order.
std::vector<HttpClient::Outcome> sendRound(HttpClient& http, const std::vector<HttpRequest>& requests);

} // namespace acd
