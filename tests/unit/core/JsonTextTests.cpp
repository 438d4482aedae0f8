#define BOOST_TEST_MODULE core_json_text_tests
#include <boost/test/unit_test.hpp>

#include "core/Decimal.h"
#include "core/ImageUrls.h"
#include "core/JsonText.h"
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

BOOST_AUTO_TEST_CASE(array_reader_reads_what_the_writer_wrote)
{
    std::mt19937 random(3);
    for (int round = 0; round < 500; ++round)
    {
        const std::string a = randomText(random, random() % 20);
        const std::string b = toValidUtf8(randomText(random, random() % 20));
        const std::int64_t n = static_cast<std::int64_t>(random()) - 1'000'000'000LL * (round % 3);
        std::string text = "[";
        appendJsonString(text, a);
        text += "," + std::to_string(n) + ",[";
        appendJsonString(text, b);
        text += "],[]]";
        JsonArrayReader reader(text);
        reader.begin();
        BOOST_TEST_REQUIRE(reader.more());
        BOOST_TEST(reader.string() == a);
        BOOST_TEST_REQUIRE(reader.more());
        BOOST_TEST(reader.integer() == n);
        BOOST_TEST_REQUIRE(reader.more());
        reader.begin();
        BOOST_TEST_REQUIRE(reader.more());
        BOOST_TEST(reader.string() == b);
        BOOST_TEST(!reader.more());
        BOOST_TEST_REQUIRE(reader.more());
        reader.begin();
        BOOST_TEST(!reader.more());
        BOOST_TEST(!reader.more());
        reader.end();
    }
    JsonArrayReader escaped(R"(["\u00e9\ud83d\ude00\/\"\\\b\f\n\r\t"])");
    escaped.begin();
    BOOST_TEST_REQUIRE(escaped.more());
    BOOST_TEST(escaped.string() == "\xC3\xA9\xF0\x9F\x98\x80/\"\\\b\f\n\r\t");
    BOOST_CHECK_THROW(JsonArrayReader("[\"x").string(), std::runtime_error);
}
