#include "core/Decimal.h"

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

namespace acd {

namespace {

// Edm.Decimal holds at most 29 digits; a larger exponent is not a price or a quantity and
// expanding it would only build a huge string. The bound still admits every finite double.
constexpr long MaxExponent = 400;

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

} // namespace

std::optional<DecimalText> normalizeDecimal(std::string_view text)
{
    std::size_t pos = 0;
    bool negative = false;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-'))
        negative = text[pos++] == '-';

    std::string digits; // integer and fractional digits, without the point
    long integerDigits = 0;
    for (; pos < text.size() && isDigit(text[pos]); ++pos, ++integerDigits)
        digits.push_back(text[pos]);
    if (pos < text.size() && text[pos] == '.')
    {
        for (++pos; pos < text.size() && isDigit(text[pos]); ++pos)
            digits.push_back(text[pos]);
    }
    if (digits.empty())
        return std::nullopt;

    long exponent = 0;
    if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E'))
    {
        ++pos;
        bool negativeExponent = false;
        if (pos < text.size() && (text[pos] == '+' || text[pos] == '-'))
            negativeExponent = text[pos++] == '-';
        if (pos == text.size() || !isDigit(text[pos]))
            return std::nullopt;
        for (; pos < text.size() && isDigit(text[pos]); ++pos)
        {
            exponent = exponent * 10 + (text[pos] - '0');
            if (exponent > MaxExponent)
                return std::nullopt;
        }
        if (negativeExponent)
            exponent = -exponent;
    }
    if (pos != text.size())
        return std::nullopt;

    // The value is 0.<digits> × 10^point once leading zeros are gone.
    const auto firstNonZero = digits.find_first_not_of('0');
    if (firstNonZero == std::string::npos)
        return DecimalText("0");
    long point = integerDigits + exponent - static_cast<long>(firstNonZero);
    digits.erase(0, firstNonZero);
    digits.erase(digits.find_last_not_of('0') + 1);

    DecimalText result = negative ? "-" : "";
    const long length = static_cast<long>(digits.size());
    if (point <= 0)
        result += "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
    else if (point >= length)
        result += digits + std::string(static_cast<std::size_t>(point - length), '0');
    else
        result += digits.substr(0, point) + "." + digits.substr(point);
    return result;
}

DecimalText decimalFromDouble(double value)
{
    if (!std::isfinite(value))
        throw std::invalid_argument("decimalFromDouble: the number is not finite (NaN or infinity)");
    char buffer[64];
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
    if (error != std::errc())
        throw std::invalid_argument("decimalFromDouble: the number could not be written as text");
    return normalizeDecimal(std::string_view(buffer, static_cast<std::size_t>(end - buffer))).value();
}

} // namespace acd
