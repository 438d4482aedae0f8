#pragma once

#include "core/Types.h"

#include <optional>
#include <string_view>

namespace acd {

/// Normalises an Edm.Decimal written as text ("12.50", "-3", "+4.0", "1.5E-2") to
/// DecimalText: no exponent, no leading '+', no leading or trailing zeros, "-0" is "0".
/// Works on the digits themselves so no precision is lost. Returns nothing for anything
/// that is not a decimal number ("", "abc", "1.2.3", "NaN", " 1").
std::optional<DecimalText> normalizeDecimal(std::string_view text);

/// A JSON number that arrived as a double, in the shortest text that reads back as the
/// same double (19.99 -> "19.99", 2.0 -> "2"). Throws std::invalid_argument for NaN or infinity.
DecimalText decimalFromDouble(double value);

} // namespace acd
