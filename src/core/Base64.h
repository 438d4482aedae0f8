#pragma once

#include <string>
#include <string_view>

namespace acd {

/// Standard base64 (RFC 4648, padded) on one line: what a mail header's encoded word and the
/// X-WSSE digest need (Poco's encoder wraps at 72 columns unless told not to).
std::string base64(std::string_view bytes);

} // namespace acd
