#include "core/Utf8.h"

#include <cstddef>

namespace acd {

namespace {

constexpr std::string_view ReplacementCharacter = "\xEF\xBF\xBD";

/// How many continuation bytes follow `lead`, and the range the first of them must be in
/// (Unicode Table 3-7); 0 continuation bytes for a byte that cannot start a character.
struct LeadByte
{
    int continuations;
    unsigned char low;
    unsigned char high;
};

LeadByte classify(unsigned char lead)
{
    if (lead >= 0xC2 && lead <= 0xDF)
        return {1, 0x80, 0xBF};
    if (lead == 0xE0)
        return {2, 0xA0, 0xBF};
    if (lead == 0xED)
        return {2, 0x80, 0x9F};
    if (lead >= 0xE1 && lead <= 0xEF)
        return {2, 0x80, 0xBF};
    if (lead == 0xF0)
        return {3, 0x90, 0xBF};
    if (lead >= 0xF1 && lead <= 0xF3)
        return {3, 0x80, 0xBF};
    if (lead == 0xF4)
        return {3, 0x80, 0x8F};
    return {0, 0, 0};
}

/// The length of the well-formed character at `pos`, or, negated, of the maximal ill-formed
/// subpart there (what one U+FFFD replaces).
std::ptrdiff_t characterAt(std::string_view text, std::size_t pos)
{
    const auto lead = static_cast<unsigned char>(text[pos]);
    if (lead < 0x80)
        return 1;
    LeadByte expected = classify(lead);
    std::size_t next = pos + 1;
    int matched = 0;
    while (matched < expected.continuations && next < text.size())
    {
        const auto byte = static_cast<unsigned char>(text[next]);
        if (byte < expected.low || byte > expected.high)
            break;
        expected.low = 0x80;
        expected.high = 0xBF;
        ++matched;
        ++next;
    }
    const auto length = static_cast<std::ptrdiff_t>(next - pos);
    return expected.continuations > 0 && matched == expected.continuations ? length : -length;
}

} // namespace

bool isValidUtf8(std::string_view text)
{
    for (std::size_t pos = 0; pos < text.size();)
    {
        const std::ptrdiff_t length = characterAt(text, pos);
        if (length < 0)
            return false;
        pos += static_cast<std::size_t>(length);
    }
    return true;
}

std::string toValidUtf8(std::string_view text)
{
    std::string result;
    result.reserve(text.size());
    std::size_t pos = 0;
    std::size_t validFrom = 0; // well-formed bytes not yet copied start here
    while (pos < text.size())
    {
        const std::ptrdiff_t length = characterAt(text, pos);
        if (length > 0)
        {
            pos += static_cast<std::size_t>(length);
            continue;
        }
        result.append(text.substr(validFrom, pos - validFrom));
        result.append(ReplacementCharacter);
        pos += static_cast<std::size_t>(-length);
        validFrom = pos;
    }
    result.append(text.substr(validFrom));
    return result;
}

std::string cutWithEllipsis(std::string_view text, std::size_t maxBytes)
{
    constexpr std::string_view Ellipsis = "\xE2\x80\xA6"; // U+2026
    if (text.size() <= maxBytes)
        return std::string(text);
    if (maxBytes < Ellipsis.size())
        return {};
    std::size_t end = maxBytes - Ellipsis.size();
    // Back off the continuation bytes of the character the cut falls in (at most 3 of them,
    // so that a run of stray continuation bytes is cut, not backed through).
    for (int steps = 0; steps < 3 && end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80;
         ++steps)
        --end;
    if ((static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
        end = maxBytes - Ellipsis.size();
    std::string cut(text.substr(0, end));
    cut += Ellipsis;
    return cut;
}

} // namespace acd
