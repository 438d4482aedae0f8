// core/Decimal: Edm.Decimal text as Retail Server sends it, and JSON numbers read as doubles.
#include "FuzzCheck.h"
#include "core/Decimal.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto decimal = acd::normalizeDecimal(text))
    {
        // Normal form is a fixed point: it parses, to itself, with no exponent, '+' or stray zeros.
        const auto again = acd::normalizeDecimal(*decimal);
        FUZZ_CHECK(again && *again == *decimal,
                   "\"" + std::string(*decimal) + "\" does not normalise to itself");
        FUZZ_CHECK(decimal->find_first_not_of("-.0123456789") == std::string::npos, *decimal);
        FUZZ_CHECK(!decimal->empty() && decimal->back() != '.' && (*decimal)[0] != '+', *decimal);
        FUZZ_CHECK(*decimal != "-0", "negative zero");
        // The same number as the input: equal as doubles whenever both are finite.
        const double in = std::strtod(std::string(text).c_str(), nullptr);
        const double out = std::strtod(decimal->c_str(), nullptr);
        FUZZ_CHECK(!std::isfinite(in) || !std::isfinite(out) || in == out ||
                       std::fabs(in - out) <= std::fabs(in) * 1e-15,
                   std::string(text) + " -> " + std::string(*decimal));
    }

    if (size == sizeof(double))
    {
        double value;
        std::memcpy(&value, data, sizeof value);
        try
        {
            const acd::DecimalText decimal = acd::decimalFromDouble(value);
            FUZZ_CHECK(std::isfinite(value), "no exception for a non-finite double");
            FUZZ_CHECK(std::strtod(decimal.c_str(), nullptr) == value, decimal + " does not read back");
            const auto again = acd::normalizeDecimal(decimal);
            FUZZ_CHECK(again && *again == decimal, decimal + " is not in normal form");
        }
        catch (const std::invalid_argument&)
        {
            FUZZ_CHECK(!std::isfinite(value), "a finite double refused");
        }
    }
    return 0;
}
