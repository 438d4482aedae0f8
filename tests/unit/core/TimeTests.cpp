#define BOOST_TEST_MODULE core_time_tests
#include <boost/test/unit_test.hpp>

#include "core/Backoff.h"
#include "core/CartWindow.h"
#include "core/Timestamp.h"

#include <ctime>
#include <string>

using namespace acd;
using std::chrono::milliseconds;

namespace {

constexpr std::int64_t Tps = Timestamp::TicksPerSecond;

Timestamp at(const char* iso)
{
    const auto parsed = Timestamp::parse(iso);
    BOOST_TEST_REQUIRE(parsed.has_value(), "test fixture does not parse: " << iso);
    return *parsed;
}

} // namespace

BOOST_AUTO_TEST_SUITE(timestamp_parse)

BOOST_AUTO_TEST_CASE(epoch_and_known_instants)
{
    BOOST_TEST(at("1970-01-01T00:00:00Z").ticks() == 0);
    // Expected Unix times computed independently (Python datetime).
    BOOST_TEST(at("2026-11-25T14:03:11Z").unixSeconds() == 1795615391);
    BOOST_TEST(at("2000-02-29T00:00:00Z").unixSeconds() == 951782400);
    BOOST_TEST(at("2100-03-01T00:00:00Z").unixSeconds() == 4107542400);
    BOOST_TEST(at("1900-03-01T00:00:00Z").unixSeconds() == -2203891200);
    BOOST_TEST(at("1601-01-01T00:00:00Z").unixSeconds() == -11644473600);
    BOOST_TEST(at("0001-01-01T00:00:00Z").unixSeconds() == -62135596800);
    BOOST_TEST(at("9999-12-31T23:59:59Z").unixSeconds() == 253402300799);
    BOOST_TEST(at("1969-07-20T20:17:40Z").unixSeconds() == -14182940);
}

BOOST_AUTO_TEST_CASE(fractional_digits_are_ticks)
{
    const std::int64_t base = 1795615391 * Tps;
    BOOST_TEST(at("2026-11-25T14:03:11.1234567+00:00").ticks() == base + 1234567);
    BOOST_TEST(at("2026-11-25T14:03:11.5Z").ticks() == base + 5000000);
    BOOST_TEST(at("2026-11-25T14:03:11.05Z").ticks() == base + 500000);
    BOOST_TEST(at("2026-11-25T14:03:11.0000001Z").ticks() == base + 1);
    BOOST_TEST(at("2026-11-25T14:03:11.000Z").ticks() == base);
}

BOOST_AUTO_TEST_CASE(offsets_convert_to_utc)
{
    const Timestamp utc = at("2026-11-25T14:03:11Z");
    BOOST_TEST(at("2026-11-25T16:03:11+02:00").ticks() == utc.ticks());
    BOOST_TEST(at("2026-11-25T16:03:11+0200").ticks() == utc.ticks());
    BOOST_TEST(at("2026-11-25T08:33:11-05:30").ticks() == utc.ticks());
    BOOST_TEST(at("2026-11-25T08:33:11-0530").ticks() == utc.ticks());
    BOOST_TEST(at("2026-11-25T14:03:11-00:00").ticks() == utc.ticks());
    // The offset can move the instant across a day, month and year boundary.
    BOOST_TEST(at("2027-01-01T01:00:00+14:00").toIso() == "2026-12-31T11:00:00.0000000Z");
    BOOST_TEST(at("2026-12-31T23:00:00-12:00").toIso() == "2027-01-01T11:00:00.0000000Z");
}

BOOST_AUTO_TEST_CASE(before_1970)
{
    BOOST_TEST(at("1969-12-31T23:59:59.9999999Z").ticks() == -1);
    BOOST_TEST(at("1969-12-31T23:59:59Z").ticks() == -Tps);
    BOOST_TEST(at("1970-01-01T00:30:00+01:00").ticks() == -1800 * Tps);
}

BOOST_AUTO_TEST_CASE(leap_years)
{
    BOOST_TEST(Timestamp::parse("2024-02-29T00:00:00Z").has_value());
    BOOST_TEST(Timestamp::parse("2000-02-29T00:00:00Z").has_value());
    BOOST_TEST(!Timestamp::parse("2023-02-29T00:00:00Z").has_value());
    BOOST_TEST(!Timestamp::parse("1900-02-29T00:00:00Z").has_value());
    BOOST_TEST(!Timestamp::parse("2100-02-29T00:00:00Z").has_value());
    BOOST_TEST((at("2024-03-01T00:00:00Z").ticks() - at("2024-02-28T00:00:00Z").ticks()) == 2 * 86400 * Tps);
    BOOST_TEST((at("2023-03-01T00:00:00Z").ticks() - at("2023-02-28T00:00:00Z").ticks()) == 86400 * Tps);
}

BOOST_AUTO_TEST_CASE(rejects_everything_else)
{
    for (const char* bad : {
             "",
             "2026-11-25T14:03:11",           // no zone
             "2026-11-25T14:03:11.12345678Z", // 8 fractional digits
             "2026-13-01T00:00:00Z",          // month 13
             "2026-00-10T00:00:00Z",          // month 0
             "2026-02-30T00:00:00Z",          // Feb 30
             "2026-04-31T00:00:00Z",          // April has 30 days
             "2026-11-00T00:00:00Z",          // day 0
             "2026-11-25T14:03:11Zjunk",      // trailing garbage
             "2026-11-25T14:03:11Z ",         // trailing space
             " 2026-11-25T14:03:11Z",         // leading space
             "2026-11-25T14:03:11+00:00x",    // trailing garbage after offset
             "2026-11-25 14:03:11Z",          // space for T
             "2026-11-25t14:03:11Z",          // lower-case t
             "2026-11-25T14:03:11z",          // lower-case z
             "2026-11-25T24:00:00Z",          // hour 24
             "2026-11-25T14:60:00Z",          // minute 60
             "2026-11-25T14:03:60Z",          // leap second
             "2026-11-25T14:03:11.Z",         // point without digits
             "2026-11-25T14:03Z",             // no seconds
             "2026-11-25",                    // date only
             "26-11-25T14:03:11Z",            // two-digit year
             "+2026-11-25T14:03:11Z",         // signed year
             "2026-1-25T14:03:11Z",           // one-digit month
             "2026-11-25T14:03:11+2:00",      // one-digit offset hour
             "2026-11-25T14:03:11+02",        // offset without minutes
             "2026-11-25T14:03:11+02:0",      // truncated offset
             "2026-11-25T14:03:11+15:00",     // beyond ±14:00
             "2026-11-25T14:03:11+01:60",     // offset minute 60
             "2026-11-25T14:03:11+02:00Z",    // two zones
             "2026-11-25T14:03:11,5Z",        // comma fraction
             "2026-11-25T14:03:1aZ",          // letter in seconds
             "２０２６-11-25T14:03:11Z",      // non-ASCII digits
             "0000-01-01T00:00:00+00:01",     // UTC in year 0 (broke fuzz_timestamp)
             "9999-12-31T23:59:59-14:00",     // UTC in year 10000 (broke fuzz_timestamp)
         })
    {
        BOOST_TEST(!Timestamp::parse(bad).has_value(), "accepted: \"" << bad << "\"");
    }
}

BOOST_AUTO_TEST_CASE(utc_stays_within_years_1_to_9999)
{
    // DateTimeOffset's own range: the extremes parse, whatever their offset, while UTC is in it.
    BOOST_TEST(Timestamp::parse("0001-01-01T00:00:00Z").has_value());
    BOOST_TEST(Timestamp::parse("0001-01-01T00:00:00-14:00").has_value());
    BOOST_TEST(Timestamp::parse("9999-12-31T23:59:59.9999999+14:00").has_value());
    BOOST_TEST(!Timestamp::parse("0001-01-01T00:00:00+00:01").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(timestamp_format)

BOOST_AUTO_TEST_CASE(to_iso_has_seven_digits_and_z)
{
    BOOST_TEST(at("2026-11-25T16:03:11.1234567+02:00").toIso() == "2026-11-25T14:03:11.1234567Z");
    BOOST_TEST(at("2026-11-25T14:03:11Z").toIso() == "2026-11-25T14:03:11.0000000Z");
    BOOST_TEST(Timestamp(0).toIso() == "1970-01-01T00:00:00.0000000Z");
    BOOST_TEST(Timestamp(-1).toIso() == "1969-12-31T23:59:59.9999999Z");
    BOOST_TEST(at("0001-01-01T00:00:00Z").toIso() == "0001-01-01T00:00:00.0000000Z");
    BOOST_TEST(at("9999-12-31T23:59:59.9999999Z").toIso() == "9999-12-31T23:59:59.9999999Z");
}

BOOST_AUTO_TEST_CASE(to_iso_seconds_truncates)
{
    BOOST_TEST(at("2026-11-25T14:03:11.9999999Z").toIsoSeconds() == "2026-11-25T14:03:11Z");
    BOOST_TEST(Timestamp(-1).toIsoSeconds() == "1969-12-31T23:59:59Z");
    BOOST_TEST(at("2024-02-29T23:59:59+00:00").toIsoSeconds() == "2024-02-29T23:59:59Z");
}

BOOST_AUTO_TEST_CASE(unix_seconds_floors)
{
    BOOST_TEST(Timestamp(-1).unixSeconds() == -1);
    BOOST_TEST(Timestamp(-Tps).unixSeconds() == -1);
    BOOST_TEST(Timestamp(-Tps - 1).unixSeconds() == -2);
    BOOST_TEST(Timestamp(Tps - 1).unixSeconds() == 0);
    BOOST_TEST(Timestamp::fromUnixSeconds(1795615391).toIsoSeconds() == "2026-11-25T14:03:11Z");
}

BOOST_AUTO_TEST_CASE(parse_and_to_iso_round_trip)
{
    // A deterministic spread of instants from year 1 to 9999, sub-second parts included.
    const std::int64_t low = at("0001-01-01T00:00:00Z").ticks();
    const std::int64_t high = at("9999-12-31T23:59:59.9999999Z").ticks();
    std::uint64_t state = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 20000; ++i)
    {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        const auto span = static_cast<std::uint64_t>(high - low);
        const Timestamp t(low + static_cast<std::int64_t>(state % span));
        const auto back = Timestamp::parse(t.toIso());
        BOOST_TEST_REQUIRE(back.has_value(), t.toIso());
        BOOST_TEST_REQUIRE(back->ticks() == t.ticks(), t.toIso());
    }
}

BOOST_AUTO_TEST_CASE(now_follows_the_system_clock)
{
    const std::int64_t before = static_cast<std::int64_t>(std::time(nullptr));
    const Timestamp now = Timestamp::now();
    const std::int64_t after = static_cast<std::int64_t>(std::time(nullptr));
    BOOST_TEST(now.unixSeconds() >= before - 1);
    BOOST_TEST(now.unixSeconds() <= after + 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cart_window)

BOOST_AUTO_TEST_CASE(first_install_looks_back_include_minutes)
{
    const Timestamp now = at("2026-11-25T14:00:00Z");
    const CartWindow w = computeCartWindow(std::nullopt, now, 500, 10);
    BOOST_TEST(w.from.toIso() == "2026-11-25T05:40:00.0000000Z");
    BOOST_TEST(w.to.toIso() == "2026-11-25T13:50:00.0000000Z");
    BOOST_TEST(!w.empty());
}

BOOST_AUTO_TEST_CASE(continues_from_the_ledger)
{
    const Timestamp now = at("2026-11-25T14:00:00Z");
    const Timestamp last = at("2026-11-25T13:35:00Z");
    const CartWindow w = computeCartWindow(last, now, 500, 10);
    BOOST_TEST(w.from.ticks() == last.ticks());
    BOOST_TEST(w.to.toIso() == "2026-11-25T13:50:00.0000000Z");
}

BOOST_AUTO_TEST_CASE(an_outage_does_not_flood_old_carts)
{
    const Timestamp now = at("2026-11-25T14:00:00Z");
    const CartWindow w = computeCartWindow(at("2026-11-20T09:00:00Z"), now, 500, 10);
    BOOST_TEST(w.from.toIso() == "2026-11-25T05:40:00.0000000Z");
}

BOOST_AUTO_TEST_CASE(empty_windows)
{
    const Timestamp now = at("2026-11-25T14:00:00Z");
    // Ledger start already past now − exclude (a cycle a moment ago, or the clock went back).
    BOOST_TEST(computeCartWindow(at("2026-11-25T13:55:00Z"), now, 500, 10).empty());
    // from == to is empty too: `from` is inclusive, `to` is where the next cycle starts.
    BOOST_TEST(computeCartWindow(at("2026-11-25T13:50:00Z"), now, 500, 10).empty());
    BOOST_TEST(!computeCartWindow(Timestamp(at("2026-11-25T13:50:00Z").ticks() - 1), now, 500, 10).empty());
    // A configuration whose exclusion reaches further back than its inclusion finds nothing.
    BOOST_TEST(computeCartWindow(std::nullopt, now, 10, 20).empty());
    BOOST_TEST(computeCartWindow(std::nullopt, now, 10, 10).empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(backoff)

const Timestamp Now = Timestamp::fromUnixSeconds(1445412450); // 2015-10-21T07:27:30Z
constexpr double AlmostOne = 0.999999;

BOOST_AUTO_TEST_CASE(retry_after_seconds)
{
    BOOST_TEST(retryDelay(1, "7", "", Now, 0.5).count() == 7000);
    BOOST_TEST(retryDelay(9, " 7 ", "", Now, 0.0).count() == 7000);
    BOOST_TEST(retryDelay(1, "0", "", Now, 0.5).count() == 0);
    BOOST_TEST(retryDelay(1, "300", "", Now, 0.5).count() == 300000);
    BOOST_TEST(retryDelay(1, "3600", "", Now, 0.5).count() == 300000);
    BOOST_TEST(retryDelay(1, "99999999999999999999999", "", Now, 0.5).count() == 300000);
}

BOOST_AUTO_TEST_CASE(retry_after_http_date)
{
    BOOST_TEST(retryDelay(1, "Wed, 21 Oct 2015 07:28:00 GMT", "", Now, 0.5).count() == 30000);
    BOOST_TEST(retryDelay(1, "Wed, 21 Oct 2015 07:27:30 GMT", "", Now, 0.5).count() == 0);
    // A date in the past means "now", never a negative wait.
    BOOST_TEST(retryDelay(1, "Tue, 20 Oct 2015 07:28:00 GMT", "", Now, 0.5).count() == 0);
    BOOST_TEST(retryDelay(1, "Thu, 22 Oct 2015 07:28:00 GMT", "", Now, 0.5).count() == 300000);
    const Timestamp halfSecondBefore(Now.ticks() + 5'000'000);
    BOOST_TEST(retryDelay(1, "Wed, 21 Oct 2015 07:28:00 GMT", "", halfSecondBefore, 0.5).count() == 29500);
}

BOOST_AUTO_TEST_CASE(x_ratelimit_reset)
{
    BOOST_TEST(retryDelay(1, "", "12", Now, 0.5).count() == 12000);
    BOOST_TEST(retryDelay(1, "", "1445412495", Now, 0.5).count() == 45000); // Unix time, 45 s ahead
    BOOST_TEST(retryDelay(1, "", "1445412000", Now, 0.5).count() == 0);     // Unix time in the past
    BOOST_TEST(retryDelay(1, "", "86400", Now, 0.5).count() == 300000);     // one day of seconds, capped
    BOOST_TEST(retryDelay(1, "", "86401", Now, 0.5).count() == 0);          // Unix time in 1970
    // Retry-After is preferred when both are present.
    BOOST_TEST(retryDelay(1, "3", "40", Now, 0.5).count() == 3000);
    BOOST_TEST(retryDelay(1, "soon", "40", Now, 0.5).count() == 40000);
}

BOOST_AUTO_TEST_CASE(unusable_server_values_fall_back_to_backoff)
{
    for (const char* bad : {"soon", "-5", "1.5", "Wed, 21 Oct 2015 07:28:00", "Wed, 32 Oct 2015 07:28:00 GMT",
                            "Wed, 21 Okt 2015 07:28:00 GMT", "Wednesday, 21-Oct-15 07:28:00 GMT", "12abc"})
    {
        BOOST_TEST(retryDelay(1, bad, "", Now, 0.0).count() == 0, bad);
        BOOST_TEST(retryDelay(1, bad, "", Now, AlmostOne).count() == 499, bad);
        BOOST_TEST(retryDelay(1, "", bad, Now, AlmostOne).count() == 499, bad);
    }
}

BOOST_AUTO_TEST_CASE(exponential_with_full_jitter)
{
    BOOST_TEST(retryDelay(1, "", "", Now, AlmostOne).count() == 499);
    BOOST_TEST(retryDelay(2, "", "", Now, AlmostOne).count() == 999);
    BOOST_TEST(retryDelay(3, "", "", Now, AlmostOne).count() == 1999);
    BOOST_TEST(retryDelay(3, "", "", Now, 0.5).count() == 1000);
    BOOST_TEST(retryDelay(3, "", "", Now, 0.0).count() == 0);
    BOOST_TEST(retryDelay(7, "", "", Now, AlmostOne).count() == 29999); // 32 s capped at 30 s
    BOOST_TEST(retryDelay(1000000, "", "", Now, AlmostOne).count() == 29999);
    // Attempts before the first retry count as the first.
    BOOST_TEST(retryDelay(0, "", "", Now, AlmostOne).count() == 499);
    BOOST_TEST(retryDelay(-3, "", "", Now, AlmostOne).count() == 499);
    // random01 outside [0,1) is clamped rather than trusted.
    BOOST_TEST(retryDelay(1, "", "", Now, -2.0).count() == 0);
    BOOST_TEST(retryDelay(1, "", "", Now, 7.0).count() == 500);
    BOOST_TEST(retryDelay(2, "", "", Now, AlmostOne, milliseconds(100), milliseconds(150)).count() == 149);
}

BOOST_AUTO_TEST_CASE(never_negative_never_above_cap_and_growing)
{
    std::int64_t previous = 0;
    for (int attempt = 1; attempt <= 200; ++attempt)
    {
        const auto delay = retryDelay(attempt, "", "", Now, AlmostOne).count();
        BOOST_TEST_REQUIRE(delay >= previous);
        BOOST_TEST_REQUIRE(delay < 30000);
        previous = delay;
    }
}

BOOST_AUTO_TEST_SUITE_END()
