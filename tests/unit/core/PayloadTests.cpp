#define BOOST_TEST_MODULE core_payload_tests
#include <boost/test/unit_test.hpp>

#include "core/ImageUrls.h"
#include "core/ReminderPayload.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <string>

using namespace acd;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

const std::string ImageServer = "https://images.example.com/cms/api/abc/imageFileData/search?fileName=";

MediaOptions defaultMedia()
{
    MediaOptions media;
    media.imageServerUrl = ImageServer;
    media.viewports = defaultViewports();
    return media;
}

Object::Ptr parseObject(const std::string& json)
{
    Poco::JSON::Parser parser;
    return parser.parse(json).extract<Object::Ptr>();
}

/// Strict UTF-8 check written apart from the code under test.
bool isValidUtf8(const std::string& s)
{
    for (std::size_t i = 0; i < s.size();)
    {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 99;
        if (n == 99)
            return false;
        std::uint32_t cp = n == 0 ? c : c & (0x3F >> n);
        for (std::size_t k = 1; k <= n; ++k)
        {
            if (i + k >= s.size())
                return false;
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc >> 6) != 0x2)
                return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        const std::uint32_t minimum[] = {0, 0x80, 0x800, 0x10000};
        if (cp < minimum[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

} // namespace

BOOST_AUTO_TEST_SUITE(image_urls)

BOOST_AUTO_TEST_CASE(default_viewports_are_design_s_three)
{
    const auto v = defaultViewports();
    BOOST_TEST_REQUIRE(v.size() == 3u);
    BOOST_TEST(v[0].media == "(max-width:768px)");
    BOOST_TEST(v[0].width == 80);
    BOOST_TEST(v[0].height == 80);
    BOOST_TEST(!v[0].useForDefaultImageTag);
    BOOST_TEST(v[1].media == "(min-width:769px) and (max-width:1599px)");
    BOOST_TEST(v[1].width == 183);
    BOOST_TEST(v[1].height == 183);
    BOOST_TEST(!v[1].useForDefaultImageTag);
    BOOST_TEST(v[2].media == "(min-width:1600px)");
    BOOST_TEST(v[2].width == 315);
    BOOST_TEST(v[2].height == 315);
    BOOST_TEST(v[2].useForDefaultImageTag);
}

BOOST_AUTO_TEST_CASE(relative_path_goes_through_the_image_server)
{
    const auto images = viewportImages("Products/91013_000_001.png", defaultMedia());
    BOOST_TEST_REQUIRE(images.size() == 3u);
    BOOST_TEST(images[0].url == ImageServer + "/Products/91013_000_001.png&w=80&h=80&q=80&m=6&f=jpg");
    BOOST_TEST(images[1].url == ImageServer + "/Products/91013_000_001.png&w=183&h=183&q=80&m=6&f=jpg");
    BOOST_TEST(images[2].url == ImageServer + "/Products/91013_000_001.png&w=315&h=315&q=80&m=6&f=jpg");
    BOOST_TEST(images[0].media == "(max-width:768px)");
    BOOST_TEST(images[2].media == "(min-width:1600px)");
    BOOST_TEST(!images[0].useForDefaultImageTag);
    BOOST_TEST(!images[1].useForDefaultImageTag);
    BOOST_TEST(images[2].useForDefaultImageTag);
}

BOOST_AUTO_TEST_CASE(no_double_slash)
{
    MediaOptions media = defaultMedia();
    media.imageServerUrl = "https://img.example.com/";
    BOOST_TEST(viewportImages("/Products/a.png", media)[0].url ==
               "https://img.example.com/Products/a.png&w=80&h=80&q=80&m=6&f=jpg");
    BOOST_TEST(viewportImages("Products/a.png", media)[0].url ==
               "https://img.example.com/Products/a.png&w=80&h=80&q=80&m=6&f=jpg");
    media.imageServerUrl = "https://img.example.com";
    BOOST_TEST(viewportImages("/Products/a.png", media)[0].url ==
               "https://img.example.com/Products/a.png&w=80&h=80&q=80&m=6&f=jpg");
}

BOOST_AUTO_TEST_CASE(relative_path_is_percent_encoded)
{
    MediaOptions media = defaultMedia();
    media.imageServerUrl = "https://img.example.com";
    BOOST_TEST(viewportImages("Products/My Shoe ë#1?.png", media)[0].url ==
               "https://img.example.com/Products/My%20Shoe%20%C3%AB%231%3F.png&w=80&h=80&q=80&m=6&f=jpg");
}

BOOST_AUTO_TEST_CASE(quality_mode_and_format_come_from_the_options)
{
    MediaOptions media = defaultMedia();
    media.imageServerUrl = "https://img.example.com";
    media.quality = 65;
    media.mode = 3;
    media.format = "png";
    BOOST_TEST(viewportImages("p.png", media)[1].url ==
               "https://img.example.com/p.png&w=183&h=183&q=65&m=3&f=png");
}

BOOST_AUTO_TEST_CASE(absolute_urls_are_used_as_they_are)
{
    for (const std::string url : {"https://cdn.example.com/a b.png?x=1", "http://cdn.example.com/a.png",
                                  "HTTPS://CDN.example.com/a.png", "Http://cdn.example.com/a.png"})
    {
        const auto images = viewportImages(url, defaultMedia());
        BOOST_TEST_REQUIRE(images.size() == 3u);
        for (const auto& image : images)
            BOOST_TEST(image.url == url);
        BOOST_TEST(images[2].useForDefaultImageTag);
    }
    // Only http and https count as absolute.
    MediaOptions media = defaultMedia();
    media.imageServerUrl = "https://img.example.com";
    BOOST_TEST(viewportImages("httpx/a.png", media)[0].url ==
               "https://img.example.com/httpx/a.png&w=80&h=80&q=80&m=6&f=jpg");
    BOOST_TEST(viewportImages("ftp://x/a.png", media)[0].url ==
               "https://img.example.com/ftp%3A//x/a.png&w=80&h=80&q=80&m=6&f=jpg");
}

BOOST_AUTO_TEST_CASE(empty_url_gives_no_images)
{
    BOOST_TEST(viewportImages("", defaultMedia()).empty());
}

BOOST_AUTO_TEST_CASE(no_configured_viewports_means_the_defaults)
{
    MediaOptions media = defaultMedia();
    media.viewports.clear();
    const auto images = viewportImages("p.png", media);
    BOOST_TEST_REQUIRE(images.size() == 3u);
    BOOST_TEST(images[1].media == "(min-width:769px) and (max-width:1599px)");
    BOOST_TEST(images[2].useForDefaultImageTag);
}

BOOST_AUTO_TEST_CASE(none_marked_means_the_widest_is_default)
{
    MediaOptions media = defaultMedia();
    media.viewports = {
        {"a", "m1", 100, 50, false}, {"b", "m2", 400, 10, false}, {"c", "m3", 200, 900, false}};
    const auto images = viewportImages("p.png", media);
    BOOST_TEST_REQUIRE(images.size() == 3u);
    BOOST_TEST(!images[0].useForDefaultImageTag);
    BOOST_TEST(images[1].useForDefaultImageTag);
    BOOST_TEST(!images[2].useForDefaultImageTag);
}

BOOST_AUTO_TEST_CASE(several_marked_means_the_first_marked_wins)
{
    MediaOptions media = defaultMedia();
    media.viewports = {{"a", "m1", 100, 50, false}, {"b", "m2", 200, 10, true}, {"c", "m3", 400, 900, true}};
    const auto images = viewportImages("https://cdn.example.com/p.png", media);
    BOOST_TEST_REQUIRE(images.size() == 3u);
    BOOST_TEST(!images[0].useForDefaultImageTag);
    BOOST_TEST(images[1].useForDefaultImageTag);
    BOOST_TEST(!images[2].useForDefaultImageTag);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(reminder_payload)

struct Fixture
{
    Cart cart;
    Customer customer{"004011", "Ann", "Lee", "ann@example.com", "en-us"};
    std::map<std::int64_t, Product> products;
    Channel channel{5637144592, "USD"};
    MediaOptions media = defaultMedia();
    std::string pattern = "https://shop.example.com/cart?id={cartId}&c={customerId}";

    Fixture()
    {
        cart.id = "cart 1";
        cart.customerId = "004011";
        cart.modifiedDateTime = Timestamp(0);
        cart.lines = {
            {"L1", 68719476778, "0001", "2.000", "12.50"}, // own price wins
            {"L2", 68719476779, "0002", "1", ""},          // falls back to the product price
            {"L3", 99, "0003", "1", "5"},                  // unknown product: left out
        };
        products[68719476778] =
            Product{68719476778, "Belt", "0001", "15.00", {{"Products/belt.png", "A brown belt"}}};
        products[68719476779] = Product{68719476779, "Hat", "0002", "19.990", {}};
    }

    ReminderInput input() const { return ReminderInput{cart, customer, products, channel, media, pattern}; }
};

BOOST_FIXTURE_TEST_CASE(fields_and_order_details, Fixture)
{
    const std::string json = buildReminderData(input());
    const auto data = parseObject(json);
    BOOST_TEST(data->getValue<std::string>("firstName") == "Ann");
    BOOST_TEST(data->getValue<std::string>("lastName") == "Lee");
    BOOST_TEST(data->getValue<std::string>("language") == "en-us");
    BOOST_TEST(data->getValue<std::string>("currency") == "USD");
    BOOST_TEST(data->getValue<std::string>("returnToCartUrl") ==
               "https://shop.example.com/cart?id=cart%201&c=004011");

    const auto details = data->getArray("orderDetails");
    BOOST_TEST_REQUIRE(details->size() == 2u);
    const auto belt = details->getObject(0);
    BOOST_TEST(belt->getValue<std::string>("productId") == "68719476778");
    BOOST_TEST(belt->getValue<std::string>("productName") == "Belt");
    BOOST_TEST(belt->getValue<std::string>("quantity") == "2");
    BOOST_TEST(belt->getValue<std::string>("unitPrice") == "12.5");
    const auto image = belt->getObject("productImage");
    BOOST_TEST(image->getValue<std::string>("altText") == "A brown belt");
    const auto viewports = image->getArray("viewPortImages");
    BOOST_TEST_REQUIRE(viewports->size() == 3u);
    BOOST_TEST(viewports->getObject(2)->getValue<std::string>("url") ==
               ImageServer + "/Products/belt.png&w=315&h=315&q=80&m=6&f=jpg");
    BOOST_TEST(viewports->getObject(2)->getValue<std::string>("media") == "(min-width:1600px)");
    BOOST_TEST(viewports->getObject(2)->getValue<bool>("useForDefaultImageTag"));
    BOOST_TEST(!viewports->getObject(0)->getValue<bool>("useForDefaultImageTag"));

    const auto hat = details->getObject(1);
    BOOST_TEST(hat->getValue<std::string>("productId") == "68719476779");
    BOOST_TEST(hat->getValue<std::string>("unitPrice") == "19.99");
    BOOST_TEST(hat->getValue<std::string>("quantity") == "1");
    // No image: the alt text still names the product and there are no viewport images.
    BOOST_TEST(hat->getObject("productImage")->getValue<std::string>("altText") == "Hat");
    BOOST_TEST(hat->getObject("productImage")->getArray("viewPortImages")->size() == 0u);

    BOOST_TEST(countIncludedLines(cart, products) == 2u);
}

BOOST_FIXTURE_TEST_CASE(keys_keep_the_documented_order, Fixture)
{
    const std::string json = buildReminderData(input());
    BOOST_TEST(json.rfind(R"({"firstName":"Ann","lastName":"Lee","language":"en-us","currency":"USD",)", 0) ==
               0u);
    BOOST_TEST(
        json.find(R"({"productId":"68719476778","productName":"Belt","quantity":"2","unitPrice":"12.5",)") !=
        std::string::npos);
    // The same input gives the same bytes (the outbox row is written once, resent as is).
    BOOST_TEST(buildReminderData(input()) == json);
}

BOOST_FIXTURE_TEST_CASE(alt_text_falls_back_to_the_product_name, Fixture)
{
    products[68719476778].images = {{"", "ignored: no url"}, {"https://cdn.example.com/belt.jpg", ""}};
    const auto image = parseObject(buildReminderData(input()))
                           ->getArray("orderDetails")
                           ->getObject(0)
                           ->getObject("productImage");
    BOOST_TEST(image->getValue<std::string>("altText") == "Belt");
    const auto viewports = image->getArray("viewPortImages");
    BOOST_TEST_REQUIRE(viewports->size() == 3u);
    BOOST_TEST(viewports->getObject(0)->getValue<std::string>("url") == "https://cdn.example.com/belt.jpg");
}

BOOST_FIXTURE_TEST_CASE(missing_prices_and_quantities, Fixture)
{
    cart.lines = {{"L1", 68719476779, "0002", "", ""}};
    products[68719476779].price = "";
    const auto line = parseObject(buildReminderData(input()))->getArray("orderDetails")->getObject(0);
    BOOST_TEST(line->getValue<std::string>("quantity") == "0");
    BOOST_TEST(line->getValue<std::string>("unitPrice") == "");
}

BOOST_FIXTURE_TEST_CASE(no_known_product_means_no_lines, Fixture)
{
    products.clear();
    BOOST_TEST(countIncludedLines(cart, products) == 0u);
    BOOST_TEST(parseObject(buildReminderData(input()))->getArray("orderDetails")->size() == 0u);
}

BOOST_FIXTURE_TEST_CASE(megabyte_texts_are_cut_and_long_image_urls_left_out, Fixture)
{
    // What one hostile Products/Search reply once held: a 16 MB name made every reminder with
    // that product fail as "payload larger than 1 MB".
    std::string huge;
    while (huge.size() < 16 * 1024 * 1024)
        huge += "Zoë ";
    products[68719476778].name = huge;
    products[68719476778].images = {{"https://cdn.example.com/" + std::string(5000, 'a') + ".png", huge},
                                    {"Products/belt.png", ""}};
    customer.firstName = huge;
    customer.lastName = "李" + huge;
    customer.language = huge;
    channel.currency = huge;
    const std::string json = buildReminderData(input());
    BOOST_TEST(json.size() < 8000u);
    BOOST_TEST(isValidUtf8(json));
    const auto data = parseObject(json);
    const auto endsCut = [](const std::string& text, std::size_t limit) {
        return text.size() <= limit && text.size() + 4 > limit && text.ends_with("\xE2\x80\xA6");
    };
    BOOST_TEST(endsCut(data->getValue<std::string>("firstName"), ReminderTextLimits::Name));
    BOOST_TEST(data->getValue<std::string>("firstName").starts_with("Zoë Zoë "));
    BOOST_TEST(endsCut(data->getValue<std::string>("lastName"), ReminderTextLimits::Name));
    BOOST_TEST(endsCut(data->getValue<std::string>("language"), ReminderTextLimits::Language));
    BOOST_TEST(endsCut(data->getValue<std::string>("currency"), ReminderTextLimits::Currency));
    const auto belt = data->getArray("orderDetails")->getObject(0);
    BOOST_TEST(endsCut(belt->getValue<std::string>("productName"), ReminderTextLimits::ProductName));
    // The over-long URL points nowhere once cut: the product's next image stands in for it.
    const auto image = belt->getObject("productImage");
    BOOST_TEST(image->getValue<std::string>("altText") == belt->getValue<std::string>("productName"));
    BOOST_TEST(image->getArray("viewPortImages")->getObject(2)->getValue<std::string>("url") ==
               ImageServer + "/Products/belt.png&w=315&h=315&q=80&m=6&f=jpg");
    // Texts within the limits are untouched.
    BOOST_TEST(data->getArray("orderDetails")->getObject(1)->getValue<std::string>("productName") == "Hat");
}

BOOST_FIXTURE_TEST_CASE(hostile_and_non_ascii_text_round_trips, Fixture)
{
    const std::string hostile[] = {
        "<script>alert(\"x\")</script>",
        "O'Brien \"the \\\\ boss\"",
        "Zoë",
        "李小龙",
        std::string("tab\there\nnew\rline\b\f\x01\x1f\x7f end"),
        std::string("nul\0byte", 8),
        "\xE2\x80\xA8 line separator \xF0\x9F\x9B\x92",
        "\"}],\"injected\":{\"",
    };
    for (const std::string& text : hostile)
    {
        customer.firstName = text;
        customer.lastName = text + "!";
        products[68719476778].name = text;
        products[68719476778].images = {{"Products/x.png", ""}};
        channel.currency = text;
        const std::string json = buildReminderData(input());
        BOOST_TEST(isValidUtf8(json));
        for (const char c : json)
            BOOST_TEST_REQUIRE(static_cast<unsigned char>(c) >= 0x20, "raw control character in " << json);
        const auto data = parseObject(json);
        BOOST_TEST(data->getValue<std::string>("firstName") == text);
        BOOST_TEST(data->getValue<std::string>("lastName") == text + "!");
        BOOST_TEST(data->getValue<std::string>("currency") == text);
        BOOST_TEST(data->size() == 6u); // nothing injected at the top level
        const auto line = data->getArray("orderDetails")->getObject(0);
        BOOST_TEST(line->getValue<std::string>("productName") == text);
        BOOST_TEST(line->getObject("productImage")->getValue<std::string>("altText") == text);
    }
}

BOOST_FIXTURE_TEST_CASE(ill_formed_utf8_still_gives_valid_json, Fixture)
{
    customer.firstName = "Zo\xEB";     // Latin-1 'ë' that slipped through
    customer.lastName = "Lee\xE6\x9D"; // truncated character
    const std::string json = buildReminderData(input());
    BOOST_TEST(isValidUtf8(json));
    const auto data = parseObject(json);
    BOOST_TEST(data->getValue<std::string>("firstName") == "Zo\xEF\xBF\xBD");
    BOOST_TEST(data->getValue<std::string>("lastName") == "Lee\xEF\xBF\xBD");
}

BOOST_AUTO_TEST_SUITE_END()
