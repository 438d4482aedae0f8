#define BOOST_TEST_MODULE RetailClient
#include <boost/test/unit_test.hpp>

#include "FakeHttpServer.h"
#include "net/EntraTokenClient.h"
#include "net/HttpClient.h"
#include "retail/RetailClient.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <atomic>

namespace acd {
// Lets BOOST_TEST print timestamps it compares.
inline std::ostream& boost_test_print_type(std::ostream& out, const Timestamp& timestamp)
{
    return out << timestamp.toIso();
}
} // namespace acd

using namespace acd;
using namespace acd::test;
using namespace std::chrono_literals;

namespace {

const std::string TokenPath = "/tenant-1/oauth2/v2.0/token";

FakeReply json(std::string body, int status = 200)
{
    FakeReply reply;
    reply.status = status;
    reply.body = std::move(body);
    reply.headers = {{"Content-Type", "application/json; odata.metadata=minimal"}};
    return reply;
}

Timestamp at(const char* iso)
{
    return Timestamp::parse(iso).value();
}

/// One fake server plays Entra (tokens tok-1, tok-2, …) and Retail Server (`commerce`).
struct Fixture
{
    Fixture() { reset(options()); }

    RetailClientOptions options()
    {
        RetailClientOptions options;
        options.baseUrl = server.url();
        options.operatingUnitNumber = "128";
        options.pageSize = 50;
        options.sleep = [this](std::chrono::milliseconds delay) { sleeps.push_back(delay); };
        options.note = [this](const std::string& text) { notes.push_back(text); };
        return options;
    }

    void reset(RetailClientOptions options)
    {
        client = std::make_unique<RetailClient>(http, tokens, options);
    }

    std::vector<FakeRequest> commerceRequests() const
    {
        std::vector<FakeRequest> result;
        for (const auto& request : server.requests())
        {
            if (request.path() != TokenPath)
                result.push_back(request);
        }
        return result;
    }

    std::string retailErrorOf(const std::function<void()>& call)
    {
        try
        {
            call();
        }
        catch (const RetailError& e)
        {
            return e.what();
        }
        return "";
    }

    std::function<FakeReply(const FakeRequest&)> commerce = [](const FakeRequest&) {
        return json("{}", 500);
    };
    std::atomic<int> tokensIssued{0};
    FakeHttpServer server{[this](const FakeRequest& request) {
        if (request.path() == TokenPath)
            return json(R"({"token_type":"Bearer","expires_in":3599,"access_token":"tok-)" +
                        std::to_string(++tokensIssued) + "\"}");
        return commerce(request);
    }};
    HttpClient http;
    EntraTokenClient tokens{http,       server.url(), "tenant-1",
                            "client-1", "secret-1",   "https://commerce.dynamics.com/.default"};
    std::vector<std::chrono::milliseconds> sleeps;
    std::vector<std::string> notes;
    std::unique_ptr<RetailClient> client;
};

Poco::JSON::Object::Ptr parseObject(const std::string& text)
{
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(retail_client, Fixture)

BOOST_AUTO_TEST_CASE(every_call_carries_token_oun_accept_and_api_version)
{
    commerce = [](const FakeRequest& r) {
        if (r.path() == "/Commerce/OrgUnits/GetOrgUnitConfiguration()")
            return json(
                R"({"@odata.context":"x","RecordId":5637144592,"Currency":"USD","OrgUnitNumber":"128"})");
        if (r.path().starts_with("/Commerce/Carts("))
            return json(R"({"error":{"code":"NotFound"}})", 404);
        return json(R"({"value":[]})");
    };
    const Channel channel = client->channel();
    BOOST_TEST(channel.recordId == 5637144592);
    BOOST_TEST(channel.currency == "USD");
    BOOST_TEST(client->searchCarts(at("2026-11-25T00:00:00Z"), at("2026-11-25T01:00:00Z"), 0).empty());
    BOOST_TEST(client->customers({"A1"}).empty());
    BOOST_TEST(client->products(5637144592, {1}).empty());
    BOOST_TEST(!client->cart("gone").has_value());

    const auto requests = commerceRequests();
    BOOST_REQUIRE(requests.size() == 5u);
    for (const auto& r : requests)
    {
        BOOST_TEST_CONTEXT(r.method << " " << r.uri)
        {
            BOOST_TEST(r.header("Authorization") == "id_token tok-1");
            BOOST_TEST(r.header("OUN") == "128");
            BOOST_TEST(r.header("Accept") == "application/json");
            BOOST_TEST(r.query("api-version") == "7.3");
            BOOST_TEST(r.header("Content-Type") == (r.method == "POST" ? "application/json" : ""));
        }
    }
    BOOST_TEST(requests[0].method == "GET");
    BOOST_TEST(requests[4].method == "GET");
    BOOST_TEST(tokensIssued == 1);
}

BOOST_AUTO_TEST_CASE(cart_search_pages_with_top_skip_orderby_and_the_exact_body)
{
    commerce = [](const FakeRequest&) {
        return json(R"({"@odata.context":"ctx","value":[
            {"Id":"a","CustomerId":"C1","ModifiedDateTime":"2026-11-25T09:03:11.123-05:00","CartLines":[{"ProductId":1}]},
            {"Id":"b","CustomerId":null,"ModifiedDateTime":"2026-11-25T14:03:11.1234567+00:00","CartLines":[]}]})");
    };
    const auto carts =
        client->searchCarts(at("2026-11-25T06:00:00Z"), at("2026-11-25T15:50:00.5+02:00"), 200);
    BOOST_REQUIRE(carts.size() == 2u);
    BOOST_TEST(carts[0].id == "a");
    BOOST_TEST(carts[0].modifiedDateTime.value() == at("2026-11-25T14:03:11.123Z"));
    BOOST_TEST(carts[1].customerId == "");

    const auto requests = commerceRequests();
    BOOST_REQUIRE(requests.size() == 1u);
    BOOST_TEST(requests[0].method == "POST");
    BOOST_TEST(requests[0].path() == "/Commerce/Carts/Search");
    BOOST_TEST(requests[0].uri.find("?$top=50&$skip=200&$orderby=ModifiedDateTime,Id&api-version=7.3") !=
                   std::string::npos,
               requests[0].uri);
    BOOST_TEST(requests[0].query("$top") == "50");
    BOOST_TEST(requests[0].query("$skip") == "200");
    BOOST_TEST(requests[0].query("$orderby") == "ModifiedDateTime,Id");
    BOOST_TEST(requests[0].body == R"({"cartSearchCriteria":{"CartTypeValue":1,"IncludeAnonymous":false,)"
                                   R"("LastModifiedDateTimeFrom":"2026-11-25T06:00:00.0000000Z",)"
                                   R"("LastModifiedDateTimeTo":"2026-11-25T13:50:00.5000000Z"}})");
}

BOOST_AUTO_TEST_CASE(cart_pages_are_fetched_concurrently_and_returned_in_order)
{
    auto reply = [](const FakeRequest& r) {
        const int skip = std::stoi(r.query("$skip"));
        FakeReply page = json(R"({"value":[{"Id":"c)" + std::to_string(skip) + R"("},{"Id":"c)" +
                              std::to_string(skip + 1) + R"("}]})");
        page.delay = std::chrono::milliseconds(300 - skip * 20);
        return page;
    };
    std::atomic<int> failuresLeft{1};
    commerce = [&](const FakeRequest& r) {
        if (r.query("$skip") == "4" && failuresLeft-- > 0)
            return json("busy", 503);
        return reply(r);
    };
    RetailClientOptions opts = options();
    opts.pageSize = 2;
    reset(opts);

    const auto pages = client->searchCartPages(at("2026-11-25T00:00:00Z"), at("2026-11-25T01:00:00Z"), 0, 4);
    BOOST_REQUIRE(pages.size() == 4u);
    for (int page = 0; page < 4; ++page)
    {
        BOOST_REQUIRE(pages[page].size() == 2u);
        BOOST_TEST(pages[page][0].id == "c" + std::to_string(page * 2));
        BOOST_TEST(pages[page][1].id == "c" + std::to_string(page * 2 + 1));
    }
    const auto requests = commerceRequests();
    BOOST_TEST(requests.size() == 5u); // four pages, one of them twice
    BOOST_TEST(sleeps.size() == 1u);
    BOOST_TEST(server.maxInFlight() > 1);
    for (const auto& r : requests)
        BOOST_TEST(r.query("$top") == "2");
}

BOOST_AUTO_TEST_CASE(whether_the_window_goes_on_is_told_from_the_last_page)
{
    // Four carts in the window: pages of two at $skip 0 and 2 are full, the one at 4 is empty.
    commerce = [](const FakeRequest& r) {
        const int skip = std::stoi(r.query("$skip"));
        return skip < 4 ? json(R"({"value":[{"Id":"a)" + std::to_string(skip) + R"("},{"Id":"b"}]})")
                        : json(R"({"value":[]})");
    };
    RetailClientOptions opts = options();
    opts.pageSize = 2;
    reset(opts);
    std::vector<bool> told;
    const auto tell = [&told](bool full) { told.push_back(full); };
    const auto from = at("2026-11-25T00:00:00Z");
    const auto to = at("2026-11-25T01:00:00Z");

    BOOST_TEST(client->searchCartPages(from, to, 0, 2, tell).size() == 2u);
    BOOST_TEST(client->searchCartPages(from, to, 2, 2, tell).at(0).size() == 2u);
    BOOST_TEST((told == std::vector<bool>{true, false}));

    commerce = [](const FakeRequest&) { return json("not json", 200); };
    BOOST_CHECK_THROW(client->searchCartPages(from, to, 0, 2, tell), std::exception);
    BOOST_TEST(told.size() == 2u); // nothing to tell about a page that could not be read
}

BOOST_AUTO_TEST_CASE(customers_are_asked_for_in_one_batch)
{
    commerce = [](const FakeRequest&) {
        return json(R"({"value":[{"AccountNumber":"Zoë\"'<>","FirstName":"Zoë <b>","LastName":"王 😀",)"
                    R"("Email":"z@example.com","Language":"fr-FR","Unknown":[1]}]})");
    };
    const auto customers = client->customers({"A1", "Zoë\"'<>"});
    BOOST_REQUIRE(customers.size() == 1u);
    BOOST_TEST(customers[0].accountNumber == "Zoë\"'<>");
    BOOST_TEST(customers[0].firstName == "Zoë <b>");
    BOOST_TEST(customers[0].lastName == "王 😀");

    const auto requests = commerceRequests();
    BOOST_REQUIRE(requests.size() == 1u);
    BOOST_TEST(requests[0].path() == "/Commerce/Customers/GetByAccountNumbers");
    BOOST_TEST(requests[0].query("$top") == "2");
    BOOST_TEST(requests[0].body == R"({"accountNumbers":["A1","Zoë\"'<>"],"searchLocationValue":1})");

    BOOST_TEST(client->customers({}).empty());
    BOOST_TEST(commerceRequests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(more_than_a_thousand_customers_are_split)
{
    commerce = [](const FakeRequest& r) {
        const auto numbers = parseObject(r.body)->getArray("accountNumbers");
        std::string values;
        for (std::size_t i = 0; i < numbers->size(); ++i)
            values += std::string(i ? "," : "") + R"({"AccountNumber":")" +
                      numbers->getElement<std::string>(i) + "\"}";
        return json(R"({"value":[)" + values + "]}");
    };
    std::vector<std::string> numbers;
    for (int i = 0; i < 1500; ++i)
        numbers.push_back("N" + std::to_string(i));
    const auto customers = client->customers(numbers);
    BOOST_REQUIRE(customers.size() == 1500u);
    BOOST_TEST(customers.front().accountNumber == "N0");
    BOOST_TEST(customers.back().accountNumber == "N1499");
    const auto requests = commerceRequests();
    BOOST_REQUIRE(requests.size() == 2u);
    std::multiset<std::string> tops{requests[0].query("$top"), requests[1].query("$top")};
    BOOST_TEST((tops == std::multiset<std::string>{"1000", "500"}));
}

BOOST_AUTO_TEST_CASE(products_are_searched_with_the_exact_criteria)
{
    commerce = [](const FakeRequest&) {
        return json(
            R"({"value":[{"RecordId":68719476736,"ProductName":"Lampe","ItemId":"0042","Price":"19.990",)"
            R"("Image":{"Items":[{"Url":"Products/0042.png","AltText":"Lampe"}]}},)"
            R"({"RecordId":"68719476737","ProductName":"Other","Price":5,"Image":null}]})");
    };
    const auto products = client->products(5637144592, {68719476736, 68719476737});
    BOOST_REQUIRE(products.size() == 2u);
    BOOST_TEST(products[0].recordId == 68719476736);
    BOOST_TEST(products[0].price == "19.99");
    BOOST_REQUIRE(products[0].images.size() == 1u);
    BOOST_TEST(products[0].images[0].url == "Products/0042.png");
    BOOST_TEST(products[1].recordId == 68719476737);
    BOOST_TEST(products[1].price == "5");

    const auto requests = commerceRequests();
    BOOST_REQUIRE(requests.size() == 1u);
    BOOST_TEST(requests[0].path() == "/Commerce/Products/Search");
    BOOST_TEST(requests[0].query("$top") == "2");
    BOOST_TEST(
        requests[0].body ==
        R"({"productSearchCriteria":{"Ids":[68719476736,68719476737],"Context":{"ChannelId":5637144592,)"
        R"("CatalogId":0},"DataLevelValue":1,"SkipVariantExpansion":true,"IncludeAttributes":false,)"
        R"("IncludeProductsFromDescendantCategories":false}})");
}

BOOST_AUTO_TEST_CASE(one_cart_by_id_with_odata_quoting)
{
    commerce = [](const FakeRequest& r) {
        if (r.uri.starts_with("/Commerce/Carts('it%27%27s%2F1')?"))
            return json(R"({"Id":"it's/1","CustomerId":"C1","ModifiedDateTime":"2026-11-25T14:03:11Z"})");
        return json("{}", 404);
    };
    const auto found = client->cart("it's/1");
    BOOST_REQUIRE(found.has_value());
    BOOST_TEST(found->id == "it's/1");
    BOOST_TEST(found->customerId == "C1");
    BOOST_TEST(!client->cart("other").has_value());
    BOOST_TEST(commerceRequests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(unauthorized_refreshes_the_token_once_and_retries)
{
    commerce = [](const FakeRequest& r) {
        if (r.header("Authorization") != "id_token tok-2")
            return json(R"({"error":"expired"})", 401);
        return json(R"({"RecordId":1,"Currency":"EUR"})");
    };
    BOOST_TEST(client->channel().currency == "EUR");
    BOOST_TEST(tokensIssued == 2);
    BOOST_TEST(commerceRequests().size() == 2u);
    BOOST_TEST(sleeps.empty());
}

BOOST_AUTO_TEST_CASE(unauthorized_with_a_fresh_token_is_an_error)
{
    commerce = [](const FakeRequest&) { return json(R"({"error":"forbidden app"})", 401); };
    const std::string message = retailErrorOf([&] { client->channel(); });
    BOOST_TEST(message.find("OrgUnits/GetOrgUnitConfiguration") != std::string::npos, message);
    BOOST_TEST(message.find("HTTP 401") != std::string::npos, message);
    BOOST_TEST(message.find("forbidden app") != std::string::npos, message);
    BOOST_TEST(message.find("tok-") == std::string::npos, message);
    BOOST_TEST(tokensIssued == 2);
    BOOST_TEST(commerceRequests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(throttling_honours_retry_after)
{
    std::atomic<int> calls{0};
    commerce = [&](const FakeRequest&) {
        if (calls++ == 0)
        {
            FakeReply reply = json("slow down", 429);
            reply.headers.emplace_back("Retry-After", "0");
            return reply;
        }
        return json(R"({"RecordId":1})");
    };
    BOOST_TEST(client->channel().recordId == 1);
    BOOST_TEST(commerceRequests().size() == 2u);
    BOOST_REQUIRE(sleeps.size() == 1u);
    BOOST_TEST(sleeps[0].count() == 0);
}

BOOST_AUTO_TEST_CASE(server_errors_are_retried_with_backoff)
{
    std::atomic<int> calls{0};
    commerce = [&](const FakeRequest&) {
        if (calls++ < 2)
            return json("unavailable", 503);
        return json(R"({"value":[]})");
    };
    BOOST_TEST(client->searchCarts(at("2026-11-25T00:00:00Z"), at("2026-11-25T01:00:00Z"), 0).empty());
    BOOST_TEST(commerceRequests().size() == 3u);
    BOOST_REQUIRE(sleeps.size() == 2u);
    for (const auto delay : sleeps)
        BOOST_TEST((delay >= 0ms && delay <= 30s));
}

BOOST_AUTO_TEST_CASE(persistent_server_errors_give_up_after_max_attempts)
{
    commerce = [](const FakeRequest&) { return json(R"({"message":"down for maintenance"})", 503); };
    const std::string message = retailErrorOf(
        [&] { client->searchCarts(at("2026-11-25T00:00:00Z"), at("2026-11-25T01:00:00Z"), 0); });
    BOOST_TEST(message.find("Carts/Search failed after 4 attempts") != std::string::npos, message);
    BOOST_TEST(message.find("HTTP 503") != std::string::npos, message);
    BOOST_TEST(message.find("down for maintenance") != std::string::npos, message);
    BOOST_TEST(commerceRequests().size() == 4u);
    BOOST_TEST(sleeps.size() == 3u);
}

BOOST_AUTO_TEST_CASE(client_errors_are_not_retried)
{
    commerce = [](const FakeRequest&) { return json(R"({"error":{"message":"bad criteria"}})", 400); };
    const std::string message = retailErrorOf([&] { client->products(1, {2}); });
    BOOST_TEST(message.find("Products/Search failed: HTTP 400") != std::string::npos, message);
    BOOST_TEST(message.find("bad criteria") != std::string::npos, message);
    BOOST_TEST(commerceRequests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(transport_failures_are_retried_then_reported)
{
    RetailClientOptions opts = options();
    opts.baseUrl = "http://127.0.0.1:" + std::to_string(closedPort());
    opts.maxAttempts = 2;
    reset(opts);
    const std::string message = retailErrorOf([&] { client->channel(); });
    BOOST_TEST(message.find("OrgUnits/GetOrgUnitConfiguration failed after 2 attempts") != std::string::npos,
               message);
    BOOST_TEST(message.find(opts.baseUrl + "/Commerce/OrgUnits") != std::string::npos, message);
    BOOST_TEST(message.find("api-version") == std::string::npos, message);
    BOOST_TEST(sleeps.size() == 1u);
}

BOOST_AUTO_TEST_CASE(malformed_replies_are_errors_not_empty_results)
{
    const auto search = [&] {
        client->searchCarts(at("2026-11-25T00:00:00Z"), at("2026-11-25T01:00:00Z"), 0);
    };
    commerce = [](const FakeRequest&) { return json("{\"value\":[{\"Id\":"); };
    BOOST_TEST(retailErrorOf(search).starts_with("malformed reply from Carts/Search: the reply is not JSON"));
    commerce = [](const FakeRequest&) { return json(R"({"value":null})"); };
    BOOST_TEST(retailErrorOf(search) ==
               "malformed reply from Carts/Search: the reply has no \"value\" array");
    commerce = [](const FakeRequest&) {
        return json(R"({"value":[{"Id":"a","CartLines":[{"Price":"x"}]}]})");
    };
    BOOST_TEST(retailErrorOf(search) ==
               "malformed reply from Carts/Search: value[0].CartLines[0].Price is not a decimal: \"x\"");
    commerce = [](const FakeRequest&) { return json("<html>gateway</html>"); };
    BOOST_TEST(
        retailErrorOf([&] {
            client->channel();
        }).starts_with("malformed reply from OrgUnits/GetOrgUnitConfiguration: the reply is not JSON"));
}

BOOST_AUTO_TEST_CASE(a_reply_that_is_not_json_says_what_it_claims_to_be)
{
    commerce = [](const FakeRequest&) {
        FakeReply reply = json("<!DOCTYPE html><html>maintenance</html>");
        reply.headers = {{"Content-Type", "text/html; charset=utf-8"}};
        return reply;
    };
    BOOST_TEST(
        retailErrorOf([&] { client->channel(); }) ==
        "malformed reply from OrgUnits/GetOrgUnitConfiguration: the reply is not JSON (Invalid value. at "
        "offset 0) (Content-Type text/html; charset=utf-8)");
    commerce = [](const FakeRequest&) {
        FakeReply reply = json("");
        reply.headers.clear();
        return reply;
    };
    BOOST_TEST(retailErrorOf([&] { client->channel(); }) ==
               "malformed reply from OrgUnits/GetOrgUnitConfiguration: the reply is empty (no Content-Type)");
}

BOOST_AUTO_TEST_CASE(a_page_larger_than_top_is_refused)
{
    // A server that ignores $top: reading on would take its page for several and hold it all.
    commerce = [](const FakeRequest& r) {
        const int count = r.path().find("Carts/Search") != std::string::npos ? 51 : 3;
        std::string body = R"({"value":[)";
        for (int i = 0; i < count; ++i)
            body += std::string(i > 0 ? "," : "") + R"({"Id":"c)" + std::to_string(i) +
                    R"(","AccountNumber":"A","RecordId":1})";
        return json(body + "]}");
    };
    BOOST_TEST(retailErrorOf(
                   [&] { client->searchCarts(at("2026-11-25T00:00:00Z"), at("2026-11-25T01:00:00Z"), 0); }) ==
               "malformed reply from Carts/Search: the reply holds 51 entries where $top=50 asked for at "
               "most 50");
    BOOST_TEST(
        retailErrorOf([&] {
            client->customers({"A", "B"});
        }) ==
        "malformed reply from Customers/GetByAccountNumbers: the reply holds 3 entries where $top=2 asked "
        "for at most 2");
    BOOST_TEST(
        retailErrorOf([&] { client->products(1, {1}); }) ==
        "malformed reply from Products/Search: the reply holds 3 entries where $top=1 asked for at most 1");
}

BOOST_AUTO_TEST_CASE(unreadable_modified_date_is_noted_and_the_page_kept)
{
    commerce = [](const FakeRequest&) {
        return json(R"({"value":[{"Id":"ok","ModifiedDateTime":"2026-11-25T14:03:11Z"},)"
                    R"({"Id":"odd","ModifiedDateTime":"yesterday"}]})");
    };
    const auto carts = client->searchCarts(at("2026-11-25T00:00:00Z"), at("2026-11-25T15:00:00Z"), 50);
    BOOST_REQUIRE(carts.size() == 2u);
    BOOST_TEST(carts[0].modifiedDateTime.has_value());
    BOOST_TEST(!carts[1].modifiedDateTime.has_value());
    BOOST_REQUIRE(notes.size() == 1u);
    BOOST_TEST(notes[0].find("odd") != std::string::npos, notes[0]);
    BOOST_TEST(notes[0].find("yesterday") != std::string::npos, notes[0]);
}

BOOST_AUTO_TEST_CASE(base_url_already_ending_in_commerce_is_not_doubled)
{
    commerce = [](const FakeRequest&) { return json(R"({"RecordId":7})"); };
    RetailClientOptions opts = options();
    opts.baseUrl = server.url() + "/Commerce/";
    opts.apiVersion = "9.1";
    reset(opts);
    BOOST_TEST(client->channel().recordId == 7);
    const auto requests = commerceRequests();
    BOOST_REQUIRE(requests.size() == 1u);
    BOOST_TEST(requests[0].path() == "/Commerce/OrgUnits/GetOrgUnitConfiguration()");
    BOOST_TEST(requests[0].query("api-version") == "9.1");
}

BOOST_AUTO_TEST_CASE(bad_options_are_refused)
{
    RetailClientOptions opts = options();
    opts.pageSize = 0;
    BOOST_CHECK_THROW(reset(opts), std::invalid_argument);
    opts = options();
    opts.operatingUnitNumber = "";
    BOOST_CHECK_THROW(reset(opts), std::invalid_argument);
    opts = options();
    opts.baseUrl = "retail.example.com";
    BOOST_CHECK_THROW(reset(opts), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
