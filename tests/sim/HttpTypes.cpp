#include "HttpTypes.h"

#include "Json.h"

#include <Poco/String.h>

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

SimReply odataError(int status, const std::string& code, const std::string& message)
{
    return jsonReply(status,
                     R"({"error":{"code":)" + jsonQuote(code) + R"(,"message":)" + jsonQuote(message) + "}}");
}

} // namespace acd::sim
