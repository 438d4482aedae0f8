#define BOOST_TEST_MODULE ledger deliveries
#include <boost/test/unit_test.hpp>

// DESIGN §11 in the ledger: a row naming a request's reminders before it leaves, the answers
// when they come, and what a start does with the reminders a stopped process left on their way.

#include "LedgerTestSupport.h"
#include "core/KeyedHash.h"
#include "ledger/AuditLog.h"
#include "ledger/LedgerStore.h"
#include "ledger/Migrations.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <Poco/File.h>

using namespace acd;
using namespace acd::test;

namespace {

const std::string Oun = "128";
const std::string HashKey(64, 'k');
const std::string T1 = "2026-11-25T10:00:00.0000000Z";

QueuedReminder reminder(const std::string& cartId, const std::string& customerId)
{
    return {cartId, T1, customerId, "acd-" + cartId, customerId + "@example.com", R"({"firstName":"Ann"})"};
}

struct Fixture
{
    Fixture() : ledger(dir.file("ledger.db")), db(ledger.database())
    {
        ledger.setHashKey(HashKey);
        const std::int64_t cycle = ledger.cycles().begin(Oun, at(T1), at(T1));
        ledger.deliveries().queueReminders(
            cycle, Oun, {reminder("a", "C1"), reminder("b", "C2"), reminder("c", "C3")}, {});
        for (const OutboxItem& item : ledger.deliveries().pendingOutbox(0, 10))
            ids.push_back(item.notificationId);
    }

    std::string status(std::int64_t id)
    {
        SQLite::Statement query(db, "SELECT status FROM notifications WHERE id = ?1");
        query.bind(1, id);
        return query.executeStep() ? query.getColumn(0).getString() : "<none>";
    }

    std::int64_t rows(const std::string& sql) { return count(db, sql); }

    std::int64_t auditRows(const std::string& action)
    {
        SQLite::Statement query(db, "SELECT count(*) FROM audit_log WHERE action = ?1");
        query.bind(1, action);
        query.executeStep();
        return query.getColumn(0).getInt64();
    }

    TempDir dir;
    LedgerStore ledger;
    SQLite::Database& db;
    std::vector<std::int64_t> ids;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(deliveries, Fixture)

BOOST_AUTO_TEST_CASE(a_request_leaving_is_one_row_naming_its_reminders_until_they_are_answered)
{
    const std::int64_t request = ledger.deliveries().markSending({ids[0], ids[1]}, "smtp");
    BOOST_TEST(rows("SELECT count(*) FROM deliveries_in_flight") == 1);
    BOOST_TEST(db.execAndGet("SELECT notification_ids FROM deliveries_in_flight").getString() ==
               "[" + std::to_string(ids[0]) + "," + std::to_string(ids[1]) + "]");
    // The auditor's view lists them, one row each; they are still to be delivered.
    BOOST_TEST(rows("SELECT count(*) FROM reminders_sending WHERE provider = 'smtp'") == 2);
    BOOST_TEST(status(ids[0]) == "pending");
    BOOST_TEST(ledger.deliveries().pendingCount() == 3);

    ledger.deliveries().recordDeliveries({{ids[0], DeliveryState::Sent, "", "smtp"},
                                          {ids[1], DeliveryState::Deferred, "451 try later", "smtp"}},
                                         {request});
    BOOST_TEST(status(ids[0]) == "sent");
    BOOST_TEST(status(ids[1]) == "pending");
    BOOST_TEST(rows("SELECT attempts FROM notifications WHERE cart_id = 'b'") == 1);
    BOOST_TEST(rows("SELECT count(*) FROM deliveries_in_flight") == 0);
    BOOST_TEST(rows("SELECT count(*) FROM reminders_sending") == 0);
    BOOST_TEST(rows("SELECT count(*) FROM outbox") == 2);
    BOOST_TEST(ledger.deliveries().pendingCount() == 2);
}

BOOST_AUTO_TEST_CASE(a_reminder_withdrawn_meanwhile_keeps_its_skip)
{
    const std::int64_t request = ledger.deliveries().markSending({ids[0]}, "smtp");
    ledger.deliveries().withdrawPending({{ids[0], SkipReason::OptedOut}});
    ledger.deliveries().recordDeliveries({{ids[0], DeliveryState::Sent, "", "smtp"}}, {request});
    BOOST_TEST(status(ids[0]) == "skipped");
    // Nor is it found on its way at the next start.
    ledger.deliveries().markSending({ids[1]}, "smtp");
    ledger.deliveries().withdrawPending({{ids[1], SkipReason::NoConsent}});
    BOOST_TEST(ledger.deliveries().recoverInterruptedSends("smtp", false).uncertain == 0);
    BOOST_TEST(status(ids[1]) == "skipped");
}

BOOST_AUTO_TEST_CASE(interrupted_sends_go_again_to_a_provider_that_drops_repeats)
{
    ledger.deliveries().markSending({ids[0], ids[1]}, "emarsys");
    const InterruptedSends found = ledger.deliveries().recoverInterruptedSends("emarsys", true);
    BOOST_TEST(found.resumed == 2);
    BOOST_TEST(found.uncertain == 0);
    BOOST_TEST(status(ids[0]) == "pending");
    BOOST_TEST(status(ids[1]) == "pending");
    BOOST_TEST(rows("SELECT count(*) FROM outbox") == 3);
    BOOST_TEST(ledger.deliveries().pendingOutbox(0, 10).size() == 3u);
    BOOST_TEST(auditRows("deferred") == 2);
    BOOST_TEST(rows("SELECT count(*) FROM deliveries_in_flight") == 0);
    // Nothing left to recover.
    BOOST_TEST(ledger.deliveries().recoverInterruptedSends("emarsys", true).resumed == 0);
}

BOOST_AUTO_TEST_CASE(interrupted_sends_of_a_provider_without_idempotency_become_uncertain)
{
    // The first message was answered before the stop; the second was on its way.
    const std::int64_t first = ledger.deliveries().markSending({ids[0]}, "smtp");
    ledger.deliveries().recordDeliveries({{ids[0], DeliveryState::Sent, "", "smtp"}}, {first});
    ledger.deliveries().markSending({ids[1]}, "smtp");
    const InterruptedSends found = ledger.deliveries().recoverInterruptedSends("smtp", false);
    BOOST_TEST(found.resumed == 0);
    BOOST_TEST(found.uncertain == 1);
    BOOST_TEST(status(ids[0]) == "sent");
    BOOST_TEST(status(ids[1]) == "uncertain");
    // Not sent again, so the address and payload are no longer needed.
    BOOST_TEST(rows("SELECT count(*) FROM outbox") == 1);
    BOOST_TEST(ledger.deliveries().pendingCount() == 1);
    BOOST_TEST(auditRows("uncertain") == 1);
    BOOST_TEST(rows("SELECT count(*) FROM deliveries_in_flight") == 0);

    // The auditor's view names it, by the keyed hash of the address.
    SQLite::Statement view(
        db, "SELECT notification_id, cart_id, provider, subject, reason FROM uncertain_reminders");
    BOOST_REQUIRE(view.executeStep());
    BOOST_TEST(view.getColumn(0).getInt64() == ids[1]);
    BOOST_TEST(view.getColumn(1).getString() == "b");
    BOOST_TEST(view.getColumn(2).getString() == "smtp");
    BOOST_TEST(view.getColumn(3).getString() == "email:" + KeyedHash(HashKey).email("C2@example.com"));
    BOOST_TEST(view.getColumn(4).getString().find("may or may not have gone out") != std::string::npos);
    BOOST_TEST(!view.executeStep());
}

BOOST_AUTO_TEST_CASE(a_send_interrupted_under_another_provider_is_uncertain)
{
    // The configuration moved from SMTP to Emarsys between the crash and the start: Emarsys's
    // deduplication says nothing about a message SMTP may have delivered.
    ledger.deliveries().markSending({ids[0]}, "smtp");
    const InterruptedSends found = ledger.deliveries().recoverInterruptedSends("emarsys", true);
    BOOST_TEST(found.uncertain == 1);
    BOOST_TEST(status(ids[0]) == "uncertain");
}

BOOST_AUTO_TEST_CASE(a_reminder_sent_again_counts_once_with_its_last_provider)
{
    ledger.deliveries().markSending({ids[0], ids[1]}, "emarsys");
    ledger.deliveries().markSending({ids[0]}, "emarsys"); // its retry
    const InterruptedSends found = ledger.deliveries().recoverInterruptedSends("emarsys", true);
    BOOST_TEST(found.resumed == 2);
    BOOST_TEST(auditRows("deferred") == 2);
}

BOOST_AUTO_TEST_CASE(resend_uncertain_puts_them_back_in_the_outbox_and_says_so)
{
    ledger.deliveries().setResendUncertain(true);
    ledger.deliveries().markSending({ids[0]}, "smtp");
    const InterruptedSends found = ledger.deliveries().recoverInterruptedSends("smtp", false);
    BOOST_TEST(found.uncertain == 1);
    BOOST_TEST(status(ids[0]) == "pending");
    BOOST_TEST(rows("SELECT count(*) FROM outbox") == 3);
    BOOST_TEST(auditRows("uncertain") == 1);
    BOOST_TEST(db.execAndGet("SELECT detail FROM audit_log WHERE action = 'uncertain'")
                   .getString()
                   .find("notify.resendUncertain") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_uncertain_reminder_counts_for_the_cooldown)
{
    ledger.deliveries().recordDeliveries({{ids[0], DeliveryState::Uncertain, "connection lost", "smtp"}});
    BOOST_TEST(status(ids[0]) == "uncertain");
    const std::set<std::string> reminded =
        ledger.deliveries().customersRemindedSince({"C1", "C2"}, Timestamp::now().plusSeconds(-3600));
    // C1 may have its email; C2's reminder is still pending, so it will.
    BOOST_TEST(reminded.count("C1") == 1u);
    BOOST_TEST(reminded.count("C2") == 1u);
    // Long after, it no longer holds the customer back.
    BOOST_TEST(
        ledger.deliveries().customersRemindedSince({"C1"}, Timestamp::now().plusSeconds(3600)).empty());
}

BOOST_AUTO_TEST_CASE(a_second_connection_records_what_the_first_sees)
{
    std::unique_ptr<LedgerStore> second = ledger.openSecondConnection();
    const std::int64_t request = second->deliveries().markSending({ids[0]}, "emarsys");
    BOOST_TEST(rows("SELECT count(*) FROM deliveries_in_flight") == 1);
    second->deliveries().recordDeliveries({{ids[0], DeliveryState::Sent, "", "emarsys"}}, {request});
    BOOST_TEST(status(ids[0]) == "sent");
    BOOST_TEST(rows("SELECT count(*) FROM deliveries_in_flight") == 0);
    // It has the hash key: the audit row names the customer by it, on one chain.
    const std::string detail =
        db.execAndGet("SELECT detail FROM audit_log WHERE action = 'sent'").getString();
    BOOST_TEST(detail.find("customer=" + KeyedHash(HashKey).customer("C1")) != std::string::npos, detail);
    BOOST_TEST(AuditLog::verify(db).intact());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(a_ledger_of_version_6_keeps_every_row_through_the_new_status)
{
    TempDir dir;
    const std::string migrations = dir.file("migrations");
    Poco::File(migrations).createDirectories();
    for (const Migration& migration : embeddedMigrations())
        if (migration.version <= 6)
            writeBytes(migrations + "/" + migration.fileName, migration.sql);
    const std::string path = dir.file("ledger.db");
    {
        LedgerStore ledger(path, migrations);
        ledger.setHashKey(HashKey);
        const std::int64_t cycle = ledger.cycles().begin(Oun, at(T1), at(T1));
        writeAsAnOlderBinary(ledger.database(), [&] {
            ledger.deliveries().queueReminders(cycle, Oun, {reminder("a", "C1"), reminder("b", "C2")},
                                               {{"s", T1, "C3", SkipReason::Empty}});
        });
        ledger.database().exec(
            "UPDATE notifications SET status = 'sent', sent_at = created_at WHERE cart_id = 'a'");
        ledger.database().exec(
            "DELETE FROM outbox WHERE notification_id = (SELECT id FROM notifications WHERE "
            "cart_id = 'a')");
        BOOST_CHECK_THROW(
            ledger.database().exec("UPDATE notifications SET status = 'uncertain' WHERE cart_id = 'b'"),
            SQLite::Exception);
    }
    LedgerStore ledger(path);
    SQLite::Database& db = ledger.database();
    BOOST_TEST(ledger.schemaVersion() == LedgerStore::latestSchemaVersion());
    BOOST_TEST(count(db, "SELECT count(*) FROM notifications") == 3);
    BOOST_TEST(db.execAndGet("SELECT group_concat(cart_id || '=' || status, ' ') FROM "
                             "(SELECT cart_id, status FROM notifications ORDER BY id)")
                   .getString() == "a=sent b=pending s=skipped");
    // The outbox row of the pending reminder survived the table's rebuild.
    BOOST_TEST(count(db, "SELECT count(*) FROM outbox o JOIN notifications n ON n.id = o.notification_id "
                         "WHERE n.cart_id = 'b'") == 1);
    BOOST_TEST(count(db, "SELECT count(*) FROM pragma_foreign_key_check") == 0);
    // Migration 0008 counted the history for /metrics.
    BOOST_TEST(
        db.execAndGet("SELECT group_concat(status || '/' || provider || '/' || reason || '=' || count, ' ') "
                      "FROM (SELECT * FROM notification_counts ORDER BY 1, 2, 3)")
            .getString() == "pending//=1 sent//=1 skipped//empty=1");
    db.exec("UPDATE notifications SET status = 'uncertain' WHERE cart_id = 'b'");
    BOOST_CHECK_THROW(db.exec("UPDATE notifications SET status = 'lost' WHERE cart_id = 'b'"),
                      SQLite::Exception);
    // The views read the rebuilt table.
    BOOST_TEST(count(db, "SELECT reminders_uncertain FROM cycle_summary") == 0);
    BOOST_TEST(count(db, "SELECT count(*) FROM skips_by_reason") == 1);
    BOOST_TEST(count(db, "SELECT count(*) FROM uncertain_reminders") == 1);
    BOOST_TEST(count(db, "SELECT count(*) FROM reminders_sending") == 0);
    // Foreign keys are enforced again once migrated: the outbox row follows its notification.
    db.exec("DELETE FROM notifications WHERE cart_id = 'b'");
    BOOST_TEST(count(db, "SELECT count(*) FROM outbox") == 0);
}
