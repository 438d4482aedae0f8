#define BOOST_TEST_MODULE SendGridProvider
#include <boost/test/unit_test.hpp>

#include "FakeHttpServer.h"
#include "RecordingJournal.h"

#include "net/HttpClient.h"
#include "notify/SendGridProvider.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>

using namespace acd;
using namespace std::chrono_literals;

namespace {

const std::string ApiKey = "SG.unit-test-key.secret-part";
const std::string TemplateId = "d-0123456789abcdef0123456789abcdef";

Poco::JSON::Object::Ptr parse(const std::string& json)
{
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

std::vector<Reminder> reminders(std::size_t count)
{
    std::vector<Reminder> list;
    for (std::size_t i = 0; i < count; ++i)
        list.push_back({static_cast<std::int64_t>(100 + i), "trig-" + std::to_string(i),
                        "c" + std::to_string(i) + "@example.com",
                        R"({"firstName":"Ann","lastName":"Lee )" + std::to_string(i) +
                            R"(","currency":"USD","orderDetails":[{"productId":"1","quantity":"2"}]})"});
    return list;
}

test::FakeReply accepted(const test::FakeRequest&)
{
    return {202, "", {{"X-Message-Id", "msg-1"}}};
}

/// SendGrid's 400 for the personalizations whose address is in `bad`, as §4.2 says it answers.
test::FakeReply refuseAddresses(const test::FakeRequest& request, const std::set<std::string>& bad)
{
    const Poco::JSON::Array::Ptr list = parse(request.body)->getArray("personalizations");
    std::string errors;
    for (unsigned i = 0; i < list->size(); ++i)
    {
        const std::string email =
            list->getObject(i)->getArray("to")->getObject(0)->getValue<std::string>("email");
        if (bad.contains(email))
            errors += std::string(errors.empty() ? "" : ",") +
                      R"({"message":"Does not contain a valid address.","field":"personalizations.)" +
                      std::to_string(i) + R"(.to.0.email","help":"http://sendgrid.com/docs"})";
    }
    if (errors.empty())
        return accepted(request);
    return {400, R"({"errors":[)" + errors + "]}", {}};
}

struct Fixture
{
    explicit Fixture(test::FakeHttpServer::Handler handler, SendGridOptions extra = {})
        : server(std::move(handler)), http([] {
              HttpClientOptions o;
              o.timeout = 2000ms;
              o.connectTimeout = 2000ms;
              return o;
          }())
    {
        extra.apiUrl = server.url() + "/v3/mail/send";
        extra.apiKey = ApiKey;
        extra.apiKeyName = "sendgrid-api-key";
        extra.templateId = TemplateId;
        if (extra.from.empty())
            extra.from = "Contoso Outdoor <shop@contoso.example>";
        extra.report = [this](const std::string& line) { reports.push_back(line); };
        provider = std::make_unique<SendGridProvider>(http, extra);
        provider->clock = [this] { return now; };
        provider->sleeper = [this](std::chrono::milliseconds d) {
            waits.push_back(d);
            now = Timestamp(now.ticks() + d.count() * 10'000);
        };
        provider->random01 = [] { return 0.5; };
    }

    std::vector<DeliveryResult> deliver(const std::vector<Reminder>& list,
                                        std::chrono::seconds budget = 3600s)
    {
        journal = {};
        return test::deliverAll(*provider, list, now.plusSeconds(budget.count()), journal);
    }

    test::FakeHttpServer server;
    HttpClient http;
    std::unique_ptr<SendGridProvider> provider;
    Timestamp now = Timestamp::now();
    std::vector<std::chrono::milliseconds> waits;
    std::vector<std::string> reports;
    test::RecordingJournal journal;
};

std::size_t count(const std::vector<DeliveryResult>& results, DeliveryStatus status)
{
    return static_cast<std::size_t>(
        std::count_if(results.begin(), results.end(), [&](const auto& r) { return r.status == status; }));
}

} // namespace

BOOST_AUTO_TEST_CASE(the_body_follows_design_4_2)
{
    SendGridOptions options;
    options.unsubscribeGroupId = 4242;
    Fixture f(accepted, options);
    const auto results = f.deliver(reminders(2));
    BOOST_TEST(count(results, DeliveryStatus::Sent) == 2u);
    BOOST_TEST(results[0].detail == "X-Message-Id msg-1");

    const auto received = f.server.requests();
    BOOST_TEST_REQUIRE(received.size() == 1u);
    const auto& r = received[0];
    BOOST_TEST(r.method == "POST");
    BOOST_TEST(r.path() == "/v3/mail/send");
    BOOST_TEST(r.header("Authorization") == "Bearer " + ApiKey);
    BOOST_TEST(r.header("Content-Type") == "application/json");
    const auto body = parse(r.body);
    BOOST_TEST(body->getObject("from")->getValue<std::string>("email") == "shop@contoso.example");
    BOOST_TEST(body->getObject("from")->getValue<std::string>("name") == "Contoso Outdoor");
    BOOST_TEST(body->getValue<std::string>("template_id") == TemplateId);
    BOOST_TEST(body->getArray("categories")->getElement<std::string>(0) == "abandoned-cart");
    BOOST_TEST(body->getObject("asm")->getValue<int>("group_id") == 4242);
    const auto list = body->getArray("personalizations");
    BOOST_TEST_REQUIRE(list->size() == 2u);
    const auto second = list->getObject(1);
    BOOST_TEST(second->getArray("to")->size() == 1u);
    BOOST_TEST(second->getArray("to")->getObject(0)->getValue<std::string>("email") == "c1@example.com");
    BOOST_TEST(second->getArray("to")->getObject(0)->getValue<std::string>("name") == "Ann Lee 1");
    BOOST_TEST(second->getObject("custom_args")->getValue<std::string>("trigger_id") == "trig-1");
    const auto data = second->getObject("dynamic_template_data");
    BOOST_TEST(data->getValue<std::string>("currency") == "USD");
    BOOST_TEST(data->getArray("orderDetails")->getObject(0)->getValue<std::string>("quantity") == "2");
}

BOOST_AUTO_TEST_CASE(no_asm_without_a_group_and_a_bare_from_address)
{
    SendGridOptions options;
    options.from = "shop@contoso.example";
    Fixture f(accepted, options);
    f.deliver(reminders(1));
    const auto body = parse(f.server.requests().at(0).body);
    BOOST_TEST(!body->has("asm"));
    BOOST_TEST(body->getObject("from")->getValue<std::string>("email") == "shop@contoso.example");
    BOOST_TEST(!body->getObject("from")->has("name"));
}

BOOST_AUTO_TEST_CASE(requests_hold_at_most_max_personalizations_and_each_address_once)
{
    SendGridOptions options;
    options.maxPersonalizations = 100;
    Fixture f(accepted, options);
    auto list = reminders(250);
    list[1].email = "C0@Example.com"; // the same address as list[0], in other case
    const auto results = f.deliver(list);
    BOOST_TEST(count(results, DeliveryStatus::Sent) == 250u);
    const auto received = f.server.requests();
    BOOST_TEST_REQUIRE(received.size() == 3u);
    std::size_t total = 0;
    for (const auto& r : received)
    {
        const auto people = parse(r.body)->getArray("personalizations");
        BOOST_TEST(people->size() <= 100u);
        total += people->size();
        std::set<std::string> addresses;
        for (unsigned i = 0; i < people->size(); ++i)
        {
            std::string email =
                people->getObject(i)->getArray("to")->getObject(0)->getValue<std::string>("email");
            std::transform(email.begin(), email.end(), email.begin(), ::tolower);
            BOOST_TEST(addresses.insert(email).second, "address twice in one request: " << email);
        }
    }
    BOOST_TEST(total == 250u);
    // The journal saw one request at a time: sending, answer, sending, answer...
    BOOST_TEST(f.journal.sendingCalls() == 3u);
    const auto distinct = reminders(250);
    BOOST_TEST(f.provider->wholeRequests(distinct, 1) == 100u);
    BOOST_TEST(f.provider->wholeRequests(distinct, 2) == 200u);
    BOOST_TEST(f.provider->wholeRequests(distinct, 3) == 0u); // the third is not full
    BOOST_TEST(f.provider->wholeRequests(list, 1) == 1u);     // a repeated address closes a request
}

BOOST_AUTO_TEST_CASE(a_refused_address_is_rejected_with_sendgrids_words_and_the_rest_go_again)
{
    Fixture f([](const test::FakeRequest& r) {
        return refuseAddresses(r, {"c1@example.com", "c3@example.com"});
    });
    const auto list = reminders(5);
    const auto results = f.deliver(list);
    BOOST_TEST((results[1].status == DeliveryStatus::Rejected));
    BOOST_TEST(results[1].detail == "Does not contain a valid address.");
    BOOST_TEST((results[3].status == DeliveryStatus::Rejected));
    for (const std::size_t i : {0u, 2u, 4u})
        BOOST_TEST((results[i].status == DeliveryStatus::Sent), "reminder " << i);
    const auto received = f.server.requests();
    BOOST_TEST_REQUIRE(received.size() == 2u);
    BOOST_TEST(parse(received[1].body)->getArray("personalizations")->size() == 3u);
    BOOST_TEST(f.waits.empty());
}

BOOST_AUTO_TEST_CASE(a_refused_template_is_a_configuration_error_and_the_reminders_stay_pending)
{
    Fixture f([](const test::FakeRequest&) {
        return test::FakeReply{
            400,
            R"({"errors":[{"message":"The template_id must be a valid GUID","field":"template_id"}]})",
            {}};
    });
    test::RecordingJournal journal;
    const auto list = reminders(3);
    try
    {
        f.provider->deliver(list, f.now.plusSeconds(3600), journal);
        BOOST_FAIL("no ProviderConfigError");
    }
    catch (const ProviderConfigError& e)
    {
        BOOST_TEST(std::string(e.what()).find("sendgrid.templateId") != std::string::npos, e.what());
        BOOST_TEST(std::string(e.what()).find("must be a valid GUID") != std::string::npos, e.what());
    }
    BOOST_TEST(journal.violations.empty());
    for (const auto& result : journal.resultsFor(list))
        BOOST_TEST((result.status == DeliveryStatus::Retry));
}

BOOST_AUTO_TEST_CASE(a_400_naming_nothing_of_ours_refuses_the_request_with_sendgrids_words)
{
    Fixture f([](const test::FakeRequest&) {
        return test::FakeReply{400, R"({"errors":[{"message":"Bad Request","field":null}]})", {}};
    });
    const auto results = f.deliver(reminders(2));
    BOOST_TEST(count(results, DeliveryStatus::Rejected) == 2u);
    BOOST_TEST(results[0].detail.find("Bad Request") != std::string::npos, results[0].detail);
}

BOOST_AUTO_TEST_CASE(a_400_that_is_not_sendgrids_error_list_leaves_them_pending)
{
    Fixture f([](const test::FakeRequest&) { return test::FakeReply{400, "<html>proxy</html>", {}}; });
    const auto results = f.deliver(reminders(2));
    BOOST_TEST(count(results, DeliveryStatus::Retry) == 2u);
}

BOOST_AUTO_TEST_CASE(unauthorised_and_forbidden_throw_naming_the_secret_never_the_key)
{
    for (const int status : {401, 403})
    {
        Fixture f([status](const test::FakeRequest&) {
            return test::FakeReply{
                status,
                R"({"errors":[{"field":null,"message":"The provided authorization grant is invalid"}]})",
                {}};
        });
        test::RecordingJournal journal;
        try
        {
            f.provider->deliver(reminders(2), f.now.plusSeconds(3600), journal);
            BOOST_FAIL("no ProviderAuthError");
        }
        catch (const ProviderAuthError& e)
        {
            const std::string message = e.what();
            BOOST_TEST(message.find("sendgrid-api-key") != std::string::npos, message);
            BOOST_TEST(message.find(ApiKey) == std::string::npos, message);
            BOOST_TEST(message.find("authorization grant is invalid") != std::string::npos, message);
        }
        BOOST_TEST(journal.violations.empty());
        BOOST_TEST(journal.answers.size() == 2u);
    }
}

BOOST_AUTO_TEST_CASE(too_large_is_split_until_accepted)
{
    Fixture f([](const test::FakeRequest& r) {
        const auto n = parse(r.body)->getArray("personalizations")->size();
        return n > 2 ? test::FakeReply{413, R"({"errors":[{"message":"Payload Too Large"}]})", {}}
                     : accepted(r);
    });
    const auto results = f.deliver(reminders(8));
    BOOST_TEST(count(results, DeliveryStatus::Sent) == 8u);
    std::size_t accepted = 0;
    for (const auto& r : f.server.requests())
        accepted += parse(r.body)->getArray("personalizations")->size() <= 2 ? 1 : 0;
    BOOST_TEST(accepted == 4u);
}

BOOST_AUTO_TEST_CASE(throttled_waits_until_x_ratelimit_reset_in_epoch_seconds)
{
    int calls = 0;
    Fixture* fixture = nullptr;
    Fixture f([&](const test::FakeRequest& r) {
        if (calls++ > 0)
            return accepted(r);
        const auto reset = fixture->now.unixSeconds() + 7;
        return test::FakeReply{
            429,
            R"({"errors":[{"field":null,"message":"too many requests"}]})",
            {{"X-RateLimit-Reset", std::to_string(reset)}, {"X-RateLimit-Remaining", "0"}}};
    });
    fixture = &f;
    const auto results = f.deliver(reminders(3));
    BOOST_TEST(count(results, DeliveryStatus::Sent) == 3u);
    BOOST_TEST_REQUIRE(f.waits.size() == 1u);
    BOOST_TEST(f.waits[0] >= 6000ms);
    BOOST_TEST(f.waits[0] <= 8000ms);
}

BOOST_AUTO_TEST_CASE(server_errors_are_retried_then_left_pending)
{
    Fixture f([](const test::FakeRequest&) { return test::FakeReply{503, "", {}}; });
    const auto results = f.deliver(reminders(2));
    BOOST_TEST(count(results, DeliveryStatus::Retry) == 2u);
    BOOST_TEST(f.server.requestCount() == 6u); // maxAttemptsPerBatch
    BOOST_TEST(results[0].detail.find("HTTP 503") != std::string::npos, results[0].detail);
}

BOOST_AUTO_TEST_CASE(an_answer_lost_after_the_request_left_makes_it_uncertain_not_sent_again)
{
    Fixture f([](const test::FakeRequest& r) {
        test::FakeReply reply = accepted(r);
        reply.delay = 3000ms; // past the client's 2 s timeout
        return reply;
    });
    const auto results = f.deliver(reminders(2));
    BOOST_TEST(count(results, DeliveryStatus::Uncertain) == 2u);
    BOOST_TEST(f.server.requestCount() == 1u);
}

BOOST_AUTO_TEST_CASE(no_connection_is_retried_since_nothing_left)
{
    HttpClient http;
    SendGridOptions options;
    options.apiUrl = test::closedPortUrl() + "/v3/mail/send";
    options.apiKey = ApiKey;
    options.templateId = TemplateId;
    options.from = "shop@contoso.example";
    options.maxAttemptsPerBatch = 3;
    SendGridProvider provider(http, options);
    int sleeps = 0;
    provider.sleeper = [&](std::chrono::milliseconds) { ++sleeps; };
    const auto results = test::deliverAll(provider, reminders(2), Timestamp::now().plusSeconds(3600));
    BOOST_TEST(count(results, DeliveryStatus::Retry) == 2u);
    BOOST_TEST(sleeps == 2);
}

BOOST_AUTO_TEST_CASE(nothing_is_sent_once_the_deadline_has_passed)
{
    Fixture f(accepted);
    const auto results = f.deliver(reminders(2), 0s);
    BOOST_TEST(count(results, DeliveryStatus::Retry) == 2u);
    BOOST_TEST(f.server.requestCount() == 0u);
}

BOOST_AUTO_TEST_CASE(unusable_reminders_are_rejected_without_being_sent)
{
    Fixture f(accepted);
    auto list = reminders(3);
    list[0].dataJson = "[1,2]";
    list[1].email.clear();
    const auto results = f.deliver(list);
    BOOST_TEST((results[0].status == DeliveryStatus::Rejected));
    BOOST_TEST((results[1].status == DeliveryStatus::Rejected));
    BOOST_TEST((results[2].status == DeliveryStatus::Sent));
    BOOST_TEST(parse(f.server.requests().at(0).body)->getArray("personalizations")->size() == 1u);
}

BOOST_AUTO_TEST_CASE(bad_options_are_refused_by_name)
{
    HttpClient http;
    const auto refused = [&](SendGridOptions o, const std::string& expected) {
        try
        {
            SendGridProvider provider(http, o);
            BOOST_ERROR("accepted, expected: " << expected);
        }
        catch (const std::invalid_argument& e)
        {
            BOOST_TEST(std::string(e.what()).find(expected) != std::string::npos, e.what());
        }
    };
    SendGridOptions good;
    good.apiKey = ApiKey;
    good.apiKeyName = "sg-key";
    good.templateId = TemplateId;
    good.from = "shop@contoso.example";
    BOOST_CHECK_NO_THROW(SendGridProvider(http, good));
    SendGridOptions o = good;
    o.apiKey.clear();
    refused(o, "sendgrid.apiKeySecretName = sg-key");
    o = good;
    o.templateId.clear();
    refused(o, "sendgrid.templateId");
    o = good;
    o.apiUrl = "https://api.sendgrid.com/mail/send";
    refused(o, "sendgrid.apiUrl");
    o = good;
    o.maxPersonalizations = 1001;
    refused(o, "maxPersonalizations");
}

BOOST_AUTO_TEST_CASE(forget_searches_the_contact_then_deletes_it_by_id_and_reports_the_job)
{
    Fixture f([](const test::FakeRequest& r) {
        if (r.path() == "/v3/marketing/contacts/search/emails")
            return test::FakeReply{
                200,
                R"({"result":{"ada@example.com":{"contact":{"id":"c-123","email":"ada@example.com"}}}})",
                {}};
        if (r.method == "DELETE" && r.path() == "/v3/marketing/contacts")
            return test::FakeReply{202, R"({"job_id":"job-9"})", {}};
        return test::FakeReply{404, R"({"errors":[{"message":"not found"}]})", {}};
    });
    f.provider->forget("ada@example.com");
    const auto received = f.server.requests();
    BOOST_TEST_REQUIRE(received.size() == 2u);
    BOOST_TEST(parse(received[0].body)->getArray("emails")->getElement<std::string>(0) == "ada@example.com");
    BOOST_TEST(received[0].header("Authorization") == "Bearer " + ApiKey);
    BOOST_TEST(received[1].query("ids") == "c-123");
    BOOST_TEST_REQUIRE(f.reports.size() == 1u);
    BOOST_TEST(f.reports[0].find("job-9") != std::string::npos, f.reports[0]);
    BOOST_TEST(f.reports[0].find("ada@") == std::string::npos, f.reports[0]);
}

BOOST_AUTO_TEST_CASE(forget_of_an_unknown_contact_deletes_nothing_and_says_so)
{
    Fixture f([](const test::FakeRequest&) {
        return test::FakeReply{404, R"({"errors":[{"message":"No contacts found"}]})", {}};
    });
    BOOST_CHECK_NO_THROW(f.provider->forget("nobody@example.com"));
    BOOST_TEST(f.server.requestCount() == 1u);
    BOOST_TEST_REQUIRE(f.reports.size() == 1u);
    BOOST_TEST(f.reports[0].find("no marketing contact") != std::string::npos, f.reports[0]);
}

BOOST_AUTO_TEST_CASE(forget_names_what_went_wrong)
{
    Fixture f([](const test::FakeRequest&) {
        return test::FakeReply{403, R"({"errors":[{"message":"access forbidden"}]})", {}};
    });
    BOOST_CHECK_EXCEPTION(f.provider->forget("ada@example.com"), ProviderAuthError,
                          [](const ProviderAuthError& e) {
                              return std::string(e.what()).find("access forbidden") != std::string::npos;
                          });
}

BOOST_AUTO_TEST_CASE(suppress_adds_the_address_to_the_global_suppressions)
{
    Fixture f([](const test::FakeRequest& r) { return test::FakeReply{201, r.body, {}}; });
    f.provider->mirrorOptOut("ada@example.com");
    const auto received = f.server.requests();
    BOOST_TEST_REQUIRE(received.size() == 1u);
    BOOST_TEST(received[0].path() == "/v3/asm/suppressions/global");
    BOOST_TEST(parse(received[0].body)->getArray("recipient_emails")->getElement<std::string>(0) ==
               "ada@example.com");
    BOOST_TEST(f.reports.size() == 1u);

    Fixture failing([](const test::FakeRequest&) {
        return test::FakeReply{400, R"({"errors":[{"field":"recipient_emails","message":"invalid"}]})", {}};
    });
    BOOST_CHECK_THROW(failing.provider->mirrorOptOut("ada@example.com"), RemoteError);
}

BOOST_AUTO_TEST_CASE(the_prices_a_handlebars_template_cannot_work_out_go_with_the_data)
{
    Fixture f(accepted);
    auto list = reminders(2);
    list[0].dataJson = R"({"firstName":"Ann","currency":"USD","orderDetails":[)"
                       R"({"quantity":"2","unitPrice":"10.5"},{"quantity":"1","unitPrice":"5"}]})";
    f.deliver(list);
    const auto people = parse(f.server.requests().at(0).body)->getArray("personalizations");
    const auto first = people->getObject(0)->getObject("dynamic_template_data");
    BOOST_TEST(first->getValue<std::string>("totalText") == "$26.00");
    const auto lines = first->getArray("orderDetails");
    BOOST_TEST_REQUIRE(lines->size() == 2u);
    BOOST_TEST(lines->getObject(0)->getValue<std::string>("unitPrice") == "10.5");
    BOOST_TEST(lines->getObject(0)->getValue<std::string>("unitPriceText") == "$10.50");
    BOOST_TEST(lines->getObject(0)->getValue<std::string>("lineTotalText") == "$21.00");
    // A line without its price: no total rather than a wrong one.
    BOOST_TEST(!people->getObject(1)->getObject("dynamic_template_data")->has("totalText"));
}

BOOST_AUTO_TEST_CASE(data_nested_deeper_than_the_builder_writes_is_refused_without_being_sent)
{
    Fixture f(accepted);
    auto list = reminders(2);
    list[0].dataJson = R"({"firstName":"Ann","deep":)" + std::string(20, '[') + std::string(20, ']') + "}";
    const auto results = f.deliver(list);
    BOOST_TEST((results[0].status == DeliveryStatus::Rejected));
    BOOST_TEST(results[0].detail.find("nests deeper than 16 levels") != std::string::npos, results[0].detail);
    BOOST_TEST((results[1].status == DeliveryStatus::Sent));
}
