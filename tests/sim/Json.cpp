#include "Json.h"

#include <Poco/Exception.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/NumberParser.h>

#include <cstdio>
#include <sstream>

namespace acd::sim {

namespace {

std::string fieldPath(const std::string& where, const std::string& key)
{
    return where.empty() ? key : where + "." + key;
}

Poco::Dynamic::Var fieldValue(const Poco::JSON::Object::Ptr& object, const std::string& key)
{
    return object->has(key) ? object->get(key) : Poco::Dynamic::Var();
}

} // namespace

std::string jsonQuote(std::string_view text)
{
    std::string out;
    out.reserve(text.size() + 2);
    out += '"';
    for (const char c : text)
    {
        switch (c)
        {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20)
            {
                char escaped[8];
                std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
                out += escaped;
            }
            else
            {
                out += c;
            }
        }
    }
    out += '"';
    return out;
}

Poco::JSON::Object::Ptr parseJsonObject(const std::string& text, const std::string& what)
{
    Poco::Dynamic::Var parsed;
    try
    {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        parsed = parser.parse(text);
    }
    catch (const Poco::Exception& e)
    {
        throw SimError(what + " is not valid JSON: " + e.message());
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
        throw SimError(what + " must be a JSON object");
    return parsed.extract<Poco::JSON::Object::Ptr>();
}

std::string toJson(const Poco::Dynamic::Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(value, out);
    return out.str();
}

namespace {

/// Walks JSON text that a parser has already accepted: only positions, no checks.
class ValidJsonWalker
{
public:
    explicit ValidJsonWalker(std::string_view text) : _text(text) {}

    void skipSpace()
    {
        while (_pos < _text.size() && (_text[_pos] == ' ' || _text[_pos] == '\t' || _text[_pos] == '\n' ||
                                       _text[_pos] == '\r' || _text[_pos] == ','))
            ++_pos;
    }

    char peek()
    {
        skipSpace();
        return _pos < _text.size() ? _text[_pos] : '\0';
    }

    void take() { ++_pos; }

    /// The text of the string starting here, without its quotes (escapes left as written).
    std::string_view string()
    {
        skipSpace();
        const std::size_t start = ++_pos;
        while (_text[_pos] != '"')
            _pos += _text[_pos] == '\\' ? 2 : 1;
        return _text.substr(start, _pos++ - start);
    }

    /// Skips one value; returns its text.
    std::string_view value()
    {
        skipSpace();
        const std::size_t start = _pos;
        const char first = _text[_pos];
        if (first == '"')
            string();
        else if (first == '{' || first == '[')
        {
            int depth = 0;
            do
            {
                const char c = _text[_pos];
                if (c == '"')
                {
                    string();
                    continue;
                }
                depth += c == '{' || c == '[' ? 1 : c == '}' || c == ']' ? -1 : 0;
                ++_pos;
            } while (depth > 0);
        }
        else // a number, true, false or null
            while (_pos < _text.size() &&
                   std::string_view(",}] \t\n\r").find(_text[_pos]) == std::string_view::npos)
                ++_pos;
        return _text.substr(start, _pos - start);
    }

    /// Calls `onMember(key)` at each member of the object starting here; it reads the value.
    template <class OnMember> void object(OnMember onMember)
    {
        peek();
        take(); // {
        while (peek() != '}')
        {
            const std::string_view key = string();
            skipSpace();
            take(); // :
            onMember(key);
        }
        take();
    }

private:
    std::string_view _text;
    std::size_t _pos = 0;
};

} // namespace

std::vector<std::string> memberTexts(std::string_view text, std::string_view arrayKey,
                                     std::string_view member)
{
    ValidJsonWalker walker(text);
    std::vector<std::string> found;
    std::optional<std::string> own;
    walker.object([&](std::string_view key) {
        if (key == member)
        {
            own = std::string(walker.value());
            return;
        }
        if (key != arrayKey || walker.peek() != '[')
        {
            walker.value();
            return;
        }
        found.clear(); // a repeated key: the parser kept the last one
        walker.take();
        while (walker.peek() != ']')
        {
            if (walker.peek() != '{')
            {
                walker.value();
                found.emplace_back("null");
                continue;
            }
            std::string memberText = "null";
            walker.object([&](std::string_view elementKey) {
                const std::string_view value = walker.value();
                if (elementKey == member)
                    memberText = value;
            });
            found.push_back(std::move(memberText));
        }
        walker.take();
    });
    if (found.empty())
        found.push_back(own.value_or("null"));
    return found;
}

std::optional<std::string> optString(const Poco::JSON::Object::Ptr& object, const std::string& key,
                                     const std::string& where)
{
    const Poco::Dynamic::Var value = fieldValue(object, key);
    if (value.isEmpty())
        return std::nullopt;
    if (!value.isString())
        throw SimError(fieldPath(where, key) + " must be a string");
    return value.extract<std::string>();
}

std::optional<std::int64_t> optInt(const Poco::JSON::Object::Ptr& object, const std::string& key,
                                   const std::string& where)
{
    const Poco::Dynamic::Var value = fieldValue(object, key);
    if (value.isEmpty())
        return std::nullopt;
    if (!value.isInteger())
        throw SimError(fieldPath(where, key) + " must be an integer");
    return value.convert<std::int64_t>();
}

std::optional<double> optNumber(const Poco::JSON::Object::Ptr& object, const std::string& key,
                                const std::string& where)
{
    const Poco::Dynamic::Var value = fieldValue(object, key);
    if (value.isEmpty())
        return std::nullopt;
    if (!value.isNumeric())
        throw SimError(fieldPath(where, key) + " must be a number");
    return value.convert<double>();
}

std::optional<bool> optBool(const Poco::JSON::Object::Ptr& object, const std::string& key,
                            const std::string& where)
{
    const Poco::Dynamic::Var value = fieldValue(object, key);
    if (value.isEmpty())
        return std::nullopt;
    if (!value.isBoolean())
        throw SimError(fieldPath(where, key) + " must be true or false");
    return value.extract<bool>();
}

Poco::JSON::Object::Ptr optObject(const Poco::JSON::Object::Ptr& object, const std::string& key,
                                  const std::string& where)
{
    const Poco::Dynamic::Var value = fieldValue(object, key);
    if (value.isEmpty())
        return nullptr;
    if (value.type() != typeid(Poco::JSON::Object::Ptr))
        throw SimError(fieldPath(where, key) + " must be an object");
    return value.extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Array::Ptr optArray(const Poco::JSON::Object::Ptr& object, const std::string& key,
                                const std::string& where)
{
    const Poco::Dynamic::Var value = fieldValue(object, key);
    if (value.isEmpty())
        return nullptr;
    if (value.type() != typeid(Poco::JSON::Array::Ptr))
        throw SimError(fieldPath(where, key) + " must be an array");
    return value.extract<Poco::JSON::Array::Ptr>();
}

std::optional<std::string> optText(const Poco::JSON::Object::Ptr& object, const std::string& key,
                                   const std::string& where)
{
    const Poco::Dynamic::Var value = fieldValue(object, key);
    if (value.isEmpty())
        return std::nullopt;
    if (value.isString())
        return value.extract<std::string>();
    if (value.isInteger())
        return value.convert<std::string>();
    throw SimError(fieldPath(where, key) + " must be a string or an integer");
}

Poco::JSON::Object::Ptr requiredObject(const Poco::JSON::Object::Ptr& object, const std::string& key,
                                       const std::string& where)
{
    auto value = optObject(object, key, where);
    if (!value)
        throw SimError(fieldPath(where, key) + " is required");
    return value;
}

std::int64_t intElement(const Poco::Dynamic::Var& value, const std::string& path)
{
    if (value.isInteger())
        return value.convert<std::int64_t>();
    Poco::Int64 parsed;
    if (value.isString() && Poco::NumberParser::tryParse64(value.extract<std::string>(), parsed))
        return parsed;
    throw SimError(path + " must be an integer");
}

} // namespace acd::sim
