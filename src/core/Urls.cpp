#include "core/Urls.h"

#include <array>
#include <utility>

namespace acd {

std::string percentEncode(std::string_view text, bool keepSlash)
{
    static constexpr char Hex[] = "0123456789ABCDEF";
    std::string result;
    result.reserve(text.size());
    for (const char c : text)
    {
        const auto byte = static_cast<unsigned char>(c);
        const bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                                (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' || byte == '_' ||
                                byte == '~' || (keepSlash && byte == '/');
        if (unreserved)
        {
            result.push_back(c);
        }
        else
        {
            result.push_back('%');
            result.push_back(Hex[byte >> 4]);
            result.push_back(Hex[byte & 0x0F]);
        }
    }
    return result;
}

std::string expandReturnToCartUrl(const std::string& pattern, const std::string& cartId,
                                  const std::string& customerId)
{
    const std::array<std::pair<std::string_view, std::string>, 2> placeholders{{
        {"{cartId}", percentEncode(cartId, false)},
        {"{customerId}", percentEncode(customerId, false)},
    }};
    std::string result;
    std::size_t pos = 0;
    while (pos < pattern.size())
    {
        bool replaced = false;
        for (const auto& [name, value] : placeholders)
        {
            if (pattern.compare(pos, name.size(), name) == 0)
            {
                result += value;
                pos += name.size();
                replaced = true;
                break;
            }
        }
        if (!replaced)
            result.push_back(pattern[pos++]);
    }
    return result;
}

} // namespace acd
