#include "core/Email.h"

#include <algorithm>

namespace acd {

namespace {

bool isAsciiSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

} // namespace

std::string normalizeEmail(std::string_view email)
{
    while (!email.empty() && isAsciiSpace(email.front()))
        email.remove_prefix(1);
    while (!email.empty() && isAsciiSpace(email.back()))
        email.remove_suffix(1);
    std::string result(email);
    for (char& c : result)
    {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    }
    return result;
}

bool isUsableEmail(std::string_view email)
{
    const std::string normalized = normalizeEmail(email);
    const auto at = normalized.find('@');
    if (at == std::string::npos || at == 0 || at + 1 == normalized.size() ||
        normalized.size() > MaxEmailBytes)
        return false;
    return std::none_of(normalized.begin(), normalized.end(), [](char c) {
        return isAsciiSpace(c) || static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
    });
}

} // namespace acd
