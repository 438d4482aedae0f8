#define BOOST_TEST_MODULE ledger figures
#include <boost/test/unit_test.hpp>

// /metrics reads counts the ledger moves as it writes (migration 0008) instead of counting the
// history at every scrape. Every write that changes a notification's status is exercised here,
// and after each the kept counts must equal a count over the notifications themselves: a write
// path that forgets to move them fails this test.

#include "LedgerTestSupport.h"
#include "ledger/LedgerFigures.h"
#include "ledger/LedgerStore.h"
#include "ledger/PrivacyStore.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <map>
#include <sstream>
#include <tuple>

using namespace acd;
using namespace acd::test;

namespace {

const std::string Oun = "128";
const std::string T1 = "2026-11-25T10:00:00.0000000Z";
const std::string T2 = "2026-11-25T11:00:00.0000000Z";

QueuedReminder reminder(const std::string& cartId, const std::string& customerId)
{
    return {cartId, T1, customerId, "acd-" + cartId, customerId + "@example.com", R"({"firstName":"Ann"})"};
}

using Counts = std::map<std::tuple<std::string, std::string, std::string>, std::int64_t>;

std::string describe(const Counts& counts)
{
    std::ostringstream text;
    for (const auto& [key, n] : counts)
        text << std::get<0>(key) << '/' << std::get<1>(key) << '/' << std::get<2>(key) << '=' << n << ' ';
    return text.str();
}

Counts read(SQLite::Database& db, const std::string& sql)
{
    Counts counts;
    SQLite::Statement query(db, sql);
    while (query.executeStep())
        counts[{query.getColumn(0).getString(), query.getColumn(1).getString(),
                query.getColumn(2).getString()}] = query.getColumn(3).getInt64();
    return counts;
}

struct Fixture
{
    Fixture() : ledger(dir.file("ledger.db")), db(ledger.database())
    {
        ledger.setHashKey(std::string(64, 'k'));
    }

    /// The kept counts against the same grouping as migration 0008 over the notifications.
    void expectCountsMatchTheNotifications(const std::string& after)
    {
        const Counts kept =
            read(db, "SELECT status, provider, reason, count FROM notification_counts WHERE count <> 0");
        const Counts counted = read(db, R"sql(
            SELECT status,
                   CASE WHEN status IN ('pending', 'skipped') THEN '' ELSE coalesce(provider, '') END,
                   CASE WHEN status = 'skipped' THEN coalesce(reason, '') ELSE '' END,
                   count(*)
            FROM notifications GROUP BY 1, 2, 3)sql");
        BOOST_TEST(describe(kept) == describe(counted), "after " << after);
    }

    std::vector<std::int64_t> pendingIds()
    {
        std::vector<std::int64_t> ids;
        for (const OutboxItem& item : ledger.deliveries().pendingOutbox(0, 100))
            ids.push_back(item.notificationId);
        return ids;
    }

    TempDir dir;
    LedgerStore ledger;
    SQLite::Database& db;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(figures, Fixture)

BOOST_AUTO_TEST_CASE(the_kept_counts_follow_every_write_that_changes_a_status)
{
    const std::int64_t cycle = ledger.cycles().begin(Oun, at(T1), at(T2));
    ledger.deliveries().queueReminders(
        cycle, Oun,
        {reminder("a", "C1"), reminder("b", "C2"), reminder("c", "C3"), reminder("d", "C4"),
         reminder("e", "C5"), reminder("f", "C6"), reminder("g", "C7")},
        {{"s1", T1, "C8", SkipReason::NoEmail}, {"s2", T1, "C9", SkipReason::OptedOut}});
    expectCountsMatchTheNotifications("queueing");
    // The same carts again change nothing: they are in the ledger already.
    ledger.deliveries().queueReminders(cycle, Oun, {reminder("a", "C1")},
                                       {{"s1", T1, "C8", SkipReason::NoEmail}});
    expectCountsMatchTheNotifications("queueing the same carts again");

    std::vector<std::int64_t> ids = pendingIds();
    BOOST_REQUIRE_EQUAL(ids.size(), 7u);
    const std::int64_t request = ledger.deliveries().markSending({ids[0], ids[1], ids[2], ids[3]}, "smtp");
    ledger.deliveries().recordDeliveries({{ids[0], DeliveryState::Sent, "", "smtp"},
                                          {ids[1], DeliveryState::Failed, "550 no such user", "smtp"},
                                          {ids[2], DeliveryState::Deferred, "451 later", "smtp"},
                                          {ids[3], DeliveryState::Uncertain, "connection lost", "smtp"}},
                                         {request});
    expectCountsMatchTheNotifications("sent, failed, deferred and uncertain answers");
    // An answer for a reminder already final changes nothing.
    ledger.deliveries().recordDeliveries({{ids[0], DeliveryState::Failed, "late", "smtp"}});
    expectCountsMatchTheNotifications("a second answer for a sent reminder");

    ledger.deliveries().setResendUncertain(true);
    ledger.deliveries().recordDeliveries({{ids[4], DeliveryState::Uncertain, "connection lost", "emarsys"}});
    expectCountsMatchTheNotifications("an uncertain answer with notify.resendUncertain");

    ledger.deliveries().markSending({ids[5]}, "emarsys");
    const InterruptedSends interrupted = ledger.deliveries().recoverInterruptedSends("smtp", false);
    BOOST_TEST(interrupted.uncertain == 1);
    expectCountsMatchTheNotifications("the recovery of a send a stop interrupted");

    ledger.deliveries().withdrawPending({{ids[6], SkipReason::OptedOut}});
    expectCountsMatchTheNotifications("a withdrawal");

    PrivacyStore privacy(ledger);
    privacy.purge(
        "C3@example.com", "cli:test", false, [](const std::string&) {}, "smtp");
    expectCountsMatchTheNotifications("a purge");

    ledger.retention().applyRetention(Timestamp::now().plusSeconds(400 * 86400), 30);
    expectCountsMatchTheNotifications("retention");
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM notifications WHERE status = 'pending'").getInt64() == 0);
}

BOOST_AUTO_TEST_CASE(the_figures_of_metrics_come_from_the_kept_counts)
{
    const std::int64_t cycle = ledger.cycles().begin(Oun, at(T1), at(T2));
    ledger.deliveries().queueReminders(cycle, Oun, {reminder("a", "C1"), reminder("b", "C2")},
                                       {{"s1", T1, "C8", SkipReason::NoEmail}});
    const std::vector<std::int64_t> ids = pendingIds();
    const std::int64_t request = ledger.deliveries().markSending({ids[0]}, "emarsys");
    ledger.deliveries().recordDeliveries({{ids[0], DeliveryState::Sent, "", "emarsys"}}, {request});

    const LedgerFigures figures = ledgerFigures(ledger);
    std::map<std::string, std::int64_t> reminders;
    for (const LabelledCount& count : figures.remindersByResult)
        reminders[count.label + "/" + count.secondLabel] = count.count;
    BOOST_TEST(reminders.size() == 2u);
    BOOST_TEST(reminders["emarsys/sent"] == 1);
    BOOST_TEST(reminders["/pending"] == 1);
    BOOST_REQUIRE_EQUAL(figures.skipsByReason.size(), 1u);
    BOOST_TEST(figures.skipsByReason[0].label == "no_email");
    BOOST_TEST(figures.skipsByReason[0].count == 1);
    BOOST_TEST(figures.outboxRows == 1);
    BOOST_TEST(!figures.lastSuccessAt);
    BOOST_TEST(lastCycle(ledger)->id == cycle);
}

BOOST_AUTO_TEST_CASE(a_ledger_from_before_the_counts_gets_them_from_its_history)
{
    // Migration 0008 on a ledger that has notifications: drop the counts, rebuild them the way
    // the migration does, and they must equal what the writes kept.
    const std::int64_t cycle = ledger.cycles().begin(Oun, at(T1), at(T2));
    ledger.deliveries().queueReminders(cycle, Oun, {reminder("a", "C1"), reminder("b", "C2")},
                                       {{"s1", T1, "C8", SkipReason::Cooldown}});
    const std::vector<std::int64_t> ids = pendingIds();
    ledger.deliveries().recordDeliveries({{ids[0], DeliveryState::Failed, "550", "smtp"}});
    const Counts kept =
        read(db, "SELECT status, provider, reason, count FROM notification_counts WHERE count <> 0");
    db.exec("DELETE FROM notification_counts");
    const std::string migration = readBytes(ACD_SOURCE_DIR "/migrations/0008_notification_counts.sql");
    db.exec(migration.substr(migration.find("INSERT INTO notification_counts")));
    BOOST_TEST(describe(read(db, "SELECT status, provider, reason, count FROM notification_counts")) ==
               describe(kept));
}

BOOST_AUTO_TEST_SUITE_END()
