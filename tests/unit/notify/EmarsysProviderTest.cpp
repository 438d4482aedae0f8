#define BOOST_TEST_MODULE EmarsysProvider
#include <boost/test/unit_test.hpp>

#include "FakeEmarsys.h"
#include "RecordingJournal.h"

#include "net/HttpClient.h"
#include "notify/EmarsysProvider.h"

#include <Poco/Base64Encoder.h>
#include <Poco/DigestEngine.h>
#include <Poco/SHA1Engine.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>

using namespace acd;
using namespace std::chrono_literals;

namespace {

const std::string User = "acd-user";
const std::string Secret = "Sup3r-s3cret-value";
const std::string EventId = "ev-42";

std::vector<Reminder> reminders(std::size_t count, const std::string& dataJson = R"({"firstName":"Ann"})")
{
    std::vector<Reminder> list;
    for (std::size_t i = 0; i < count; ++i)
        list.push_back({static_cast<std::int64_t>(100 + i), "trig-" + std::to_string(i),
                        "c" + std::to_string(i) + "@example.com", dataJson});
    return list;
}

/// Short enough for a test to outwait on purpose.
HttpClientOptions shortTimeouts()
{
    HttpClientOptions options;
    options.timeout = 2000ms;
    options.connectTimeout = 2000ms;
    return options;
}

/// A provider against the fake, on a fake clock that only the sleeper moves forward.
struct Fixture
{
    explicit Fixture(test::FakeHttpServer::Handler responder, EmarsysOptions extra = {})
        : server(std::move(responder)), http(shortTimeouts())
    {
        extra.apiUrl = fake::triggerUrl(server);
        extra.externalEventId = EventId;
        extra.user = User;
        extra.secret = Secret;
        provider = std::make_unique<EmarsysProvider>(http, extra);
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
    std::unique_ptr<EmarsysProvider> provider;
    Timestamp now = Timestamp::now();
    std::vector<std::chrono::milliseconds> waits;
    test::RecordingJournal journal;
};

test::FakeReply alwaysOk(const test::FakeRequest& r)
{
    return fake::ok(r.body);
}

std::string expectedDigest(const std::string& nonce, const std::string& created, const std::string& secret)
{
    Poco::SHA1Engine sha1;
    sha1.update(nonce + created + secret);
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder << Poco::DigestEngine::digestToHex(sha1.digest());
    encoder.close();
    return out.str();
}

EmarsysOptions withMaxBytes(std::size_t maxBytes)
{
    EmarsysOptions options;
    options.maxBytes = maxBytes;
    return options;
}

std::size_t count(const std::vector<DeliveryResult>& results, DeliveryStatus status)
{
    return static_cast<std::size_t>(
        std::count_if(results.begin(), results.end(), [&](const auto& r) { return r.status == status; }));
}

} // namespace

BOOST_AUTO_TEST_CASE(request_carries_a_valid_wsse_header_and_json_headers)
{
    Fixture f(alwaysOk, [] {
        EmarsysOptions o;
        o.contactKeyId = "7";
        return o;
    }());
    f.provider->clock = [] { return Timestamp::now(); };
    const auto results = f.deliver(reminders(2));

    const auto received = f.server.requests();
    BOOST_TEST_REQUIRE(received.size() == 1u);
    const auto& r = received[0];
    const std::string wsse = r.header("X-WSSE");
    BOOST_TEST(r.method == "POST");
    BOOST_TEST(r.uri == "/api/v2/event/ev-42/trigger");
    BOOST_TEST(r.header("Content-Type") == "application/json");
    BOOST_TEST(r.header("Accept") == "application/json");

    const std::regex format(R"re(UsernameToken Username="([^"]*)", PasswordDigest="([^"]*)", )re"
                            R"re(Nonce="([0-9a-f]{32})", Created="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")re");
    std::smatch m;
    BOOST_TEST_REQUIRE(std::regex_match(wsse, m, format), wsse);
    BOOST_TEST(m[1].str() == User);
    BOOST_TEST(m[2].str() == expectedDigest(m[3], m[4], Secret));
    const auto created = Timestamp::parse(m[4].str());
    BOOST_TEST_REQUIRE(created.has_value());
    BOOST_TEST(std::abs(created->unixSeconds() - Timestamp::now().unixSeconds()) <= 120);
    BOOST_TEST(wsse.find(Secret) == std::string::npos);

    Poco::JSON::Parser parser;
    const auto root = parser.parse(r.body).extract<Poco::JSON::Object::Ptr>();
    BOOST_TEST(root->getValue<std::string>("key_id") == "7");
    const auto contacts = fake::contactsOf(r.body);
    BOOST_TEST_REQUIRE(contacts.size() == 2u);
    BOOST_TEST(contacts[0].externalId == "c0@example.com");
    BOOST_TEST(contacts[1].triggerId == "trig-1");

    BOOST_TEST_REQUIRE(results.size() == 2u);
    BOOST_TEST(results[0].notificationId == 100);
    BOOST_TEST(results[1].notificationId == 101);
    BOOST_TEST(count(results, DeliveryStatus::Sent) == 2u);
    BOOST_TEST(f.provider->name() == "emarsys");
}

BOOST_AUTO_TEST_CASE(retry_reuses_the_body_and_trigger_ids_with_a_fresh_nonce)
{
    Fixture f([](const test::FakeRequest& r) {
        return r.index == 0 ? test::FakeReply{503, R"({"replyCode":1,"replyText":"busy"})"}
                            : fake::ok(r.body);
    });
    const auto input = reminders(3);
    const auto results = f.deliver(input);

    const auto received = f.server.requests();
    BOOST_TEST_REQUIRE(received.size() == 2u);
    BOOST_TEST(received[0].body == received[1].body);
    const auto contacts = fake::contactsOf(received[1].body);
    BOOST_TEST_REQUIRE(contacts.size() == 3u);
    for (std::size_t i = 0; i < 3; ++i)
        BOOST_TEST(contacts[i].triggerId == input[i].triggerId);
    const std::regex nonce(R"re(Nonce="([0-9a-f]{32})")re");
    const std::string firstWsse = received[0].header("X-WSSE");
    const std::string secondWsse = received[1].header("X-WSSE");
    std::smatch a, b;
    BOOST_TEST_REQUIRE(std::regex_search(firstWsse, a, nonce));
    BOOST_TEST_REQUIRE(std::regex_search(secondWsse, b, nonce));
    BOOST_TEST(a[1].str() != b[1].str());
    BOOST_TEST(count(results, DeliveryStatus::Sent) == 3u);
}

BOOST_AUTO_TEST_CASE(batch_of_2500_goes_out_as_1000_1000_500)
{
    Fixture f(alwaysOk);
    const auto results = f.deliver(reminders(2500));

    const auto received = f.server.requests();
    BOOST_TEST_REQUIRE(received.size() == 3u);
    BOOST_TEST(fake::contactsOf(received[0].body).size() == 1000u);
    BOOST_TEST(fake::contactsOf(received[1].body).size() == 1000u);
    BOOST_TEST(fake::contactsOf(received[2].body).size() == 500u);
    std::set<std::string> triggers;
    for (const auto& r : received)
        for (const auto& c : fake::contactsOf(r.body))
            triggers.insert(c.triggerId);
    BOOST_TEST(triggers.size() == 2500u);
    BOOST_TEST(results.size() == 2500u);
    BOOST_TEST(count(results, DeliveryStatus::Sent) == 2500u);
    BOOST_TEST(results[2499].notificationId == 2599);
}

BOOST_AUTO_TEST_CASE(batches_are_split_by_payload_size)
{
    Fixture f(alwaysOk);
    const std::string big = R"({"note":")" + std::string(300'000, 'x') + R"("})";
    auto input = reminders(5, big);
    const auto results = f.deliver(input);

    const auto received = f.server.requests();
    BOOST_TEST_REQUIRE(received.size() == 2u);
    for (const auto& r : received)
        BOOST_TEST(r.body.size() <= 1'000'000u);
    BOOST_TEST(fake::contactsOf(received[0].body).size() == 3u);
    BOOST_TEST(fake::contactsOf(received[1].body).size() == 2u);
    BOOST_TEST(count(results, DeliveryStatus::Sent) == 5u);
}

BOOST_AUTO_TEST_CASE(byte_limit_is_exact)
{
    std::size_t twoContactBody = 0;
    {
        Fixture f(alwaysOk);
        f.deliver(reminders(2));
        twoContactBody = f.server.requests().at(0).body.size();
    }
    {
        Fixture f(alwaysOk, withMaxBytes(twoContactBody));
        f.deliver(reminders(2));
        BOOST_TEST(f.server.requests().size() == 1u);
    }
    {
        Fixture f(alwaysOk, withMaxBytes(twoContactBody - 1));
        const auto results = f.deliver(reminders(2));
        BOOST_TEST(f.server.requests().size() == 2u);
        BOOST_TEST(count(results, DeliveryStatus::Sent) == 2u);
    }
}

BOOST_AUTO_TEST_CASE(contact_that_can_never_fit_is_rejected_without_being_sent)
{
    Fixture f(alwaysOk);
    auto input = reminders(3);
    input[1].dataJson = R"({"note":")" + std::string(1'100'000, 'x') + R"("})";
    const auto results = f.deliver(input);

    BOOST_TEST_REQUIRE(results.size() == 3u);
    BOOST_TEST((results[1].status == DeliveryStatus::Rejected));
    BOOST_TEST(results[1].detail == "payload larger than 1 MB");
    BOOST_TEST((results[0].status == DeliveryStatus::Sent));
    BOOST_TEST((results[2].status == DeliveryStatus::Sent));
    const auto received = f.server.requests();
    BOOST_TEST_REQUIRE(received.size() == 1u);
    BOOST_TEST(fake::contactsOf(received[0].body).size() == 2u);
}

BOOST_AUTO_TEST_CASE(same_address_twice_goes_in_separate_requests)
{
    Fixture f(alwaysOk);
    auto input = reminders(3);
    input[1].email = "c0@example.com";
    input[2].email = "C0@Example.COM";
    const auto results = f.deliver(input);

    const auto received = f.server.requests();
    BOOST_TEST_REQUIRE(received.size() == 3u);
    for (std::size_t i = 0; i < 3; ++i)
    {
        const auto contacts = fake::contactsOf(received[i].body);
        BOOST_TEST_REQUIRE(contacts.size() == 1u);
        BOOST_TEST(contacts[0].triggerId == input[i].triggerId);
    }
    BOOST_TEST(count(results, DeliveryStatus::Sent) == 3u);
}

BOOST_AUTO_TEST_CASE(per_contact_error_rejects_only_that_contact)
{
    Fixture f([](const test::FakeRequest& r) {
        return fake::ok(r.body, R"({"c1@example.com":{"2008":"No contact found with the external id: 3"}})");
    });
    const auto results = f.deliver(reminders(3));

    BOOST_TEST_REQUIRE(results.size() == 3u);
    BOOST_TEST((results[0].status == DeliveryStatus::Sent));
    BOOST_TEST((results[1].status == DeliveryStatus::Rejected));
    BOOST_TEST(results[1].detail == "2008 No contact found with the external id: 3");
    BOOST_TEST((results[2].status == DeliveryStatus::Sent));
}

BOOST_AUTO_TEST_CASE(empty_errors_as_a_php_array_means_all_sent)
{
    Fixture f([](const test::FakeRequest& r) { return fake::ok(r.body, "[]"); });
    const auto results = f.deliver(reminders(2));
    BOOST_TEST(count(results, DeliveryStatus::Sent) == 2u);
}

BOOST_AUTO_TEST_CASE(throttled_429_honours_retry_after_then_succeeds)
{
    Fixture f([](const test::FakeRequest& r) {
        return r.index == 0 ? test::FakeReply{429,
                                              R"({"replyCode":429,"replyText":"slow down"})",
                                              {{"Retry-After", "1"}}}
                            : fake::ok(r.body);
    });
    const auto results = f.deliver(reminders(2));

    BOOST_TEST(f.server.requests().size() == 2u);
    BOOST_TEST_REQUIRE(f.waits.size() == 1u);
    BOOST_TEST(f.waits[0].count() >= 900);
    BOOST_TEST(f.waits[0].count() <= 1100);
    BOOST_TEST(count(results, DeliveryStatus::Sent) == 2u);
}

BOOST_AUTO_TEST_CASE(server_error_forever_gives_retry_after_max_attempts)
{
    Fixture f([](const test::FakeRequest&) { return test::FakeReply{503, "Service Unavailable"}; });
    const auto results = f.deliver(reminders(2));

    BOOST_TEST(f.server.requests().size() == 6u);
    BOOST_TEST(f.waits.size() == 5u);
    BOOST_TEST_REQUIRE(results.size() == 2u);
    BOOST_TEST((results[0].status == DeliveryStatus::Retry));
    BOOST_TEST(results[0].detail.find("HTTP 503 after 6 attempts") != std::string::npos, results[0].detail);
    BOOST_TEST(results[0].detail.find("Service Unavailable") != std::string::npos, results[0].detail);
}

BOOST_AUTO_TEST_CASE(retries_stop_before_the_deadline)
{
    Fixture f([](const test::FakeRequest&) { return test::FakeReply{503, "", {{"Retry-After", "2"}}}; });
    const Timestamp start = f.now;
    const auto results = f.deliver(reminders(1), 5s);

    // Attempts at 0 s, 2 s, 4 s; a third wait would end at 6 s, past the 5 s deadline.
    BOOST_TEST(f.server.requests().size() == 3u);
    BOOST_TEST(f.waits.size() == 2u);
    BOOST_TEST(f.now.ticks() <= start.plusSeconds(5).ticks());
    BOOST_TEST((results.at(0).status == DeliveryStatus::Retry));
    BOOST_TEST(results[0].detail.find("deadline") != std::string::npos, results[0].detail);
}

BOOST_AUTO_TEST_CASE(nothing_is_sent_once_the_deadline_has_passed)
{
    Fixture f(alwaysOk);
    const auto results = test::deliverAll(*f.provider, reminders(2), f.now.plusSeconds(-1));
    BOOST_TEST(f.server.requests().empty());
    BOOST_TEST(count(results, DeliveryStatus::Retry) == 2u);
    BOOST_TEST(results[0].detail.find("deadline") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unauthorised_throws_without_the_secret)
{
    Fixture f([](const test::FakeRequest&) {
        return test::FakeReply{401, R"({"replyCode":1,"replyText":"Unauthorized: bad digest"})"};
    });
    try
    {
        f.deliver(reminders(1));
        BOOST_FAIL("expected ProviderAuthError");
    }
    catch (const ProviderAuthError& e)
    {
        const std::string message = e.what();
        BOOST_TEST(message ==
                   "Emarsys refused the credentials of user acd-user (HTTP 401): Unauthorized: bad digest");
        BOOST_TEST(message.find(Secret) == std::string::npos);
    }
    BOOST_TEST(f.server.requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(batch_too_large_is_split_until_accepted)
{
    Fixture f([](const test::FakeRequest& r) {
        if (fake::contactsOf(r.body).size() > 2)
            return test::FakeReply{400, R"({"replyCode":1000,"replyText":"Too many contacts"})"};
        return fake::ok(r.body);
    });
    const auto input = reminders(5);
    const auto results = f.deliver(input);

    std::multiset<std::string> accepted;
    for (const auto& r : f.server.requests())
    {
        const auto contacts = fake::contactsOf(r.body);
        if (contacts.size() <= 2)
            for (const auto& c : contacts)
                accepted.insert(c.triggerId);
    }
    BOOST_TEST(accepted.size() == 5u);
    for (const auto& reminder : input)
        BOOST_TEST(accepted.count(reminder.triggerId) == 1u);
    BOOST_TEST(count(results, DeliveryStatus::Sent) == 5u);
    BOOST_TEST(f.waits.empty());
}

BOOST_AUTO_TEST_CASE(other_bad_request_leaves_the_batch_pending_with_the_reply_text)
{
    Fixture f([](const test::FakeRequest&) {
        return test::FakeReply{400, R"({"replyCode":2005,"replyText":"Invalid key field id"})"};
    });
    const auto results = f.deliver(reminders(2));

    BOOST_TEST(f.server.requests().size() == 1u);
    BOOST_TEST(count(results, DeliveryStatus::Retry) == 2u);
    BOOST_TEST(results[0].detail.find("2005") != std::string::npos, results[0].detail);
    BOOST_TEST(results[0].detail.find("Invalid key field id") != std::string::npos, results[0].detail);
}

BOOST_AUTO_TEST_CASE(malformed_200_leaves_the_reminders_to_retry)
{
    Fixture f([](const test::FakeRequest&) { return test::FakeReply{200, "<html>gateway says hi</html>"}; });
    const auto results = f.deliver(reminders(2));

    BOOST_TEST(f.server.requests().size() == 1u);
    BOOST_TEST(count(results, DeliveryStatus::Retry) == 2u);
    BOOST_TEST(results[0].detail.find("HTTP 200") != std::string::npos, results[0].detail);
    BOOST_TEST(results[0].detail.find("gateway says hi") != std::string::npos, results[0].detail);
}

BOOST_AUTO_TEST_CASE(reply_code_other_than_zero_on_200_is_a_batch_error)
{
    Fixture f([](const test::FakeRequest&) {
        return test::FakeReply{200, R"({"replyCode":6003,"replyText":"Event not found","data":{}})"};
    });
    const auto results = f.deliver(reminders(2));

    BOOST_TEST(count(results, DeliveryStatus::Retry) == 2u);
    BOOST_TEST(results[0].detail.find("replyCode 6003: Event not found") != std::string::npos,
               results[0].detail);
}

BOOST_AUTO_TEST_CASE(data_is_embedded_as_an_object_with_hostile_strings_intact)
{
    Fixture f(alwaysOk);
    const std::string hostileName =
        "Zo\xC3\xAB \"},{\"external_id\":\"evil@x.com\"} \\ </script>\n\t\xF0\x9F\x98\x80";
    const std::string dataJson =
        R"({"firstName":"Zo\u00eb \"},{\"external_id\":\"evil@x.com\"} \\ </script>\n\t\ud83d\ude00",)"
        R"("orderDetails":[{"productName":"]}]}","unitPrice":"12.5"}]})";
    auto input = reminders(1, dataJson);
    input[0].email = "o'brien+\"quoted\"@example.com";
    const auto results = f.deliver(input);

    const auto received = f.server.requests();
    BOOST_TEST_REQUIRE(received.size() == 1u);
    const auto contacts = fake::contactsOf(received[0].body);
    BOOST_TEST_REQUIRE(contacts.size() == 1u);
    BOOST_TEST(contacts[0].externalId == input[0].email);
    BOOST_TEST_REQUIRE(contacts[0].data);
    BOOST_TEST(contacts[0].data->getValue<std::string>("firstName") == hostileName);
    const auto line = contacts[0].data->getArray("orderDetails")->getObject(0);
    BOOST_TEST(line->getValue<std::string>("productName") == "]}]}");
    BOOST_TEST(line->getValue<std::string>("unitPrice") == "12.5");
    BOOST_TEST((results[0].status == DeliveryStatus::Sent));
}

BOOST_AUTO_TEST_CASE(unusable_data_is_rejected_without_being_sent_or_quoted)
{
    Fixture f(alwaysOk);
    auto input = reminders(3);
    input[0].dataJson = R"({"firstName":"Secretive Sam")";
    input[1].dataJson = R"(["not","an","object"])";
    const auto results = f.deliver(input);

    BOOST_TEST((results[0].status == DeliveryStatus::Rejected));
    BOOST_TEST(results[0].detail.find("not valid JSON") != std::string::npos, results[0].detail);
    BOOST_TEST(results[0].detail.find("Secretive Sam") == std::string::npos);
    BOOST_TEST((results[1].status == DeliveryStatus::Rejected));
    BOOST_TEST(results[1].detail.find("not a JSON object") != std::string::npos, results[1].detail);
    BOOST_TEST((results[2].status == DeliveryStatus::Sent));
    const auto received = f.server.requests();
    BOOST_TEST_REQUIRE(received.size() == 1u);
    BOOST_TEST(fake::contactsOf(received[0].body).size() == 1u);
}

BOOST_AUTO_TEST_CASE(timeout_is_retried_with_the_same_trigger_ids)
{
    Fixture f([](const test::FakeRequest& r) {
        test::FakeReply reply = fake::ok(r.body);
        if (r.index == 0)
            reply.delay = 3s; // longer than the client's 2 s timeout
        return reply;
    });
    const auto results = f.deliver(reminders(2));

    const auto received = f.server.requests();
    BOOST_TEST_REQUIRE(received.size() == 2u);
    BOOST_TEST(received[0].body == received[1].body);
    BOOST_TEST(f.waits.size() == 1u);
    BOOST_TEST(count(results, DeliveryStatus::Sent) == 2u);
}

BOOST_AUTO_TEST_CASE(unreachable_server_gives_retry_after_max_attempts)
{
    const std::string url = test::closedPortUrl() + "/api/v2/event/{0}/trigger";
    HttpClient http;
    EmarsysOptions options;
    options.apiUrl = url;
    options.externalEventId = EventId;
    options.user = User;
    options.secret = Secret;
    options.maxAttemptsPerBatch = 3;
    EmarsysProvider provider(http, options);
    int sleeps = 0;
    provider.sleeper = [&](std::chrono::milliseconds) { ++sleeps; };
    const auto results = test::deliverAll(provider, reminders(1), Timestamp::now().plusSeconds(60));

    BOOST_TEST(sleeps == 2);
    BOOST_TEST_REQUIRE(results.size() == 1u);
    BOOST_TEST((results[0].status == DeliveryStatus::Retry));
    BOOST_TEST(results[0].detail.find("after 3 attempts") != std::string::npos, results[0].detail);
    BOOST_TEST(results[0].detail.find(Secret) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_options_are_refused_by_name)
{
    HttpClient http;
    EmarsysOptions good;
    good.apiUrl = "https://api.emarsys.net/api/v2/event/{0}/trigger";
    good.externalEventId = EventId;
    good.user = User;
    good.secret = Secret;
    BOOST_CHECK_NO_THROW((EmarsysProvider{http, good}));

    auto noPlaceholder = good;
    noPlaceholder.apiUrl = "https://api.emarsys.net/api/v2/event/trigger";
    BOOST_CHECK_EXCEPTION((EmarsysProvider{http, noPlaceholder}), std::invalid_argument, [](const auto& e) {
        return std::string(e.what()).find("emarsys.apiUrl") != std::string::npos;
    });
    auto noEvent = good;
    noEvent.externalEventId = "";
    BOOST_CHECK_EXCEPTION((EmarsysProvider{http, noEvent}), std::invalid_argument, [](const auto& e) {
        return std::string(e.what()).find("emarsys.externalEventId") != std::string::npos;
    });
    auto quotedUser = good;
    quotedUser.user = "a\"b";
    BOOST_CHECK_THROW((EmarsysProvider{http, quotedUser}), std::invalid_argument);
    auto noSecret = good;
    noSecret.secret = "";
    BOOST_CHECK_THROW((EmarsysProvider{http, noSecret}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(forget_deletes_the_contact_by_its_key_field_and_names_what_went_wrong)
{
    std::vector<test::FakeRequest> seen;
    int status = 200;
    std::string reply = R"({"replyCode":0,"replyText":"OK","data":{"deleted_contacts":1}})";
    Fixture f([&](const test::FakeRequest& r) {
        seen.push_back(r);
        return test::FakeReply{status, reply};
    });
    EmarsysOptions deleting;
    deleting.apiUrl = fake::triggerUrl(f.server);
    deleting.externalEventId = EventId;
    deleting.user = User;
    deleting.secret = Secret;
    deleting.contactDeleteUrl = fake::triggerUrl(f.server);
    f.provider = std::make_unique<EmarsysProvider>(f.http, deleting);

    f.provider->forget("ada@example.com");
    BOOST_REQUIRE(seen.size() == 1u);
    BOOST_TEST(seen[0].method == "POST");
    BOOST_TEST(seen[0].body == R"({"key_id":"3","3":"ada@example.com"})");
    BOOST_TEST(seen[0].header("X-WSSE").starts_with("UsernameToken Username=\"" + User + "\""));

    reply = R"({"replyCode":2008,"replyText":"No contact found with the external id: 3"})";
    status = 400;
    BOOST_CHECK_NO_THROW(f.provider->forget("unknown@example.com")); // nothing to delete: done

    reply = R"({"replyCode":1,"replyText":"Unauthorized"})";
    status = 401;
    BOOST_CHECK_THROW(f.provider->forget("ada@example.com"), ProviderAuthError);

    reply = R"({"replyCode":10001,"replyText":"Internal error"})";
    status = 503;
    try
    {
        f.provider->forget("ada@example.com");
        BOOST_FAIL("expected an error");
    }
    catch (const ProviderAuthError&)
    {
        BOOST_FAIL("a 503 is not an authentication error");
    }
    catch (const std::runtime_error& e)
    {
        BOOST_TEST(std::string(e.what()).find("HTTP 503") != std::string::npos, e.what());
        BOOST_TEST(std::string(e.what()).find("Internal error") != std::string::npos, e.what());
    }
}
