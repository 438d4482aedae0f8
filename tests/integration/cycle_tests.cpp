#define BOOST_TEST_MODULE cycle_tests
#include <boost/test/unit_test.hpp>

#include "Harness.h"
#include "ScenarioBuilder.h"
#include "SimRun.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timespan.h>
#include <Poco/Timestamp.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

using namespace acd::test;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

const std::string Daemon = binaryPath("abandoned-cartd");
using Scenario = ScenarioBuilder;

/// The usual small store: three customers with emails, two products.
Scenario basicStore()
{
    Scenario s;
    s.customer("C1", "Ada", "Lovelace", "ada@example.com")
        .customer("C2", "Alan", "Turing", "alan@example.com")
        .customer("C3", "Grace", "Hopper", "grace@example.com")
        .product(68719476736, "Trail Runner Shoe", "89.90", "Products/TrailRunner_000_001.png")
        .product(68719476737, "Wool Socks", "12.00", "https://cdn.example.com/socks.png");
    return s;
}

using Run = SimRun;

} // namespace

BOOST_AUTO_TEST_CASE(one_reminder_per_customer_for_the_latest_cart)
{
    Scenario s = basicStore();
    s.cart("c1-old", "C1", 120, {68719476736})
        .cart("c1-new", "C1", 60, {68719476737})
        .cart("c2", "C2", 90, {68719476736});
    Run run(s);
    REQUIRE_SUCCESS(run.once());
    auto delivered = run.deliveredByEmail();
    BOOST_TEST(delivered.size() == 2u);
    BOOST_REQUIRE(delivered.contains("ada@example.com"));
    Object::Ptr data = delivered["ada@example.com"]->getObject("data");
    BOOST_TEST(data->getValue<std::string>("firstName") == "Ada");
    BOOST_TEST(data->getValue<std::string>("currency") == "EUR");
    BOOST_TEST(data->getValue<std::string>("returnToCartUrl") ==
               "https://shop.example.com/cart?id=c1-new&c=C1");
    Array::Ptr lines = data->getArray("orderDetails");
    BOOST_REQUIRE(lines->size() == 1u);
    Object::Ptr line = lines->getObject(0);
    BOOST_TEST(line->getValue<std::string>("productName") == "Wool Socks");
    BOOST_TEST(line->getValue<std::string>("unitPrice") == "10.5");
    BOOST_TEST(line->getValue<std::string>("quantity") == "1");
    auto states = run.ledgerStates();
    BOOST_TEST(states["c1-old"] == "skipped:superseded");
    BOOST_TEST(states["c1-new"] == "sent");
    BOOST_TEST(states["c2"] == "sent");
}

BOOST_AUTO_TEST_CASE(image_urls_per_viewport)
{
    Scenario s = basicStore();
    s.cart("c1", "C1", 60, {68719476736, 68719476737});
    Run run(s);
    REQUIRE_SUCCESS(run.once());
    Array::Ptr lines = run.deliveredByEmail()["ada@example.com"]->getObject("data")->getArray("orderDetails");
    BOOST_REQUIRE(lines->size() == 2u);
    Object::Ptr relative = lines->getObject(0)->getObject("productImage");
    BOOST_TEST(relative->getValue<std::string>("altText") == "Trail Runner Shoe");
    Array::Ptr images = relative->getArray("viewPortImages");
    BOOST_REQUIRE(images->size() == 3u);
    int defaults = 0;
    for (unsigned i = 0; i < images->size(); ++i)
    {
        Object::Ptr image = images->getObject(i);
        const std::string url = image->getValue<std::string>("url");
        BOOST_TEST(url.starts_with("https://images.example.com/cms/Products/TrailRunner_000_001.png&w="));
        BOOST_TEST(url.find("&q=80&m=6&f=jpg") != std::string::npos);
        defaults += image->getValue<bool>("useForDefaultImageTag") ? 1 : 0;
    }
    BOOST_TEST(defaults == 1);
    Array::Ptr absolute = lines->getObject(1)->getObject("productImage")->getArray("viewPortImages");
    for (unsigned i = 0; i < absolute->size(); ++i)
        BOOST_TEST(absolute->getObject(i)->getValue<std::string>("url") ==
                   "https://cdn.example.com/socks.png");
}

BOOST_AUTO_TEST_CASE(a_second_cycle_right_after_sends_nothing)
{
    Scenario s = basicStore();
    s.cart("c1", "C1", 60, {68719476736}).cart("c2", "C2", 50, {68719476737});
    Run run(s);
    REQUIRE_SUCCESS(run.once());
    const auto triggersBefore = run.stat("emarsysTrigger");
    const auto statesBefore = run.ledgerStates();
    BOOST_TEST(run.deliveredByEmail().size() == 2u);
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.stat("emarsysTrigger") == triggersBefore);
    BOOST_TEST(run.stat("emarsysDuplicates") == 0);
    BOOST_TEST(run.deliveredByEmail().size() == 2u);
    BOOST_TEST((run.ledgerStates() == statesBefore));
}

BOOST_AUTO_TEST_CASE(ties_at_page_boundaries_lose_nothing)
{
    Scenario s = basicStore();
    const std::string sameInstant =
        Poco::DateTimeFormatter::format(Poco::Timestamp() - Poco::Timespan(0, 1, 0, 0, 0),
                                        "%Y-%m-%dT%H:%M:%S") +
        ".1234567+00:00";
    for (int i = 0; i < 7; ++i)
    {
        const std::string account = "T" + std::to_string(i);
        s.customer(account, "Tie", std::to_string(i), "tie" + std::to_string(i) + "@example.com");
        s.cartAt("tie-" + std::to_string(i), account, sameInstant, {68719476736});
    }
    Run run(s, {{"retailServer.pageSize", "2"}, {"retailServer.concurrency", "1"}});
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.deliveredByEmail().size() == 7u);
    BOOST_TEST(run.stat("cartSearch") >= 4);
}

BOOST_AUTO_TEST_CASE(empty_and_untimed_carts_are_skipped_with_their_reason)
{
    Scenario s = basicStore();
    s.cart("empty", "C1", 60, {})
        .cart("untimed", "C2", -1, {68719476736})
        .cart("fine", "C3", 60, {68719476736});
    Run run(s);
    REQUIRE_SUCCESS(run.once());
    auto states = run.ledgerStates();
    BOOST_TEST(states["empty"] == "skipped:empty");
    BOOST_TEST(states["untimed"] == "skipped:untimed");
    BOOST_TEST(states["fine"] == "sent");
    BOOST_TEST(run.deliveredByEmail().size() == 1u);
}

BOOST_AUTO_TEST_CASE(unknown_customers_and_products_and_missing_emails)
{
    Scenario s = basicStore();
    s.customer("NOMAIL", "No", "Mail", "");
    s.cart("ghost", "NOBODY", 60, {68719476736})
        .cart("nomail", "NOMAIL", 60, {68719476736})
        .cart("noproduct", "C1", 60, {999})
        .cart("halfknown", "C2", 60, {999, 68719476737});
    Run run(s);
    REQUIRE_SUCCESS(run.once());
    auto states = run.ledgerStates();
    BOOST_TEST(states["ghost"] == "skipped:customer_unknown");
    BOOST_TEST(states["nomail"] == "skipped:no_email");
    BOOST_TEST(states["noproduct"] == "skipped:no_product_found");
    BOOST_TEST(states["halfknown"] == "sent");
    auto delivered = run.deliveredByEmail();
    BOOST_REQUIRE(delivered.contains("alan@example.com"));
    Array::Ptr lines = delivered["alan@example.com"]->getObject("data")->getArray("orderDetails");
    BOOST_REQUIRE(lines->size() == 1u);
    BOOST_TEST(lines->getObject(0)->getValue<std::string>("productName") == "Wool Socks");
}

BOOST_AUTO_TEST_CASE(hostile_and_non_ascii_names_arrive_intact)
{
    const std::string hostile = "<script>alert(\"x\")</script> & \"Quotes\" \\ '";
    Scenario s;
    s.customer("H1", hostile, "Zoë Ångström", "zoe@example.com")
        .customer("H2", "李小龙", "Ωmega", "lee@example.com")
        .product(1, "Café crème <b>bold</b> \"édition\"", "3.5", "Products/Caf\u00e9 cr\u00e8me.png");
    s.cart("h1", "H1", 60, {1}).cart("h2", "H2", 60, {1});
    Run run(s);
    REQUIRE_SUCCESS(run.once());
    auto delivered = run.deliveredByEmail();
    BOOST_REQUIRE(delivered.size() == 2u);
    Object::Ptr zoe = delivered["zoe@example.com"]->getObject("data");
    BOOST_TEST(zoe->getValue<std::string>("firstName") == hostile);
    BOOST_TEST(zoe->getValue<std::string>("lastName") == "Zoë Ångström");
    BOOST_TEST(delivered["lee@example.com"]->getObject("data")->getValue<std::string>("firstName") ==
               "李小龙");
    Object::Ptr line = zoe->getArray("orderDetails")->getObject(0);
    BOOST_TEST(line->getValue<std::string>("productName") == "Café crème <b>bold</b> \"édition\"");
    const std::string url = line->getObject("productImage")
                                ->getArray("viewPortImages")
                                ->getObject(0)
                                ->getValue<std::string>("url");
    BOOST_TEST(url.find("Caf%C3%A9%20cr%C3%A8me.png") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(per_contact_errors_are_final_results)
{
    Scenario s = basicStore();
    s.knownContacts({"ada@example.com", "grace@example.com"});
    s.cart("c1", "C1", 60, {68719476736})
        .cart("c2", "C2", 60, {68719476736})
        .cart("c3", "C3", 60, {68719476736});
    Run run(s);
    REQUIRE_SUCCESS(run.once());
    auto states = run.ledgerStates();
    BOOST_TEST(states["c1"] == "sent");
    BOOST_TEST(states["c2"] == "failed");
    BOOST_TEST(states["c3"] == "sent");
    BOOST_TEST(run.notificationReason("c2").find("2008") != std::string::npos);
    const auto requests = run.stat("emarsysTrigger");
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.stat("emarsysTrigger") == requests); // not retried
}

BOOST_AUTO_TEST_CASE(throttling_and_server_errors_are_retried_without_duplicates)
{
    Scenario s = basicStore();
    s.cart("c1", "C1", 60, {68719476736})
        .cart("c2", "C2", 60, {68719476736})
        .cart("c3", "C3", 60, {68719476736});
    Run run(s);
    run.sim->fault(R"({"kind":"emarsysTrigger","status":429,"times":2,"retryAfter":"1"})");
    run.sim->fault(R"({"kind":"emarsysTrigger","status":503,"times":2})");
    run.sim->fault(R"({"kind":"cartSearch","status":503,"times":2})");
    run.sim->fault(R"({"kind":"customers","status":429,"times":1,"retryAfter":"0"})");
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.deliveredByEmail().size() == 3u);
    BOOST_TEST(run.sim->deliveries()->size() == 3u); // no second send under a new trigger_id
    BOOST_TEST(run.stat("emarsysDuplicates") == 0);  // nor under the same one
    BOOST_TEST(run.stat("emarsysTrigger") >= 5);
    for (const auto& [cart, state] : run.ledgerStates())
        BOOST_TEST(state == "sent", cart);
}

BOOST_AUTO_TEST_CASE(undelivered_reminders_stay_pending_and_resume_with_the_same_trigger_id)
{
    Scenario s = basicStore();
    s.cart("c1", "C1", 60, {68719476736});
    Run run(s, {{"notify.retryBudgetSeconds", "1"}});
    run.sim->fault(R"({"kind":"emarsysTrigger","status":503,"times":100})");
    REQUIRE_SUCCESS(run.once()); // the cycle completed; the reminder could not be delivered yet
    BOOST_TEST(run.ledgerStates()["c1"] == "pending");
    BOOST_TEST(run.deliveredByEmail().empty());
    Array::Ptr requests = run.sim->requests();
    std::set<std::string> triggerIds;
    for (unsigned i = 0; i < requests->size(); ++i)
    {
        Object::Ptr r = requests->getObject(i);
        if (r->getValue<std::string>("path").find("/trigger") != std::string::npos)
            triggerIds.insert(parseObject(r->getValue<std::string>("body"))
                                  ->getArray("contacts")
                                  ->getObject(0)
                                  ->getValue<std::string>("trigger_id"));
    }
    BOOST_REQUIRE(triggerIds.size() == 1u);
    run.sim->del("/_sim/faults");
    REQUIRE_SUCCESS(run.once());
    auto delivered = run.deliveredByEmail();
    BOOST_REQUIRE(delivered.size() == 1u);
    BOOST_TEST(delivered["ada@example.com"]->getValue<std::string>("trigger_id") == *triggerIds.begin());
    BOOST_TEST(run.ledgerStates()["c1"] == "sent");
}

BOOST_AUTO_TEST_CASE(no_flood_of_old_carts)
{
    Scenario s = basicStore();
    s.cart("ancient", "C1", 600, {68719476736}).cart("recent", "C2", 60, {68719476736});
    Run run(s);
    REQUIRE_SUCCESS(run.once());
    auto states = run.ledgerStates();
    BOOST_TEST(!states.contains("ancient"));
    BOOST_TEST(states["recent"] == "sent");
}

BOOST_AUTO_TEST_CASE(a_modified_cart_is_a_new_episode_subject_to_the_cooldown)
{
    Scenario s = basicStore();
    s.cart("c1", "C1", 60, {68719476736}).cart("c2", "C2", 60, {68719476736});
    Run run(s, {{"detection.excludeModifiedSinceLastMinutes", "0"}});
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.deliveredByEmail().size() == 2u);
    // Both customers come back to their carts; c1 with the default 24 h cooldown.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    run.sim->post("/_sim/carts", Scenario().cart("c1", "C1", 0, {68719476737}).cartsJson());
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.deliveredByEmail().size() == 2u);
    SQLite::Database db(run.dir.file("ledger.sqlite"));
    BOOST_TEST(db.execAndGet("SELECT COUNT(*) FROM notifications WHERE cart_id = 'c1'").getInt() == 2);
    BOOST_TEST(db.execAndGet("SELECT reason FROM notifications WHERE cart_id = 'c1' AND status = 'skipped'")
                   .getString() == "cooldown");
}

BOOST_AUTO_TEST_CASE(sigkill_during_a_send_then_restart_delivers_each_reminder_once)
{
    Scenario s = basicStore();
    for (int i = 0; i < 30; ++i)
    {
        const std::string account = "K" + std::to_string(i);
        s.customer(account, "Kill", std::to_string(i), "k" + std::to_string(i) + "@example.com");
        s.cart("k-" + std::to_string(i), account, 60 - i, {68719476736});
    }
    Run run(s);
    // The simulated Emarsys takes its time over the first batch: the daemon is killed while waiting.
    run.sim->fault(R"({"kind":"emarsysTrigger","action":"slow","delayMs":4000,"times":1})");
    auto env = simSecrets();
    {
        ChildProcess daemon(Daemon, {"--config=" + run.config, "--once"}, env, run.dir.file("killed.log"));
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (run.stat("emarsysTriggerReceived") == 0 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        BOOST_REQUIRE(run.stat("emarsysTriggerReceived") >= 1);
        BOOST_REQUIRE(run.stat("emarsysTrigger") == 0); // its reply is still held back
        daemon.kill();
        daemon.wait();
    }
    BOOST_TEST(run.ledgerStates().size() == 30u);
    REQUIRE_SUCCESS(run.once());
    std::this_thread::sleep_for(std::chrono::milliseconds(4500)); // let the slow request finish too
    Array::Ptr deliveries = run.sim->deliveries();
    std::set<std::string> triggers, emails;
    for (unsigned i = 0; i < deliveries->size(); ++i)
    {
        triggers.insert(deliveries->getObject(i)->getValue<std::string>("trigger_id"));
        emails.insert(deliveries->getObject(i)->getValue<std::string>("external_id"));
    }
    BOOST_TEST(deliveries->size() == 30u);
    BOOST_TEST(triggers.size() == 30u);
    BOOST_TEST(emails.size() == 30u);
    for (const auto& [cart, state] : run.ledgerStates())
        BOOST_TEST(state == "sent", cart);
    SQLite::Database db(run.dir.file("ledger.sqlite"));
    BOOST_TEST(db.execAndGet("SELECT COUNT(*) FROM cycles WHERE status = 'interrupted'").getInt() == 1);
    // The killed cycle's staged carts (account numbers) did not outlive it.
    BOOST_TEST(db.execAndGet("SELECT COUNT(*) FROM candidates").getInt() == 0);
    BOOST_TEST(db.execAndGet("SELECT COUNT(*) FROM chosen").getInt() == 0);
}

BOOST_AUTO_TEST_CASE(thousands_of_carts_go_in_full_batches_within_the_emarsys_limits)
{
    TempDir dir;
    CommerceSim sim(Scenario().write(dir), {"--generate=carts=2500,seed=7"});
    const std::string config = writeConfig(dir, sim, {{"retailServer.pageSize", "500"}});
    const RunResult result = runProgram(Daemon, {"--config=" + config, "--once"}, simSecrets());
    REQUIRE_SUCCESS(result);
    BOOST_TEST(sim.deliveries()->size() == 2500u);
    Array::Ptr requests = sim.requests();
    std::size_t contacts = 0, bytes = 0, batches = 0;
    for (unsigned i = 0; i < requests->size(); ++i)
    {
        Object::Ptr r = requests->getObject(i);
        if (r->getValue<std::string>("path").find("/trigger") == std::string::npos)
            continue;
        const std::string body = r->getValue<std::string>("body");
        const std::size_t count = parseObject(body)->getArray("contacts")->size();
        BOOST_TEST(count <= 1000u);
        BOOST_TEST(body.size() <= 1000000u);
        contacts += count;
        bytes += body.size();
        ++batches;
    }
    BOOST_TEST(contacts == 2500u);
    // Filled up to the limits: no more requests than the contact and size limits force, plus
    // one partly filled batch per outbox read of 1000 reminders.
    const std::size_t forced = std::max<std::size_t>((contacts + 999) / 1000, (bytes + 999999) / 1000000);
    BOOST_TEST(batches <= forced + 3);
}

BOOST_AUTO_TEST_CASE(the_window_advances_only_when_every_page_was_read)
{
    Scenario s = basicStore();
    for (int i = 0; i < 6; ++i)
    {
        const std::string account = "W" + std::to_string(i);
        s.customer(account, "Window", std::to_string(i), "w" + std::to_string(i) + "@example.com");
        s.cart("w-" + std::to_string(i), account, 60 - i, {68719476736});
    }
    Run run(s, {{"retailServer.pageSize", "2"}, {"retailServer.concurrency", "1"}});
    // The first page is read, the second is refused: the cycle cannot have seen every cart.
    run.sim->fault(R"({"kind":"cartSearch","status":400,"times":1000,"afterMatches":1})");
    const RunResult failed = run.once();
    BOOST_TEST(failed.exitCode != 0);
    {
        SQLite::Database db(run.dir.file("ledger.sqlite"));
        BOOST_TEST(db.execAndGet("SELECT count(*) FROM window_state").getInt() == 0);
        BOOST_TEST(db.execAndGet("SELECT status FROM cycles ORDER BY id DESC LIMIT 1").getString() ==
                   "failed");
        BOOST_TEST(db.execAndGet("SELECT count(*) FROM candidates").getInt() == 0);
        BOOST_TEST(db.execAndGet("SELECT count(*) FROM chosen").getInt() == 0);
    }
    BOOST_TEST(run.sim->deliveries()->size() == 0u);

    run.sim->del("/_sim/faults");
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.deliveredByEmail().size() == 6u);
    SQLite::Database db(run.dir.file("ledger.sqlite"));
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM window_state").getInt() == 1);
}

// Reminders go out while later carts are still being decided: a lookup failing halfway
// through must leave every reminder either sent once or still queued, never lost or doubled.
BOOST_AUTO_TEST_CASE(a_lookup_failing_while_earlier_reminders_go_out_loses_and_doubles_nothing)
{
    TempDir dir;
    CommerceSim sim(Scenario().write(dir), {"--generate=carts=5000,seed=11"});
    const std::string config =
        writeConfig(dir, sim, {{"retailServer.pageSize", "500"}, {"retailServer.concurrency", "1"}});
    // Six chunks of 500 carts are decided, and the first full Emarsys requests go out meanwhile;
    // the seventh chunk's customers are refused.
    sim.fault(R"({"kind":"customers","status":400,"times":1000,"afterMatches":6})");
    const RunResult failed = runProgram(Daemon, {"--config=" + config, "--once"}, simSecrets());
    BOOST_TEST(failed.exitCode != 0);
    std::int64_t sentFirst = 0;
    {
        SQLite::Database db(dir.file("ledger.sqlite"));
        BOOST_TEST(db.execAndGet("SELECT status FROM cycles ORDER BY id DESC LIMIT 1").getString() ==
                   "failed");
        BOOST_TEST(db.execAndGet("SELECT count(*) FROM window_state").getInt() == 0);
        BOOST_TEST(db.execAndGet("SELECT count(*) FROM notifications").getInt() == 3000);
        BOOST_TEST(db.execAndGet("SELECT count(*) FROM notifications WHERE status NOT IN ('sent', 'pending')")
                       .getInt() == 0);
        sentFirst = db.execAndGet("SELECT count(*) FROM notifications WHERE status = 'sent'").getInt64();
        BOOST_TEST(db.execAndGet("SELECT count(*) FROM outbox").getInt64() == 3000 - sentFirst);
    }
    BOOST_TEST(sentFirst > 0); // sent while later chunks were being decided
    BOOST_TEST(static_cast<std::int64_t>(sim.deliveries()->size()) == sentFirst);

    sim.del("/_sim/faults");
    REQUIRE_SUCCESS(runProgram(Daemon, {"--config=" + config, "--once"}, simSecrets()));
    BOOST_TEST(sim.deliveries()->size() == 5000u);
    Poco::JSON::Object::Ptr stats = sim.stats();
    BOOST_TEST(stats->getValue<std::int64_t>("emarsysDuplicates") == 0);
    SQLite::Database db(dir.file("ledger.sqlite"));
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM notifications WHERE status = 'sent'").getInt() == 5000);
}

// A backlog left by an Emarsys outage is sent in full by the next cycle, however many rounds
// of requests it takes.
BOOST_AUTO_TEST_CASE(a_backlog_of_many_requests_is_sent_in_one_cycle)
{
    TempDir dir;
    CommerceSim sim(Scenario().write(dir), {"--generate=carts=4000,seed=5"});
    const std::string config = writeConfig(dir, sim, {{"retailServer.pageSize", "1000"}});
    // Refused whatever the token: the new token fetched after the first 401 is refused too.
    sim.fault(R"({"kind":"emarsysTrigger","status":401,"times":1000})");
    BOOST_TEST(runProgram(Daemon, {"--config=" + config, "--once"}, simSecrets()).exitCode != 0);
    sim.del("/_sim/faults");
    {
        SQLite::Database db(dir.file("ledger.sqlite"));
        BOOST_TEST(db.execAndGet("SELECT count(*) FROM notifications WHERE status = 'pending'").getInt() ==
                   4000);
    }
    REQUIRE_SUCCESS(runProgram(Daemon, {"--config=" + config, "--once"}, simSecrets()));
    BOOST_TEST(sim.deliveries()->size() == 4000u);
    SQLite::Database db(dir.file("ledger.sqlite"));
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM notifications WHERE status = 'sent'").getInt() == 4000);
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM outbox").getInt() == 0);
}

// Sends start while the cycle still decides: the retry budget must not run out for the
// reminders decided last just because deciding took longer than the budget.
BOOST_AUTO_TEST_CASE(deciding_for_longer_than_the_retry_budget_still_sends_everything)
{
    TempDir dir;
    CommerceSim sim(Scenario().write(dir), {"--generate=carts=5000,seed=3", "--latency-ms=300"});
    const std::string config = writeConfig(dir, sim,
                                           {{"retailServer.pageSize", "500"},
                                            {"retailServer.concurrency", "1"},
                                            // Deciding outlasts the budget (asserted below); the
                                            // last batches after it need more than 1 s on a
                                            // loaded machine, far less than 3 s.
                                            {"notify.retryBudgetSeconds", "3"}});
    REQUIRE_SUCCESS(runProgram(Daemon, {"--config=" + config, "--once"}, simSecrets()));
    BOOST_TEST(sim.deliveries()->size() == 5000u);
    SQLite::Database db(dir.file("ledger.sqlite"));
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM notifications WHERE status = 'sent'").getInt() == 5000);
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM notifications WHERE attempts <> 1").getInt() == 0);
    // The cycle did decide for longer than the budget, or this test proves nothing.
    BOOST_TEST(db.execAndGet("SELECT (julianday(ended_at) - julianday(started_at)) * 86400 FROM cycles")
                   .getDouble() > 6.0);
}

BOOST_AUTO_TEST_CASE(customers_and_products_are_fetched_per_page_not_per_cart)
{
    Scenario s = basicStore();
    for (int i = 0; i < 40; ++i)
    {
        const std::string account = "B" + std::to_string(i);
        s.customer(account, "Batch", std::to_string(i), "b" + std::to_string(i) + "@example.com");
        s.cart("b-" + std::to_string(i), account, 60 - i, {68719476736, 68719476737});
    }
    Run run(s, {{"retailServer.pageSize", "20"}});
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.deliveredByEmail().size() == 40u);
    BOOST_TEST(run.stat("customers") == 2);      // one request per page of 20 carts
    BOOST_TEST(run.stat("products") == 1);       // the two products once, then from the cache
    BOOST_TEST(run.stat("emarsysTrigger") == 1); // one batch
}

BOOST_AUTO_TEST_CASE(run_mode_cycles_until_sigterm_and_stops_cleanly)
{
    Scenario s = basicStore();
    s.cart("c1", "C1", 60, {68719476736}).cart("c2", "C2", 50, {68719476737});
    Run run(s);
    ChildProcess daemon(Daemon, {"--config=" + run.config}, simSecrets(), run.dir.file("daemon.log"));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (run.deliveredByEmail().size() < 2u && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    BOOST_REQUIRE(run.deliveredByEmail().size() == 2u);
    // Between cycles the write-ahead log is empty: no copy of a deleted outbox row lingers.
    const std::string logFile = run.dir.file("daemon.log");
    while (readText(logFile).find("completed in") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    BOOST_REQUIRE(readText(logFile).find("completed in") != std::string::npos);
    BOOST_TEST(std::filesystem::file_size(run.dir.file("ledger.sqlite-wal")) == 0u);
    BOOST_TEST(daemon.running());
    daemon.terminate();
    BOOST_TEST(daemon.wait() == 0);
    const std::string log = readText(run.dir.file("daemon.log"));
    BOOST_TEST(log.find("abandoned-cartd started") != std::string::npos, log);
    BOOST_TEST(log.find("abandoned-cartd stopped") != std::string::npos, log);
    SQLite::Database db(run.dir.file("ledger.sqlite"));
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM cycles WHERE status = 'running'").getInt() == 0);
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM cycles WHERE status = 'completed'").getInt() >= 1);
}
