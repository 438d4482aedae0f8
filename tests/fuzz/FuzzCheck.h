#pragma once

// What every fuzz target shares: a contract check that stops the run with the reason, so that
// libFuzzer keeps the input that broke it, and the checks of a composed e-mail.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace acd::fuzz {

[[noreturn]] inline void contractBroken(const char* file, int line, const char* condition,
                                        const std::string& why)
{
    std::fprintf(stderr, "%s:%d: contract broken: %s\n  %s\n", file, line, condition, why.c_str());
    std::abort();
}

/// Whether `text` is well-formed UTF-8 (the JSON documents' rule, and what the MIME parts hold).
inline bool isUtf8(std::string_view text)
{
    for (std::size_t i = 0; i < text.size();)
    {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t length = c < 0x80           ? 1
                             : (c >> 5) == 0x6  ? 2
                             : (c >> 4) == 0xE  ? 3
                             : (c >> 3) == 0x1E ? 4
                                                : 0;
        if (length == 0 || i + length > text.size())
            return false;
        std::uint32_t code = length == 1 ? c : c & (0x7F >> length);
        for (std::size_t k = 1; k < length; ++k)
        {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0) != 0x80)
                return false;
            code = (code << 6) | (next & 0x3F);
        }
        const std::uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
        if (code < least[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
            return false;
        i += length;
    }
    return true;
}

/// `text` with its control characters and bytes above 0x7E written as \xNN, for a message.
inline std::string shown(const std::string& text)
{
    std::string out;
    for (const char c : text)
    {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7F)
            out += c;
        else
        {
            const char* hex = "0123456789abcdef";
            out += std::string("\\x") + hex[byte >> 4] + hex[byte & 15];
        }
    }
    return out;
}

/// RFC 5322 as the providers hand it on: CRLF line ends only, lines of at most 998
/// characters, a header block ended by an empty line, bodies in 7 bits (quoted-printable).
/// The header block may hold UTF-8 (RFC 6532: an internationalised address), nothing else.
/// "" when it holds, else what is wrong.
inline std::string mimeFault(const std::string& message)
{
    const std::size_t headerEnd = message.find("\r\n\r\n");
    for (std::size_t start = 0; start < headerEnd;)
    {
        const std::size_t end = std::min(message.find("\r\n", start), headerEnd);
        if (!isUtf8(message.substr(start, end - start)))
            return "a header that is not UTF-8: " + shown(message.substr(start, end - start));
        start = end + 2;
    }
    std::size_t lineStart = 0;
    bool headerEnded = false;
    for (std::size_t i = 0; i < message.size(); ++i)
    {
        const auto c = static_cast<unsigned char>(message[i]);
        if ((c >= 0x80 && i >= headerEnd) || c == 0)
            return "byte " + std::to_string(c) + " at " + std::to_string(i);
        if (c == '\r' && (i + 1 >= message.size() || message[i + 1] != '\n'))
            return "bare CR at " + std::to_string(i);
        if (c == '\n')
        {
            if (i == 0 || message[i - 1] != '\r')
                return "bare LF at " + std::to_string(i);
            if (i - 1 - lineStart > 998)
                return "line of " + std::to_string(i - 1 - lineStart) + " characters at " +
                       std::to_string(lineStart);
            if (i - 1 == lineStart)
                headerEnded = true;
            lineStart = i + 1;
        }
    }
    return headerEnded ? "" : "no empty line after the header";
}

} // namespace acd::fuzz

#define FUZZ_CHECK(condition, why)                                                                           \
    do                                                                                                       \
    {                                                                                                        \
        if (!(condition))                                                                                    \
            ::acd::fuzz::contractBroken(__FILE__, __LINE__, #condition, (why));                              \
    } while (false)
