#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace acd {

/// A UTC instant with the 100-nanosecond resolution that Retail Server's 7-digit
/// DateTimeOffset values carry: ticks since 1970-01-01T00:00:00Z.
/// Kept as an integer so that ledger keys built from it never depend on rounding.
class Timestamp
{
public:
    static constexpr std::int64_t TicksPerSecond = 10'000'000;

    constexpr Timestamp() = default;
    constexpr explicit Timestamp(std::int64_t ticks) : _ticks(ticks) {}

    static Timestamp now();
    static Timestamp fromUnixSeconds(std::int64_t seconds) { return Timestamp(seconds * TicksPerSecond); }

    /// Parses ISO 8601 as Retail Server writes it: `Z` or `±hh:mm`, 0-7 fractional digits.
    /// Returns nothing for anything else (never guesses).
    static std::optional<Timestamp> parse(std::string_view text);

    /// Canonical UTC form with 7 fractional digits: `2026-11-25T14:03:11.1234567Z`.
    /// Used for ledger keys and for what is sent back to Retail Server.
    std::string toIso() const;
    /// Second resolution, `2026-11-25T14:03:11Z` (Emarsys `Created`, log lines).
    std::string toIsoSeconds() const;

    std::int64_t ticks() const { return _ticks; }
    std::int64_t unixSeconds() const;

    Timestamp plusSeconds(std::int64_t s) const { return Timestamp(_ticks + s * TicksPerSecond); }
    Timestamp minusMinutes(std::int64_t m) const { return Timestamp(_ticks - m * 60 * TicksPerSecond); }

    friend constexpr auto operator<=>(const Timestamp&, const Timestamp&) = default;

private:
    std::int64_t _ticks = 0;
};

} // namespace acd
