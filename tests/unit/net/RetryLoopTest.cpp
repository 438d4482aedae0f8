#define BOOST_TEST_MODULE RetryLoop
#include <boost/test/unit_test.hpp>

#include "FakeHttpServer.h"
#include "net/HttpClient.h"
#include "net/RetryLoop.h"

#include <map>
#include <stdexcept>

using namespace acd;
using namespace acd::test;
using std::chrono::milliseconds;

namespace {

const Timestamp Start = Timestamp::fromUnixSeconds(1445412450); // 2015-10-21T07:27:30Z

/// A clock that only the sleeps move forward, and the sleeps it was asked for.
struct FakeTime
{
    Timestamp now = Start;
    std::vector<milliseconds> sleeps;

    RetryEnvironment environment()
    {
        return {[this](milliseconds d) {
                    sleeps.push_back(d);
                    now = Timestamp(now.ticks() + d.count() * (Timestamp::TicksPerSecond / 1000));
                },
                [this] { return now; }, [] { return 0.5; }};
    }
};

FakeReply reply(int status, FakeHeaders headers = {})
{
    return FakeReply{status, "{}", std::move(headers)};
}

HttpRequest get(const std::string& url)
{
    HttpRequest request;
    request.url = url;
    return request;
}

/// Hands out tok-1, tok-2, … as the authorization of the tries: a new one after each refresh.
struct Tokens
{
    int generation = 1;
    int refreshes = 0;
    void wire(RetryCall& call)
    {
        call.authorize = [this] {
            return std::make_pair(std::string("Authorization"), "Bearer tok-" + std::to_string(generation));
        };
        call.refreshToken = [this] {
            ++refreshes;
            ++generation;
        };
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(retry_after_in_seconds_is_waited_then_the_request_goes_again)
{
    FakeHttpServer server([](const FakeRequest& r) {
        return r.index == 0 ? reply(429, {{"Retry-After", "3"}}) : reply(200);
    });
    HttpClient http;
    FakeTime time;
    const auto results = sendWithRetries(http, {get(server.url() + "/x")}, RetryCall{}, time.environment());
    BOOST_REQUIRE(results.size() == 1u);
    BOOST_TEST(results[0].outcome.response.status == 200);
    BOOST_TEST(results[0].gaveUp.empty());
    BOOST_REQUIRE(time.sleeps.size() == 1u);
    BOOST_TEST(time.sleeps[0].count() == 3000);
    BOOST_TEST(server.requestCount() == 2u);
}

BOOST_AUTO_TEST_CASE(retry_after_as_an_http_date_is_waited_until)
{
    FakeHttpServer server([](const FakeRequest& r) {
        return r.index == 0 ? reply(503, {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}}) : reply(200);
    });
    HttpClient http;
    FakeTime time;
    const auto results = sendWithRetries(http, {get(server.url())}, RetryCall{}, time.environment());
    BOOST_TEST(results.at(0).outcome.response.status == 200);
    BOOST_REQUIRE(time.sleeps.size() == 1u);
    BOOST_TEST(time.sleeps[0].count() == 30000);
}

BOOST_AUTO_TEST_CASE(emarsys_rate_limit_reset_is_waited_until)
{
    FakeHttpServer server([](const FakeRequest& r) {
        return r.index == 0 ? reply(429, {{"X-RateLimit-Reset", "1445412462"}}) : reply(200);
    });
    HttpClient http;
    FakeTime time;
    const auto results = sendWithRetries(http, {get(server.url())}, RetryCall{}, time.environment());
    BOOST_TEST(results.at(0).outcome.response.status == 200);
    BOOST_REQUIRE(time.sleeps.size() == 1u);
    BOOST_TEST(time.sleeps[0].count() == 12000);
}

BOOST_AUTO_TEST_CASE(the_deadline_ends_the_tries_with_the_last_failure)
{
    FakeHttpServer server([](const FakeRequest&) { return reply(503, {{"Retry-After", "2"}}); });
    HttpClient http;
    FakeTime time;
    RetryCall call;
    call.policy.maxAttempts = 10;
    call.deadline = Start.plusSeconds(5);
    const auto results = sendWithRetries(http, {get(server.url())}, call, time.environment());
    // Tries at 0 s, 2 s and 4 s; a third wait would end at 6 s.
    BOOST_TEST(server.requestCount() == 3u);
    BOOST_TEST(time.sleeps.size() == 2u);
    BOOST_TEST(results.at(0).outcome.response.status == 503);
    BOOST_TEST(results[0].gaveUp == "after 3 attempts, no time left before the deadline");
}

BOOST_AUTO_TEST_CASE(attempts_run_out_and_no_answer_is_a_transient_failure)
{
    HttpClient http;
    FakeTime time;
    RetryCall call;
    call.policy.maxAttempts = 2;
    const auto results = sendWithRetries(http, {get(closedPortUrl())}, call, time.environment());
    BOOST_TEST(!results.at(0).outcome.transportError.empty());
    BOOST_TEST(results[0].gaveUp == "after 2 attempts");
    BOOST_TEST(time.sleeps.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_401_gets_one_fresh_token_and_a_second_401_is_the_answer)
{
    FakeHttpServer server([](const FakeRequest&) { return reply(401); });
    HttpClient http;
    FakeTime time;
    Tokens tokens;
    RetryCall call;
    tokens.wire(call);
    const auto results = sendWithRetries(http, {get(server.url())}, call, time.environment());
    BOOST_TEST(results.at(0).outcome.response.status == 401);
    BOOST_TEST(results[0].gaveUp.empty());
    BOOST_TEST(tokens.refreshes == 1);
    const auto requests = server.requests();
    BOOST_REQUIRE(requests.size() == 2u);
    BOOST_TEST(requests[0].header("Authorization") == "Bearer tok-1");
    BOOST_TEST(requests[1].header("Authorization") == "Bearer tok-2");
    BOOST_TEST(time.sleeps.empty()); // a fresh token is tried at once
}

BOOST_AUTO_TEST_CASE(a_401_after_throttling_still_gets_its_one_fresh_token_but_no_second)
{
    FakeHttpServer server([](const FakeRequest& r) {
        if (r.index == 0)
            return reply(401);
        if (r.index == 1)
            return reply(429, {{"Retry-After", "1"}});
        return reply(401);
    });
    HttpClient http;
    FakeTime time;
    Tokens tokens;
    RetryCall call;
    tokens.wire(call);
    const auto results = sendWithRetries(http, {get(server.url())}, call, time.environment());
    BOOST_TEST(results.at(0).outcome.response.status == 401);
    BOOST_TEST(tokens.refreshes == 1);
    BOOST_TEST(server.requestCount() == 3u);
}

BOOST_AUTO_TEST_CASE(without_a_refresh_a_401_is_the_answer_at_once)
{
    FakeHttpServer server([](const FakeRequest&) { return reply(401); });
    HttpClient http;
    FakeTime time;
    const auto results = sendWithRetries(http, {get(server.url())}, RetryCall{}, time.environment());
    BOOST_TEST(results.at(0).outcome.response.status == 401);
    BOOST_TEST(server.requestCount() == 1u);
}

BOOST_AUTO_TEST_CASE(a_round_sends_only_its_failures_again_after_the_longest_wait)
{
    std::map<std::string, int> seen; // the handler is called for one request at a time
    FakeHttpServer server([&seen](const FakeRequest& r) {
        const int times = seen[r.path()]++;
        if (r.path() == "/a" && times == 0)
            return reply(503, {{"Retry-After", "1"}});
        if (r.path() == "/c" && times == 0)
            return reply(429, {{"Retry-After", "4"}});
        return reply(r.path() == "/b" ? 404 : 200);
    });
    HttpClient http;
    FakeTime time;
    const auto results =
        sendWithRetries(http, {get(server.url() + "/a"), get(server.url() + "/b"), get(server.url() + "/c")},
                        RetryCall{}, time.environment());
    BOOST_REQUIRE(results.size() == 3u);
    BOOST_TEST(results[0].outcome.response.status == 200);
    BOOST_TEST(results[1].outcome.response.status == 404); // an answer, kept as it is
    BOOST_TEST(results[2].outcome.response.status == 200);
    BOOST_REQUIRE(time.sleeps.size() == 1u);
    BOOST_TEST(time.sleeps[0].count() == 4000);
    BOOST_TEST(server.requestsTo("/b").size() == 1u);
    BOOST_TEST(server.requestsTo("/a").size() == 2u);
    BOOST_TEST(server.requestsTo("/c").size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_verdict_may_end_the_call_at_once)
{
    FakeHttpServer server([](const FakeRequest&) { return reply(400); });
    HttpClient http;
    FakeTime time;
    RetryCall call;
    call.verdict = [](const HttpClient::Outcome& outcome) -> Verdict {
        if (outcome.response.status == 400)
            throw std::runtime_error("bad request");
        return usualVerdict(outcome);
    };
    BOOST_CHECK_THROW(sendWithRetries(http, {get(server.url())}, call, time.environment()),
                      std::runtime_error);
    BOOST_TEST(server.requestCount() == 1u);
}
