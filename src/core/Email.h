#pragma once

#include <string>
#include <string_view>

namespace acd {

/// The form an address is compared and stored in (opt-outs, cooldown, purge): ASCII
/// whitespace trimmed, ASCII letters in lower case. Non-ASCII bytes are kept as they are.
std::string normalizeEmail(std::string_view email);

/// True when the normalised address can be sent to: something, '@', something, and no
/// whitespace or control character inside. Deliberately loose: the provider has the last word.
bool isUsableEmail(std::string_view email);

} // namespace acd
