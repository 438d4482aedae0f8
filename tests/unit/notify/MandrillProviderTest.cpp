#define BOOST_TEST_MODULE MandrillProvider
#include <boost/test/unit_test.hpp>

#include "FakeHttpServer.h"
#include "RecordingJournal.h"
#include "ReminderData.h"

#include "net/HttpClient.h"
#include "notify/MandrillProvider.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace acd;
using namespace std::chrono_literals;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

const std::string Key = "md-Sup3rS3cretKey";
const std::string SendPath = "/api/1.0/messages/send-template";

std::vector<Reminder> reminders(std::size_t count, const std::string& dataJson = R"({"firstName":"Ann"})")
{
    std::vector<Reminder> list;
    for (std::size_t i = 0; i < count; ++i)
        list.push_back({static_cast<std::int64_t>(100 + i), "trig-" + std::to_string(i),
                        "c" + std::to_string(i) + "@example.com", dataJson});
    return list;
}

Object::Ptr parse(const std::string& body)
{
    Poco::JSON::Parser parser;
    return parser.parse(body).extract<Object::Ptr>();
}

/// Mandrill's 200: every recipient of the request with `status`, unless `statusOf` says otherwise.
test::FakeReply statuses(const std::string& requestBody,
                         const std::function<std::string(const std::string&)>& statusOf = {})
{
    const Array::Ptr to = parse(requestBody)->getObject("message")->getArray("to");
    std::string reply = "[";
    for (std::size_t i = 0; i < to->size(); ++i)
    {
        const std::string email = to->getObject(static_cast<unsigned>(i))->getValue<std::string>("email");
        const std::string status = statusOf ? statusOf(email) : "sent";
        if (status == "omit")
            continue;
        const bool rejected = status == "rejected";
        reply += std::string(reply.size() > 1 ? "," : "") + R"({"email":")" + email + R"(","status":")" +
                 status + R"(","reject_reason":)" + (rejected ? R"("hard-bounce")" : "null") +
                 R"(,"_id":"abc"})";
    }
    return {200, reply + "]"};
}

test::FakeReply envelope(const std::string& name, const std::string& message, int code = -1)
{
    return {500, R"({"status":"error","code":)" + std::to_string(code) + R"(,"name":")" + name +
                     R"(","message":")" + message + "\"}"};
}

struct Fixture
{
    explicit Fixture(test::FakeHttpServer::Handler responder, HttpClientOptions httpOptions = {})
        : server(std::move(responder)), http(httpOptions)
    {
        MandrillOptions options;
        options.apiUrl = server.url() + "/api/1.0/";
        options.apiKey = Key;
        options.apiKeySecretName = "mandrill-api-key";
        options.templateName = "abandoned-cart";
        provider = std::make_unique<MandrillProvider>(http, options);
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

    test::FakeHttpServer server;
    HttpClient http;
    std::unique_ptr<MandrillProvider> provider;
    Timestamp now = Timestamp::now();
    std::vector<std::chrono::milliseconds> waits;
    test::RecordingJournal journal;
};

} // namespace

BOOST_AUTO_TEST_CASE(the_request_carries_every_data_field_as_a_merge_var_of_its_recipient)
{
    Fixture f([](const test::FakeRequest& request) { return statuses(request.body); });
    const std::string data =
        test::reminderData("Zoë", "O'Hara", "fr-fr", "EUR",
                           {{"Linen Shirt", "2", "49.95", "https://img.example.com/a.png?x=1", ""},
                            {"Mug", "1", "12.5", "", "A mug"}});
    const std::vector<Reminder> list = {{7, "trig-7", "Zoe@Example.com", data},
                                        {8, "trig-8", "b@example.com", data}};
    const auto results = f.deliver(list);
    BOOST_TEST((results[0].status == DeliveryStatus::Sent));
    BOOST_TEST((results[1].status == DeliveryStatus::Sent));

    const auto requests = f.server.requestsTo(SendPath);
    BOOST_TEST_REQUIRE(requests.size() == 1u);
    BOOST_TEST(requests[0].method == "POST");
    BOOST_TEST(requests[0].header("Content-Type") == "application/json");
    const Object::Ptr body = parse(requests[0].body);
    BOOST_TEST(body->getValue<std::string>("key") == Key);
    BOOST_TEST(body->getValue<std::string>("template_name") == "abandoned-cart");
    BOOST_TEST(body->getArray("template_content")->size() == 0u);
    const Object::Ptr message = body->getObject("message");
    BOOST_TEST(message->getValue<std::string>("merge_language") == "handlebars");
    BOOST_TEST(message->getValue<bool>("preserve_recipients") == false);
    BOOST_TEST(message->getArray("tags")->getElement<std::string>(0) == "abandoned-cart");

    const Object::Ptr to = message->getArray("to")->getObject(0);
    BOOST_TEST(to->getValue<std::string>("email") == "Zoe@Example.com");
    BOOST_TEST(to->getValue<std::string>("name") == "Zoë O'Hara");
    BOOST_TEST(to->getValue<std::string>("type") == "to");

    const Object::Ptr mergeVars = message->getArray("merge_vars")->getObject(0);
    BOOST_TEST(mergeVars->getValue<std::string>("rcpt") == "Zoe@Example.com");
    const Array::Ptr vars = mergeVars->getArray("vars");
    const Object::Ptr expected = parse(data);
    BOOST_TEST_REQUIRE(vars->size() == expected->size() + 1); // and totalText
    std::vector<std::string> names;
    for (std::size_t i = 0; i < vars->size(); ++i)
        names.push_back(vars->getObject(static_cast<unsigned>(i))->getValue<std::string>("name"));
    BOOST_TEST(names == (std::vector<std::string>{"firstName", "lastName", "language", "currency",
                                                  "returnToCartUrl", "orderDetails", "totalText"}),
               boost::test_tools::per_element());
    BOOST_TEST(vars->getObject(0)->getValue<std::string>("content") == "Zoë");
    const Array::Ptr lines = vars->getObject(5)->getArray("content");
    BOOST_TEST_REQUIRE(lines->size() == 2u);
    BOOST_TEST(lines->getObject(0)->getValue<std::string>("unitPrice") == "49.95");
    BOOST_TEST(lines->getObject(0)->getObject("productImage")->getArray("viewPortImages")->size() == 3u);
    BOOST_TEST(lines->getObject(1)->getObject("productImage")->getValue<std::string>("altText") == "A mug");
    // Mandrill's Handlebars cannot compute: the prices a reader sees come along.
    BOOST_TEST(lines->getObject(0)->getValue<std::string>("unitPriceText") == "€49.95");
    BOOST_TEST(lines->getObject(0)->getValue<std::string>("lineTotalText") == "€99.90");
    BOOST_TEST(vars->getObject(6)->getValue<std::string>("content") == "€112.40");

    const Object::Ptr metadata = message->getArray("recipient_metadata")->getObject(1);
    BOOST_TEST(metadata->getValue<std::string>("rcpt") == "b@example.com");
    BOOST_TEST(metadata->getObject("values")->getValue<std::string>("trigger_id") == "trig-8");
}

BOOST_AUTO_TEST_CASE(numbers_in_the_data_keep_their_exact_text)
{
    Fixture f([](const test::FakeRequest& request) { return statuses(request.body); });
    f.deliver({{1, "t", "a@example.com",
                R"({"firstName":"A","n":19.990,"big":12345678901234567890,"ok":true,"none":null})"}});
    const std::string body = f.server.requestsTo(SendPath).at(0).body;
    BOOST_TEST(body.find(R"({"name":"n","content":19.990})") != std::string::npos);
    BOOST_TEST(body.find(R"({"name":"big","content":12345678901234567890})") != std::string::npos);
    BOOST_TEST(body.find(R"({"name":"ok","content":true})") != std::string::npos);
    BOOST_TEST(body.find(R"({"name":"none","content":null})") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(per_recipient_statuses_decide_each_reminder)
{
    Fixture f([](const test::FakeRequest& request) {
        return statuses(request.body, [](const std::string& email) -> std::string {
            if (email == "c1@example.com")
                return "queued";
            if (email == "c2@example.com")
                return "scheduled";
            if (email == "c3@example.com")
                return "rejected";
            if (email == "c4@example.com")
                return "invalid";
            if (email == "c5@example.com")
                return "omit";
            if (email == "c6@example.com")
                return "deferred-by-martians";
            return "sent";
        });
    });
    const auto results = f.deliver(reminders(7));
    BOOST_TEST(f.journal.sendingCalls() == 1u);
    BOOST_TEST((results[0].status == DeliveryStatus::Sent));
    BOOST_TEST((results[1].status == DeliveryStatus::Sent));
    BOOST_TEST((results[2].status == DeliveryStatus::Sent));
    BOOST_TEST((results[3].status == DeliveryStatus::Rejected));
    BOOST_TEST(results[3].detail == "Mandrill: rejected (hard-bounce)");
    BOOST_TEST((results[4].status == DeliveryStatus::Rejected));
    BOOST_TEST(results[4].detail == "Mandrill: invalid");
    // Mandrill had the request: a recipient its reply leaves out may have been sent.
    BOOST_TEST((results[5].status == DeliveryStatus::Uncertain));
    BOOST_TEST(results[5].detail.find("does not mention") != std::string::npos);
    BOOST_TEST((results[6].status == DeliveryStatus::Uncertain));
    BOOST_TEST(results[6].detail.find("deferred-by-martians") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(requests_hold_at_most_100_recipients_each_address_once)
{
    Fixture f([](const test::FakeRequest& request) { return statuses(request.body); });
    std::vector<Reminder> list = reminders(230);
    list[150].email = "C120@EXAMPLE.com"; // the same address as list[120], in other letter case
    const auto results = f.deliver(list);
    for (const DeliveryResult& result : results)
        BOOST_TEST((result.status == DeliveryStatus::Sent));
    const auto requests = f.server.requestsTo(SendPath);
    BOOST_TEST_REQUIRE(requests.size() == 3u);
    BOOST_TEST(parse(requests[0].body)->getObject("message")->getArray("to")->size() == 100u);
    BOOST_TEST(parse(requests[1].body)->getObject("message")->getArray("to")->size() == 100u);
    BOOST_TEST(parse(requests[2].body)->getObject("message")->getArray("to")->size() == 30u);
    BOOST_TEST(f.journal.sendingCalls() == 3u);
    BOOST_TEST(f.provider->wholeRequests(list, 1) == 100u);
    BOOST_TEST(f.provider->wholeRequests(list, 2) == 150u); // the repeated address closes the second
    BOOST_TEST(f.provider->wholeRequests(list, 3) == 0u);
}

BOOST_AUTO_TEST_CASE(a_reminder_with_broken_data_is_refused_without_a_request)
{
    Fixture f([](const test::FakeRequest& request) { return statuses(request.body); });
    std::vector<Reminder> list = reminders(3);
    list[1].dataJson = "{\"firstName\":";
    list[2].email = "";
    const auto results = f.deliver(list);
    BOOST_TEST((results[0].status == DeliveryStatus::Sent));
    BOOST_TEST((results[1].status == DeliveryStatus::Rejected));
    BOOST_TEST(results[1].detail.find("not valid JSON") != std::string::npos);
    BOOST_TEST((results[2].status == DeliveryStatus::Rejected));
    BOOST_TEST(
        parse(f.server.requestsTo(SendPath).at(0).body)->getObject("message")->getArray("to")->size() == 1u);
}

BOOST_AUTO_TEST_CASE(invalid_key_is_an_authentication_error_that_never_shows_the_key)
{
    // A reply that echoes the key (a debugging proxy, say) must not carry it into a message.
    Fixture f([](const test::FakeRequest&) { return envelope("Invalid_Key", "Invalid API key " + Key); });
    test::RecordingJournal journal;
    try
    {
        f.provider->deliver(reminders(2), f.now.plusSeconds(3600), journal);
        BOOST_FAIL("no ProviderAuthError");
    }
    catch (const ProviderAuthError& e)
    {
        const std::string what = e.what();
        BOOST_TEST(what.find("mandrill.apiKeySecretName = mandrill-api-key") != std::string::npos);
        BOOST_TEST(what.find("Invalid_Key") != std::string::npos);
        BOOST_TEST(what.find(Key) == std::string::npos, what);
    }
    BOOST_TEST(f.server.requestCount() == 1u);
    for (const auto& [id, answer] : journal.answers)
    {
        BOOST_TEST((answer.status == DeliveryStatus::Retry));
        BOOST_TEST(answer.detail.find(Key) == std::string::npos);
    }
    BOOST_TEST(journal.answers.size() == 2u);
}

BOOST_AUTO_TEST_CASE(unknown_template_and_payment_required_name_the_key_to_fix)
{
    for (const auto& [name, key] :
         {std::pair{"Unknown_Template", "mandrill.templateName = abandoned-cart"},
          std::pair{"PaymentRequired", "mandrill.apiKeySecretName = mandrill-api-key"}})
    {
        Fixture f(
            [name = std::string(name)](const test::FakeRequest&) { return envelope(name, "refused", 5); });
        test::RecordingJournal journal;
        BOOST_CHECK_EXCEPTION(f.provider->deliver(reminders(1), f.now.plusSeconds(3600), journal),
                              ProviderConfigError, [key = std::string(key)](const ProviderConfigError& e) {
                                  return std::string(e.what()).find(key) != std::string::npos;
                              });
        BOOST_TEST(f.server.requestCount() == 1u, name << " is not retried");
        BOOST_TEST((journal.answers.at(100).status == DeliveryStatus::Retry));
    }
}

BOOST_AUTO_TEST_CASE(other_error_envelopes_are_retried_with_backoff)
{
    int calls = 0;
    Fixture f([&calls](const test::FakeRequest& request) {
        return ++calls <= 2 ? envelope("GeneralError", "try later") : statuses(request.body);
    });
    const auto results = f.deliver(reminders(2));
    BOOST_TEST((results[0].status == DeliveryStatus::Sent));
    BOOST_TEST((results[1].status == DeliveryStatus::Sent));
    BOOST_TEST(calls == 3);
    BOOST_TEST(f.waits.size() == 2u);
    BOOST_TEST(f.journal.sendingCalls() == 3u); // each try is reported before it leaves
}

BOOST_AUTO_TEST_CASE(envelopes_to_the_last_attempt_leave_the_reminders_pending)
{
    Fixture f([](const test::FakeRequest&) { return envelope("GeneralError", "down"); });
    const auto results = f.deliver(reminders(1));
    BOOST_TEST((results[0].status == DeliveryStatus::Retry));
    BOOST_TEST(results[0].detail.find("GeneralError") != std::string::npos);
    BOOST_TEST(results[0].detail.find("after 6 attempts") != std::string::npos, results[0].detail);
}

BOOST_AUTO_TEST_CASE(an_answer_lost_after_the_request_left_is_uncertain_and_not_sent_again)
{
    HttpClientOptions quick;
    quick.timeout = 300ms;
    Fixture f(
        [](const test::FakeRequest& request) {
            test::FakeReply reply = statuses(request.body);
            reply.delay = 1500ms;
            return reply;
        },
        quick);
    const auto results = f.deliver(reminders(2));
    BOOST_TEST((results[0].status == DeliveryStatus::Uncertain));
    BOOST_TEST((results[1].status == DeliveryStatus::Uncertain));
    BOOST_TEST(results[0].detail.find("may have been sent") != std::string::npos);
    BOOST_TEST(f.server.requestCount() == 1u);
}

BOOST_AUTO_TEST_CASE(a_gateway_timeout_without_envelope_is_uncertain)
{
    Fixture f([](const test::FakeRequest&) { return test::FakeReply{504, "<html>Gateway Timeout</html>"}; });
    const auto results = f.deliver(reminders(1));
    BOOST_TEST((results[0].status == DeliveryStatus::Uncertain));
    BOOST_TEST(f.server.requestCount() == 1u);
}

BOOST_AUTO_TEST_CASE(a_200_that_is_not_a_list_is_uncertain)
{
    Fixture f([](const test::FakeRequest&) { return test::FakeReply{200, "<html>OK</html>"}; });
    const auto results = f.deliver(reminders(1));
    BOOST_TEST((results[0].status == DeliveryStatus::Uncertain));
    BOOST_TEST(results[0].detail.find("not its list of recipients") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_server_that_cannot_be_reached_leaves_the_reminders_pending)
{
    MandrillOptions options;
    options.apiUrl = test::closedPortUrl() + "/api/1.0";
    options.apiKey = Key;
    options.templateName = "abandoned-cart";
    options.maxAttemptsPerRequest = 2;
    HttpClient http;
    MandrillProvider provider(http, options);
    provider.sleeper = [](std::chrono::milliseconds) {};
    const auto results = test::deliverAll(provider, reminders(1), Timestamp::now().plusSeconds(3600));
    BOOST_TEST((results[0].status == DeliveryStatus::Retry));
    BOOST_TEST(results[0].detail.find(Key) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_opt_out_is_added_to_the_rejects)
{
    Fixture f([](const test::FakeRequest& request) {
        return test::FakeReply{200, R"({"email":")" + parse(request.body)->getValue<std::string>("email") +
                                        R"(","added":true,"deleted":false})"};
    });
    f.provider->mirrorOptOut("ann@example.com");
    const auto requests = f.server.requestsTo("/api/1.0/rejects/add");
    BOOST_TEST_REQUIRE(requests.size() == 1u);
    const Object::Ptr body = parse(requests[0].body);
    BOOST_TEST(body->getValue<std::string>("key") == Key);
    BOOST_TEST(body->getValue<std::string>("email") == "ann@example.com");
    BOOST_TEST(!body->getValue<std::string>("comment").empty());
    BOOST_TEST(!f.provider->keepsContacts());
    f.provider->forget("ann@example.com"); // nothing to remove: no request
    BOOST_TEST(f.server.requestCount() == 1u);
}

BOOST_AUTO_TEST_CASE(an_opt_out_refused_for_the_key_says_so_once)
{
    Fixture f([](const test::FakeRequest&) { return envelope("Invalid_Key", "Invalid API key"); });
    BOOST_CHECK_THROW(f.provider->mirrorOptOut("ann@example.com"), ProviderAuthError);
    BOOST_TEST(f.server.requestCount() == 1u);
}

BOOST_AUTO_TEST_CASE(bad_options_are_named)
{
    HttpClient http;
    MandrillOptions options;
    options.apiKeySecretName = "mandrill-api-key";
    options.templateName = "t";
    BOOST_CHECK_EXCEPTION(
        MandrillProvider(http, options), std::invalid_argument, [](const std::exception& e) {
            return std::string(e.what()).find("mandrill.apiKeySecretName = mandrill-api-key") !=
                   std::string::npos;
        });
    options.apiKey = Key;
    options.templateName = "";
    BOOST_CHECK_THROW(MandrillProvider(http, options), std::invalid_argument);
}
