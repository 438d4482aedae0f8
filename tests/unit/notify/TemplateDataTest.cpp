#define BOOST_TEST_MODULE TemplateData
#include <boost/test/unit_test.hpp>

#include "ReminderData.h"

#include "notify/TemplateData.h"

#include <Poco/JSON/Parser.h>

using namespace acd;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

/// The template data of `dataJson`, as its JSON text; "(none)" when there is none.
std::string templateJson(const std::string& dataJson)
{
    const JsonDocument document(dataJson);
    const std::optional<TemplateData> data = templateData(document.root());
    return data ? data->json() : "(none)";
}

Object::Ptr parse(const std::string& json)
{
    return Poco::JSON::Parser().parse(json).extract<Object::Ptr>();
}

std::vector<std::string> names(const TemplateData& data)
{
    std::vector<std::string> out;
    for (const auto& member : data.members)
        out.push_back(member.first);
    return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(the_data_comes_whole_with_the_prices_a_reader_sees)
{
    const std::string data =
        test::reminderData("Zoë", "O'Hara", "fr-fr", "EUR",
                           {{"Linen Shirt", "2", "49.95", "https://img.example.com/a.png?x=1", ""},
                            {"Mug", "1", "1250", "", ""}});
    const JsonDocument document(data);
    const std::optional<TemplateData> vars = templateData(document.root());
    BOOST_TEST_REQUIRE(vars.has_value());
    BOOST_TEST(names(*vars) == (std::vector<std::string>{"firstName", "lastName", "language", "currency",
                                                         "returnToCartUrl", "orderDetails", "totalText"}),
               boost::test_tools::per_element());
    BOOST_TEST(vars->members[0].second == "\"Zoë\"");

    const Object::Ptr object = parse(vars->json());
    const Object::Ptr given = parse(data);
    for (const char* name : {"firstName", "lastName", "language", "currency", "returnToCartUrl"})
        BOOST_TEST(object->getValue<std::string>(name) == given->getValue<std::string>(name), name);
    BOOST_TEST(object->getValue<std::string>("totalText") == "€1,349.90");
    const Array::Ptr lines = object->getArray("orderDetails");
    BOOST_TEST_REQUIRE(lines->size() == 2u);
    const Object::Ptr shirt = lines->getObject(0);
    BOOST_TEST(shirt->getValue<std::string>("productName") == "Linen Shirt");
    BOOST_TEST(shirt->getValue<std::string>("unitPrice") == "49.95");
    BOOST_TEST(shirt->getValue<std::string>("unitPriceText") == "€49.95");
    BOOST_TEST(shirt->getValue<std::string>("lineTotalText") == "€99.90");
    BOOST_TEST(shirt->getObject("productImage")->getArray("viewPortImages")->size() == 3u);
    BOOST_TEST(lines->getObject(1)->getValue<std::string>("unitPriceText") == "€1,250.00");
    BOOST_TEST(lines->getObject(1)->getValue<std::string>("lineTotalText") == "€1,250.00");
}

BOOST_AUTO_TEST_CASE(numbers_keep_their_exact_text_and_lines_that_are_no_objects_stay_as_they_are)
{
    BOOST_TEST(templateJson(R"({"n":19.990,"big":12345678901234567890,"ok":true,"none":null,)"
                            R"("orderDetails":[7,{"quantity":1,"unitPrice":2.50}]})") ==
               R"({"n":19.990,"big":12345678901234567890,"ok":true,"none":null,"orderDetails":[7,)"
               R"({"quantity":1,"unitPrice":2.50,"unitPriceText":"2.50","lineTotalText":"2.50"}],)"
               R"("totalText":"2.50"})");
    BOOST_TEST(templateJson("{}") == "{}");
}

BOOST_AUTO_TEST_CASE(no_total_unless_every_line_has_its_figures)
{
    BOOST_TEST(
        templateJson(R"({"currency":"USD","orderDetails":[{"quantity":"2","unitPrice":"10.5"},)"
                     R"({"quantity":"1"}]})") ==
        R"({"currency":"USD","orderDetails":[{"quantity":"2","unitPrice":"10.5","unitPriceText":"$10.50",)"
        R"("lineTotalText":"$21.00"},{"quantity":"1","unitPriceText":"","lineTotalText":""}]})");
    BOOST_TEST(templateJson(R"({"currency":"USD","orderDetails":[]})") ==
               R"({"currency":"USD","orderDetails":[]})");
}

BOOST_AUTO_TEST_CASE(members_of_the_same_names_give_way_to_the_prices_made_here)
{
    BOOST_TEST(
        templateJson(R"({"totalText":"free!","currency":"USD","orderDetails":[)"
                     R"({"lineTotalText":"0","quantity":"1","unitPrice":"3","unitPriceText":"x"}]})") ==
        R"({"currency":"USD","orderDetails":[{"quantity":"1","unitPrice":"3","unitPriceText":"$3.00",)"
        R"("lineTotalText":"$3.00"}],"totalText":"$3.00"})");
    // When orderDetails repeats, the last one counts, for the figures as for the template.
    BOOST_TEST(templateJson(R"({"orderDetails":[{"quantity":"1","unitPrice":"3"},{}],)"
                            R"("orderDetails":[{"quantity":"2","unitPrice":"4"}]})") ==
               R"({"orderDetails":[{"quantity":"1","unitPrice":"3"},{}],"orderDetails":[{"quantity":"2",)"
               R"("unitPrice":"4","unitPriceText":"4.00","lineTotalText":"8.00"}],"totalText":"8.00"})");
}

BOOST_AUTO_TEST_CASE(data_nested_deeper_than_the_builder_writes_is_none)
{
    // A member's value is at depth 1: 16 levels of arrays are the most that is written.
    const auto nested = [](int levels) {
        return R"({"a":)" + std::string(static_cast<std::size_t>(levels), '[') +
               std::string(static_cast<std::size_t>(levels), ']') + "}";
    };
    BOOST_TEST(templateJson(nested(TemplateData::MaxDepth)) == nested(TemplateData::MaxDepth));
    BOOST_TEST(templateJson(nested(TemplateData::MaxDepth + 1)) == "(none)");
    BOOST_TEST(templateJson(R"({"orderDetails":[{"productImage":{"viewPortImages":[)" + std::string(14, '[') +
                            std::string(14, ']') + "]}}]}") == "(none)");
    BOOST_TEST(templateJson("[1]") == "(none)");
}
