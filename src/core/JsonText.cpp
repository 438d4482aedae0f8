#include "core/JsonText.h"

#include <Poco/JSONString.h>

#include <array>
#include <cctype>
#include <stdexcept>

namespace acd {

namespace {

/// Poco's escape of every byte it escapes, taken from Poco itself once, so that the two
/// writers cannot drift apart; an empty entry means "as it is".
const std::array<std::string, 256>& escapes()
{
    static const std::array<std::string, 256> table = [] {
        std::array<std::string, 256> result;
        for (int byte = 0; byte < 128; ++byte)
        {
            const std::string one(1, static_cast<char>(byte));
            std::string escaped = Poco::toJSON(one, 0);
            if (escaped != one)
                result[static_cast<std::size_t>(byte)] = std::move(escaped);
        }
        return result;
    }();
    return table;
}

class Scanner
{
public:
    explicit Scanner(std::string_view text) : _text(text) {}

    bool objectOnly(std::string& why)
    {
        skip();
        if (_at >= _text.size() || _text[_at] != '{')
        {
            // Still tell "not JSON at all" from "JSON, but not an object".
            if (!value(0) || (skip(), _at != _text.size()))
                why = "not valid JSON: " + _problem;
            else
                why = "not a JSON object";
            return false;
        }
        if (!value(0))
        {
            why = "not valid JSON: " + _problem;
            return false;
        }
        skip();
        if (_at != _text.size())
        {
            why = "not valid JSON: unexpected text after the object at offset " + std::to_string(_at);
            return false;
        }
        return true;
    }

private:
    static constexpr int MaxDepth = 256;

    void skip()
    {
        while (_at < _text.size() &&
               (_text[_at] == ' ' || _text[_at] == '\t' || _text[_at] == '\n' || _text[_at] == '\r'))
            ++_at;
    }

    bool bad(const char* what)
    {
        if (_problem.empty())
            _problem = std::string(what) + " at offset " + std::to_string(_at);
        return false;
    }

    bool literal(std::string_view word)
    {
        if (_text.substr(_at, word.size()) != word)
            return bad("unexpected character");
        _at += word.size();
        return true;
    }

    bool hex4()
    {
        for (int i = 0; i < 4; ++i, ++_at)
        {
            if (_at >= _text.size() || !std::isxdigit(static_cast<unsigned char>(_text[_at])))
                return bad("bad \\u escape");
        }
        return true;
    }

    bool string()
    {
        ++_at; // the opening quote
        while (_at < _text.size())
        {
            const unsigned char c = static_cast<unsigned char>(_text[_at]);
            if (c == '"')
            {
                ++_at;
                return true;
            }
            if (c < 0x20)
                return bad("control character in a string");
            if (c != '\\')
            {
                ++_at;
                continue;
            }
            ++_at;
            if (_at >= _text.size())
                break;
            const char e = _text[_at];
            if (e == 'u')
            {
                ++_at;
                if (!hex4())
                    return false;
            }
            else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
                     e == 't')
                ++_at;
            else
                return bad("bad escape");
        }
        return bad("unterminated string");
    }

    bool digits()
    {
        const std::size_t start = _at;
        while (_at < _text.size() && _text[_at] >= '0' && _text[_at] <= '9')
            ++_at;
        return _at > start || bad("digit expected");
    }

    bool number()
    {
        if (_text[_at] == '-')
            ++_at;
        if (_at < _text.size() && _text[_at] == '0')
            ++_at;
        else if (!digits())
            return false;
        if (_at < _text.size() && _text[_at] == '.')
        {
            ++_at;
            if (!digits())
                return false;
        }
        if (_at < _text.size() && (_text[_at] == 'e' || _text[_at] == 'E'))
        {
            ++_at;
            if (_at < _text.size() && (_text[_at] == '+' || _text[_at] == '-'))
                ++_at;
            if (!digits())
                return false;
        }
        return true;
    }

    bool value(int depth)
    {
        if (depth > MaxDepth)
            return bad("nesting too deep");
        skip();
        if (_at >= _text.size())
            return bad("unexpected end");
        const char c = _text[_at];
        if (c == '"')
            return string();
        if (c == '{' || c == '[')
        {
            const char close = c == '{' ? '}' : ']';
            ++_at;
            skip();
            if (_at < _text.size() && _text[_at] == close)
            {
                ++_at;
                return true;
            }
            for (;;)
            {
                if (c == '{')
                {
                    skip();
                    if (_at >= _text.size() || _text[_at] != '"')
                        return bad("member name expected");
                    if (!string())
                        return false;
                    skip();
                    if (_at >= _text.size() || _text[_at] != ':')
                        return bad("':' expected");
                    ++_at;
                }
                if (!value(depth + 1))
                    return false;
                skip();
                if (_at >= _text.size())
                    return bad("unexpected end");
                if (_text[_at] == ',')
                {
                    ++_at;
                    continue;
                }
                if (_text[_at] == close)
                {
                    ++_at;
                    return true;
                }
                return bad("',' or end of container expected");
            }
        }
        if (c == 't')
            return literal("true");
        if (c == 'f')
            return literal("false");
        if (c == 'n')
            return literal("null");
        if (c == '-' || (c >= '0' && c <= '9'))
            return number();
        return bad("unexpected character");
    }

    std::string_view _text;
    std::size_t _at = 0;
    std::string _problem;
};

void appendUtf8(std::string& out, std::uint32_t code)
{
    if (code < 0x80)
        out += static_cast<char>(code);
    else if (code < 0x800)
    {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
    }
    else if (code < 0x10000)
    {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    }
    else
    {
        out += static_cast<char>(0xF0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    }
}

} // namespace

void appendJsonString(std::string& out, std::string_view value)
{
    const auto& table = escapes();
    out += '"';
    std::size_t plain = 0;
    for (std::size_t i = 0; i < value.size(); ++i)
    {
        const std::string& escaped = table[static_cast<unsigned char>(value[i])];
        if (escaped.empty())
            continue;
        out.append(value, plain, i - plain);
        out += escaped;
        plain = i + 1;
    }
    out.append(value, plain, std::string_view::npos);
    out += '"';
}

bool isJsonObjectText(std::string_view text, std::string& why)
{
    return Scanner(text).objectOnly(why);
}

JsonArrayReader::JsonArrayReader(std::string_view text) : _text(text) {}

void JsonArrayReader::skipSpace()
{
    while (_at < _text.size() &&
           (_text[_at] == ' ' || _text[_at] == '\n' || _text[_at] == '\t' || _text[_at] == '\r'))
        ++_at;
}

void JsonArrayReader::fail(const std::string& what) const
{
    throw std::runtime_error("staged JSON: " + what + " at offset " + std::to_string(_at));
}

void JsonArrayReader::begin()
{
    skipSpace();
    if (_at >= _text.size() || _text[_at] != '[')
        fail("'[' expected");
    ++_at;
    _first.push_back(true);
}

bool JsonArrayReader::more()
{
    if (_first.empty())
        fail("no open array");
    skipSpace();
    if (_at < _text.size() && _text[_at] == ']')
    {
        ++_at;
        _first.pop_back();
        return false;
    }
    if (!_first.back())
    {
        if (_at >= _text.size() || _text[_at] != ',')
            fail("',' expected");
        ++_at;
    }
    _first.back() = false;
    return true;
}

std::string JsonArrayReader::string()
{
    skipSpace();
    if (_at >= _text.size() || _text[_at] != '"')
        fail("string expected");
    ++_at;
    std::string result;
    for (;;)
    {
        const std::size_t stop = _text.find_first_of("\"\\", _at);
        if (stop == std::string_view::npos)
            fail("unterminated string");
        result.append(_text, _at, stop - _at);
        _at = stop + 1;
        if (_text[stop] == '"')
            return result;
        if (_at >= _text.size())
            fail("unterminated escape");
        const char e = _text[_at++];
        switch (e)
        {
        case '"':
            result += '"';
            break;
        case '\\':
            result += '\\';
            break;
        case '/':
            result += '/';
            break;
        case 'b':
            result += '\b';
            break;
        case 'f':
            result += '\f';
            break;
        case 'n':
            result += '\n';
            break;
        case 'r':
            result += '\r';
            break;
        case 't':
            result += '\t';
            break;
        case 'u':
        {
            auto hex = [this]() {
                if (_at + 4 > _text.size())
                    fail("bad \\u escape");
                std::uint32_t code = 0;
                for (int i = 0; i < 4; ++i)
                {
                    const char h = _text[_at++];
                    code <<= 4;
                    if (h >= '0' && h <= '9')
                        code |= static_cast<std::uint32_t>(h - '0');
                    else if (h >= 'a' && h <= 'f')
                        code |= static_cast<std::uint32_t>(h - 'a' + 10);
                    else if (h >= 'A' && h <= 'F')
                        code |= static_cast<std::uint32_t>(h - 'A' + 10);
                    else
                        fail("bad \\u escape");
                }
                return code;
            };
            std::uint32_t code = hex();
            if (code >= 0xD800 && code < 0xDC00 && _text.substr(_at, 2) == "\\u")
            {
                _at += 2;
                const std::uint32_t low = hex();
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            }
            appendUtf8(result, code);
            break;
        }
        default:
            fail("bad escape");
        }
    }
}

std::int64_t JsonArrayReader::integer()
{
    skipSpace();
    const std::size_t start = _at;
    if (_at < _text.size() && _text[_at] == '-')
        ++_at;
    std::int64_t value = 0;
    const bool negative = _at > start;
    const std::size_t digitsFrom = _at;
    while (_at < _text.size() && _text[_at] >= '0' && _text[_at] <= '9')
        value = value * 10 + (_text[_at++] - '0');
    if (_at == digitsFrom)
        fail("integer expected");
    return negative ? -value : value;
}

void JsonArrayReader::end()
{
    skipSpace();
    if (!_first.empty() || _at != _text.size())
        fail("unexpected text");
}

} // namespace acd
