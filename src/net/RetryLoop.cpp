#include "net/RetryLoop.h"

#include <algorithm>
#include <random>
#include <thread>

namespace acd {

void RetryEnvironment::wait(std::chrono::milliseconds delay) const
{
    if (sleep)
        sleep(delay);
    else
        std::this_thread::sleep_for(delay);
}

Timestamp RetryEnvironment::now() const
{
    return clock ? clock() : Timestamp::now();
}

double RetryEnvironment::jitter() const
{
    if (random01)
        return random01();
    thread_local std::mt19937_64 generator{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

Verdict usualVerdict(const HttpClient::Outcome& outcome)
{
    const long status = outcome.response.status;
    if (!outcome.transportError.empty() || status == 429 || status >= 500)
        return Verdict::Transient;
    if (status == 401)
        return Verdict::Unauthorized;
    return Verdict::Answer;
}

RetryHints retryHints(const HttpResponse& response)
{
    return {response.header("Retry-After"), response.header("X-RateLimit-Reset")};
}

std::vector<HttpClient::Outcome> sendRound(HttpClient& http, const std::vector<HttpRequest>& requests)
{
    if (requests.size() != 1)
        return http.sendAll(requests);
    std::vector<HttpClient::Outcome> outcomes(1);
    try
    {
        outcomes[0].response = http.send(requests[0]);
    }
    catch (const HttpTransportError& e)
    {
        outcomes[0].transportError = e.what();
        outcomes[0].timedOut = e.timedOut();
        outcomes[0].requestSent = e.requestSent();
    }
    return outcomes;
}

std::vector<RetryResult> sendWithRetries(HttpClient& http, const std::vector<HttpRequest>& requests,
                                         const RetryCall& call, const RetryEnvironment& environment)
{
    std::vector<RetryResult> results(requests.size());
    std::vector<std::size_t> pending(requests.size());
    for (std::size_t i = 0; i < pending.size(); ++i)
        pending[i] = i;
    RetryState retry(call.policy, call.deadline);
    const auto verdict = call.verdict ? call.verdict : usualVerdict;

    while (!pending.empty())
    {
        std::vector<HttpRequest> round;
        round.reserve(pending.size());
        const auto authorization = call.authorize ? call.authorize() : std::pair<std::string, std::string>();
        for (const std::size_t i : pending)
        {
            round.push_back(requests[i]);
            if (!authorization.first.empty())
                round.back().headers.push_back(authorization);
        }
        std::vector<HttpClient::Outcome> outcomes = sendRound(http, round);

        std::vector<std::size_t> failed;       // transient: after the wait
        std::vector<std::size_t> unauthorized; // at once, with a fresh token
        std::vector<RetryHints> hints;
        for (std::size_t k = 0; k < outcomes.size(); ++k)
        {
            const std::size_t i = pending[k];
            switch (verdict(outcomes[k]))
            {
            case Verdict::Transient:
                hints.push_back(retryHints(outcomes[k].response));
                failed.push_back(i);
                break;
            case Verdict::Unauthorized:
                if (call.refreshToken && !retry.tokenRefreshed())
                {
                    unauthorized.push_back(i);
                    break;
                }
                [[fallthrough]];
            case Verdict::Answer:
                break;
            }
            results[i].outcome = std::move(outcomes[k]);
        }
        if (!unauthorized.empty())
        {
            retry.refreshToken();
            call.refreshToken();
        }
        std::optional<std::chrono::milliseconds> wait;
        if (!failed.empty())
        {
            wait = retry.afterFailure(hints, environment.now(), environment.jitter());
            if (!wait)
            {
                for (const std::size_t i : failed)
                    results[i].gaveUp = retry.gaveUp();
                failed.clear();
            }
        }
        // The requests refused for their token go again with the ones that failed: one round.
        pending = std::move(unauthorized);
        pending.insert(pending.end(), failed.begin(), failed.end());
        std::sort(pending.begin(), pending.end());
        if (wait && !failed.empty())
            environment.wait(*wait);
    }
    return results;
}

} // namespace acd
