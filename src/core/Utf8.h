#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace acd {

/// `text` with every ill-formed UTF-8 sequence (stray bytes, overlong forms, surrogates,
/// truncated characters) replaced by U+FFFD, one per maximal ill-formed subpart as Unicode
/// recommends. JSON built from outside data needs this: one bad byte would make the whole
/// document unreadable to the receiver.
std::string toValidUtf8(std::string_view text);
/// Whether toValidUtf8 would leave `text` as it is, without copying it.
bool isValidUtf8(std::string_view text);

/// `text` when it is at most `maxBytes` long; else its longest start that ends on a character
/// boundary and leaves room for "…" (3 bytes), followed by it, so at most `maxBytes` in all.
/// One hostile value of megabytes (a product name) must not make a reminder too large to send.
/// A `maxBytes` under 3 gives "" for a longer text. Bytes that are not UTF-8 stay as they are.
std::string cutWithEllipsis(std::string_view text, std::size_t maxBytes);

} // namespace acd
