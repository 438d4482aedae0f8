#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace acd {

/// Appends `value` as a JSON string, quotes included, escaped exactly as Poco's
/// Stringifier::formatString with its default options (control characters, '"', '\\' and
/// '/' escaped; other bytes, UTF-8 included, as they are). The reminder data and the staged
/// carts are written with this instead of Poco::JSON objects: the same bytes, without an
/// object tree and an ostream per value.
void appendJsonString(std::string& out, std::string_view value);

/// Whether `text` is one complete JSON value that is an object (surrounding white space
/// allowed). On failure `why` says "not valid JSON: <where>" or "not a JSON object", and
/// never quotes the text. A scan: nothing is built.
bool isJsonObjectText(std::string_view text, std::string& why);

/// A reader for JSON written by the writers above: arrays of strings, integers, booleans and
/// nested arrays, read in order. Throws std::runtime_error on anything else.
class JsonArrayReader
{
public:
    explicit JsonArrayReader(std::string_view text);
    /// '[' ... ']' around a list: begin() before its first element, more() before each.
    void begin();
    bool more();
    std::string string();
    std::int64_t integer();
    /// Throws unless the whole text was read.
    void end();

private:
    void skipSpace();
    [[noreturn]] void fail(const std::string& what) const;

    std::string_view _text;
    std::size_t _at = 0;
    std::vector<bool> _first; // per open array: no element read yet
};

} // namespace acd
