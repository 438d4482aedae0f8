#define BOOST_TEST_MODULE core_retry_tests
#include <boost/test/unit_test.hpp>

#include "core/Backoff.h"

#include <stdexcept>

using namespace acd;
using std::chrono::milliseconds;

namespace {

const Timestamp Now = Timestamp::fromUnixSeconds(1445412450); // 2015-10-21T07:27:30Z

RetryPolicy attempts(int count)
{
    RetryPolicy policy;
    policy.maxAttempts = count;
    return policy;
}

} // namespace

BOOST_AUTO_TEST_CASE(retry_after_in_seconds_is_the_wait)
{
    RetryState retry(attempts(3));
    const auto wait = retry.afterFailure(RetryHints{"7", ""}, Now, 0.5);
    BOOST_REQUIRE(wait.has_value());
    BOOST_TEST(wait->count() == 7000);
    BOOST_TEST(retry.attempt() == 2);
    BOOST_TEST(retry.gaveUp().empty());
}

BOOST_AUTO_TEST_CASE(retry_after_as_an_http_date_is_waited_until)
{
    RetryState retry(attempts(3));
    const auto wait = retry.afterFailure(RetryHints{"Wed, 21 Oct 2015 07:28:00 GMT", ""}, Now, 0.5);
    BOOST_REQUIRE(wait.has_value());
    BOOST_TEST(wait->count() == 30000);
}

BOOST_AUTO_TEST_CASE(emarsys_rate_limit_reset_as_a_unix_time_is_waited_until)
{
    RetryState retry(attempts(3));
    const auto wait = retry.afterFailure(RetryHints{"", "1445412495"}, Now, 0.5);
    BOOST_REQUIRE(wait.has_value());
    BOOST_TEST(wait->count() == 45000);
}

BOOST_AUTO_TEST_CASE(without_a_server_word_the_wait_is_backoff_with_jitter)
{
    RetryPolicy policy = attempts(5);
    policy.base = milliseconds(1000);
    policy.cap = milliseconds(3000);
    RetryState retry(policy);
    // Full jitter: random01 picks the wait below a ceiling that doubles, up to the cap.
    BOOST_TEST(retry.afterFailure(RetryHints{}, Now, 0.5)->count() == 500);
    BOOST_TEST(retry.afterFailure(RetryHints{}, Now, 0.5)->count() == 1000);
    BOOST_TEST(retry.afterFailure(RetryHints{}, Now, 0.5)->count() == 1500);
    BOOST_TEST(retry.afterFailure(RetryHints{}, Now, 0.0)->count() == 0);
}

BOOST_AUTO_TEST_CASE(a_round_waits_the_longest_wait_any_of_its_requests_asked_for)
{
    RetryState retry(attempts(3));
    const auto wait = retry.afterFailure({RetryHints{"2", ""}, RetryHints{"", "9"}, RetryHints{}}, Now, 0.5);
    BOOST_REQUIRE(wait.has_value());
    BOOST_TEST(wait->count() == 9000);
    BOOST_TEST(retry.attempt() == 2); // one round, one attempt
}

BOOST_AUTO_TEST_CASE(attempts_run_out)
{
    RetryState retry(attempts(3));
    BOOST_TEST(retry.afterFailure(RetryHints{"1", ""}, Now, 0.5).has_value());
    BOOST_TEST(retry.afterFailure(RetryHints{"1", ""}, Now, 0.5).has_value());
    BOOST_TEST(!retry.afterFailure(RetryHints{"1", ""}, Now, 0.5).has_value());
    BOOST_TEST(retry.gaveUp() == "after 3 attempts");

    RetryState once(attempts(1));
    BOOST_TEST(!once.afterFailure(RetryHints{}, Now, 0.5).has_value());
    BOOST_TEST(once.gaveUp() == "after 1 attempt");
}

BOOST_AUTO_TEST_CASE(a_wait_that_ends_after_the_deadline_is_not_taken)
{
    RetryState retry(attempts(6), Now.plusSeconds(5));
    BOOST_TEST(retry.afterFailure(RetryHints{"2", ""}, Now, 0.5)->count() == 2000);
    BOOST_TEST(retry.afterFailure(RetryHints{"2", ""}, Now.plusSeconds(2), 0.5)->count() == 2000);
    // Ending exactly at the deadline is still in time; a millisecond more is not.
    BOOST_TEST(retry.afterFailure(RetryHints{"1", ""}, Now.plusSeconds(4), 0.5)->count() == 1000);
    BOOST_TEST(!retry.afterFailure(RetryHints{"1", ""}, Timestamp(Now.plusSeconds(4).ticks() + 10'000), 0.5)
                    .has_value());
    BOOST_TEST(retry.gaveUp() == "after 4 attempts, no time left before the deadline");
    RetryState late(attempts(6), Now.plusSeconds(5));
    BOOST_TEST(!late.afterFailure(RetryHints{"6", ""}, Now, 0.5).has_value());
    BOOST_TEST(late.gaveUp() == "after 1 attempt, no time left before the deadline");
    BOOST_TEST(late.attempt() == 1);
}

BOOST_AUTO_TEST_CASE(a_server_asking_for_more_than_the_longest_wait_is_not_waited_for)
{
    RetryPolicy policy = attempts(3);
    policy.longestWait = milliseconds(30000);
    RetryState retry(policy);
    BOOST_TEST(retry.afterFailure(RetryHints{"30", ""}, Now, 0.5)->count() == 30000);
    BOOST_TEST(!retry.afterFailure(RetryHints{"40", ""}, Now, 0.5).has_value());
    BOOST_TEST(retry.gaveUp() == "after 2 attempts, the server asks for a wait of 40 s, longer than 30 s");
}

BOOST_AUTO_TEST_CASE(a_401_gets_one_fresh_token_and_a_second_401_is_not_retried)
{
    RetryState retry(attempts(4));
    BOOST_TEST(!retry.tokenRefreshed());
    BOOST_TEST(retry.refreshToken());
    BOOST_TEST(retry.tokenRefreshed());
    BOOST_TEST(!retry.refreshToken());
    BOOST_TEST(!retry.refreshToken());
    // The refresh is not an attempt: the transient failures keep their own count.
    BOOST_TEST(retry.attempt() == 1);
}

BOOST_AUTO_TEST_CASE(a_policy_without_an_attempt_is_refused)
{
    BOOST_CHECK_THROW(RetryState(attempts(0)), std::invalid_argument);
}
