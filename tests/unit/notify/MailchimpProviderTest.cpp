#define BOOST_TEST_MODULE MailchimpProvider
#include <boost/test/unit_test.hpp>

#include "FakeHttpServer.h"
#include "RecordingJournal.h"
#include "ReminderData.h"

#include "net/HttpClient.h"
#include "notify/MailchimpProvider.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace acd;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

const std::string Key = "5ecre7c0ffee5ecre7c0ffee5ecre7c0-us21";
const std::string Store = "/3.0/ecommerce/stores/shop-1";
const std::string AdaId = "3e3417d7ef77d5932a6734b916515ed5"; // md5("ada@example.com")

Object::Ptr parse(const std::string& body)
{
    return Poco::JSON::Parser().parse(body).extract<Object::Ptr>();
}

std::string data()
{
    return test::reminderData("Ada", "Lovelace", "en-us", "eur",
                              {{"Linen Shirt", "2", "49.95", "https://img.example.com/shirt.png?x=1", ""},
                               {"Coffee", "1.5", "12.5", "", ""}});
}

Reminder reminder(std::int64_t id, const std::string& email)
{
    return {id, "acd-trigger-" + std::to_string(id), email, data()};
}

test::FakeReply problem(int status, const std::string& title, const std::string& detail)
{
    return {status,
            R"({"type":"https://mailchimp.com/developer/marketing/docs/errors/","title":")" + title +
                R"(","status":)" + std::to_string(status) + R"(,"detail":")" + detail +
                R"(","instance":"x"})",
            {{"Content-Type", "application/problem+json"}}};
}

struct Fixture
{
    explicit Fixture(test::FakeHttpServer::Handler responder) : server(std::move(responder))
    {
        provider = std::make_unique<MailchimpProvider>(
            http, MailchimpOptions{.apiUrl = server.url() + "/3.0/",
                                   .apiKey = Key,
                                   .apiKeySecretName = "mailchimp-api-key",
                                   .storeId = "shop-1",
                                   .listId = "a1b2c3d4e5"});
        provider->clock = [this] { return now; };
        provider->sleeper = [this](std::chrono::milliseconds d) {
            waits.push_back(d);
            now = Timestamp(now.ticks() + d.count() * 10'000);
        };
        provider->random01 = [] { return 0.5; };
    }

    std::vector<DeliveryResult> deliver(const std::vector<Reminder>& list)
    {
        journal = {};
        return test::deliverAll(*provider, list, now.plusSeconds(3600), journal);
    }

    std::vector<std::string> calls() const
    {
        std::vector<std::string> out;
        for (const test::FakeRequest& request : server.requests())
            out.push_back(request.method + " " + request.path());
        return out;
    }

    test::FakeHttpServer server;
    HttpClient http;
    std::unique_ptr<MailchimpProvider> provider;
    Timestamp now = Timestamp::now();
    std::vector<std::chrono::milliseconds> waits;
    test::RecordingJournal journal;
};

test::FakeReply ok(const test::FakeRequest&)
{
    return {200, "{}"};
}

} // namespace

BOOST_AUTO_TEST_CASE(replies_are_read_as_mailchimp_means_them)
{
    using V = MailchimpVerdict;
    const std::string exists =
        R"({"title":"Invalid Resource","status":400,"detail":"A cart with the provided ID already exists in the account."})";
    BOOST_TEST((readMailchimpReply(200, "{}", true).verdict == V::Done));
    BOOST_TEST((readMailchimpReply(204, "", false).verdict == V::Done));
    BOOST_TEST((readMailchimpReply(400, exists, true).verdict == V::CartExists));
    BOOST_TEST((readMailchimpReply(400, exists, false).verdict == V::Refused)); // only a cart POST
    const MailchimpAnswer invalid = readMailchimpReply(
        400,
        R"({"title":"Invalid Resource","status":400,"detail":"could not be validated","errors":[{"field":"email_address","message":"looks fake"}]})",
        true);
    BOOST_TEST((invalid.verdict == V::Refused));
    BOOST_TEST(invalid.words ==
               "HTTP 400 Invalid Resource: could not be validated (email_address: looks fake)");
    BOOST_TEST((readMailchimpReply(401, R"({"title":"API Key Invalid"})", true).verdict == V::AuthFailed));
    BOOST_TEST((readMailchimpReply(403, "{}", false).verdict == V::AuthFailed));
    BOOST_TEST((readMailchimpReply(404, R"({"title":"Resource Not Found"})", false).verdict == V::NotFound));
    BOOST_TEST((readMailchimpReply(429, "{}", true).verdict == V::Transient));
    BOOST_TEST((readMailchimpReply(503, "<html>down</html>", true).verdict == V::Transient));
    // A 400 that is not Mailchimp's problem+json (a proxy's page) says nothing about the reminder.
    BOOST_TEST((readMailchimpReply(400, "<html>bad</html>", true).verdict == V::Unexpected));
    BOOST_TEST((readMailchimpReply(302, "", true).verdict == V::Unexpected));
}

BOOST_AUTO_TEST_CASE(the_data_centre_comes_from_the_key_and_the_customer_id_from_the_address)
{
    BOOST_TEST(MailchimpProvider::dataCentreUrl(Key) == "https://us21.api.mailchimp.com/3.0");
    BOOST_TEST(MailchimpProvider::dataCentreUrl("0123abcd").empty());
    BOOST_TEST(MailchimpProvider::dataCentreUrl("0123-us21/../evil").empty());
    BOOST_TEST(MailchimpProvider::customerId(" Ada@Example.COM") == AdaId);

    HttpClient http;
    MailchimpOptions options{.apiKey = Key, .apiKeySecretName = "mc", .storeId = "s", .listId = "l"};
    BOOST_TEST(MailchimpProvider(http, options).apiUrl() == "https://us21.api.mailchimp.com/3.0");
    options.apiKey = "5ecre7c0ffee5ecre7";
    try
    {
        MailchimpProvider provider(http, options);
        BOOST_FAIL("a key without its data centre and no mailchimp.apiUrl was accepted");
    }
    catch (const std::invalid_argument& e)
    {
        const std::string what = e.what();
        BOOST_TEST(what.find("mailchimp.apiUrl") != std::string::npos, what);
        BOOST_TEST(what.find(options.apiKey) == std::string::npos, what);
    }
    options.apiKey = Key;
    options.storeId = "shop/../lists";
    BOOST_CHECK_THROW(MailchimpProvider(http, options), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(the_customer_products_and_cart_are_built_from_the_reminder)
{
    Fixture f(ok);
    MailchimpProvider::Calls calls;
    BOOST_TEST_REQUIRE(!f.provider->calls(reminder(7, "Ada@Example.com"), calls));
    BOOST_TEST(calls.customerId == AdaId);
    const Object::Ptr customer = parse(calls.customerJson);
    BOOST_TEST(customer->getValue<std::string>("id") == AdaId);
    BOOST_TEST(customer->getValue<std::string>("email_address") == "Ada@Example.com");
    BOOST_TEST(customer->getValue<bool>("opt_in_status") == false);
    BOOST_TEST(customer->getValue<std::string>("first_name") == "Ada");
    BOOST_TEST(customer->getValue<std::string>("last_name") == "Lovelace");

    BOOST_TEST_REQUIRE(calls.productJson.size() == 2u);
    const Object::Ptr shirt = parse(calls.productJson.at("68719476736"));
    BOOST_TEST(shirt->getValue<std::string>("title") == "Linen Shirt");
    const Object::Ptr variant = shirt->getArray("variants")->getObject(0);
    BOOST_TEST(variant->getValue<std::string>("id") == "68719476736");
    BOOST_TEST(variant->getValue<double>("price") == 49.95);
    // The image a mail client shows by default: the viewport marked useForDefaultImageTag.
    BOOST_TEST(variant->getValue<std::string>("image_url") == "https://img.example.com/shirt.png?x=1&w=315");
    BOOST_TEST(
        !parse(calls.productJson.at("68719476737"))->getArray("variants")->getObject(0)->has("image_url"));

    const Object::Ptr cart = parse(calls.cartJson);
    BOOST_TEST(cart->getValue<std::string>("id") == "acd-trigger-7");
    BOOST_TEST(cart->getObject("customer")->getValue<std::string>("id") == AdaId);
    BOOST_TEST(cart->getValue<std::string>("checkout_url") == "https://shop.example.com/cart?id=c1");
    BOOST_TEST(cart->getValue<std::string>("currency_code") == "EUR");
    // Exact: 2 × 49.95 + 1.5 × 12.5, written as numbers with their exact text.
    BOOST_TEST(calls.cartJson.find("\"order_total\":118.65,") != std::string::npos, calls.cartJson);
    const Array::Ptr lines = cart->getArray("lines");
    BOOST_TEST_REQUIRE(lines->size() == 2u);
    BOOST_TEST(lines->getObject(0)->getValue<std::string>("id") == "1");
    BOOST_TEST(lines->getObject(0)->getValue<std::string>("product_variant_id") == "68719476736");
    BOOST_TEST(lines->getObject(0)->getValue<int>("quantity") == 2);
    BOOST_TEST(calls.cartJson.find("\"price\":99.9}") != std::string::npos, calls.cartJson);
    BOOST_TEST(lines->getObject(1)->getValue<int>("quantity") == 2); // 1.5 counted as 2 items
    BOOST_TEST(calls.cartJson.find("\"price\":18.75}") != std::string::npos, calls.cartJson);

    BOOST_TEST(*f.provider->calls({1, "t", "", data()}, calls) == "no email address to give Mailchimp");
    BOOST_TEST(f.provider->calls({1, "t", "a@example.com", "{\"currency\":\"EUR\""}, calls)
                   ->find("not valid JSON") != std::string::npos);
    BOOST_TEST(
        f.provider->calls({1, "t", "a@example.com", R"({"orderDetails":[]})"}, calls)->find("currency") !=
        std::string::npos);
}

BOOST_AUTO_TEST_CASE(each_reminder_puts_its_customer_then_new_products_then_posts_its_cart)
{
    Fixture f(ok);
    const auto results = f.deliver({reminder(1, "ada@example.com"), reminder(2, "alan@example.com")});
    BOOST_TEST((results[0].status == DeliveryStatus::Sent));
    BOOST_TEST((results[1].status == DeliveryStatus::Sent));
    const std::vector<std::string> calls = f.calls();
    BOOST_TEST_REQUIRE(calls.size() == 6u); // 2 customers, 2 products once, 2 carts
    for (std::size_t i = 0; i < 2; ++i)
        BOOST_TEST(calls[i].starts_with("PUT " + Store + "/customers/"), calls[i]);
    // The products of a round go together (in any order), after its customers, before its carts.
    BOOST_TEST(std::min(calls[2], calls[3]) == "PUT " + Store + "/products/68719476736");
    BOOST_TEST(std::max(calls[2], calls[3]) == "PUT " + Store + "/products/68719476737");
    BOOST_TEST(calls[4] == "POST " + Store + "/carts");
    BOOST_TEST(calls[5] == "POST " + Store + "/carts");
    for (const test::FakeRequest& request : f.server.requests())
        BOOST_TEST(request.header("Authorization") ==
                   "Basic YWJhbmRvbmVkLWNhcnRkOjVlY3JlN2MwZmZlZTVlY3JlN2MwZmZlZTVlY3JlN2MwLXVzMjE=");
    BOOST_TEST(f.journal.sendingCalls() == 1u);

    // Products already PUT with the same body are not PUT again.
    f.deliver({reminder(3, "grace@example.com")});
    BOOST_TEST(f.server.requestsTo(Store + "/products/68719476736").size() == 1u);
    BOOST_TEST(f.server.requestCount() == 8u);
}

BOOST_AUTO_TEST_CASE(a_cart_that_exists_is_sent_and_a_refused_one_is_its_final_result)
{
    Fixture f([](const test::FakeRequest& request) {
        if (request.path().ends_with("/carts"))
            return request.body.find("acd-trigger-1") != std::string::npos
                       ? problem(400, "Invalid Resource",
                                 "A cart with the provided ID already exists in the account.")
                       : problem(400, "Invalid Resource", "The checkout_url is not a valid URL.");
        return ok(request);
    });
    const auto results = f.deliver({reminder(1, "ada@example.com"), reminder(2, "alan@example.com")});
    BOOST_TEST((results[0].status == DeliveryStatus::Sent));
    BOOST_TEST((results[1].status == DeliveryStatus::Rejected));
    BOOST_TEST(results[1].detail.find("checkout_url is not a valid URL") != std::string::npos,
               results[1].detail);
}

BOOST_AUTO_TEST_CASE(a_429_is_retried_under_the_retry_policy)
{
    int carts = 0;
    Fixture f([&carts](const test::FakeRequest& request) {
        if (request.path().ends_with("/carts") && ++carts <= 2)
            return problem(429, "Too Many Requests",
                           "You have exceeded the limit of 10 simultaneous connections.");
        return ok(request);
    });
    const auto results = f.deliver({reminder(1, "ada@example.com")});
    BOOST_TEST((results[0].status == DeliveryStatus::Sent));
    BOOST_TEST(carts == 3);
    BOOST_TEST(f.waits.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_refused_key_stops_delivery_and_leaves_the_reminders_pending)
{
    Fixture f([](const test::FakeRequest& request) {
        return problem(401, "API Key Invalid",
                       "Your API key may be invalid. " + request.header("Authorization"));
    });
    test::RecordingJournal journal;
    try
    {
        f.provider->deliver({reminder(1, "ada@example.com"), reminder(2, "alan@example.com")},
                            f.now.plusSeconds(60), journal);
        BOOST_FAIL("a 401 did not stop the delivery");
    }
    catch (const ProviderAuthError& e)
    {
        const std::string what = e.what();
        BOOST_TEST(what.find("API Key Invalid") != std::string::npos, what);
        BOOST_TEST(what.find("mailchimp.apiKeySecretName = mailchimp-api-key") != std::string::npos, what);
        BOOST_TEST(what.find(Key) == std::string::npos, what);
    }
    BOOST_TEST(f.server.requestsTo(Store + "/carts").empty());
    BOOST_TEST_REQUIRE(journal.answers.size() == 2u);
    for (const auto& [id, answer] : journal.answers)
        BOOST_TEST((answer.status == DeliveryStatus::Retry));
}

BOOST_AUTO_TEST_CASE(an_unknown_store_is_a_configuration_error_naming_the_key)
{
    Fixture f([](const test::FakeRequest&) {
        return problem(404, "Resource Not Found", "The requested resource could not be found.");
    });
    test::RecordingJournal journal;
    BOOST_CHECK_EXCEPTION(
        f.provider->deliver({reminder(1, "ada@example.com")}, f.now.plusSeconds(60), journal),
        ProviderConfigError, [](const ProviderConfigError& e) {
            return std::string(e.what()).find("mailchimp.storeId = shop-1") != std::string::npos;
        });
    BOOST_TEST((journal.answers.at(1).status == DeliveryStatus::Retry));
}

BOOST_AUTO_TEST_CASE(purge_deletes_the_member_permanently_and_the_customer)
{
    Fixture f([](const test::FakeRequest& request) {
        return request.method == "DELETE" ? problem(404, "Resource Not Found", "none")
                                          : test::FakeReply{204, ""};
    });
    f.provider->forget("Ada@Example.com");
    const std::vector<std::string> calls = f.calls();
    BOOST_TEST_REQUIRE(calls.size() == 2u);
    BOOST_TEST(calls[0] == "POST /3.0/lists/a1b2c3d4e5/members/" + AdaId + "/actions/delete-permanent");
    BOOST_TEST(calls[1] == "DELETE " + Store + "/customers/" + AdaId);

    Fixture refused([](const test::FakeRequest&) { return problem(403, "Forbidden", "no"); });
    BOOST_CHECK_THROW(refused.provider->forget("ada@example.com"), ProviderAuthError);
    Fixture failing([](const test::FakeRequest&) { return problem(400, "Invalid Resource", "no"); });
    BOOST_CHECK_THROW(failing.provider->forget("ada@example.com"), RemoteError);
}
