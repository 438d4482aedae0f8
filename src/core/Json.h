#pragma once

// RapidJSON is the product's one JSON library. This is its one helper: parsing with the flags
// every caller needs, reading values with the number/string distinction kept, and the writing
// of a string value that the hot paths (reminder data, Emarsys contacts) use.

#include <rapidjson/document.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace acd {

using JsonValue = rapidjson::Value;

/// The members of an object, in document order, for a range-for. RapidJSON's GetObject() is not
/// usable in code that Windows builds: windows.h makes that name a macro (GetObjectW).
struct JsonMembers
{
    JsonValue::ConstMemberIterator first;
    JsonValue::ConstMemberIterator last;
    JsonValue::ConstMemberIterator begin() const { return first; }
    JsonValue::ConstMemberIterator end() const { return last; }
};

/// `object` must be an object (IsObject()).
inline JsonMembers jsonMembers(const JsonValue& object)
{
    return {object.MemberBegin(), object.MemberEnd()};
}

/// Text that is not JSON. The message says what is wrong and where ("Missing a comma or '}'
/// after an object member at offset 12"); it never quotes the text, which may hold a secret.
class JsonSyntaxError : public std::runtime_error
{
public:
    JsonSyntaxError(const std::string& reason, std::size_t offset)
        : std::runtime_error(reason + " at offset " + std::to_string(offset)), _reason(reason),
          _offset(offset)
    {}
    /// What is wrong, without where.
    const std::string& reason() const { return _reason; }
    /// Where, in bytes from the start of the text.
    std::size_t offset() const { return _offset; }

private:
    std::string _reason;
    std::size_t _offset;
};

enum class JsonSyntax
{
    Strict,
    /// Comments and trailing commas allowed, as in the sample's appSettings.json.
    Relaxed
};

/// A JSON text parsed by RapidJSON. The parse is iterative, so a hostile, deeply nested text
/// cannot exhaust the stack, and strings must be valid UTF-8. Numbers keep their exact text
/// (a price never passes through a double): RapidJSON's DOM holds such a number as a string,
/// so read values with the functions below, which tell a number from a string of the same
/// text; JsonValue::IsString() is true for both. Read-only once parsed; values live as long
/// as their document.
class JsonDocument
{
public:
    /// Throws JsonSyntaxError for text that is not one JSON value (any value, scalars too).
    explicit JsonDocument(std::string_view text, JsonSyntax syntax = JsonSyntax::Strict);
    JsonDocument(JsonDocument&&) noexcept;
    JsonDocument& operator=(JsonDocument&&) noexcept;
    ~JsonDocument();

    const JsonValue& root() const { return _document; }

private:
    std::unique_ptr<char[]> _text; // every string and number, each after a byte telling which
    rapidjson::Document _document;
};

/// The text parsed when it is a JSON object; nothing for any other text (not JSON, or JSON
/// that is not an object), for replies whose callers treat both alike.
std::unique_ptr<const JsonDocument> parseJsonObject(std::string_view text);

bool jsonIsString(const JsonValue& value);
bool jsonIsNumber(const JsonValue& value);
/// A string's text, or a number's exact text as written ("19.990", "1e3"); empty for others.
std::string_view jsonText(const JsonValue& value);

/// The member called `name` of an object; nullptr when there is none or `object` is not an
/// object. When the name repeats, the last one counts (as browsers and Poco do).
const JsonValue* jsonMember(const JsonValue& object, std::string_view name);
/// How many members of an object are called `name`: a reply that names its secret or token twice
/// is refused rather than read by the last-one-counts rule.
std::size_t jsonMemberCount(const JsonValue& object, std::string_view name);
/// The member unless it is absent or null: the two mean the same for every optional field.
const JsonValue* jsonField(const JsonValue& object, std::string_view name);
/// The member's text when it is a string, else "".
std::string jsonStringOr(const JsonValue& object, std::string_view name, std::string fallback = "");

/// A whole number that fits an int64, written as a JSON number ("5637144592", "68719476736.0")
/// or as a string of digits (OData's IEEE754Compatible form, managed identity's expires_in);
/// nothing for anything else. Never goes through a double.
std::optional<std::int64_t> jsonInteger(const JsonValue& value);

/// A short, printable rendering for an error message: strings quoted, numbers as written,
/// objects and arrays compact; longer than `limit` bytes is cut with "…", control characters
/// become '?'.
std::string jsonShown(const JsonValue& value, std::size_t limit = 40);

/// Whether `text` is one JSON value that is an object (white space around allowed), checked
/// by RapidJSON's parser without building anything. On failure `why` says "not valid JSON:
/// <what> at offset N" or "not a JSON object", and never quotes the text.
bool isJsonObjectText(std::string_view text, std::string& why);

/// Appends `value` as a JSON string, quotes included: '"', '\\' and control characters
/// escaped as Poco's Stringifier escapes them (so the reminder data keeps its bytes), other
/// bytes, UTF-8 included, as they are.
void appendJsonString(std::string& out, std::string_view value);

/// A JSON object written member by member, in the order given, for small replies (the admin
/// API's): strings escaped by appendJsonString.
class JsonObjectWriter
{
public:
    JsonObjectWriter& text(std::string_view key, std::string_view value);
    /// null when there is no value.
    JsonObjectWriter& textOrNull(std::string_view key, const std::optional<std::string>& value);
    JsonObjectWriter& number(std::string_view key, std::int64_t value);
    JsonObjectWriter& boolean(std::string_view key, bool value);
    JsonObjectWriter& null(std::string_view key);
    JsonObjectWriter& object(std::string_view key, const JsonObjectWriter& value);
    /// The object's text, braces included.
    std::string str() const { return "{" + _members + "}"; }

private:
    void key(std::string_view name);

    std::string _members;
};

} // namespace acd
