#define BOOST_TEST_MODULE core_json_tests
#include <boost/test/unit_test.hpp>

#include "core/Decimal.h"
#include "core/ImageUrls.h"
#include "core/Json.h"
#include "core/ReminderPayload.h"
#include "core/Urls.h"
#include "core/Utf8.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSONString.h>

#include <algorithm>
#include <random>
#include <sstream>
#include <string>

using namespace acd;

namespace {

std::string pocoQuoted(const std::string& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::formatString(value, out);
    return out.str();
}

std::string quoted(const std::string& value)
{
    std::string out;
    appendJsonString(out, value);
    return out;
}

// The reminder data as it was built with Poco::JSON objects before the direct writer: the
// reference the direct writer must match byte for byte.
using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr newObject()
{
    return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

void setText(Object& object, const std::string& key, const std::string& value)
{
    object.set(key, toValidUtf8(value));
}

DecimalText unitPrice(const CartLine& line, const Product& product)
{
    for (const DecimalText* text : {&line.price, &product.price})
    {
        if (auto normalized = normalizeDecimal(*text))
            return *normalized;
    }
    return "";
}

Object::Ptr productImage(const Product& product, const MediaOptions& media)
{
    const auto image = std::find_if(product.images.begin(), product.images.end(),
                                    [](const ProductImage& i) { return !i.url.empty(); });
    auto result = newObject();
    const bool hasImage = image != product.images.end();
    setText(*result, "altText", hasImage && !image->altText.empty() ? image->altText : product.name);
    Array::Ptr viewports = new Array;
    if (hasImage)
    {
        for (const ViewportImage& v : viewportImages(image->url, media))
        {
            auto entry = newObject();
            setText(*entry, "url", v.url);
            setText(*entry, "media", v.media);
            entry->set("useForDefaultImageTag", v.useForDefaultImageTag);
            viewports->add(entry);
        }
    }
    result->set("viewPortImages", viewports);
    return result;
}

std::string referenceReminderData(const ReminderInput& input)
{
    Array::Ptr orderDetails = new Array;
    for (const CartLine& line : input.cart.lines)
    {
        const auto found = input.products.find(line.productId);
        if (found == input.products.end())
            continue;
        const Product& product = found->second;
        auto detail = newObject();
        detail->set("productId", std::to_string(product.recordId));
        setText(*detail, "productName", product.name);
        detail->set("quantity", normalizeDecimal(line.quantity).value_or("0"));
        detail->set("unitPrice", unitPrice(line, product));
        detail->set("productImage", productImage(product, input.media));
        orderDetails->add(detail);
    }
    auto data = newObject();
    setText(*data, "firstName", input.customer.firstName);
    setText(*data, "lastName", input.customer.lastName);
    setText(*data, "language", input.customer.language);
    setText(*data, "currency", input.channel.currency);
    setText(*data, "returnToCartUrl",
            expandReturnToCartUrl(input.returnToCartUrlPattern, input.cart.id, input.cart.customerId));
    data->set("orderDetails", orderDetails);
    std::ostringstream out;
    data->stringify(out);
    return out.str();
}

std::string randomText(std::mt19937& random, std::size_t length)
{
    std::string text;
    for (std::size_t i = 0; i < length; ++i)
        text += static_cast<char>(random() % 256);
    return text;
}

} // namespace

BOOST_AUTO_TEST_CASE(strings_are_escaped_as_poco_escapes_them)
{
    for (int byte = 0; byte < 256; ++byte)
    {
        const std::string one(1, static_cast<char>(byte));
        BOOST_TEST(quoted(one) == pocoQuoted(one), "byte " << byte);
    }
    std::mt19937 random(7);
    for (int i = 0; i < 2000; ++i)
    {
        const std::string text = randomText(random, random() % 40);
        BOOST_TEST(quoted(text) == pocoQuoted(text));
    }
    BOOST_TEST(quoted("") == "\"\"");
    BOOST_TEST(quoted("Zo\xC3\xAB </script> \"x\"\\\n") == pocoQuoted("Zo\xC3\xAB </script> \"x\"\\\n"));
}

BOOST_AUTO_TEST_CASE(reminder_data_is_byte_for_byte_what_poco_json_gave)
{
    std::mt19937 random(11);
    MediaOptions media;
    media.imageServerUrl = "https://images.example.com/cms/api/x/imageFileData/search?fileName=";
    media.viewports = defaultViewports();
    Channel channel{5637144592, "EUR"};
    for (int round = 0; round < 300; ++round)
    {
        Cart cart;
        cart.id = round % 3 == 0 ? randomText(random, 8) : "cart-" + std::to_string(round);
        cart.customerId = "C" + std::to_string(round);
        std::map<std::int64_t, Product> products;
        const int lines = static_cast<int>(random() % 5);
        for (int l = 0; l < lines; ++l)
        {
            CartLine line;
            line.productId = 1000 + static_cast<std::int64_t>(random() % 6);
            line.quantity = std::to_string(random() % 4) + (l % 2 ? ".000" : "");
            line.price = l % 3 == 0 ? "" : "12.50";
            cart.lines.push_back(line);
            if (random() % 4 != 0)
            {
                Product product;
                product.recordId = line.productId;
                product.name = round % 5 == 0 ? randomText(random, 12) : "Wool Scarf \"L\" / <b>";
                product.price = "9.90";
                if (random() % 3 != 0)
                    product.images.push_back(
                        {random() % 2 ? "Products/Scarf 1.png" : "https://cdn.example.com/a b.png",
                         random() % 2 ? "" : randomText(random, 5)});
                products[product.recordId] = product;
            }
        }
        Customer customer{cart.customerId, round % 4 == 0 ? randomText(random, 10) : "Zoë",
                          "O'Brien \"the\" / \\ \x01", "fr-fr", "a@b.c"};
        const std::string pattern = round % 2 ? "https://shop.example.com/cart?id={cartId}&c={customerId}"
                                              : "https://shop.example.com/";
        ReminderInput input{cart, customer, products, channel, media, pattern};
        BOOST_TEST(buildReminderData(input) == referenceReminderData(input), "round " << round);
    }
}

BOOST_AUTO_TEST_CASE(json_object_texts_are_told_from_others)
{
    std::string why;
    for (const char* good :
         {"{}", " {\"a\":[1,-2.5e3,true,false,null,{\"b\":\"\\u00e9\\n\"}]} ", "{\"x\":\"]}]}\",\"y\":{}}"})
        BOOST_TEST(isJsonObjectText(good, why), good << ": " << why);
    for (const char* bad : {"", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":\"x}", "{} x",
                            "{\"a\":01}", "{\"a\":\"\x01\"}", "{\"a\":\"\\x\"}", "{'a':1}"})
    {
        BOOST_TEST(!isJsonObjectText(bad, why), bad);
        BOOST_TEST(why.starts_with("not valid JSON"), bad << ": " << why);
    }
    for (const char* notObject : {"[1,2]", "\"text\"", "12", "null"})
    {
        BOOST_TEST(!isJsonObjectText(notObject, why), notObject);
        BOOST_TEST(why == "not a JSON object", notObject << ": " << why);
    }
}

BOOST_AUTO_TEST_CASE(a_lone_surrogate_escape_is_refused_as_it_is_no_character)
{
    // Found by fuzz_json: RapidJSON 1.1 decodes a lone low surrogate into bytes that are not UTF-8.
    for (const char* lone : {R"({"a":"x\udd80y"})", R"({"\udc00":1})", R"({"a":"\ud800"})"})
    {
        std::string why;
        BOOST_TEST(!isJsonObjectText(lone, why), lone);
        BOOST_TEST(why.starts_with("not valid JSON"), lone << ": " << why);
        BOOST_TEST(!parseJsonObject(lone), lone);
        BOOST_CHECK_THROW(JsonDocument{lone}, JsonSyntaxError);
    }
    const auto pair = parseJsonObject(R"({"a":"\ud83d\ude00 \u00e9"})");
    BOOST_REQUIRE(pair);
    BOOST_TEST(jsonText(*jsonMember(pair->root(), "a")) == "\xF0\x9F\x98\x80 \xC3\xA9");
}

std::string parseError(std::string_view text, JsonSyntax syntax = JsonSyntax::Strict)
{
    try
    {
        JsonDocument document(text, syntax);
    }
    catch (const JsonSyntaxError& e)
    {
        return e.what();
    }
    return "(parsed)";
}

BOOST_AUTO_TEST_CASE(strings_read_back_what_the_writer_wrote)
{
    std::mt19937 random(3);
    for (int round = 0; round < 500; ++round)
    {
        const std::string text = toValidUtf8(randomText(random, random() % 40));
        std::string json = "[";
        appendJsonString(json, text);
        json += "]";
        const JsonDocument document(json);
        BOOST_TEST_REQUIRE(document.root().IsArray());
        BOOST_TEST(jsonIsString(document.root()[0]));
        BOOST_TEST(jsonText(document.root()[0]) == text);
    }
    const JsonDocument escaped(R"(["\u00e9\ud83d\ude00\/\"\\\b\f\n\r\t", "a\u0000b"])");
    BOOST_TEST(jsonText(escaped.root()[0]) == "\xC3\xA9\xF0\x9F\x98\x80/\"\\\b\f\n\r\t");
    BOOST_TEST(jsonText(escaped.root()[1]) == std::string_view("a\0b", 3));
}

BOOST_AUTO_TEST_CASE(numbers_keep_their_text_and_are_told_from_strings)
{
    const JsonDocument document(
        R"({"price": 19.990, "big": 12345678901234567890.123456789, "id": 9223372036854775807,
            "huge": 18446744073709551616, "exp": -1.5E-3, "text": "19.990", "zero": 0, "yes": true})");
    const JsonValue& root = document.root();
    BOOST_TEST(jsonText(*jsonMember(root, "price")) == "19.990");
    BOOST_TEST(jsonIsNumber(*jsonMember(root, "price")));
    BOOST_TEST(!jsonIsString(*jsonMember(root, "price")));
    BOOST_TEST(jsonText(*jsonMember(root, "big")) == "12345678901234567890.123456789");
    BOOST_TEST(jsonText(*jsonMember(root, "huge")) == "18446744073709551616");
    BOOST_TEST(jsonText(*jsonMember(root, "exp")) == "-1.5E-3");
    BOOST_TEST(jsonIsString(*jsonMember(root, "text")));
    BOOST_TEST(!jsonIsNumber(*jsonMember(root, "text")));
    BOOST_TEST(!jsonIsNumber(*jsonMember(root, "yes")));
    BOOST_TEST(jsonText(*jsonMember(root, "yes")).empty());

    BOOST_TEST(jsonInteger(*jsonMember(root, "id")).value() == 9223372036854775807);
    BOOST_TEST(!jsonInteger(*jsonMember(root, "huge")));
    BOOST_TEST(!jsonInteger(*jsonMember(root, "price")));
    BOOST_TEST(jsonInteger(*jsonMember(root, "zero")).value() == 0);
    BOOST_TEST(!jsonInteger(*jsonMember(root, "yes")));
    const JsonDocument whole(R"(["68719476736.0", 68719476736.0, 1e3, "1e3", "-42", "4 2"])");
    BOOST_TEST(!jsonInteger(whole.root()[0]), "a string must be digits only");
    BOOST_TEST(jsonInteger(whole.root()[1]).value() == 68719476736);
    BOOST_TEST(jsonInteger(whole.root()[2]).value() == 1000);
    BOOST_TEST(!jsonInteger(whole.root()[3]));
    BOOST_TEST(jsonInteger(whole.root()[4]).value() == -42);
    BOOST_TEST(!jsonInteger(whole.root()[5]));
}

BOOST_AUTO_TEST_CASE(members_are_found_by_name_the_last_one_counting)
{
    const JsonDocument document(R"({"a": 1, "b": null, "a": "second", "": "empty"})");
    const JsonValue& root = document.root();
    BOOST_TEST(jsonText(*jsonMember(root, "a")) == "second");
    BOOST_TEST(jsonMember(root, "b") != nullptr);
    BOOST_TEST(jsonField(root, "b") == nullptr);
    BOOST_TEST(jsonMember(root, "c") == nullptr);
    BOOST_TEST(jsonText(*jsonMember(root, "")) == "empty");
    BOOST_TEST(jsonStringOr(root, "a") == "second");
    BOOST_TEST(jsonStringOr(root, "b", "none") == "none");
    BOOST_TEST(jsonMember(*jsonMember(root, "a"), "x") == nullptr, "a string has no members");
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_parsed_without_recursion)
{
    // Far deeper than a recursive parser's stack would allow.
    const std::size_t depth = 2'000'000;
    const JsonDocument document(std::string(depth, '[') + std::string(depth, ']'));
    BOOST_TEST(document.root().IsArray());
    BOOST_TEST(parseError(std::string(depth, '[')) == "Invalid value. at offset " + std::to_string(depth));
    const std::string shown = jsonShown(JsonDocument(std::string(1000, '[') + std::string(1000, ']')).root());
    BOOST_TEST(shown == std::string(40, '[') + "…", "rendering stops at its limit");
}

BOOST_AUTO_TEST_CASE(bad_utf8_nul_bytes_and_bad_escapes_are_refused)
{
    for (const char* bad : {"[\"\xFF\"]", "[\"\xC3\x28\"]", "[\"\xED\xA0\x80\"]", "[\"\xC0\xAF\"]"})
        BOOST_TEST(parseError(bad).starts_with("Invalid encoding in string."), bad);
    BOOST_TEST(parseError(std::string("[1]\0[2]", 7)) == "a NUL byte at offset 3");
    BOOST_TEST(parseError(R"(["\x"])") == "Invalid escape character in string. at offset 2");
    BOOST_TEST(parseError(R"(["\ud800"])") == "The surrogate pair in string is invalid. at offset 2");
    BOOST_TEST(parseError("[\"\x01\"]") == "Control character in string. at offset 2");
    BOOST_TEST(parseError("") == "The document is empty. at offset 0");
    BOOST_TEST(parseError("{} {}") == "The document root must not be followed by other values. at offset 3");
}

BOOST_AUTO_TEST_CASE(comments_and_trailing_commas_only_when_relaxed)
{
    const std::string text =
        "{\n  // a comment\n  \"a\": [1, 2,], /* another */\n  \"b\": {\"c\": true,},\n}";
    const JsonDocument relaxed(text, JsonSyntax::Relaxed);
    BOOST_TEST(relaxed.root()["a"].Size() == 2u);
    BOOST_TEST(jsonText(relaxed.root()["a"][1]) == "2");
    BOOST_TEST(jsonMember(relaxed.root(), "b")->MemberCount() == 1u);
    BOOST_TEST(parseError(text) == "Missing a name for object member. at offset 4");
    BOOST_TEST(parseError("{/* open", JsonSyntax::Relaxed) ==
               "Comment not closed with */, or a '/' that opens none. at offset 8");
    BOOST_TEST(parseError("[1,,2]", JsonSyntax::Relaxed) == "Invalid value. at offset 3");
}

BOOST_AUTO_TEST_CASE(values_are_shown_short_and_printable)
{
    const JsonDocument document(
        R"({"s": "tab\there and a text longer than forty characters", "o": {"b": 2, "a": [1, null, true]},
            "n": 1.50, "quote": "a\"b"})");
    const JsonValue& root = document.root();
    BOOST_TEST(jsonShown(root["s"]) == "\"tab?here and a text longer than forty c…");
    BOOST_TEST(jsonShown(root["o"]) == R"({"b":2,"a":[1,null,true]})");
    BOOST_TEST(jsonShown(root["n"]) == "1.50");
    BOOST_TEST(jsonShown(root["quote"]) == "\"a\"b\"");
}

BOOST_AUTO_TEST_CASE(objects_are_written_member_by_member)
{
    JsonObjectWriter inner;
    inner.boolean("yes", true).null("none").textOrNull("absent", std::nullopt).textOrNull("given", "x");
    JsonObjectWriter outer;
    outer.text("name", "Zo\xC3\xAB \"q\"\n").number("n", -9223372036854775807 - 1).object("inner", inner);
    BOOST_TEST(outer.str() == "{\"name\":\"Zo\xC3\xAB \\\"q\\\"\\n\",\"n\":-9223372036854775808,"
                              "\"inner\":{\"yes\":true,\"none\":null,\"absent\":null,\"given\":\"x\"}}");
    BOOST_TEST(JsonObjectWriter().str() == "{}");
    // What it writes, RapidJSON reads back.
    const JsonDocument back(outer.str());
    BOOST_TEST(jsonText(back.root()["name"]) == "Zo\xC3\xAB \"q\"\n");
}
