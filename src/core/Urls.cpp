#include "core/Urls.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace acd {

namespace {

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

std::optional<unsigned> hexDigit(char c)
{
    if (isDigit(c))
        return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f')
        return static_cast<unsigned>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
        return static_cast<unsigned>(c - 'A' + 10);
    return std::nullopt;
}

/// Splits `text` at every `separator`, empty parts included.
template <typename Each> bool forEachPart(std::string_view text, char separator, Each each)
{
    while (true)
    {
        const auto at = text.find(separator);
        if (!each(text.substr(0, at)))
            return false;
        if (at == std::string_view::npos)
            return true;
        text.remove_prefix(at + 1);
    }
}

/// Four decimal numbers of 0 to 255 without leading zeros, the first 127.
bool isLoopbackIpv4(std::string_view host)
{
    int parts = 0;
    const bool wellFormed = forEachPart(host, '.', [&parts](std::string_view part) {
        if (part.empty() || part.size() > 3 || !std::all_of(part.begin(), part.end(), isDigit) ||
            (part.size() > 1 && part.front() == '0'))
            return false;
        const int value = std::stoi(std::string(part));
        return value <= 255 && (parts++ > 0 || value == 127);
    });
    return wellFormed && parts == 4;
}

/// The groups of a textual IPv6 address (RFC 4291 2.2, without an embedded IPv4 address or a
/// zone), or nothing when `text` is not one.
std::optional<std::array<std::uint16_t, 8>> ipv6Groups(std::string_view text)
{
    std::vector<std::uint16_t> head;
    std::vector<std::uint16_t> tail;
    const auto parseGroups = [](std::string_view part, std::vector<std::uint16_t>& groups) {
        if (part.empty())
            return true;
        return forEachPart(part, ':', [&groups](std::string_view group) {
            if (group.empty() || group.size() > 4)
                return false;
            unsigned value = 0;
            for (const char c : group)
            {
                const auto digit = hexDigit(c);
                if (!digit)
                    return false;
                value = value * 16 + *digit;
            }
            groups.push_back(static_cast<std::uint16_t>(value));
            return true;
        });
    };
    const auto gap = text.find("::");
    if (gap == std::string_view::npos)
    {
        if (!parseGroups(text, head) || head.size() != 8)
            return std::nullopt;
    }
    else if (!parseGroups(text.substr(0, gap), head) || !parseGroups(text.substr(gap + 2), tail) ||
             head.size() + tail.size() > 7)
        return std::nullopt;
    std::array<std::uint16_t, 8> groups{};
    std::copy(head.begin(), head.end(), groups.begin());
    std::copy(tail.begin(), tail.end(), groups.end() - static_cast<std::ptrdiff_t>(tail.size()));
    return groups;
}

bool isLoopbackIpv6(std::string_view host)
{
    const auto groups = ipv6Groups(host);
    return groups && *groups == std::array<std::uint16_t, 8>{0, 0, 0, 0, 0, 0, 0, 1};
}

bool equalsIgnoringCase(std::string_view text, std::string_view lower)
{
    return text.size() == lower.size() &&
           std::equal(text.begin(), text.end(), lower.begin(), [](char a, char b) {
               return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
           });
}

} // namespace

bool isLoopbackHost(std::string_view host)
{
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        return isLoopbackIpv6(host.substr(1, host.size() - 2));
    return equalsIgnoringCase(host, "localhost") || isLoopbackIpv4(host) || isLoopbackIpv6(host);
}

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
