#pragma once

// The checks of a composed e-mail that the MIME and renderer targets share.

#include "FuzzCheck.h"

#include <Poco/String.h>

#include <map>
#include <set>
#include <string>

namespace acd::fuzz {

/// A header value as encodeHeaderText writes it: printable ASCII, folded only with CRLF and a
/// space, each RFC 2047 encoded word at most 75 characters. "" when it holds.
inline std::string headerTextFault(const std::string& text)
{
    for (std::size_t i = 0; i < text.size(); ++i)
    {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '\r' && text.compare(i, 3, "\r\n ") == 0)
        {
            i += 2;
            continue;
        }
        if (c < 0x20 || c > 0x7e)
            return "byte " + std::to_string(c) + " in a header at " + std::to_string(i);
    }
    for (std::size_t at = text.find("=?UTF-8?B?"); at != std::string::npos;
         at = text.find("=?UTF-8?B?", at + 1))
    {
        const auto end = text.find("?=", at + 10);
        if (end == std::string::npos)
            return "an encoded word without its end";
        if (end + 2 - at > 75)
            return "an encoded word of " + std::to_string(end + 2 - at) + " characters";
    }
    return "";
}

/// The header block's fields, unfolded, by lower-case name.
inline std::multimap<std::string, std::string> headerFields(const std::string& message)
{
    std::multimap<std::string, std::string> fields;
    const std::string block = message.substr(0, message.find("\r\n\r\n"));
    std::string name;
    std::string value;
    std::size_t pos = 0;
    while (pos <= block.size())
    {
        auto end = block.find("\r\n", pos);
        if (end == std::string::npos)
            end = block.size();
        const std::string line = block.substr(pos, end - pos);
        if (!line.empty() && (line[0] == ' ' || line[0] == '\t'))
            value += line;
        else
        {
            if (!name.empty() || !value.empty())
                fields.emplace(name, value);
            const auto colon = line.find(':');
            name = Poco::toLower(line.substr(0, colon));
            value = colon == std::string::npos ? "\x01(no colon)" : line.substr(colon + 1);
        }
        pos = end + 2;
    }
    if (!name.empty() || !value.empty())
        fields.emplace(name, value);
    return fields;
}

inline std::string headerValue(const std::string& message, const std::string& name)
{
    const auto fields = headerFields(message);
    const auto it = fields.find(Poco::toLower(name));
    return it == fields.end() ? "" : Poco::trim(it->second);
}

/// A whole reminder message: 7-bit RFC 5322 with our headers only, the required ones once each.
inline std::string messageFault(const std::string& message, bool withUnsubscribe)
{
    if (std::string fault = mimeFault(message); !fault.empty())
        return fault;
    static const std::set<std::string> allowed = {"date",
                                                  "from",
                                                  "to",
                                                  "subject",
                                                  "message-id",
                                                  "list-unsubscribe",
                                                  "list-unsubscribe-post",
                                                  "content-type",
                                                  "mime-version",
                                                  "content-transfer-encoding",
                                                  "content-disposition"};
    const auto fields = headerFields(message);
    for (const auto& [name, value] : fields)
    {
        if (!allowed.count(name))
            return "a header of its own: \"" + name + "\"";
        if (value.find('\x01') != std::string::npos)
            return "a header line without a colon";
    }
    for (const char* name : {"date", "from", "to", "subject", "message-id"})
        if (fields.count(name) != 1)
            return std::string(name) + " appears " + std::to_string(fields.count(name)) + " times";
    if (fields.count("list-unsubscribe") != (withUnsubscribe ? 1U : 0U))
        return "List-Unsubscribe appears " + std::to_string(fields.count("list-unsubscribe")) + " times";
    return headerTextFault(Poco::trim(fields.find("subject")->second));
}

} // namespace acd::fuzz
