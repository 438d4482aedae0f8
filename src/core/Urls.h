#pragma once

#include <string>
#include <string_view>

namespace acd {

/// RFC 3986 percent-encoding of UTF-8 text: unreserved characters (A-Z a-z 0-9 - . _ ~)
/// stay, every other byte becomes %XX (upper-case hex); '/' stays too when `keepSlash`.
std::string percentEncode(std::string_view text, bool keepSlash);

/// detection.returnToCartUrl with every `{cartId}` and `{customerId}` replaced by the
/// percent-encoded value. Replaced text is not scanned again, so a value that itself looks
/// like a placeholder cannot inject anything.
std::string expandReturnToCartUrl(const std::string& pattern, const std::string& cartId,
                                  const std::string& customerId);

} // namespace acd
