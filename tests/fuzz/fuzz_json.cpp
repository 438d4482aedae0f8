// core/Json: the one JSON reader every reply and appSettings.json goes through.
#include "FuzzCheck.h"
#include "core/Json.h"

namespace {

void walk(const acd::JsonValue& value, int& roundTrips, int depth = 0)
{
    // The parse is iterative; this walk is not, so it stops where a hostile nesting would
    // exhaust its own stack.
    if (depth > 500)
        return;
    // Every reader of a value answers without throwing, whatever the value is.
    (void)acd::jsonShown(value);
    const auto integer = acd::jsonInteger(value);
    if (integer)
        FUZZ_CHECK(acd::jsonIsNumber(value) || acd::jsonIsString(value), "an integer that is neither");
    FUZZ_CHECK(!(acd::jsonIsNumber(value) && acd::jsonIsString(value)), "both a number and a string");
    if (value.IsObject())
    {
        int lookups = 16; // each is a scan of the object
        for (const auto& member : acd::jsonMembers(value))
        {
            const std::string_view name = acd::jsonText(member.name);
            if (lookups-- > 0)
                FUZZ_CHECK(acd::jsonMember(value, name) != nullptr, "a member not found by its name");
            walk(member.value, roundTrips, depth + 1);
        }
    }
    else if (value.IsArray())
    {
        for (const acd::JsonValue& element : value.GetArray())
            walk(element, roundTrips, depth + 1);
    }
    else if (acd::jsonIsString(value))
    {
        const std::string_view text = acd::jsonText(value);
        FUZZ_CHECK(acd::fuzz::isUtf8(text), "a string that is not UTF-8");
        // Written back and read again, a string keeps its bytes.
        if (roundTrips-- <= 0)
            return;
        std::string json;
        acd::appendJsonString(json, text);
        const acd::JsonDocument again(json);
        FUZZ_CHECK(acd::jsonIsString(again.root()) && acd::jsonText(again.root()) == text,
                   "appendJsonString does not round-trip");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (const auto syntax : {acd::JsonSyntax::Strict, acd::JsonSyntax::Relaxed})
    {
        try
        {
            const acd::JsonDocument document(text, syntax);
            int roundTrips = 8; // a document each: enough to cover escapes, few enough to stay fast
            walk(document.root(), roundTrips);
        }
        catch (const acd::JsonSyntaxError& e)
        {
            FUZZ_CHECK(e.offset() <= size, e.what());
        }
    }

    // The two ways of asking "is this an object?" agree.
    std::string why;
    const bool isObject = acd::isJsonObjectText(text, why);
    FUZZ_CHECK(isObject == (acd::parseJsonObject(text) != nullptr), "isJsonObjectText: " + why);
    FUZZ_CHECK(isObject || !why.empty(), "no reason given");

    // Any bytes as a string value: escaped so that the document reads back as those bytes.
    if (acd::fuzz::isUtf8(text))
    {
        std::string json;
        acd::appendJsonString(json, text);
        const acd::JsonDocument again(json);
        FUZZ_CHECK(acd::jsonText(again.root()) == text, "appendJsonString does not round-trip");
    }
    return 0;
}
