#pragma once

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

} // namespace acd
