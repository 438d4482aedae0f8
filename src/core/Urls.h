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

/// True when `host`, as a URL or a setting spells it, is this machine's loopback interface,
/// the one place where plain http://, SMTP without TLS and an admin API without a token are
/// allowed: `localhost` in any case, 127.0.0.0/8 as four decimal numbers, and ::1 in any
/// spelling (0:0:0:0:0:0:0:1, ...), with or without the brackets of a URL.
/// Not loopback: look-alike names (127.0.0.1.example.com, localhost.example.com), the
/// IPv4-mapped ::ffff:127.0.0.1, and the short or octal forms some parsers read as 127.0.0.1
/// (127.1, 0177.0.0.1, 127.0.0.01). Those are legal but nobody writes them in a setting, and a
/// host wrongly taken for remote only asks for https or a token, while a remote host taken for
/// loopback would let a password cross the network in clear.
bool isLoopbackHost(std::string_view host);

} // namespace acd
