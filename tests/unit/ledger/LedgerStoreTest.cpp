#define BOOST_TEST_MODULE ledger store
#include <boost/test/unit_test.hpp>

#include "LedgerTestSupport.h"
#include "ledger/LedgerStore.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <set>

using namespace acd;
using namespace acd::test;

namespace {

const std::string Oun = "128";
const std::string T1 = "2026-11-25T10:00:00.0000000Z";
const std::string T2 = "2026-11-25T10:05:00.0000000Z";
const std::string T3 = "2026-11-25T10:10:00.0000000Z";

struct LedgerFixture
{
    LedgerFixture() : ledger(dir.file("ledger.db")), db(ledger.database()) {}

    std::int64_t newCycle() { return ledger.cycles().begin(Oun, at(T1), at(T3)); }

    std::string column(const std::string& sql) { return db.execAndGet(sql).getString(); }

    std::int64_t rows(const std::string& sql) { return count(db, sql); }

    QueuedReminder reminder(const std::string& cartId, const std::string& customerId,
                            const std::string& modifiedIso = T1)
    {
        return {cartId,
                modifiedIso,
                customerId,
                "acd-" + cartId,
                customerId + "@example.com",
                R"({"firstName":")" + customerId + R"("})"};
    }

    TempDir dir;
    LedgerStore ledger;
    SQLite::Database& db;
};

bool sameCart(const Cart& a, const Cart& b)
{
    if (a.id != b.id || a.customerId != b.customerId || a.modifiedDateTime != b.modifiedDateTime ||
        a.cartTypeValue != b.cartTypeValue || a.channelId != b.channelId || a.totalAmount != b.totalAmount ||
        a.lines.size() != b.lines.size())
        return false;
    for (std::size_t i = 0; i < a.lines.size(); ++i)
    {
        const CartLine& x = a.lines[i];
        const CartLine& y = b.lines[i];
        if (x.lineId != y.lineId || x.productId != y.productId || x.itemId != y.itemId ||
            x.quantity != y.quantity || x.price != y.price)
            return false;
    }
    return true;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(ledger_store, LedgerFixture)

BOOST_AUTO_TEST_CASE(audit_log_refuses_update_and_delete)
{
    db.exec("INSERT INTO audit_log (at, actor, action, subject, detail, prev_hash, hash) "
            "VALUES ('2026-11-25T10:00:00.0000000Z', 'admin', 'opt_out', 'h:1', '', NULL, 'abc')");
    const auto appendOnly = [](const SQLite::Exception& e) {
        return std::string(e.what()).find("audit_log is append-only") != std::string::npos;
    };
    BOOST_CHECK_EXCEPTION(db.exec("UPDATE audit_log SET actor = 'intruder'"), SQLite::Exception, appendOnly);
    BOOST_CHECK_EXCEPTION(db.exec("DELETE FROM audit_log"), SQLite::Exception, appendOnly);
    BOOST_TEST(column("SELECT actor FROM audit_log") == "admin");
    BOOST_TEST(rows("SELECT count(*) FROM audit_log") == 1);
}

BOOST_AUTO_TEST_CASE(window_state_round_trips_per_channel)
{
    BOOST_TEST(!ledger.cycles().windowStart(Oun).has_value());
    ledger.cycles().setWindowStart(Oun, at("2026-11-25T10:00:00.1234567Z"));
    ledger.cycles().setWindowStart("256", at(T1));
    ledger.cycles().setWindowStart(Oun, at("2026-11-25T11:00:00.7654321Z"));
    BOOST_TEST(ledger.cycles().windowStart(Oun)->toIso() == "2026-11-25T11:00:00.7654321Z");
    BOOST_TEST(ledger.cycles().windowStart("256")->toIso() == T1);
    BOOST_TEST(rows("SELECT count(*) FROM window_state") == 2);
}

BOOST_AUTO_TEST_CASE(cycles_begin_finish_and_interrupted_ones_are_closed)
{
    const std::int64_t done = ledger.cycles().begin(Oun, at(T1), at(T3));
    const std::int64_t died = ledger.cycles().begin(Oun, at(T2), at(T3));
    BOOST_TEST(done != died);
    BOOST_TEST(column("SELECT status FROM cycles WHERE id = " + std::to_string(done)) == "running");
    BOOST_TEST(column("SELECT window_from FROM cycles WHERE id = " + std::to_string(done)) == T1);

    CycleCounts counts;
    counts.cartsSeen = 7;
    counts.remindersQueued = 3;
    counts.remindersSent = 2;
    counts.remindersFailed = 1;
    counts.skipped = 4;
    ledger.cycles().finish(done, counts, "completed", "");
    SQLite::Statement row(
        db, "SELECT status, carts_seen, reminders_queued, reminders_sent, reminders_failed, "
            "reminders_pending, skipped, error IS NULL, ended_at IS NOT NULL FROM cycles WHERE id = ?");
    row.bind(1, done);
    BOOST_REQUIRE(row.executeStep());
    BOOST_TEST(row.getColumn(0).getString() == "completed");
    BOOST_TEST(row.getColumn(1).getInt64() == 7);
    BOOST_TEST(row.getColumn(2).getInt64() == 3);
    BOOST_TEST(row.getColumn(3).getInt64() == 2);
    BOOST_TEST(row.getColumn(4).getInt64() == 1);
    BOOST_TEST(row.getColumn(5).getInt64() == 0);
    BOOST_TEST(row.getColumn(6).getInt64() == 4);
    BOOST_TEST(row.getColumn(7).getInt() == 1);
    BOOST_TEST(row.getColumn(8).getInt() == 1);

    BOOST_TEST(ledger.cycles().closeInterrupted() == 1);
    BOOST_TEST(column("SELECT status FROM cycles WHERE id = " + std::to_string(died)) == "interrupted");
    BOOST_TEST(column("SELECT status FROM cycles WHERE id = " + std::to_string(done)) == "completed");
    BOOST_TEST(ledger.cycles().closeInterrupted() == 0);

    const std::int64_t failed = newCycle();
    ledger.cycles().finish(failed, {}, "failed", "Retail Server answered 503");
    BOOST_TEST(column("SELECT error FROM cycles WHERE id = " + std::to_string(failed)) ==
               "Retail Server answered 503");
    BOOST_CHECK_THROW(ledger.cycles().finish(failed, {}, "running", ""), std::invalid_argument);
    BOOST_CHECK_THROW(ledger.cycles().finish(9999, {}, "completed", ""), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(record_skips_is_idempotent_and_never_overwrites_a_decision)
{
    const std::int64_t cycle = newCycle();
    ledger.deliveries().queueReminders(cycle, Oun, {reminder("sent-cart", "C9")}, {});
    const std::vector<SkippedCart> skips = {
        {"anon", T1, "", SkipReason::Anonymous},
        {"untimed", "", "C1", SkipReason::Untimed},
        {"empty", T2, "C2", SkipReason::Empty},
        {"sent-cart", T1, "C9", SkipReason::Cooldown},
    };
    ledger.deliveries().recordSkips(cycle, Oun, skips);
    ledger.deliveries().recordSkips(newCycle(), Oun, skips);

    BOOST_TEST(rows("SELECT count(*) FROM notifications") == 4);
    BOOST_TEST(rows("SELECT count(*) FROM notifications WHERE status = 'skipped'") == 3);
    BOOST_TEST(column("SELECT reason FROM notifications WHERE cart_id = 'untimed'") == "untimed");
    BOOST_TEST(column("SELECT reason FROM notifications WHERE cart_id = 'anon'") == "anonymous");
    BOOST_TEST(rows("SELECT cycle_id FROM notifications WHERE cart_id = 'anon'") == cycle);
    BOOST_TEST(column("SELECT status FROM notifications WHERE cart_id = 'sent-cart'") == "pending");
}

BOOST_AUTO_TEST_CASE(one_cart_per_customer_is_kept_ties_go_to_the_greatest_id)
{
    const std::int64_t cycle = newCycle();
    const std::vector<Cart> carts = {
        makeCart("A", "C1", T1), makeCart("B", "C1", T2), makeCart("C", "C1", T2), // tie on T2: C wins
        makeCart("D", "C2", T3), makeCart("E", "C2", T1),                          // D is newer
        makeCart("F", "C3", T1),
    };
    BOOST_TEST(ledger.staging().stageCandidates(cycle, Oun, carts) == 6);
    BOOST_TEST(ledger.staging().resolveSuperseded(cycle, Oun) == 3);

    const std::vector<Cart> kept = ledger.staging().candidates(cycle, "", 10);
    BOOST_REQUIRE(kept.size() == 3u);
    BOOST_TEST(kept[0].id == "C");
    BOOST_TEST(kept[1].id == "D");
    BOOST_TEST(kept[2].id == "F");

    SQLite::Statement superseded(db, "SELECT cart_id, modified_at, customer_id, cycle_id FROM notifications "
                                     "WHERE status = 'skipped' AND reason = 'superseded' ORDER BY cart_id");
    std::vector<std::string> ids;
    while (superseded.executeStep())
    {
        ids.push_back(superseded.getColumn(0).getString());
        BOOST_TEST(superseded.getColumn(3).getInt64() == cycle);
    }
    BOOST_TEST((ids == std::vector<std::string>{"A", "B", "E"}));
    BOOST_TEST(column("SELECT modified_at FROM notifications WHERE cart_id = 'B'") == T2);
    BOOST_TEST(column("SELECT customer_id FROM notifications WHERE cart_id = 'E'") == "C2");

    BOOST_TEST(ledger.staging().resolveSuperseded(cycle, Oun) == 0);
    ledger.staging().clearCandidates(cycle);
    BOOST_TEST(ledger.staging().candidates(cycle, "", 10).empty());
}

BOOST_AUTO_TEST_CASE(candidates_come_back_whole_and_page_by_customer)
{
    const std::int64_t cycle = newCycle();
    const std::int64_t otherCycle = newCycle();
    std::vector<Cart> carts;
    for (const char* customer : {"C5", "C1", "C4", "C2", "C3"})
        carts.push_back(makeCart(std::string("cart-") + customer, customer, "2026-11-25T10:00:00.1234567Z"));
    carts[0].lines[0].itemId = "Kaffee \"Große\" Tasse\\1";
    carts[1].totalAmount = "";
    BOOST_TEST(ledger.staging().stageCandidates(cycle, Oun, carts) == 5);
    ledger.staging().stageCandidates(otherCycle, Oun, {makeCart("elsewhere", "C0", T1)});
    BOOST_TEST(ledger.staging().resolveSuperseded(cycle, Oun) == 0);

    std::vector<Cart> seen;
    std::vector<std::size_t> pageSizes;
    std::string after;
    for (;;)
    {
        const std::vector<Cart> page = ledger.staging().candidates(cycle, after, 2);
        if (page.empty())
            break;
        pageSizes.push_back(page.size());
        seen.insert(seen.end(), page.begin(), page.end());
        after = page.back().customerId;
    }
    BOOST_TEST((pageSizes == std::vector<std::size_t>{2, 2, 1}));
    BOOST_REQUIRE(seen.size() == 5u);
    for (std::size_t i = 0; i < seen.size(); ++i)
        BOOST_TEST(seen[i].customerId == "C" + std::to_string(i + 1));
    for (const Cart& original : carts)
    {
        const auto found =
            std::find_if(seen.begin(), seen.end(), [&](const Cart& c) { return c.id == original.id; });
        BOOST_REQUIRE(found != seen.end());
        BOOST_TEST(sameCart(*found, original), original.id);
    }
    BOOST_CHECK_THROW(ledger.staging().candidates(cycle, "", 0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(carts_already_in_the_ledger_are_not_staged)
{
    const std::int64_t first = newCycle();
    ledger.deliveries().recordSkips(first, Oun, {{"X", T1, "C1", SkipReason::NoEmail}});
    ledger.deliveries().queueReminders(first, Oun, {reminder("Y", "C2")}, {});

    const std::int64_t cycle = newCycle();
    // X and Y unchanged since: known. X modified again (T2): a new episode. Y under another channel: new.
    BOOST_TEST(ledger.staging().stageCandidates(cycle, Oun,
                                                {makeCart("X", "C1", T1), makeCart("Y", "C2", T1)}) == 0);
    BOOST_TEST(ledger.staging().stageCandidates(cycle, Oun, {makeCart("X", "C1", T2)}) == 1);
    BOOST_TEST(ledger.staging().stageCandidates(cycle, "256", {makeCart("Y", "C2", T1)}) == 1);
    // The same cart read again in this cycle: a later modification supersedes the one before,
    // the same one read twice is one cart.
    BOOST_TEST(ledger.staging().stageCandidates(cycle, Oun, {makeCart("X", "C1", T1)}) == 0);
    BOOST_TEST(ledger.staging().stageCandidates(cycle, Oun, {makeCart("X", "C1", T3)}) == 1);
    BOOST_TEST(ledger.staging().stageCandidates(cycle, Oun,
                                                {makeCart("X", "C1", T3), makeCart("Y", "C2", T1)}) == 1);
    BOOST_TEST(ledger.staging().resolveSuperseded(cycle, Oun) == 1);

    const std::vector<Cart> staged = ledger.staging().candidates(cycle, "", 10);
    BOOST_REQUIRE(staged.size() == 2u);
    BOOST_TEST(staged[0].id == "X");
    BOOST_TEST(staged[0].modifiedDateTime->toIso() == T3);
    BOOST_TEST(column("SELECT reason FROM notifications WHERE cart_id = 'X' AND modified_at = '" + T2 +
                      "'") == "superseded");
    BOOST_TEST(
        rows("SELECT count(*) FROM notifications WHERE cart_id = 'X' AND modified_at = '" + T3 + "'") == 0);
    BOOST_TEST(rows("SELECT count(*) FROM candidates") == 0); // chosen or recorded: nothing stays staged

    Cart anonymous = makeCart("Z", "", T1);
    BOOST_CHECK_THROW(ledger.staging().stageCandidates(cycle, Oun, {anonymous}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(queued_reminders_flow_through_the_outbox_to_their_outcome)
{
    const std::int64_t cycle = newCycle();
    ledger.deliveries().queueReminders(cycle, Oun,
                                       {reminder("A", "C1"), reminder("B", "C2"), reminder("C", "C3")},
                                       {{"D", T1, "C4", SkipReason::OptedOut}});
    BOOST_TEST(rows("SELECT count(*) FROM notifications WHERE status = 'pending'") == 3);
    BOOST_TEST(rows("SELECT count(*) FROM outbox") == 3);
    BOOST_TEST(column("SELECT reason FROM notifications WHERE cart_id = 'D'") == "opted_out");

    std::vector<OutboxItem> pending = ledger.deliveries().pendingOutbox(0, 10);
    BOOST_REQUIRE(pending.size() == 3u);
    BOOST_TEST(pending[0].triggerId == "acd-A");
    BOOST_TEST(pending[0].email == "C1@example.com");
    BOOST_TEST(pending[0].dataJson == R"({"firstName":"C1"})");
    BOOST_TEST(pending[0].attempts == 0);
    BOOST_TEST(pending[0].notificationId < pending[1].notificationId);
    BOOST_TEST(pending[1].notificationId < pending[2].notificationId);
    const std::vector<OutboxItem> afterFirst =
        ledger.deliveries().pendingOutbox(pending[0].notificationId, 1);
    BOOST_REQUIRE(afterFirst.size() == 1u);
    BOOST_TEST(afterFirst[0].triggerId == "acd-B");

    // A later cycle over the same window queues nothing twice.
    ledger.deliveries().queueReminders(newCycle(), Oun, {reminder("A", "C1"), reminder("B", "C2")}, {});
    BOOST_TEST(rows("SELECT count(*) FROM notifications") == 4);
    BOOST_TEST(rows("SELECT count(*) FROM outbox") == 3);

    ledger.deliveries().recordDeliveries({
        {pending[0].notificationId, DeliveryState::Sent, "", "emarsys"},
        {pending[1].notificationId, DeliveryState::Failed, "2008: No contact found", "emarsys"},
        {pending[2].notificationId, DeliveryState::Deferred, "HTTP 503", "emarsys"},
    });

    SQLite::Statement a(
        db, "SELECT status, provider, sent_at IS NOT NULL, attempts FROM notifications WHERE cart_id = 'A'");
    BOOST_REQUIRE(a.executeStep());
    BOOST_TEST(a.getColumn(0).getString() == "sent");
    BOOST_TEST(a.getColumn(1).getString() == "emarsys");
    BOOST_TEST(a.getColumn(2).getInt() == 1);
    BOOST_TEST(a.getColumn(3).getInt() == 1);
    BOOST_TEST(column("SELECT status || ': ' || reason FROM notifications WHERE cart_id = 'B'") ==
               "failed: 2008: No contact found");
    BOOST_TEST(column("SELECT status || ': ' || reason FROM notifications WHERE cart_id = 'C'") ==
               "pending: HTTP 503");
    BOOST_TEST(rows("SELECT count(*) FROM notifications WHERE sent_at IS NOT NULL") == 1);
    // Final outcomes no longer need the address.
    BOOST_TEST(rows("SELECT count(*) FROM outbox") == 1);

    pending = ledger.deliveries().pendingOutbox(0, 10);
    BOOST_REQUIRE(pending.size() == 1u);
    BOOST_TEST(pending[0].triggerId == "acd-C");
    BOOST_TEST(pending[0].attempts == 1);

    // A late duplicate outcome cannot undo a final one.
    ledger.deliveries().recordDeliveries({{afterFirst[0].notificationId, DeliveryState::Sent, "", "emarsys"},
                                          {pending[0].notificationId, DeliveryState::Sent, "", "emarsys"}});
    BOOST_TEST(column("SELECT status FROM notifications WHERE cart_id = 'B'") == "failed");
    BOOST_TEST(column("SELECT status FROM notifications WHERE cart_id = 'C'") == "sent");
    BOOST_TEST(column("SELECT attempts FROM notifications WHERE cart_id = 'C'") == "2");
    BOOST_TEST(ledger.deliveries().pendingOutbox(0, 10).empty());
    BOOST_TEST(rows("SELECT count(*) FROM outbox") == 0);
}

BOOST_AUTO_TEST_CASE(a_reminder_without_an_address_is_refused_before_anything_is_written)
{
    QueuedReminder incomplete = reminder("B", "C2");
    incomplete.email.clear();
    BOOST_CHECK_THROW(
        ledger.deliveries().queueReminders(newCycle(), Oun, {reminder("A", "C1"), incomplete}, {}),
        std::invalid_argument);
    BOOST_TEST(rows("SELECT count(*) FROM notifications") == 0);
}

BOOST_AUTO_TEST_CASE(customers_reminded_since_counts_sends_at_or_after_the_instant_and_pending_ones)
{
    const Timestamp before = Timestamp::now().minusMinutes(1);
    const std::int64_t cycle = newCycle();
    ledger.deliveries().queueReminders(cycle, Oun,
                                       {reminder("A", "C1"), reminder("B", "C2"), reminder("C", "C3")}, {});
    const std::vector<OutboxItem> pending = ledger.deliveries().pendingOutbox(0, 10);
    ledger.deliveries().recordDeliveries(
        {{pending[0].notificationId, DeliveryState::Sent, "", "emarsys"},
         {pending[1].notificationId, DeliveryState::Failed, "refused", "emarsys"}});

    // C3's reminder is still pending: it will reach them, so it counts whatever the instant.
    const std::vector<std::string> asked = {"C1", "C2", "C3", "C4", "C1"};
    BOOST_TEST(
        (ledger.deliveries().customersRemindedSince(asked, before) == std::set<std::string>{"C1", "C3"}));
    BOOST_TEST((ledger.deliveries().customersRemindedSince(asked, Timestamp::now().plusSeconds(60)) ==
                std::set<std::string>{"C3"}));
    BOOST_TEST(ledger.deliveries().customersRemindedSince({}, before).empty());
}

BOOST_AUTO_TEST_CASE(auditor_views_count_what_happened)
{
    const std::int64_t cycle = newCycle();
    ledger.deliveries().recordSkips(cycle, Oun, {{"A", T1, "C1", SkipReason::NoEmail}});
    ledger.deliveries().queueReminders(
        cycle, Oun, {reminder("A", "C1", T2), reminder("B", "C2"), reminder("C", "C3")},
        {{"D", T1, "C4", SkipReason::NoEmail}, {"E", T1, "C5", SkipReason::Cooldown}});
    const std::vector<OutboxItem> pending = ledger.deliveries().pendingOutbox(0, 10);
    ledger.deliveries().recordDeliveries(
        {{pending[0].notificationId, DeliveryState::Sent, "", "emarsys"},
         {pending[1].notificationId, DeliveryState::Sent, "", "emarsys"},
         {pending[2].notificationId, DeliveryState::Failed, "2008", "emarsys"}});
    CycleCounts counts;
    counts.remindersQueued = 3;
    counts.remindersSent = 2;
    counts.remindersFailed = 1;
    counts.skipped = 3;
    ledger.cycles().finish(cycle, counts, "completed", "");

    const std::string today = column("SELECT substr(sent_at, 1, 10) FROM notifications WHERE cart_id = 'B'");
    SQLite::Statement perDay(db, "SELECT day, provider, status, count FROM reminders_per_day");
    std::vector<std::string> lines;
    while (perDay.executeStep())
        lines.push_back(perDay.getColumn(0).getString() + " " + perDay.getColumn(1).getString() + " " +
                        perDay.getColumn(2).getString() + " " + perDay.getColumn(3).getString());
    BOOST_TEST((lines == std::vector<std::string>{today + " emarsys failed 1", today + " emarsys sent 2"}));

    SQLite::Statement skips(db, "SELECT reason, count FROM skips_by_reason");
    lines.clear();
    while (skips.executeStep())
        lines.push_back(skips.getColumn(0).getString() + " " + skips.getColumn(1).getString());
    BOOST_TEST((lines == std::vector<std::string>{"no_email 2", "cooldown 1"}));

    SQLite::Statement history(db,
                              "SELECT modified_at, status, reason, trigger_id, cycle_id FROM cart_history "
                              "WHERE cart_id = 'A'");
    BOOST_REQUIRE(history.executeStep());
    BOOST_TEST(history.getColumn(0).getString() == T1);
    BOOST_TEST(history.getColumn(1).getString() == "skipped");
    BOOST_TEST(history.getColumn(2).getString() == "no_email");
    BOOST_REQUIRE(history.executeStep());
    BOOST_TEST(history.getColumn(0).getString() == T2);
    BOOST_TEST(history.getColumn(1).getString() == "sent");
    BOOST_TEST(history.getColumn(3).getString() == "acd-A");
    BOOST_TEST(history.getColumn(4).getInt64() == cycle);
    BOOST_TEST(!history.executeStep());

    SQLite::Statement summary(
        db, "SELECT status, reminders_sent, ledger_reminders, ledger_skips, duration_seconds >= 0 "
            "FROM cycle_summary WHERE id = ?");
    summary.bind(1, cycle);
    BOOST_REQUIRE(summary.executeStep());
    BOOST_TEST(summary.getColumn(0).getString() == "completed");
    BOOST_TEST(summary.getColumn(1).getInt64() == 2);
    BOOST_TEST(summary.getColumn(2).getInt64() == 3);
    BOOST_TEST(summary.getColumn(3).getInt64() == 3);
    BOOST_TEST(summary.getColumn(4).getInt() == 1);
}

BOOST_AUTO_TEST_CASE(ten_thousand_reminders_queue_in_one_call)
{
    const int total = 10000;
    std::vector<QueuedReminder> reminders;
    reminders.reserve(total);
    for (int i = 0; i < total; ++i)
        reminders.push_back(reminder("cart-" + std::to_string(i), "C" + std::to_string(i)));
    ledger.deliveries().queueReminders(newCycle(), Oun, reminders, {});

    BOOST_TEST(rows("SELECT count(*) FROM notifications WHERE status = 'pending'") == total);
    BOOST_TEST(rows("SELECT count(*) FROM outbox") == total);
    std::set<std::string> triggers;
    std::int64_t after = 0;
    for (;;)
    {
        const std::vector<OutboxItem> page = ledger.deliveries().pendingOutbox(after, 1000);
        if (page.empty())
            break;
        for (const OutboxItem& item : page)
            triggers.insert(item.triggerId);
        after = page.back().notificationId;
    }
    BOOST_TEST(triggers.size() == static_cast<std::size_t>(total));
}

BOOST_AUTO_TEST_SUITE_END()
