#define BOOST_TEST_MODULE emarsys_tests
#include <boost/test/unit_test.hpp>

// Emarsys as DESIGN §4.1 describes it, against the simulator: OAuth 2.0 on the v3 API by
// default (with its limit of 2 token fetches a minute and 10 an hour), WSSE on v2 for the
// accounts not moved yet, and the replies that need care (9003, 5005, 429 without Retry-After).

#include "Harness.h"
#include "ScenarioBuilder.h"
#include "SimRun.h"

#include <SQLiteCpp/Database.h>

#include <ctime>
#include <string>
#include <vector>

using namespace acd::test;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

ScenarioBuilder store()
{
    ScenarioBuilder s;
    s.customer("C1", "Ada", "Lovelace", "ada@example.com")
        .customer("C2", "Alan", "Turing", "alan@example.com")
        .product(68719476736, "Trail Runner Shoe", "89.90", "Products/TrailRunner_000_001.png")
        .cart("c1", "C1", 60, {68719476736});
    return s;
}

std::vector<Object::Ptr> requestsOf(const SimRun& run, const std::string& kind)
{
    const Array::Ptr all = parseArray(run.sim->get("/_sim/requests?kind=" + kind));
    std::vector<Object::Ptr> requests;
    for (std::size_t i = 0; i < all->size(); ++i)
        requests.push_back(all->getObject(static_cast<unsigned>(i)));
    return requests;
}

std::string header(const Object::Ptr& request, const std::string& name)
{
    return request->getObject("headers")->optValue<std::string>(name, "");
}

double secondOfDay(const Object::Ptr& request)
{
    const std::string time = request->getValue<std::string>("time");
    return std::stoi(time.substr(11, 2)) * 3600.0 + std::stoi(time.substr(14, 2)) * 60.0 +
           std::stod(time.substr(17, time.size() - 18));
}

std::string cycleStatus(const SimRun& run)
{
    SQLite::Database db(run.ledger());
    return db.execAndGet("SELECT status FROM cycles ORDER BY id DESC LIMIT 1").getString();
}

} // namespace

BOOST_AUTO_TEST_CASE(reminders_go_out_on_v3_with_one_token_kept_across_processes)
{
    SimRun run(store(), {{"notify.retryBudgetSeconds", "1"}});
    // The first process fetches a token, then Emarsys is down: the reminder stays pending.
    run.sim->fault(R"({"kind":"emarsysTrigger","status":503,"times":1000})");
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.ledgerStates()["c1"] == "pending");
    run.sim->del("/_sim/faults");
    // The next process sends it with the token the first one kept.
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.ledgerStates()["c1"] == "sent");
    BOOST_TEST(run.stat("emarsysTokensIssued") == 1);
    BOOST_TEST(run.stat("emarsysToken") == 1);

    const auto tokens = requestsOf(run, "emarsysToken");
    BOOST_REQUIRE(tokens.size() == 1u);
    // Client credentials in a Basic header, never in the body.
    BOOST_TEST(header(tokens[0], "Authorization").starts_with("Basic "));
    BOOST_TEST(tokens[0]->getValue<std::string>("body") == "grant_type=client_credentials");
    const auto triggers = requestsOf(run, "emarsysTrigger");
    BOOST_REQUIRE(triggers.size() >= 2u);
    for (const Object::Ptr& trigger : triggers)
    {
        BOOST_TEST(trigger->getValue<std::string>("path") == "/api/v3/event/1234/trigger");
        BOOST_TEST(header(trigger, "Authorization") == header(triggers[0], "Authorization"));
        BOOST_TEST(header(trigger, "X-WSSE").empty());
    }
    BOOST_TEST(header(triggers[0], "Authorization").starts_with("Bearer "));
}

BOOST_AUTO_TEST_CASE(five_purges_in_a_row_fetch_one_token)
{
    SimRun run(store());
    for (int i = 0; i < 5; ++i)
        REQUIRE_SUCCESS(run.run({"--purge=ada@example.com"}));
    BOOST_TEST(run.stat("contactDelete") == 5);
    BOOST_TEST(run.stat("emarsysToken") == 1);
    for (const Object::Ptr& purge : requestsOf(run, "contactDelete"))
    {
        BOOST_TEST(purge->getValue<std::string>("path") == "/api/v3/contact/delete");
        BOOST_TEST(purge->getValue<int>("status") == 200);
    }
}

BOOST_AUTO_TEST_CASE(a_kept_token_refused_is_fetched_anew_once)
{
    SimRun run(store());
    REQUIRE_SUCCESS(run.run({"--purge=alan@example.com"})); // fetches and keeps a token
    run.sim->post("/_sim/revoke-tokens", "");
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.ledgerStates()["c1"] == "sent");
    BOOST_TEST(run.stat("emarsysTokensIssued") == 2);
    const auto triggers = requestsOf(run, "emarsysTrigger");
    BOOST_REQUIRE(triggers.size() == 2u);
    BOOST_TEST(triggers[0]->getValue<int>("status") == 401);
    BOOST_TEST(triggers[1]->getValue<int>("status") == 200);
    BOOST_TEST(header(triggers[0], "Authorization") != header(triggers[1], "Authorization"));
}

BOOST_AUTO_TEST_CASE(refused_client_credentials_stop_the_cycle_and_keep_the_reminders)
{
    SimRun run(store());
    const RunResult result = run.once({{"ACD_SECRET_EMARSYS_CLIENT_SECRET", "not-the-secret"}});
    BOOST_TEST(result.exitCode != 0);
    BOOST_TEST(result.err.find("invalid_client") != std::string::npos, result.err);
    BOOST_TEST(result.err.find("not-the-secret") == std::string::npos);
    BOOST_TEST(run.ledgerStates()["c1"] == "pending");
    BOOST_TEST(cycleStatus(run) == "failed");
    BOOST_TEST(run.stat("emarsysTrigger") == 0);
}

BOOST_AUTO_TEST_CASE(wsse_on_v2_still_sends_and_says_it_is_being_retired)
{
    SimRun run(store());
    run.config = writeConfig(run.dir, *run.sim, emarsysWsseKeys(*run.sim));
    const RunResult check = run.run({"--config-check"});
    BOOST_TEST(check.exitCode == 0);
    BOOST_TEST((check.out + check.err).find("retires WSSE") != std::string::npos, check.out + check.err);
    const RunResult result = run.once();
    BOOST_TEST_INFO("stderr: " << result.err);
    BOOST_REQUIRE_EQUAL(result.exitCode, 0);
    BOOST_TEST(run.ledgerStates()["c1"] == "sent");
    const auto triggers = requestsOf(run, "emarsysTrigger");
    BOOST_REQUIRE(triggers.size() == 1u);
    BOOST_TEST(triggers[0]->getValue<std::string>("path") == "/api/v2/event/1234/trigger");
    BOOST_TEST(header(triggers[0], "X-WSSE").starts_with("UsernameToken "));
    BOOST_TEST(run.stat("emarsysToken") == 0);
}

BOOST_AUTO_TEST_CASE(wsse_credentials_refused_stop_the_cycle)
{
    SimRun run(store());
    run.config = writeConfig(run.dir, *run.sim, emarsysWsseKeys(*run.sim));
    const RunResult result = run.once({{"ACD_SECRET_EMARSYS_API_SECRET", "not-the-secret"}});
    BOOST_TEST(result.exitCode != 0);
    BOOST_TEST(result.err.find("401") != std::string::npos);
    BOOST_TEST(result.err.find("not-the-secret") == std::string::npos);
    BOOST_TEST(run.ledgerStates()["c1"] == "pending");
    BOOST_TEST(cycleStatus(run) == "failed");
}

BOOST_AUTO_TEST_CASE(a_trigger_id_emarsys_already_has_counts_as_sent)
{
    SimRun run(store());
    // Emarsys takes the batch but its answer is lost: the retry gets 9003 for the same trigger_id.
    run.sim->fault(R"({"kind":"emarsysTrigger","action":"drop","times":1})");
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.ledgerStates()["c1"] == "sent");
    BOOST_TEST(run.notificationReason("c1").find("9003") != std::string::npos, run.notificationReason("c1"));
    BOOST_TEST(run.sim->deliveries()->size() == 1u);
    BOOST_TEST(run.stat("emarsysDuplicates") == 1);
}

BOOST_AUTO_TEST_CASE(an_event_that_starts_no_program_is_a_configuration_error)
{
    SimRun run(store());
    run.sim->fault(R"({"kind":"emarsysTrigger","status":400,"replyCode":5005,)"
                   R"("replyText":"No program or campaign is triggered","times":1000})");
    const RunResult result = run.once();
    BOOST_TEST(result.exitCode != 0);
    BOOST_TEST(result.err.find("5005") != std::string::npos, result.err);
    BOOST_TEST(result.err.find("emarsys.externalEventId = 1234") != std::string::npos, result.err);
    BOOST_TEST(run.ledgerStates()["c1"] == "pending");
    BOOST_TEST(cycleStatus(run) == "failed");
    BOOST_TEST(run.stat("emarsysTrigger") == 1); // not retried: the same answer would come back

    run.sim->del("/_sim/faults"); // the event is connected to a program
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.ledgerStates()["c1"] == "sent");
}

BOOST_AUTO_TEST_CASE(throttling_waits_until_the_rate_limit_resets)
{
    SimRun run(store());
    const std::string resetAt = std::to_string(std::time(nullptr) + 3);
    run.sim->fault(R"({"kind":"emarsysTrigger","status":429,"times":1,"header":{"X-RateLimit-Reset":")" +
                   resetAt + R"("}})");
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.ledgerStates()["c1"] == "sent");
    const auto triggers = requestsOf(run, "emarsysTrigger");
    BOOST_REQUIRE(triggers.size() == 2u);
    BOOST_TEST(triggers[0]->getValue<int>("status") == 429);
    // Emarsys sends no Retry-After: the wait comes from X-RateLimit-Reset, a Unix time.
    BOOST_TEST(secondOfDay(triggers[1]) - secondOfDay(triggers[0]) >= 1.9);
}
