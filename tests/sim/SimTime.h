#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace acd::sim {

/// Instants are 100-nanosecond ticks since 1970-01-01T00:00:00Z: the resolution of the
/// 7-digit DateTimeOffset values Retail Server writes, so no served value is ever rounded.
inline constexpr std::int64_t TicksPerMillisecond = 10'000;
inline constexpr std::int64_t TicksPerSecond = 10'000'000;
inline constexpr std::int64_t TicksPerMinute = 60 * TicksPerSecond;

std::int64_t nowTicks();

/// ISO 8601 as DESIGN §3 allows it: `YYYY-MM-DDTHH:MM:SS`, 0-7 fractional digits, then `Z`
/// or `±hh:mm`. Anything else is refused rather than guessed.
std::optional<std::int64_t> parseIsoTicks(std::string_view text);

enum class TimeStyle
{
    Utc7,     // 2026-11-25T14:03:11.1234567+00:00 (what Retail Server usually writes)
    ZTrimmed, // 2026-11-25T14:03:11.123Z: only the fractional digits the instant needs
    Z7,       // 2026-11-25T14:03:11.1234567Z
    Minus5,   // 2026-11-25T09:03:11.1234567-05:00: the same instant in another zone
};

std::string formatTicks(std::int64_t ticks, TimeStyle style);

} // namespace acd::sim
