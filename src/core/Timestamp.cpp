#include "core/Timestamp.h"

#include <chrono>
#include <cstdio>

namespace acd {

namespace {

using Ticks = std::chrono::duration<std::int64_t, std::ratio<1, Timestamp::TicksPerSecond>>;

constexpr std::int64_t TicksPerDay = 86'400 * Timestamp::TicksPerSecond;
// DateTimeOffset allows offsets up to ±14:00; anything larger is not a real zone.
constexpr int MaxOffsetMinutes = 14 * 60;
// .NET keeps a DateTimeOffset's UTC instant within years 1 to 9999. One outside (year 0 with a
// positive offset, 9999-12-31 with a negative one) is no Retail Server date, and toIso() could
// not write it back in four digits.
constexpr std::int64_t MinUtcSeconds = -62'135'596'800; // 0001-01-01T00:00:00Z
constexpr std::int64_t MaxUtcSeconds = 253'402'300'799; // 9999-12-31T23:59:59Z

/// Reads exactly `count` ASCII digits at `pos`, advancing it; -1 when they are not all digits.
int readDigits(std::string_view text, std::size_t& pos, std::size_t count)
{
    if (pos + count > text.size())
        return -1;
    int value = 0;
    for (std::size_t i = 0; i < count; ++i)
    {
        const char c = text[pos + i];
        if (c < '0' || c > '9')
            return -1;
        value = value * 10 + (c - '0');
    }
    pos += count;
    return value;
}

bool expect(std::string_view text, std::size_t& pos, char c)
{
    if (pos >= text.size() || text[pos] != c)
        return false;
    ++pos;
    return true;
}

std::int64_t floorDiv(std::int64_t a, std::int64_t b)
{
    const std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

struct Civil
{
    int year;
    unsigned month, day, hour, minute, second;
    std::int64_t fraction; // ticks within the second
};

Civil toCivil(std::int64_t ticks)
{
    const std::int64_t days = floorDiv(ticks, TicksPerDay);
    const std::int64_t inDay = ticks - days * TicksPerDay;
    const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
    const std::int64_t seconds = inDay / Timestamp::TicksPerSecond;
    return Civil{int(ymd.year()),
                 unsigned(ymd.month()),
                 unsigned(ymd.day()),
                 unsigned(seconds / 3600),
                 unsigned(seconds / 60 % 60),
                 unsigned(seconds % 60),
                 inDay % Timestamp::TicksPerSecond};
}

} // namespace

Timestamp Timestamp::now()
{
    return Timestamp(
        std::chrono::duration_cast<Ticks>(std::chrono::system_clock::now().time_since_epoch()).count());
}

std::optional<Timestamp> Timestamp::parse(std::string_view text)
{
    std::size_t pos = 0;
    const int year = readDigits(text, pos, 4);
    if (year < 0 || !expect(text, pos, '-'))
        return std::nullopt;
    const int month = readDigits(text, pos, 2);
    if (month < 0 || !expect(text, pos, '-'))
        return std::nullopt;
    const int day = readDigits(text, pos, 2);
    if (day < 0 || !expect(text, pos, 'T'))
        return std::nullopt;
    const int hour = readDigits(text, pos, 2);
    if (hour < 0 || !expect(text, pos, ':'))
        return std::nullopt;
    const int minute = readDigits(text, pos, 2);
    if (minute < 0 || !expect(text, pos, ':'))
        return std::nullopt;
    const int second = readDigits(text, pos, 2);
    if (second < 0)
        return std::nullopt;

    std::int64_t fraction = 0;
    if (expect(text, pos, '.'))
    {
        std::size_t digits = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
        {
            if (++digits > 7)
                return std::nullopt;
            fraction = fraction * 10 + (text[pos++] - '0');
        }
        if (digits == 0)
            return std::nullopt;
        for (; digits < 7; ++digits)
            fraction *= 10;
    }

    int offsetMinutes = 0;
    if (!expect(text, pos, 'Z'))
    {
        if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-'))
            return std::nullopt;
        const int sign = text[pos++] == '-' ? -1 : 1;
        const int offHours = readDigits(text, pos, 2);
        if (offHours < 0)
            return std::nullopt;
        expect(text, pos, ':'); // both ±hh:mm and ±hhmm are in use
        const int offMinutes = readDigits(text, pos, 2);
        if (offMinutes < 0 || offMinutes > 59 || offHours * 60 + offMinutes > MaxOffsetMinutes)
            return std::nullopt;
        offsetMinutes = sign * (offHours * 60 + offMinutes);
    }
    if (pos != text.size())
        return std::nullopt;

    const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{unsigned(month)},
                                          std::chrono::day{unsigned(day)}};
    if (!ymd.ok() || hour > 23 || minute > 59 || second > 59)
        return std::nullopt;

    const std::int64_t days = std::chrono::sys_days{ymd}.time_since_epoch().count();
    const std::int64_t seconds = days * 86'400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60;
    if (seconds < MinUtcSeconds || seconds > MaxUtcSeconds)
        return std::nullopt;
    return Timestamp(seconds * TicksPerSecond + fraction);
}

std::string Timestamp::toIso() const
{
    const Civil c = toCivil(_ticks);
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02u:%02u:%02u.%07lldZ", c.year, c.month, c.day,
                  c.hour, c.minute, c.second, static_cast<long long>(c.fraction));
    return buffer;
}

std::string Timestamp::toIsoSeconds() const
{
    const Civil c = toCivil(_ticks);
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02u:%02u:%02uZ", c.year, c.month, c.day, c.hour,
                  c.minute, c.second);
    return buffer;
}

std::int64_t Timestamp::unixSeconds() const
{
    return floorDiv(_ticks, TicksPerSecond);
}

} // namespace acd
