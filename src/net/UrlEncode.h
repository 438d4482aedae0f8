#pragma once

#include <string>
#include <string_view>

namespace acd {

/// RFC 3986 percent-encoding of everything but the unreserved characters
/// (A-Z a-z 0-9 - . _ ~): right for form values, query values and path segments alike.
std::string percentEncode(std::string_view text);

} // namespace acd
