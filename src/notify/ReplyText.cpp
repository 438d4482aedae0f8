#include "notify/ReplyText.h"

#include <Poco/String.h>

namespace acd {

std::string quoteReply(const std::string& text)
{
    constexpr std::size_t MaxQuotedReply = 200;
    std::string line;
    for (const char c : text)
    {
        const auto byte = static_cast<unsigned char>(c);
        line += byte < 0x20 || byte == 0x7f ? ' ' : c;
    }
    line = Poco::trim(line);
    if (line.size() > MaxQuotedReply)
    {
        std::size_t end = MaxQuotedReply;
        while (end > 0 && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80)
            --end;
        line = line.substr(0, end) + "...";
    }
    return line.empty() ? "(empty reply)" : line;
}

} // namespace acd
