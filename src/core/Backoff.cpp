#include "core/Backoff.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string_view>

namespace acd {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// However long the server asks for, one wait never holds a cycle longer than this.
constexpr milliseconds MaxServerDelay = std::chrono::minutes(5);
// X-RateLimit-Reset above one day cannot be a wait: it is the Unix time of the reset.
constexpr std::int64_t SecondsPerDay = 86'400;
// Any larger count of seconds is capped anyway; stopping here keeps the arithmetic in range.
constexpr std::int64_t SaturatedSeconds = 1'000'000'000'000;

std::string_view trim(std::string_view text)
{
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::optional<std::int64_t> parseSeconds(std::string_view text)
{
    if (text.empty())
        return std::nullopt;
    std::int64_t value = 0;
    for (const char c : text)
    {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = std::min(value * 10 + (c - '0'), SaturatedSeconds);
    }
    return value;
}

/// IMF-fixdate, the HTTP date form servers send: "Wed, 21 Oct 2015 07:28:00 GMT". Checked
/// here rather than with Poco::DateTimeParser, which accepts almost any text as some date.
std::optional<Timestamp> parseImfFixdate(std::string_view text)
{
    static constexpr std::array<std::string_view, 12> Months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
        text[16] != ' ' || text.substr(25) != " GMT")
        return std::nullopt;
    const auto month = std::find(Months.begin(), Months.end(), text.substr(8, 3));
    if (month == Months.end())
        return std::nullopt;
    char iso[32];
    std::snprintf(iso, sizeof iso, "%.4s-%02d-%.2sT%.8sZ", text.data() + 12, int(month - Months.begin()) + 1,
                  text.data() + 5, text.data() + 17);
    return Timestamp::parse(iso);
}

std::string describe(milliseconds wait)
{
    if (wait.count() % 1000 == 0)
        return std::to_string(wait.count() / 1000) + " s";
    return std::to_string(wait.count()) + " ms";
}

std::string attempts(int count)
{
    return "after " + std::to_string(count) + (count == 1 ? " attempt" : " attempts");
}

std::optional<milliseconds> serverDelay(const std::string& retryAfter, const std::string& rateLimitReset,
                                        Timestamp now)
{
    const std::string_view after = trim(retryAfter);
    if (const auto s = parseSeconds(after))
        return seconds(*s);
    if (const auto at = parseImfFixdate(after))
        return milliseconds((at->ticks() - now.ticks()) / (Timestamp::TicksPerSecond / 1000));
    if (const auto s = parseSeconds(trim(rateLimitReset)))
        return seconds(*s > SecondsPerDay ? *s - now.unixSeconds() : *s);
    return std::nullopt;
}

} // namespace

milliseconds retryDelay(int attempt, const std::string& retryAfter, const std::string& rateLimitReset,
                        Timestamp now, double random01, milliseconds base, milliseconds cap)
{
    if (const auto delay = serverDelay(retryAfter, rateLimitReset, now))
        return std::clamp(*delay, milliseconds(0), MaxServerDelay);

    std::int64_t ceiling = std::max<std::int64_t>(base.count(), 0);
    for (int i = 1; i < attempt && ceiling > 0 && ceiling < cap.count(); ++i)
        ceiling *= 2;
    ceiling = std::min<std::int64_t>(ceiling, cap.count());
    return milliseconds(
        static_cast<std::int64_t>(std::clamp(random01, 0.0, 1.0) * static_cast<double>(ceiling)));
}

RetryState::RetryState(RetryPolicy policy, std::optional<Timestamp> deadline)
    : _policy(policy), _deadline(deadline)
{
    if (_policy.maxAttempts < 1)
        throw std::invalid_argument("a retry policy needs at least one attempt, not " +
                                    std::to_string(_policy.maxAttempts));
}

std::optional<milliseconds> RetryState::afterFailure(const std::vector<RetryHints>& failures, Timestamp now,
                                                     double random01)
{
    if (_attempt >= _policy.maxAttempts)
    {
        _gaveUp = attempts(_attempt);
        return std::nullopt;
    }
    milliseconds wait{0};
    for (const RetryHints& hints : failures)
        wait = std::max(wait, retryDelay(_attempt, hints.retryAfter, hints.rateLimitReset, now, random01,
                                         _policy.base, _policy.cap));
    if (failures.empty())
        wait = retryDelay(_attempt, "", "", now, random01, _policy.base, _policy.cap);
    if (wait > _policy.longestWait)
    {
        _gaveUp = attempts(_attempt) + ", the server asks for a wait of " + describe(wait) +
                  ", longer than " + describe(_policy.longestWait);
        return std::nullopt;
    }
    if (_deadline && now.ticks() + wait.count() * (Timestamp::TicksPerSecond / 1000) > _deadline->ticks())
    {
        _gaveUp = attempts(_attempt) + ", no time left before the deadline";
        return std::nullopt;
    }
    ++_attempt;
    return wait;
}

std::optional<milliseconds> RetryState::afterFailure(const RetryHints& hints, Timestamp now, double random01)
{
    return afterFailure(std::vector<RetryHints>{hints}, now, random01);
}

bool RetryState::refreshToken()
{
    if (_tokenRefreshed)
        return false;
    _tokenRefreshed = true;
    return true;
}

} // namespace acd
