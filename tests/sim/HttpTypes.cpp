#include "HttpTypes.h"

#include "Json.h"

#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

namespace acd::sim {

std::optional<std::string> SimRequest::queryParam(const std::string& name) const
{
    for (const auto& [key, value] : query)
    {
        if (key == name)
            return value;
    }
    return std::nullopt;
}

std::optional<std::string> SimRequest::header(const std::string& name) const
{
    for (const auto& [key, value] : headers)
    {
        if (Poco::icompare(key, name) == 0)
            return value;
    }
    return std::nullopt;
}

std::map<std::string, std::string> parseForm(const std::string& body)
{
    std::map<std::string, std::string> fields;
    Poco::StringTokenizer pairs(body, "&", Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const std::string& pair : pairs)
    {
        const auto equals = pair.find('=');
        std::string name = pair.substr(0, equals);
        std::string value = equals == std::string::npos ? "" : pair.substr(equals + 1);
        Poco::replaceInPlace(name, "+", " ");
        Poco::replaceInPlace(value, "+", " ");
        std::string decodedName, decodedValue;
        Poco::URI::decode(name, decodedName);
        Poco::URI::decode(value, decodedValue);
        fields[decodedName] = decodedValue;
    }
    return fields;
}

SimReply odataError(int status, const std::string& code, const std::string& message)
{
    return jsonReply(status,
                     R"({"error":{"code":)" + jsonQuote(code) + R"(,"message":)" + jsonQuote(message) + "}}");
}

} // namespace acd::sim
