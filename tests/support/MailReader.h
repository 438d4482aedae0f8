#pragma once
// Reading back a message the product wrote (outbox .eml files, what the SMTP server received):
// headers unfolded, MIME parts split and decoded, RFC 2047 encoded words decoded. Throws
// std::runtime_error naming what is malformed, so that a test fails with the reason.
#include <string>
#include <utility>
#include <vector>

namespace acd::test {

struct Mail
{
    std::string rawHeader; // the header section as written, CRLFs and folding included
    std::vector<std::pair<std::string, std::string>> headers; // unfolded
    std::string body;

    /// How many headers have this name (case ignored).
    std::size_t count(const std::string& name) const;
    /// The first header of this name, "" when there is none.
    std::string operator[](const std::string& name) const;
};

Mail parseMail(const std::string& raw);

/// The parts of a multipart message, each with its body decoded (quoted-printable or base64).
std::vector<Mail> parts(const Mail& mail);

/// RFC 2047: encoded words decoded (UTF-8 only, B or Q), the blanks between two adjacent
/// encoded words dropped, everything else kept.
std::string decodeWords(const std::string& value);

std::string base64Decode(const std::string& text);
std::string quotedPrintableDecode(const std::string& text);

} // namespace acd::test
