#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace acd::sim {

/// Bad input (a scenario file, a request body, a control call). The message names the
/// offending field by its path, e.g. `carts[3].modifiedMinutesAgo must be a number`.
class SimError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

std::string jsonQuote(std::string_view text);

/// Parses with object key order preserved, so that scenario entities are served as written.
Poco::JSON::Object::Ptr parseJsonObject(const std::string& text, const std::string& what);
std::string toJson(const Poco::Dynamic::Var& value);

/// The value of `member` in each object of the top-level array `arrayKey` (or in the top-level
/// object itself when it has no such array), as the bytes it has in `text`; "null" where absent.
/// Cheaper than writing the parsed value out again, which cost the simulator most of its CPU at
/// 1000 contacts a request. `text` must be a JSON object that parseJsonObject accepted.
std::vector<std::string> memberTexts(std::string_view text, std::string_view arrayKey,
                                     std::string_view member);

/// Typed field access. `where` is the path of `object` in the document; a missing or null
/// field gives nothing, a field of the wrong type throws SimError naming `where.key`.
std::optional<std::string> optString(const Poco::JSON::Object::Ptr& object, const std::string& key,
                                     const std::string& where);
std::optional<std::int64_t> optInt(const Poco::JSON::Object::Ptr& object, const std::string& key,
                                   const std::string& where);
std::optional<double> optNumber(const Poco::JSON::Object::Ptr& object, const std::string& key,
                                const std::string& where);
std::optional<bool> optBool(const Poco::JSON::Object::Ptr& object, const std::string& key,
                            const std::string& where);
Poco::JSON::Object::Ptr optObject(const Poco::JSON::Object::Ptr& object, const std::string& key,
                                  const std::string& where);
Poco::JSON::Array::Ptr optArray(const Poco::JSON::Object::Ptr& object, const std::string& key,
                                const std::string& where);

/// A string, or a number written as its JSON text (key_id may be "3" or 3).
std::optional<std::string> optText(const Poco::JSON::Object::Ptr& object, const std::string& key,
                                   const std::string& where);

template <class T> T required(std::optional<T> value, const std::string& path)
{
    if (!value)
        throw SimError(path + " is required");
    return std::move(*value);
}

Poco::JSON::Object::Ptr requiredObject(const Poco::JSON::Object::Ptr& object, const std::string& key,
                                       const std::string& where);

/// An integer array element (Ids, accountNumbers, ...), accepting a JSON number or a string
/// of digits, as OData's IEEE754Compatible mode writes Int64.
std::int64_t intElement(const Poco::Dynamic::Var& value, const std::string& path);

} // namespace acd::sim
