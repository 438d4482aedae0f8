#define BOOST_TEST_MODULE privacy store
#include <boost/test/unit_test.hpp>

#include "LedgerTestSupport.h"
#include "core/KeyedHash.h"
#include "ledger/AuditLog.h"
#include "ledger/LedgerStore.h"
#include "ledger/PrivacyStore.h"

#include <Poco/File.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

using namespace acd;
using namespace acd::test;

namespace {

const std::string Oun = "128";
const std::string T1 = "2026-11-25T10:00:00.0000000Z";
const std::string T2 = "2026-11-25T10:05:00.0000000Z";
const std::string Key = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

struct PrivacyFixture
{
    PrivacyFixture() : path(dir.file("ledger.db")), ledger(path), db(ledger.database())
    {
        ledger.setHashKey(Key);
        privacy = std::make_unique<PrivacyStore>(ledger);
    }

    std::string column(const std::string& sql) { return db.execAndGet(sql).getString(); }
    std::int64_t rows(const std::string& sql) { return count(db, sql); }

    QueuedReminder reminder(const std::string& cartId, const std::string& customerId,
                            const std::string& email, const std::string& first, const std::string& last)
    {
        return {cartId,          T1,    customerId,
                "acd-" + cartId, email, R"({"firstName":")" + first + R"(","lastName":")" + last + R"("})"};
    }

    /// Every byte of the ledger's files, as they are on disk now.
    std::string filesOnDisk()
    {
        std::string bytes;
        for (const char* suffix : {"", "-wal", "-shm"})
            if (Poco::File(path + suffix).exists())
                bytes += readBytes(path + suffix);
        return bytes;
    }

    PrivacyStore::Forget recordForget()
    {
        return [this](const std::string& email) { forgotten.push_back(email); };
    }

    TempDir dir;
    std::string path;
    LedgerStore ledger;
    SQLite::Database& db;
    std::unique_ptr<PrivacyStore> privacy;
    std::vector<std::string> forgotten;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(privacy_store, PrivacyFixture)

BOOST_AUTO_TEST_CASE(an_opt_out_matches_whatever_the_letter_case_and_stores_no_address)
{
    BOOST_TEST(privacy->optOut("  Ada.Lovelace@Example.COM ", "cli:test"));
    BOOST_TEST(!privacy->optOut("ada.lovelace@example.com", "cli:test"));
    BOOST_TEST((privacy->optedOut({"ada.lovelace@example.com", "alan@example.com"}) ==
                std::set<std::string>{"ada.lovelace@example.com"}));
    BOOST_TEST(column("SELECT email_hash FROM opt_outs") == KeyedHash(Key).email("ada.lovelace@example.com"));
    BOOST_TEST(column("SELECT actor FROM opt_outs") == "cli:test");
    const std::string audit = column("SELECT group_concat(action || ' ' || subject || ' ' || detail, ';') "
                                     "FROM audit_log");
    BOOST_TEST(audit.find("opt_out email:") == 0u, audit);
    BOOST_TEST(audit.find("changed=no") != std::string::npos, audit);
    BOOST_TEST(audit.find("ada") == std::string::npos, audit);
    BOOST_TEST(filesOnDisk().find("ada.lovelace") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(another_key_gives_other_hashes)
{
    BOOST_TEST(KeyedHash("one").email("a@b.c") != KeyedHash("two").email("a@b.c"));
    BOOST_TEST(KeyedHash("one").email("a@b.c") != KeyedHash("one").customer("a@b.c"));
}

BOOST_AUTO_TEST_CASE(opt_in_consents_and_lifts_the_opt_out)
{
    privacy->optOut("grace@example.com", "cli:test");
    auto refused = privacy->refusals({"grace@example.com", "alan@example.com"}, true);
    BOOST_TEST((refused == std::map<std::string, SkipReason>{{"grace@example.com", SkipReason::OptedOut},
                                                             {"alan@example.com", SkipReason::NoConsent}}));
    BOOST_TEST(privacy->optIn("GRACE@example.com", "admin-api:127.0.0.1"));
    BOOST_TEST(privacy->refusals({"grace@example.com"}, true).empty());
    BOOST_TEST(privacy->refusals({"alan@example.com"}, false).empty());
    BOOST_TEST((privacy->consented({"grace@example.com", "alan@example.com"}) ==
                std::set<std::string>{"grace@example.com"}));
    privacy->optOut("grace@example.com", "cli:test");
    BOOST_TEST(privacy->removeOptOut("grace@example.com", "cli:test"));
    BOOST_TEST(privacy->optedOut({"grace@example.com"}).empty());
}

BOOST_AUTO_TEST_CASE(an_unusable_address_is_refused_naming_it)
{
    BOOST_CHECK_EXCEPTION(privacy->optOut("not-an-address", "cli:test"), InvalidAddress,
                          [](const InvalidAddress& e) {
                              return std::string(e.what()).find("not-an-address") != std::string::npos;
                          });
    BOOST_CHECK_THROW(privacy->purge(" ", "cli:test", false, recordForget(), "emarsys"), InvalidAddress);
    BOOST_TEST(rows("SELECT count(*) FROM audit_log") == 0);
    BOOST_TEST(forgotten.empty());
}

BOOST_AUTO_TEST_CASE(purge_leaves_no_byte_of_the_customer_in_the_ledger_files)
{
    const std::int64_t cycle = ledger.cycles().begin(Oun, at(T1), at(T2));
    ledger.deliveries().queueReminders(
        cycle, Oun,
        {reminder("ada-1", "CUST-ADA-77", "ada.lovelace@example.com", "Augusta", "Byronesque"),
         reminder("alan-1", "CUST-ALAN-12", "alan@example.com", "Alan", "Turing")},
        {});
    // One reminder of hers already went out, one is still pending (retries, or queued later).
    const std::int64_t later = ledger.cycles().begin(Oun, at(T1), at(T2));
    ledger.deliveries().queueReminders(
        later, Oun, {reminder("ada-2", "CUST-ADA-77", "ada.lovelace@example.com", "Augusta", "Byronesque")},
        {});
    const std::vector<OutboxItem> pending = ledger.deliveries().pendingOutbox(0, 10);
    ledger.deliveries().recordDeliveries({{pending[0].notificationId, DeliveryState::Sent, "", "emarsys"}});
    ledger.staging().stageCandidates(later, Oun, {makeCart("ada-3", "CUST-ADA-77", T2)});
    BOOST_TEST(filesOnDisk().find("Byronesque") != std::string::npos); // the test can see it before

    const PurgeResult result =
        privacy->purge("Ada.Lovelace@EXAMPLE.com", "cli:test", false, recordForget(), "emarsys");
    BOOST_TEST(result.outboxRows == 1);
    BOOST_TEST(result.notifications == 2);
    BOOST_TEST(result.withdrawn == 1);
    BOOST_TEST(result.optedOut);
    BOOST_TEST(result.providerError.empty());
    BOOST_TEST(result.walCleared);
    BOOST_TEST((forgotten == std::vector<std::string>{"ada.lovelace@example.com"}));

    const std::string disk = filesOnDisk();
    for (const char* personal : {"ada.lovelace", "Augusta", "Byronesque", "CUST-ADA-77"})
        BOOST_TEST(disk.find(personal) == std::string::npos, personal);
    BOOST_TEST(disk.find("alan@example.com") != std::string::npos); // others keep their pending reminder

    const KeyedHash hash(Key);
    BOOST_TEST(rows("SELECT count(*) FROM notifications WHERE customer_id = 'h:" +
                    hash.customer("CUST-ADA-77") + "'") == 2);
    BOOST_TEST(column("SELECT status || ':' || reason FROM notifications WHERE cart_id = 'ada-2'") ==
               "skipped:purged");
    BOOST_TEST(column("SELECT status FROM notifications WHERE cart_id = 'ada-1'") == "sent");
    BOOST_TEST(!privacy->optedOut({"ada.lovelace@example.com"}).empty());
    BOOST_TEST(column("SELECT group_concat(action, ',') FROM audit_log WHERE actor = 'cli:test'") ==
               "opt_out,purge,provider_forget");
    BOOST_TEST(AuditLog::verify(db).intact());
}

BOOST_AUTO_TEST_CASE(purge_finds_the_reminders_of_an_address_indexed_or_not_yet)
{
    const auto sendNow = [this](const std::string& cart, const std::string& customer,
                                const std::string& email) {
        const std::int64_t cycle = ledger.cycles().begin(Oun, at(T1), at(T2));
        ledger.deliveries().queueReminders(cycle, Oun, {reminder(cart, customer, email, "Ada", "L")}, {});
        ledger.deliveries().recordDeliveries({{ledger.deliveries().pendingOutbox(0, 10).at(0).notificationId,
                                               DeliveryState::Sent, "", "emarsys"}});
    };
    // Sent, so only the address's hash leads to them: one in email_index, one after it.
    sendNow("ada-1", "CUST-A1", "ada@example.com");
    sendNow("alan-1", "CUST-B1", "alan@example.com");
    BOOST_TEST(ledger.retention().indexEmailHashes() == 2);
    BOOST_TEST(ledger.retention().indexEmailHashes() == 0);
    sendNow("ada-2", "CUST-A2", "ada@example.com");
    BOOST_TEST(ledger.retention().notificationsTo(KeyedHash(Key).email("ada@example.com")).size() == 2u);

    privacy->purge("ada@example.com", "cli:test", true, recordForget(), "emarsys");
    const KeyedHash hash(Key);
    for (const char* account : {"CUST-A1", "CUST-A2"})
        BOOST_TEST(rows(std::string("SELECT count(*) FROM notifications WHERE customer_id = 'h:") +
                        hash.customer(account) + "'") == 1,
                   account);
    BOOST_TEST(column("SELECT customer_id FROM notifications WHERE cart_id = 'alan-1'") == "CUST-B1");

    BOOST_TEST(ledger.retention().indexEmailHashes() == 1);
    BOOST_TEST(rows("SELECT count(*) FROM email_index") == 3);
    BOOST_TEST(ledger.retention().notificationsTo(hash.email("ada@example.com")).size() == 2u);
}

BOOST_AUTO_TEST_CASE(purge_may_keep_the_subscription_and_records_a_provider_failure)
{
    const std::int64_t cycle = ledger.cycles().begin(Oun, at(T1), at(T2));
    ledger.deliveries().queueReminders(cycle, Oun,
                                       {reminder("g", "C3", "grace@example.com", "Grace", "Hopper")}, {});
    const PurgeResult result = privacy->purge(
        "grace@example.com", "cli:test", true,
        [](const std::string&) { throw std::runtime_error("HTTP 503 for grace@example.com"); }, "emarsys");
    BOOST_TEST(!result.optedOut);
    BOOST_TEST(privacy->optedOut({"grace@example.com"}).empty());
    BOOST_TEST(result.providerError == "HTTP 503 for <address>");
    BOOST_TEST(rows("SELECT count(*) FROM outbox") == 0);
    BOOST_TEST(column("SELECT detail FROM audit_log WHERE action = 'provider_forget'") ==
               "provider=emarsys result=failed error=HTTP 503 for <address>");
    BOOST_TEST(column("SELECT detail FROM audit_log WHERE action = 'purge'").find("subscription=kept") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_reminder_withdrawn_before_delivery_loses_its_address)
{
    const std::int64_t cycle = ledger.cycles().begin(Oun, at(T1), at(T2));
    ledger.deliveries().queueReminders(cycle, Oun, {reminder("a", "C1", "ada@example.com", "Ada", "L")}, {});
    const std::int64_t id = ledger.deliveries().pendingOutbox(0, 10).at(0).notificationId;
    ledger.deliveries().withdrawPending({{id, SkipReason::OptedOut}});
    BOOST_TEST(column("SELECT status || ':' || reason FROM notifications") == "skipped:opted_out");
    BOOST_TEST(rows("SELECT count(*) FROM outbox") == 0);
    BOOST_TEST(ledger.deliveries().pendingOutbox(0, 10).empty());
    BOOST_TEST(column("SELECT action FROM audit_log") == "withdrawn");
}

BOOST_AUTO_TEST_CASE(retention_removes_personal_data_and_keeps_counts_and_hashes)
{
    const std::int64_t cycle = ledger.cycles().begin(Oun, at(T1), at(T2));
    ledger.deliveries().queueReminders(cycle, Oun,
                                       {reminder("a", "C1", "ada@example.com", "Ada", "L"),
                                        reminder("b", "C2", "alan@example.com", "Alan", "T")},
                                       {{"s", T1, "C3", SkipReason::NoEmail}});
    const std::vector<OutboxItem> pending = ledger.deliveries().pendingOutbox(0, 10);
    ledger.deliveries().recordDeliveries({{pending[0].notificationId, DeliveryState::Sent, "", "emarsys"}});
    const Timestamp now = Timestamp::now();

    // Nothing is old enough yet.
    RetentionResult result = ledger.retention().applyRetention(now, 30);
    BOOST_TEST(result.anonymised + result.outboxRows + result.expired == 0);
    BOOST_TEST(rows("SELECT count(*) FROM audit_log WHERE action = 'retention'") == 0);

    result = ledger.retention().applyRetention(now.plusSeconds(31 * 86400), 30);
    BOOST_TEST(result.expired == 1);    // alan's reminder never went out
    BOOST_TEST(result.outboxRows == 1); // ... and its address went with it
    BOOST_TEST(result.anonymised == 3);
    BOOST_TEST(rows("SELECT count(*) FROM outbox") == 0);
    BOOST_TEST(rows("SELECT count(*) FROM notifications WHERE customer_id NOT LIKE 'h:%'") == 0);
    BOOST_TEST(rows("SELECT count(*) FROM notifications") == 3);
    BOOST_TEST(column("SELECT status FROM notifications WHERE cart_id = 'b'") == "failed");
    BOOST_TEST(column("SELECT email_hash FROM notifications WHERE cart_id = 'a'") ==
               KeyedHash(Key).email("ada@example.com"));
    BOOST_TEST(column("SELECT detail FROM audit_log WHERE action = 'retention'") ==
               "days=30 expired=1 outbox_rows=1 anonymised=3");
    BOOST_TEST(filesOnDisk().find("alan@example.com") == std::string::npos);

    // The cooldown still knows who was reminded once the account number is hashed.
    BOOST_TEST((ledger.deliveries().customersRemindedSince({"C1", "C2"}, now.plusSeconds(-3600)) ==
                std::set<std::string>{"C1"}));
    BOOST_TEST(AuditLog::verify(db).intact());
}

BOOST_AUTO_TEST_CASE(retention_counts_from_the_last_change_not_from_the_creation)
{
    const std::int64_t cycle = ledger.cycles().begin(Oun, at(T1), at(T2));
    ledger.deliveries().queueReminders(cycle, Oun,
                                       {reminder("old", "C1", "ada@example.com", "Ada", "L"),
                                        reminder("late", "C2", "alan@example.com", "Alan", "T")},
                                       {});
    const std::vector<OutboxItem> pending = ledger.deliveries().pendingOutbox(0, 10);
    ledger.deliveries().recordDeliveries({{pending[0].notificationId, DeliveryState::Sent, "", "emarsys"},
                                          {pending[1].notificationId, DeliveryState::Sent, "", "emarsys"}});
    // Both were queued 40 days ago; "late" went out (after retries) only 10 days ago.
    const Timestamp now = Timestamp::now();
    SQLite::Statement age(db, "UPDATE notifications SET created_at = ?1, updated_at = ?2 WHERE cart_id = ?3");
    for (const auto& [cart, lastChange] : {std::pair{"old", 40}, std::pair{"late", 10}})
    {
        age.reset();
        age.bind(1, now.plusSeconds(-40 * 86400).toIso());
        age.bind(2, now.plusSeconds(-static_cast<std::int64_t>(lastChange) * 86400).toIso());
        age.bind(3, cart);
        age.exec();
    }

    const RetentionResult result = ledger.retention().applyRetention(now, 30);
    BOOST_TEST(result.anonymised == 1);
    BOOST_TEST(column("SELECT customer_id FROM notifications WHERE cart_id = 'old'") ==
               "h:" + KeyedHash(Key).customer("C1"));
    BOOST_TEST(column("SELECT customer_id FROM notifications WHERE cart_id = 'late'") == "C2");
}

BOOST_AUTO_TEST_CASE(sends_after_an_opt_out_are_listed_until_the_address_opts_in_again)
{
    const auto send = [this](const std::string& cart, const std::string& email) {
        const std::int64_t cycle = ledger.cycles().begin(Oun, at(T1), at(T2));
        ledger.deliveries().queueReminders(cycle, Oun, {reminder(cart, "C-" + cart, email, "Ada", "L")}, {});
        const std::vector<OutboxItem> pending = ledger.deliveries().pendingOutbox(0, 10);
        BOOST_REQUIRE(pending.size() == 1);
        ledger.deliveries().recordDeliveries(
            {{pending[0].notificationId, DeliveryState::Sent, "", "emarsys"}});
    };
    send("before", "ada@example.com");
    privacy->optOut("ada@example.com", "cli:auditor");
    send("other", "alan@example.com");
    BOOST_TEST(rows("SELECT count(*) FROM sends_after_opt_out") == 0);

    send("after", "ada@example.com"); // what the cycle must never do
    BOOST_TEST(rows("SELECT count(*) FROM sends_after_opt_out") == 1);
    BOOST_TEST(column("SELECT detail FROM sends_after_opt_out") ==
               column("SELECT detail FROM audit_log WHERE action = 'sent' ORDER BY id DESC LIMIT 1"));

    privacy->optIn("ada@example.com", "cli:auditor");
    send("again", "ada@example.com");
    BOOST_TEST(rows("SELECT count(*) FROM sends_after_opt_out") == 1);
}

BOOST_AUTO_TEST_CASE(the_hash_key_is_required)
{
    TempDir other;
    LedgerStore keyless(other.file("ledger.db"));
    BOOST_CHECK_THROW(PrivacyStore{keyless}, std::logic_error);
    BOOST_CHECK_THROW(keyless.retention().applyRetention(Timestamp::now(), 30), std::logic_error);
}

BOOST_AUTO_TEST_SUITE_END()
