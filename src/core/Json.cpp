#include "core/Json.h"

#include "core/Decimal.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <charconv>
#include <cstring>
#include <limits>

namespace acd {

namespace {

// Each string, member name and number is copied into one block of the document's own, after a
// byte that says which it was: RapidJSON's DOM has no number that keeps its text, so a number
// is held as a string, and this byte is what tells the two apart afterwards.
constexpr char StringMark = 'S';
constexpr char NumberMark = 'N';

constexpr const char* LoneSurrogate = "A \\u escape of a lone surrogate, which is no character.";

constexpr unsigned StrictFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag |
                                 rapidjson::kParseNumbersAsStringsFlag;
constexpr unsigned RelaxedFlags =
    StrictFlags | rapidjson::kParseCommentsFlag | rapidjson::kParseTrailingCommasFlag;

/// RapidJSON 1.1 decodes a \u escape of a lone low surrogate (\udc00) into bytes that are not
/// UTF-8 (ED B0 80), although it validates the raw text and refuses a lone high surrogate.
/// Only an escape can produce ED A0..BF, so a string holding it is refused.
bool hasLoneSurrogate(const char* text, std::size_t length)
{
    const char* end = text + length;
    for (const char* ed = static_cast<const char*>(std::memchr(text, '\xED', length)); ed != nullptr;
         ed = static_cast<const char*>(std::memchr(ed + 1, '\xED', static_cast<std::size_t>(end - ed - 1))))
    {
        if (ed + 1 < end && static_cast<unsigned char>(ed[1]) >= 0xA0)
            return true;
    }
    return false;
}

/// isJsonObjectText's reader: builds nothing, refuses what JsonDocument refuses.
struct CheckingHandler : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, CheckingHandler>
{
    bool String(const char* text, rapidjson::SizeType length, bool)
    {
        loneSurrogate = loneSurrogate || hasLoneSurrogate(text, length);
        return !loneSurrogate;
    }
    bool Key(const char* text, rapidjson::SizeType length, bool copy) { return String(text, length, copy); }
    bool loneSurrogate = false;
};

/// Hands RapidJSON's SAX events to the document, strings and numbers copied to the block.
class MarkingHandler
{
public:
    MarkingHandler(rapidjson::Document& document, char* block, std::size_t size)
        : _document(document), _next(block), _end(block + size)
    {}

    bool Null() { return _document.Null(); }
    bool Bool(bool b) { return _document.Bool(b); }
    // With kParseNumbersAsStringsFlag every number comes through RawNumber; these only make the
    // handler complete.
    bool Int(int i) { return _document.Int(i); }
    bool Uint(unsigned i) { return _document.Uint(i); }
    bool Int64(std::int64_t i) { return _document.Int64(i); }
    bool Uint64(std::uint64_t i) { return _document.Uint64(i); }
    bool Double(double d) { return _document.Double(d); }
    bool RawNumber(const char* text, rapidjson::SizeType length, bool)
    {
        const char* at = store(NumberMark, text, length, false);
        return at && _document.String(at, length, false);
    }
    bool String(const char* text, rapidjson::SizeType length, bool)
    {
        if (hasLoneSurrogate(text, length))
        {
            loneSurrogate = true;
            return false;
        }
        const char* at = store(StringMark, text, length, true);
        return at && _document.String(at, length, false);
    }
    bool Key(const char* text, rapidjson::SizeType length, bool copy) { return String(text, length, copy); }
    bool StartObject() { return _document.StartObject(); }
    bool EndObject(rapidjson::SizeType members) { return _document.EndObject(members); }
    bool StartArray() { return _document.StartArray(); }
    bool EndArray(rapidjson::SizeType elements) { return _document.EndArray(elements); }

    bool loneSurrogate = false;

private:
    const char* store(char mark, const char* text, std::size_t length, bool terminate)
    {
        // Never short: a decoded string is no longer than its quoted text, and a number is
        // followed by a delimiter or the end (the block has two bytes to spare).
        const std::size_t needed = length + 1 + (terminate ? 1 : 0);
        if (static_cast<std::size_t>(_end - _next) < needed)
            return nullptr;
        *_next++ = mark;
        char* at = _next;
        std::memcpy(at, text, length);
        _next += length;
        if (terminate)
            *_next++ = '\0';
        return at;
    }

    rapidjson::Document& _document;
    char* _next;
    char* _end;
};

char markOf(const JsonValue& value)
{
    return value.IsString() ? value.GetString()[-1] : '\0';
}

void render(const JsonValue& value, std::string& out, std::size_t limit)
{
    // Each level writes a byte before it descends, so the depth is bounded by `limit` too.
    if (out.size() > limit)
        return;
    if (jsonIsNumber(value))
        out += jsonText(value);
    else if (value.IsString())
        appendJsonString(out, jsonText(value));
    else if (value.IsNull())
        out += "null";
    else if (value.IsBool())
        out += value.GetBool() ? "true" : "false";
    else if (value.IsArray())
    {
        out += '[';
        for (auto element = value.Begin(); element != value.End() && out.size() <= limit; ++element)
        {
            if (element != value.Begin())
                out += ',';
            render(*element, out, limit);
        }
        out += ']';
    }
    else if (value.IsObject())
    {
        out += '{';
        for (auto member = value.MemberBegin(); member != value.MemberEnd() && out.size() <= limit; ++member)
        {
            if (member != value.MemberBegin())
                out += ',';
            appendJsonString(out, jsonText(member->name));
            out += ':';
            render(member->value, out, limit);
        }
        out += '}';
    }
}

/// RapidJSON's own words, except for two cases it names vaguely.
std::string reasonFor(const rapidjson::ParseResult& result, std::string_view text, JsonSyntax syntax)
{
    const std::size_t at = result.Offset();
    if (result.Code() == rapidjson::kParseErrorStringEscapeInvalid && at < text.size() &&
        static_cast<unsigned char>(text[at]) < 0x20)
        return "Control character in string.";
    // With comments allowed, this is the only error a comment gives.
    if (result.Code() == rapidjson::kParseErrorUnspecificSyntaxError && syntax == JsonSyntax::Relaxed)
        return "Comment not closed with */, or a '/' that opens none.";
    return rapidjson::GetParseError_En(result.Code());
}

} // namespace

JsonDocument::JsonDocument(std::string_view text, JsonSyntax syntax)
{
    if (text.size() >= std::numeric_limits<rapidjson::SizeType>::max())
        throw JsonSyntaxError("the text is 4 GiB or more", 0);
    // RapidJSON's streams end at a NUL byte; one is never valid in JSON text, so it cannot cut
    // a text short unnoticed.
    if (const auto nul = text.find('\0'); nul != std::string_view::npos)
        throw JsonSyntaxError("a NUL byte", nul);
    const std::size_t blockSize = text.size() + 2;
    _text = std::make_unique_for_overwrite<char[]>(blockSize);
    rapidjson::ParseResult result;
    bool loneSurrogate = false;
    auto generate = [&](rapidjson::Document& document) {
        MarkingHandler handler(document, _text.get(), blockSize);
        rapidjson::MemoryStream stream(text.data(), text.size());
        rapidjson::Reader reader;
        result = syntax == JsonSyntax::Relaxed ? reader.Parse<RelaxedFlags>(stream, handler)
                                               : reader.Parse<StrictFlags>(stream, handler);
        loneSurrogate = handler.loneSurrogate;
        return !result.IsError();
    };
    _document.Populate(generate);
    if (loneSurrogate)
        throw JsonSyntaxError(LoneSurrogate, result.Offset());
    if (result.IsError())
        throw JsonSyntaxError(reasonFor(result, text, syntax), result.Offset());
}

JsonDocument::JsonDocument(JsonDocument&&) noexcept = default;
JsonDocument& JsonDocument::operator=(JsonDocument&&) noexcept = default;
JsonDocument::~JsonDocument() = default;

std::unique_ptr<const JsonDocument> parseJsonObject(std::string_view text)
{
    try
    {
        auto document = std::make_unique<const JsonDocument>(text);
        if (document->root().IsObject())
            return document;
    }
    catch (const JsonSyntaxError&)
    {}
    return nullptr;
}

bool jsonIsString(const JsonValue& value)
{
    return markOf(value) == StringMark;
}

bool jsonIsNumber(const JsonValue& value)
{
    return markOf(value) == NumberMark;
}

std::string_view jsonText(const JsonValue& value)
{
    return value.IsString() ? std::string_view(value.GetString(), value.GetStringLength())
                            : std::string_view();
}

const JsonValue* jsonMember(const JsonValue& object, std::string_view name)
{
    if (!object.IsObject())
        return nullptr;
    const JsonValue* found = nullptr;
    for (auto member = object.MemberBegin(); member != object.MemberEnd(); ++member)
    {
        if (jsonText(member->name) == name)
            found = &member->value;
    }
    return found;
}

std::size_t jsonMemberCount(const JsonValue& object, std::string_view name)
{
    std::size_t count = 0;
    if (object.IsObject())
    {
        for (auto member = object.MemberBegin(); member != object.MemberEnd(); ++member)
            count += jsonText(member->name) == name ? 1 : 0;
    }
    return count;
}

const JsonValue* jsonField(const JsonValue& object, std::string_view name)
{
    const JsonValue* value = jsonMember(object, name);
    return value && !value->IsNull() ? value : nullptr;
}

std::string jsonStringOr(const JsonValue& object, std::string_view name, std::string fallback)
{
    const JsonValue* value = jsonMember(object, name);
    return value && jsonIsString(*value) ? std::string(jsonText(*value)) : std::move(fallback);
}

std::optional<std::int64_t> jsonInteger(const JsonValue& value)
{
    if (!value.IsString())
        return std::nullopt;
    std::string_view text = jsonText(value);
    // A number written with a fraction or an exponent may still be whole ("68719476736.0");
    // read on its digits, it keeps every one of them.
    std::optional<DecimalText> whole;
    if (jsonIsNumber(value) && text.find_first_of(".eE") != std::string_view::npos)
    {
        whole = normalizeDecimal(text);
        if (!whole || whole->find('.') != std::string::npos)
            return std::nullopt;
        text = *whole;
    }
    std::int64_t number = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (text.empty() || error != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return number;
}

std::string jsonShown(const JsonValue& value, std::size_t limit)
{
    std::string text;
    // A string on its own is shown as it came, only quoted: what a reader compares with the reply.
    if (jsonIsString(value))
        text.append("\"").append(jsonText(value)).append("\"");
    else
        render(value, text, limit);
    if (text.size() > limit)
        text = text.substr(0, limit) + "…";
    for (char& c : text)
    {
        if (static_cast<unsigned char>(c) < 0x20)
            c = '?';
    }
    return text;
}

bool isJsonObjectText(std::string_view text, std::string& why)
{
    const std::size_t first = text.find_first_not_of(" \t\r\n");
    if (const auto nul = text.find('\0'); nul != std::string_view::npos)
    {
        why = "not valid JSON: a NUL byte at offset " + std::to_string(nul);
        return false;
    }
    rapidjson::MemoryStream stream(text.data(), text.size());
    CheckingHandler checking;
    rapidjson::Reader reader;
    const rapidjson::ParseResult result = reader.Parse<StrictFlags>(stream, checking);
    if (result.IsError())
    {
        why = "not valid JSON: " +
              (checking.loneSurrogate ? std::string(LoneSurrogate)
                                      : reasonFor(result, text, JsonSyntax::Strict)) +
              " at offset " + std::to_string(result.Offset());
        return false;
    }
    if (first == std::string_view::npos || text[first] != '{')
    {
        why = "not a JSON object";
        return false;
    }
    return true;
}

void appendJsonString(std::string& out, std::string_view value)
{
    static constexpr char Hex[] = "0123456789ABCDEF";
    out += '"';
    std::size_t plain = 0;
    for (std::size_t i = 0; i < value.size(); ++i)
    {
        const unsigned char c = static_cast<unsigned char>(value[i]);
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        out.append(value, plain, i - plain);
        plain = i + 1;
        switch (c)
        {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
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
            out += "\\u00";
            out += Hex[c >> 4];
            out += Hex[c & 0xF];
        }
    }
    out.append(value, plain, std::string_view::npos);
    out += '"';
}

void JsonObjectWriter::key(std::string_view name)
{
    if (!_members.empty())
        _members += ',';
    appendJsonString(_members, name);
    _members += ':';
}

JsonObjectWriter& JsonObjectWriter::text(std::string_view name, std::string_view value)
{
    key(name);
    appendJsonString(_members, value);
    return *this;
}

JsonObjectWriter& JsonObjectWriter::textOrNull(std::string_view name, const std::optional<std::string>& value)
{
    return value ? text(name, *value) : null(name);
}

JsonObjectWriter& JsonObjectWriter::number(std::string_view name, std::int64_t value)
{
    key(name);
    _members += std::to_string(value);
    return *this;
}

JsonObjectWriter& JsonObjectWriter::boolean(std::string_view name, bool value)
{
    key(name);
    _members += value ? "true" : "false";
    return *this;
}

JsonObjectWriter& JsonObjectWriter::null(std::string_view name)
{
    key(name);
    _members += "null";
    return *this;
}

JsonObjectWriter& JsonObjectWriter::object(std::string_view name, const JsonObjectWriter& value)
{
    key(name);
    _members += value.str();
    return *this;
}

} // namespace acd
