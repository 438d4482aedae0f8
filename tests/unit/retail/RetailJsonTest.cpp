#define BOOST_TEST_MODULE RetailJson
#include <boost/test/unit_test.hpp>

#include "retail/RetailJson.h"

#include <limits>
#include <memory>

namespace acd {
// Lets BOOST_TEST print timestamps it compares.
inline std::ostream& boost_test_print_type(std::ostream& out, const Timestamp& timestamp)
{
    return out << timestamp.toIso();
}
} // namespace acd

using namespace acd;

namespace {

Cart cartFrom(const std::string& json, std::vector<std::string>& notes)
{
    return parseCart(*parseReplyObject(json), notes);
}

Cart cartFrom(const std::string& json)
{
    std::vector<std::string> notes;
    Cart cart = cartFrom(json, notes);
    BOOST_TEST(notes.empty());
    return cart;
}

std::string jsonErrorOf(const std::function<void()>& f)
{
    try
    {
        f();
    }
    catch (const RetailJsonError& e)
    {
        return e.what();
    }
    return "";
}

Timestamp at(const char* iso)
{
    return Timestamp::parse(iso).value();
}

} // namespace

BOOST_AUTO_TEST_CASE(full_cart_with_seven_digit_fraction_and_offset)
{
    const Cart cart = cartFrom(R"({
        "@odata.context": "https://example/Commerce/$metadata#Carts/$entity",
        "@odata.etag": "W/\"abc\"",
        "Id": "cart-1", "CustomerId": "004011", "ModifiedDateTime": "2026-11-25T14:03:11.1234567+00:00",
        "CartTypeValue": 1, "ChannelId": 5637144592, "TotalAmount": 120.50,
        "SomethingNew": {"nested": [1, 2, 3]},
        "CartLines": [
            {"LineId": "l1", "ProductId": 68719476736, "ItemId": "0001", "Quantity": 2, "Price": "60.250",
             "Price@odata.type": "#Decimal", "ExtensionProperties": []},
            {"LineId": "l2", "ProductId": "68719476737", "ItemId": null, "Quantity": "1.0", "Price": null}
        ]})");
    BOOST_TEST(cart.id == "cart-1");
    BOOST_TEST(cart.customerId == "004011");
    BOOST_REQUIRE(cart.modifiedDateTime.has_value());
    BOOST_TEST(cart.modifiedDateTime->toIso() == "2026-11-25T14:03:11.1234567Z");
    BOOST_TEST(cart.cartTypeValue == 1);
    BOOST_TEST(cart.channelId == 5637144592);
    BOOST_TEST(cart.totalAmount == "120.5");
    BOOST_REQUIRE(cart.lines.size() == 2u);
    BOOST_TEST(cart.lines[0].lineId == "l1");
    BOOST_TEST(cart.lines[0].productId == 68719476736);
    BOOST_TEST(cart.lines[0].itemId == "0001");
    BOOST_TEST(cart.lines[0].quantity == "2");
    BOOST_TEST(cart.lines[0].price == "60.25");
    BOOST_TEST(cart.lines[1].productId == 68719476737);
    BOOST_TEST(cart.lines[1].itemId == "");
    BOOST_TEST(cart.lines[1].quantity == "1");
    BOOST_TEST(cart.lines[1].price == "");
}

BOOST_AUTO_TEST_CASE(timestamp_forms_name_the_same_instant)
{
    const auto modified = [](const std::string& text) {
        return cartFrom(R"({"Id":"c","ModifiedDateTime":")" + text + "\"}").modifiedDateTime.value();
    };
    BOOST_TEST(modified("2026-11-25T14:03:11.123Z") == at("2026-11-25T14:03:11.1230000Z"));
    BOOST_TEST(modified("2026-11-25T09:03:11.123-05:00") == modified("2026-11-25T14:03:11.123Z"));
    BOOST_TEST(modified("2026-11-25T14:03:11Z").toIso() == "2026-11-25T14:03:11.0000000Z");
    BOOST_TEST(modified("2026-11-25T15:03:11.1234567+01:00").toIso() == "2026-11-25T14:03:11.1234567Z");
}

BOOST_AUTO_TEST_CASE(unreadable_modified_date_leaves_the_cart_untimed_with_a_note)
{
    std::vector<std::string> notes;
    const Cart bad = cartFrom(R"({"Id":"c-7","ModifiedDateTime":"25/11/2026 14:03","CartLines":[]})", notes);
    BOOST_TEST(!bad.modifiedDateTime.has_value());
    BOOST_REQUIRE(notes.size() == 1u);
    BOOST_TEST(notes[0].find("c-7") != std::string::npos, notes[0]);
    BOOST_TEST(notes[0].find("25/11/2026 14:03") != std::string::npos, notes[0]);

    cartFrom(R"({"Id":"c-8","ModifiedDateTime":12345})", notes);
    BOOST_TEST(notes.size() == 2u);

    const Cart absent = cartFrom(R"({"Id":"c-9","ModifiedDateTime":null})");
    BOOST_TEST(!absent.modifiedDateTime.has_value());
}

BOOST_AUTO_TEST_CASE(nulls_and_absent_optionals_take_defaults)
{
    const Cart cart = cartFrom(
        R"({"Id":"anon","CustomerId":null,"CartTypeValue":null,"ChannelId":null,"TotalAmount":null,"CartLines":null})");
    BOOST_TEST(cart.customerId == "");
    BOOST_TEST(cart.cartTypeValue == 0);
    BOOST_TEST(cart.channelId == 0);
    BOOST_TEST(cart.totalAmount == "");
    BOOST_TEST(cart.lines.empty());
    BOOST_TEST(!cart.modifiedDateTime.has_value());

    const Cart bare = cartFrom(R"({"Id":"bare","CartLines":[{}]})");
    BOOST_REQUIRE(bare.lines.size() == 1u);
    BOOST_TEST(bare.lines[0].quantity == "0");
    BOOST_TEST(bare.lines[0].productId == 0);
}

BOOST_AUTO_TEST_CASE(decimals_as_numbers_and_strings)
{
    const auto total = [](const std::string& json) {
        return cartFrom(R"({"Id":"c","TotalAmount":)" + json + "}").totalAmount;
    };
    BOOST_TEST(total("19.99") == "19.99");
    BOOST_TEST(total("\"19.990\"") == "19.99");
    BOOST_TEST(total("3") == "3");
    BOOST_TEST(total("\"12345678901234567890.123456789\"") == "12345678901234567890.123456789");
    BOOST_TEST(total("-0.5") == "-0.5");
    BOOST_TEST(total("1.5E2") == "150");
    BOOST_TEST(total("\"0\"") == "0");
}

BOOST_AUTO_TEST_CASE(ids_keep_their_precision)
{
    std::vector<std::string> notes;
    BOOST_TEST(parseChannel(*parseReplyObject(R"({"RecordId":5637144592,"Currency":"USD"})")).recordId ==
               5637144592);
    BOOST_TEST(parseChannel(*parseReplyObject(R"({"RecordId":"5637144592"})")).recordId == 5637144592);
    BOOST_TEST(parseProduct(*parseReplyObject(R"({"RecordId":9007199254740993})")).recordId ==
               9007199254740993);
    BOOST_TEST(parseProduct(*parseReplyObject(R"({"RecordId":"9223372036854775807"})")).recordId ==
               9223372036854775807);
    BOOST_TEST(parseProduct(*parseReplyObject(R"({"RecordId":68719476736.0})")).recordId == 68719476736);
}

BOOST_AUTO_TEST_CASE(hostile_and_non_ascii_text_passes_through_intact)
{
    const Customer customer = parseCustomer(*parseReplyObject(
        R"({"AccountNumber":"C'0\"01","FirstName":"Zoë <script>alert(1)</script>","LastName":"Ñoño-王 😀 \u202Eevil",
            "Email":"zoë+tag@exämple.com","Language":"fr-FR","Phone":"+33 1 23","@odata.type":"#Customer"})"));
    BOOST_TEST(customer.accountNumber == "C'0\"01");
    BOOST_TEST(customer.firstName == "Zoë <script>alert(1)</script>");
    BOOST_TEST(customer.lastName == "Ñoño-王 😀 \u202Eevil");
    BOOST_TEST(customer.email == "zoë+tag@exämple.com");
    BOOST_TEST(customer.language == "fr-FR");

    const Customer sparse = parseCustomer(*parseReplyObject(R"({"AccountNumber":"2","Email":null})"));
    BOOST_TEST(sparse.email == "");
    BOOST_TEST(sparse.firstName == "");
}

BOOST_AUTO_TEST_CASE(product_images_tolerate_nulls)
{
    const Product product = parseProduct(*parseReplyObject(R"({
        "RecordId": 68719476736, "ProductName": "Chaise « longue »", "ItemId": "0042", "Price": "199.000",
        "Image": {"Items": [{"Url": "Products/0042_000_001.png", "AltText": null, "IsDefault": true},
                             {"Url": null}, {"Url": "https://cdn.example/x.jpg", "AltText": "Side"}]}})"));
    BOOST_TEST(product.recordId == 68719476736);
    BOOST_TEST(product.name == "Chaise « longue »");
    BOOST_TEST(product.itemId == "0042");
    BOOST_TEST(product.price == "199");
    BOOST_REQUIRE(product.images.size() == 2u);
    BOOST_TEST(product.images[0].url == "Products/0042_000_001.png");
    BOOST_TEST(product.images[0].altText == "");
    BOOST_TEST(product.images[1].url == "https://cdn.example/x.jpg");
    BOOST_TEST(product.images[1].altText == "Side");

    BOOST_TEST(parseProduct(*parseReplyObject(R"({"RecordId":1,"Image":null})")).images.empty());
    BOOST_TEST(parseProduct(*parseReplyObject(R"({"RecordId":1,"Image":{"Items":null}})")).images.empty());
    BOOST_TEST(parseProduct(*parseReplyObject(R"({"RecordId":1})")).price == "");
}

BOOST_AUTO_TEST_CASE(wrong_shapes_name_the_field)
{
    std::vector<std::string> notes;
    BOOST_TEST(jsonErrorOf([] { parseReplyObject("not json"); }).find("not JSON") != std::string::npos);
    BOOST_TEST(jsonErrorOf([] { parseReplyObject("[1,2]"); }) == "the reply is not a JSON object");
    BOOST_TEST(jsonErrorOf([] { parseReplyObject(""); }) == "the reply is empty");
    BOOST_TEST(jsonErrorOf([] { replyValues(*parseReplyObject(R"({"values":[]})")); }) ==
               "the reply has no \"value\" array");
    BOOST_TEST(jsonErrorOf([] { replyValues(*parseReplyObject(R"({"value":{}})")); }) ==
               "the reply has no \"value\" array");
    BOOST_TEST(jsonErrorOf([] { replyValues(*parseReplyObject(R"({"value":[{}, 3]})")); }) ==
               "value[1] is not an object");
    BOOST_TEST(jsonErrorOf([&] {
                   parseCart(*parseReplyObject(R"({"CustomerId":"1"})"), notes, "value[0]");
               }) == "value[0].Id is missing");
    BOOST_TEST(jsonErrorOf([&] {
                   parseCart(*parseReplyObject(R"({"Id":"c","CartLines":[{"Quantity":"abc"}]})"), notes,
                             "value[2]");
               }) == "value[2].CartLines[0].Quantity is not a decimal: \"abc\"");
    BOOST_TEST(jsonErrorOf([&] { parseCart(*parseReplyObject(R"({"Id":"c","CartLines":{}})"), notes); }) ==
               "CartLines is not an array");
    BOOST_TEST(jsonErrorOf([] { parseProduct(*parseReplyObject(R"({"RecordId":"12x"})")); }) ==
               "RecordId is not an integer: \"12x\"");
    BOOST_TEST(jsonErrorOf([] {
                   parseProduct(*parseReplyObject(R"({"RecordId":true})"));
               }).find("not an integer") != std::string::npos);
    BOOST_TEST(jsonErrorOf([] { parseCustomer(*parseReplyObject(R"({"AccountNumber":42})")); }) ==
               "AccountNumber is not a string");
    BOOST_TEST(jsonErrorOf([] { parseChannel(*parseReplyObject(R"({"Currency":"EUR"})")); }) ==
               "RecordId is missing");
}

BOOST_AUTO_TEST_CASE(a_repeated_member_name_takes_the_last_value)
{
    const Cart cart = cartFrom(R"({"Id":"first","TotalAmount":"1","Id":"second","TotalAmount":null})");
    BOOST_TEST(cart.id == "second");
    BOOST_TEST(cart.totalAmount == "");
}

BOOST_AUTO_TEST_CASE(integers_beyond_int64_are_refused)
{
    BOOST_TEST(parseProduct(*parseReplyObject(R"({"RecordId":9223372036854775807})")).recordId ==
               9223372036854775807);
    BOOST_TEST(parseProduct(*parseReplyObject(R"({"RecordId":-9223372036854775808})")).recordId ==
               std::numeric_limits<std::int64_t>::min());
    BOOST_TEST(jsonErrorOf([] { parseProduct(*parseReplyObject(R"({"RecordId":9223372036854775808})")); }) ==
               "RecordId is not an integer: 9223372036854775808");
    // Read on its digits, a whole number written with a fraction keeps every digit, even past
    // 2^53 where a double would have lost some.
    BOOST_TEST(parseProduct(*parseReplyObject(R"({"RecordId":9007199254740993.0})")).recordId ==
               9007199254740993);
    BOOST_TEST(jsonErrorOf([] {
                   parseProduct(*parseReplyObject(R"({"RecordId":9223372036854775808.0})"));
               }) == "RecordId is not an integer: 9223372036854775808.0");
    BOOST_TEST(jsonErrorOf([] { parseProduct(*parseReplyObject(R"({"RecordId":1.5})")); }) ==
               "RecordId is not an integer: 1.5");
    // A whole number too large for an integer is still a decimal.
    BOOST_TEST(cartFrom(R"({"Id":"c","TotalAmount":18446744073709551615})").totalAmount ==
               "18446744073709551615");
}

BOOST_AUTO_TEST_CASE(errors_show_objects_arrays_and_control_characters_shortened)
{
    std::vector<std::string> notes;
    BOOST_TEST(jsonErrorOf([&] { cartFrom(R"({"Id":"c","TotalAmount":{"b":2,"a":1}})", notes); }) ==
               "TotalAmount is not a decimal: {\"b\":2,\"a\":1}");
    BOOST_TEST(jsonErrorOf([&] { cartFrom(R"({"Id":"c","ChannelId":[1,null,true]})", notes); }) ==
               "ChannelId is not an integer: [1,null,true]");
    BOOST_TEST(jsonErrorOf([&] {
                   cartFrom(R"({"Id":"c","ChannelId":"tab\there and a text longer than forty characters"})",
                            notes);
               }) == "ChannelId is not an integer: \"tab?here and a text longer than forty c…");
    cartFrom(R"({"Id":"c-1","ModifiedDateTime":{"x":1}})", notes);
    BOOST_REQUIRE(notes.size() == 1u);
    BOOST_TEST(notes[0] == "cart c-1: ModifiedDateTime {\"x\":1} is not an ISO 8601 DateTimeOffset; the cart "
                           "is treated as untimed");
}

BOOST_AUTO_TEST_CASE(nested_shapes_name_the_element)
{
    std::vector<std::string> notes;
    // Every line is checked to be an object before any line is read.
    BOOST_TEST(jsonErrorOf([&] {
                   parseCart(*parseReplyObject(R"({"Id":"c","CartLines":[{"Quantity":"abc"},5]})"), notes,
                             "value[2]");
               }) == "value[2].CartLines[1] is not an object");
    BOOST_TEST(jsonErrorOf([] {
                   parseProduct(*parseReplyObject(R"({"RecordId":1,"Image":{"Items":[{"Url":"u"},1]}})"),
                                "value[4]");
               }) == "value[4].Image.Items[1] is not an object");
    BOOST_TEST(jsonErrorOf([] {
                   parseProduct(
                       *parseReplyObject(R"({"RecordId":1,"Image":{"Items":[{"Url":""},{"Url":7}]}})"),
                       "value[4]");
               }) == "value[4].Image.Items[1].Url is not a string");
    BOOST_TEST(jsonErrorOf([] { parseProduct(*parseReplyObject(R"({"RecordId":1,"Image":[]})")); }) ==
               "Image is not an object");
    BOOST_TEST(jsonErrorOf([] { parseReplyObject("42"); }) == "the reply is not a JSON object");
    BOOST_TEST(jsonErrorOf([] { parseReplyObject(R"({"value":[]} {})"); }).find("not JSON") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(values_stay_readable_while_the_reply_is_held)
{
    std::shared_ptr<const JsonValue> reply;
    {
        const std::string body =
            R"({"@odata.context":"x","value":[{"Id":"a","CartLines":[{"ItemId":"i-1"}]},)"
            R"({"Id":"b","Comment":null,"ExtensionProperties":[]}]})";
        reply = parseReplyObject(body);
    }
    const auto values = replyValues(*reply);
    BOOST_REQUIRE(values.size() == 2u);
    std::vector<std::string> notes;
    const Cart first = parseCart(*values[0], notes, "value[0]");
    BOOST_TEST(first.id == "a");
    BOOST_REQUIRE(first.lines.size() == 1u);
    BOOST_TEST(first.lines[0].itemId == "i-1");
    BOOST_TEST(parseCart(*values[1], notes, "value[1]").id == "b");
    BOOST_TEST(notes.empty());
}

BOOST_AUTO_TEST_CASE(prices_written_as_numbers_keep_every_digit)
{
    const auto total = [](const std::string& json) {
        return cartFrom(R"({"Id":"c","TotalAmount":)" + json + "}").totalAmount;
    };
    // A double holds about 17 significant digits: these would come back rounded through one.
    BOOST_TEST(total("12345678901234567890.123456789") == "12345678901234567890.123456789");
    BOOST_TEST(total("0.1000000000000000055511151231257827") == "0.1000000000000000055511151231257827");
    BOOST_TEST(total("19.990") == "19.99");
}

BOOST_AUTO_TEST_CASE(hostile_replies_are_refused_with_a_reason)
{
    // Nested a million deep: parsed without recursion, so the stack cannot overflow.
    const std::string deep = "{\"value\":" + std::string(1'000'000, '[') + std::string(1'000'000, ']') + "}";
    const std::string error = jsonErrorOf([&] { replyValues(*parseReplyObject(deep)); });
    BOOST_TEST(error == "value[0] is not an object");
    const std::string unclosed = "{\"value\":" + std::string(1'000'000, '[');
    BOOST_TEST(jsonErrorOf([&] { parseReplyObject(unclosed); }).starts_with("the reply is not JSON ("));
    // Invalid UTF-8 in a string, a NUL byte, HTML with 200, a truncated reply.
    BOOST_TEST(jsonErrorOf([] { parseReplyObject("{\"value\":[{\"Id\":\"\xC3\x28\"}]}"); }) ==
               "the reply is not JSON (Invalid encoding in string. at offset 17)");
    BOOST_TEST(jsonErrorOf([] { parseReplyObject(std::string("{\"value\":[]}\0{}", 15)); }) ==
               "the reply is not JSON (a NUL byte at offset 12)");
    BOOST_TEST(jsonErrorOf([] {
                   parseReplyObject("<html><body>Service Unavailable</body></html>");
               }).starts_with("the reply is not JSON (Invalid value. at offset 0"));
    BOOST_TEST(jsonErrorOf([] {
                   parseReplyObject(R"({"value":[{"Id":"a"},{"Id":"b)");
               }).starts_with("the reply is not JSON (Missing a closing quotation mark in string."));
}
