#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace acd {

/// The form an address is compared and stored in (opt-outs, cooldown, purge): ASCII
/// whitespace trimmed, ASCII letters in lower case. Non-ASCII bytes are kept as they are.
std::string normalizeEmail(std::string_view email);

/// The longest address a mail server takes (RFC 5321's 256-octet path, less its angle brackets).
inline constexpr std::size_t MaxEmailBytes = 254;

/// True when the normalised address can be sent to: something, '@', something, no whitespace
/// or control character inside, and at most MaxEmailBytes. Deliberately loose otherwise: the
/// provider has the last word.
bool isUsableEmail(std::string_view email);

} // namespace acd
