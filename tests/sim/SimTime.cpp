#include "SimTime.h"

#include <Poco/Timestamp.h>

#include <cstdio>

namespace acd::sim {

namespace {

// Howard Hinnant's proleptic Gregorian conversions (public domain algorithms).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil
{
    std::int64_t year;
    unsigned month;
    unsigned day;
};

Civil civilFromDays(std::int64_t z)
{
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

bool isLeap(std::int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned daysInMonth(std::int64_t y, unsigned m)
{
    static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && isLeap(y) ? 29 : days[m - 1];
}

std::int64_t floorDiv(std::int64_t a, std::int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

class Reader
{
public:
    explicit Reader(std::string_view text) : _text(text) {}

    bool digits(int count, int& out)
    {
        out = 0;
        for (int i = 0; i < count; ++i)
        {
            if (_pos >= _text.size() || _text[_pos] < '0' || _text[_pos] > '9')
                return false;
            out = out * 10 + (_text[_pos++] - '0');
        }
        return true;
    }

    bool literal(char c)
    {
        if (_pos < _text.size() && _text[_pos] == c)
        {
            ++_pos;
            return true;
        }
        return false;
    }

    bool atEnd() const { return _pos == _text.size(); }

private:
    std::string_view _text;
    std::size_t _pos = 0;
};

} // namespace

std::int64_t nowTicks()
{
    return Poco::Timestamp().epochMicroseconds() * 10;
}

std::optional<std::int64_t> parseIsoTicks(std::string_view text)
{
    Reader r(text);
    int year, month, day, hour, minute, second;
    if (!r.digits(4, year) || !r.literal('-') || !r.digits(2, month) || !r.literal('-') ||
        !r.digits(2, day) || !r.literal('T') || !r.digits(2, hour) || !r.literal(':') ||
        !r.digits(2, minute) || !r.literal(':') || !r.digits(2, second))
        return std::nullopt;
    if (month < 1 || month > 12 || day < 1 || day > static_cast<int>(daysInMonth(year, month)) || hour > 23 ||
        minute > 59 || second > 59)
        return std::nullopt;

    std::int64_t fraction = 0;
    if (r.literal('.'))
    {
        int fractionDigits = 0;
        int digit;
        while (fractionDigits < 8 && r.digits(1, digit))
        {
            fraction = fraction * 10 + digit;
            ++fractionDigits;
        }
        if (fractionDigits == 0 || fractionDigits > 7)
            return std::nullopt;
        for (int i = fractionDigits; i < 7; ++i)
            fraction *= 10;
    }

    std::int64_t offsetMinutes = 0;
    if (!r.literal('Z'))
    {
        int sign;
        if (r.literal('+'))
            sign = 1;
        else if (r.literal('-'))
            sign = -1;
        else
            return std::nullopt;
        int offsetHours, offsetMins;
        if (!r.digits(2, offsetHours) || !r.literal(':') || !r.digits(2, offsetMins) || offsetHours > 14 ||
            offsetMins > 59)
            return std::nullopt;
        offsetMinutes = sign * (offsetHours * 60 + offsetMins);
    }
    if (!r.atEnd())
        return std::nullopt;

    const std::int64_t seconds =
        daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60;
    return seconds * TicksPerSecond + fraction;
}

std::string formatTicks(std::int64_t ticks, TimeStyle style)
{
    const std::int64_t shifted = style == TimeStyle::Minus5 ? ticks - 5 * 60 * TicksPerMinute : ticks;
    const std::int64_t seconds = floorDiv(shifted, TicksPerSecond);
    const std::int64_t fraction = shifted - seconds * TicksPerSecond;
    const std::int64_t days = floorDiv(seconds, 86400);
    const std::int64_t secondOfDay = seconds - days * 86400;
    const Civil civil = civilFromDays(days);

    char buffer[64];
    int length = std::snprintf(
        buffer, sizeof buffer, "%04lld-%02u-%02uT%02lld:%02lld:%02lld", static_cast<long long>(civil.year),
        civil.month, civil.day, static_cast<long long>(secondOfDay / 3600),
        static_cast<long long>(secondOfDay / 60 % 60), static_cast<long long>(secondOfDay % 60));
    std::string text(buffer, static_cast<std::size_t>(length));

    char digits[8];
    std::snprintf(digits, sizeof digits, "%07lld", static_cast<long long>(fraction));
    std::string fractionText(digits);
    if (style == TimeStyle::ZTrimmed)
    {
        while (!fractionText.empty() && fractionText.back() == '0')
            fractionText.pop_back();
    }
    if (!fractionText.empty())
        text += "." + fractionText;

    switch (style)
    {
    case TimeStyle::Utc7:
        return text + "+00:00";
    case TimeStyle::Minus5:
        return text + "-05:00";
    case TimeStyle::ZTrimmed:
    case TimeStyle::Z7:
        break;
    }
    return text + "Z";
}

} // namespace acd::sim
