#define BOOST_TEST_MODULE EmarsysProvider on OAuth 2.0
#include <boost/test/unit_test.hpp>

// DESIGN §4.1 and §11 for Emarsys: bearer tokens with one new token after a 401, the replies
// that need care (9003, 5005), and each round of requests reported sending before it leaves.

#include "FakeEmarsys.h"
#include "RecordingJournal.h"

#include "net/HttpClient.h"
#include "net/TokenSource.h"
#include "notify/EmarsysProvider.h"

#include <chrono>
#include <memory>

using namespace acd;
using namespace std::chrono_literals;

namespace {

/// Hands out "token-1", "token-2", ...: a new one after each invalidate().
class CountingTokens : public TokenSource
{
public:
    std::string token() override
    {
        ++fetches;
        if (refuse)
            throw TokenError(RemoteFailure::Refused, "Emarsys token request failed: HTTP 401 invalid_client");
        if (outage)
            throw TokenError(RemoteFailure::Unreachable, "Emarsys token request failed: HTTP 503");
        return "token-" + std::to_string(generation);
    }
    void invalidate() override
    {
        ++invalidations;
        ++generation;
    }

    int generation = 1;
    int fetches = 0;
    int invalidations = 0;
    bool refuse = false;
    bool outage = false;
};

std::vector<Reminder> reminders(std::size_t count)
{
    std::vector<Reminder> list;
    for (std::size_t i = 0; i < count; ++i)
        list.push_back({static_cast<std::int64_t>(100 + i), "trig-" + std::to_string(i),
                        "c" + std::to_string(i) + "@example.com", R"({"firstName":"Ann"})"});
    return list;
}

struct Fixture
{
    explicit Fixture(test::FakeHttpServer::Handler responder, std::size_t maxContacts = 1000,
                     std::size_t inFlight = 1)
        : server(std::move(responder))
    {
        EmarsysOptions options;
        options.apiUrl = fake::triggerUrl(server);
        options.externalEventId = "ev-42";
        options.tokens = tokens;
        options.maxContacts = maxContacts;
        options.batchesInFlight = inFlight;
        provider = std::make_unique<EmarsysProvider>(http, options);
        provider->sleeper = [](std::chrono::milliseconds) {};
        provider->random01 = [] { return 0.5; };
    }

    std::vector<DeliveryResult> deliver(const std::vector<Reminder>& list)
    {
        return test::deliverAll(*provider, list, Timestamp::now().plusSeconds(3600), journal);
    }

    test::FakeHttpServer server;
    HttpClient http;
    std::shared_ptr<CountingTokens> tokens = std::make_shared<CountingTokens>();
    std::unique_ptr<EmarsysProvider> provider;
    test::RecordingJournal journal;
};

test::FakeReply emarsysError(int status, int replyCode, const std::string& text)
{
    return {status,
            R"({"replyCode":)" + std::to_string(replyCode) + R"(,"replyText":")" + text + R"(","data":""})"};
}

} // namespace

BOOST_AUTO_TEST_CASE(requests_carry_a_bearer_token_and_no_wsse)
{
    Fixture f([](const test::FakeRequest& r) { return fake::ok(r.body); });
    const auto results = f.deliver(reminders(2));
    BOOST_TEST((results[0].status == DeliveryStatus::Sent));
    const auto received = f.server.requests();
    BOOST_REQUIRE(received.size() == 1u);
    BOOST_TEST(received[0].header("Authorization") == "Bearer token-1");
    BOOST_TEST(received[0].header("X-WSSE").empty());
    BOOST_TEST(f.tokens->invalidations == 0);
}

BOOST_AUTO_TEST_CASE(a_401_fetches_one_new_token_and_sends_the_batch_again)
{
    Fixture f([](const test::FakeRequest& r) {
        return r.index == 0 ? emarsysError(401, 1, "Unauthorized") : fake::ok(r.body);
    });
    const auto results = f.deliver(reminders(2));
    BOOST_TEST((results[0].status == DeliveryStatus::Sent));
    BOOST_TEST((results[1].status == DeliveryStatus::Sent));
    BOOST_TEST(f.tokens->invalidations == 1);
    const auto received = f.server.requests();
    BOOST_REQUIRE(received.size() == 2u);
    BOOST_TEST(received[0].header("Authorization") == "Bearer token-1");
    BOOST_TEST(received[1].header("Authorization") == "Bearer token-2");
    BOOST_TEST(fake::contactsOf(received[1].body)[0].triggerId == "trig-0"); // the same reminders
}

BOOST_AUTO_TEST_CASE(a_401_with_a_new_token_is_a_refusal_and_the_reminders_stay_pending)
{
    Fixture f([](const test::FakeRequest&) { return emarsysError(401, 1, "Unauthorized"); });
    const auto list = reminders(2);
    const auto says = [](const ProviderAuthError& e) {
        return std::string(e.what()).find("fetched anew") != std::string::npos;
    };
    BOOST_CHECK_EXCEPTION(f.provider->deliver(list, Timestamp::now().plusSeconds(60), f.journal),
                          ProviderAuthError, says);
    BOOST_TEST(f.server.requests().size() == 2u); // once, then once more with a new token
    BOOST_TEST(f.tokens->invalidations == 1);
    for (const DeliveryResult& result : f.journal.resultsFor(list))
        BOOST_TEST((result.status == DeliveryStatus::Retry));
    BOOST_TEST(f.journal.violations.empty());
}

BOOST_AUTO_TEST_CASE(credentials_the_token_service_refuses_stop_before_anything_leaves)
{
    Fixture f([](const test::FakeRequest& r) { return fake::ok(r.body); });
    f.tokens->refuse = true;
    BOOST_CHECK_THROW(f.provider->deliver(reminders(2), Timestamp::now().plusSeconds(60), f.journal),
                      ProviderAuthError);
    f.tokens->refuse = false;
    f.tokens->outage = true; // not a refusal: tried again at the next cycle
    BOOST_CHECK_THROW(f.provider->deliver(reminders(2), Timestamp::now().plusSeconds(60), f.journal),
                      TokenError);
    BOOST_TEST(f.server.requests().empty());
    BOOST_TEST(f.journal.sendingCalls() == 0u);
}

BOOST_AUTO_TEST_CASE(a_trigger_id_emarsys_already_has_is_sent_and_other_errors_are_refusals)
{
    Fixture f([](const test::FakeRequest& r) {
        return fake::ok(r.body, R"({"c0@example.com":{"9003":"Trigger ID already triggered"},)"
                                R"("c1@example.com":{"2008":"No contact found with the external id: 3"}})");
    });
    const auto results = f.deliver(reminders(3));
    BOOST_TEST((results[0].status == DeliveryStatus::Sent));
    BOOST_TEST(results[0].detail.find("9003") != std::string::npos, results[0].detail);
    BOOST_TEST((results[1].status == DeliveryStatus::Rejected));
    BOOST_TEST(results[1].detail.find("2008") != std::string::npos);
    BOOST_TEST((results[2].status == DeliveryStatus::Sent));
}

BOOST_AUTO_TEST_CASE(an_event_that_starts_no_program_is_a_configuration_error_naming_it)
{
    Fixture f([](const test::FakeRequest&) {
        return emarsysError(400, 5005, "No program or campaign is triggered");
    });
    const auto list = reminders(2);
    const auto says = [](const ProviderConfigError& e) {
        const std::string text = e.what();
        return text.find("emarsys.externalEventId = ev-42") != std::string::npos &&
               text.find("5005") != std::string::npos;
    };
    BOOST_CHECK_EXCEPTION(f.provider->deliver(list, Timestamp::now().plusSeconds(60), f.journal),
                          ProviderConfigError, says);
    BOOST_TEST(f.server.requests().size() == 1u); // the same answer would come again
    for (const DeliveryResult& result : f.journal.resultsFor(list))
        BOOST_TEST((result.status == DeliveryStatus::Retry));
}

BOOST_AUTO_TEST_CASE(each_round_is_reported_sending_before_it_leaves_and_answered_once_back)
{
    // Two contacts a batch, two batches at once: five reminders take a round of two requests,
    // then a round of one.
    test::RecordingJournal* journal = nullptr;
    std::vector<std::string> notMarked;
    Fixture f(
        [&](const test::FakeRequest& r) {
            for (const fake::Contact& contact : fake::contactsOf(r.body))
            {
                const std::int64_t id = 100 + std::stoll(contact.triggerId.substr(5));
                if (!journal->inFlight.contains(id))
                    notMarked.push_back(contact.triggerId);
            }
            return fake::ok(r.body);
        },
        2, 2);
    journal = &f.journal;
    const auto results = f.deliver(reminders(5));
    for (const DeliveryResult& result : results)
        BOOST_TEST((result.status == DeliveryStatus::Sent));
    BOOST_TEST(notMarked.empty(), "reached the server before being reported sending: " << notMarked.size());
    BOOST_REQUIRE(f.journal.events.size() == 4u);
    BOOST_TEST(f.journal.events[0].sending);
    BOOST_TEST(f.journal.events[0].ids.size() == 4u); // one write for the round, not one per reminder
    BOOST_TEST(!f.journal.events[1].sending);
    BOOST_TEST(f.journal.events[1].ids.size() == 4u);
    BOOST_TEST(f.journal.events[2].sending);
    BOOST_TEST(f.journal.events[2].ids.size() == 1u);
    BOOST_TEST(!f.journal.events[3].sending);
}
