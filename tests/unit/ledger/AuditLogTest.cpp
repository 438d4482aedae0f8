#define BOOST_TEST_MODULE audit log
#include <boost/test/unit_test.hpp>

#include "LedgerTestSupport.h"
#include "core/KeyedHash.h"
#include "ledger/AuditLog.h"
#include "ledger/LedgerStore.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <sstream>

using namespace acd;
using namespace acd::test;

namespace {

const std::string Oun = "128";
const std::string T1 = "2026-11-25T10:00:00.0000000Z";
const std::string T2 = "2026-11-25T10:05:00.0000000Z";
const std::string Key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct AuditFixture
{
    AuditFixture() : ledger(dir.file("ledger.db")), db(ledger.database()) { ledger.setHashKey(Key); }

    void append(const std::string& action, const std::string& detail = "")
    {
        SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
        ledger.audit().append({"test", action, "email:abc", detail}, Timestamp::now().toIso());
        transaction.commit();
    }

    AuditLog::Verification verify() { return AuditLog::verify(db); }

    /// What a person with write access to the file does: remove the protection, then edit.
    void tamper(const std::string& sql)
    {
        db.exec("DROP TRIGGER audit_log_no_update");
        db.exec("DROP TRIGGER audit_log_no_delete");
        db.exec(sql);
    }

    std::string all(const std::string& sql)
    {
        SQLite::Statement query(db, sql);
        std::string text;
        while (query.executeStep())
            for (int i = 0; i < query.getColumnCount(); ++i)
                text += query.getColumn(i).getString() + "|";
        return text;
    }

    TempDir dir;
    LedgerStore ledger;
    SQLite::Database& db;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(audit_log, AuditFixture)

BOOST_AUTO_TEST_CASE(rows_are_chained_and_verify_intact)
{
    for (int i = 0; i < 5; ++i)
        append("opt_out", "n=" + std::to_string(i));
    const AuditLog::Verification result = verify();
    BOOST_TEST(result.intact(), result.problem);
    BOOST_TEST(result.rows == 5);
    BOOST_TEST(result.headHash == db.execAndGet("SELECT hash FROM audit_log WHERE id = 5").getString());
    BOOST_TEST(count(db, "SELECT count(*) FROM audit_log a JOIN audit_log b ON b.id = a.id + 1 "
                         "WHERE b.prev_hash = a.hash") == 4);
    BOOST_TEST(db.execAndGet("SELECT prev_hash IS NULL FROM audit_log WHERE id = 1").getInt() == 1);
}

BOOST_AUTO_TEST_CASE(the_row_hash_is_the_documented_canonical_text)
{
    // docs/auditing.md tells auditors how to recompute it; this pins that description.
    const std::string text = "acd-audit-1\n-\n1:1\n2:at\n5:actor\n6:action\n7:subject\n0:\n";
    BOOST_TEST(AuditLog::rowHash(std::nullopt, 1, "at", "actor", "action", std::string("subject"),
                                 std::string("")) == sha256Hex(text));
    BOOST_TEST(AuditLog::rowHash(std::string("p"), 1, "at", "actor", "action", std::nullopt, std::nullopt) ==
               sha256Hex("acd-audit-1\n1:p\n1:1\n2:at\n5:actor\n6:action\n-\n-\n"));
}

BOOST_AUTO_TEST_CASE(append_outside_a_transaction_is_refused)
{
    BOOST_CHECK_THROW(ledger.audit().append({"test", "x", "", ""}, T1), std::logic_error);
    BOOST_TEST(count(db, "SELECT count(*) FROM audit_log") == 0);
}

BOOST_AUTO_TEST_CASE(update_and_delete_are_refused)
{
    append("opt_out");
    BOOST_CHECK_THROW(db.exec("UPDATE audit_log SET detail = 'x'"), SQLite::Exception);
    BOOST_CHECK_THROW(db.exec("DELETE FROM audit_log"), SQLite::Exception);
    BOOST_TEST(verify().intact());
}

BOOST_AUTO_TEST_CASE(an_altered_row_is_named)
{
    for (int i = 0; i < 4; ++i)
        append("sent", "n=" + std::to_string(i));
    tamper("UPDATE audit_log SET detail = 'n=9' WHERE id = 3");
    const AuditLog::Verification result = verify();
    BOOST_TEST(!result.intact());
    BOOST_TEST(result.badRow.value_or(0) == 3);
    BOOST_TEST(result.problem.find("row 3") != std::string::npos, result.problem);
    BOOST_TEST(result.problem.find("altered") != std::string::npos, result.problem);
}

BOOST_AUTO_TEST_CASE(a_row_rehashed_after_editing_breaks_the_next_link)
{
    for (int i = 0; i < 4; ++i)
        append("sent", "n=" + std::to_string(i));
    const std::string prev = db.execAndGet("SELECT hash FROM audit_log WHERE id = 1").getString();
    const std::string at = db.execAndGet("SELECT at FROM audit_log WHERE id = 2").getString();
    const std::string forged =
        AuditLog::rowHash(prev, 2, at, "test", "sent", std::string("email:abc"), std::string("n=forged"));
    tamper("UPDATE audit_log SET detail = 'n=forged', hash = '" + forged + "' WHERE id = 2");
    const AuditLog::Verification result = verify();
    BOOST_TEST(result.badRow.value_or(0) == 3);
    BOOST_TEST(result.problem.find("prev_hash") != std::string::npos, result.problem);
}

BOOST_AUTO_TEST_CASE(removed_rows_are_found_in_the_middle_and_at_the_end)
{
    for (int i = 0; i < 5; ++i)
        append("sent");
    tamper("DELETE FROM audit_log WHERE id = 2");
    AuditLog::Verification result = verify();
    BOOST_TEST(result.badRow.value_or(0) == 2);
    BOOST_TEST(result.problem.find("missing") != std::string::npos, result.problem);

    TempDir other;
    LedgerStore second(other.file("ledger.db"));
    for (int i = 0; i < 3; ++i)
    {
        SQLite::Transaction transaction(second.database());
        second.audit().append({"test", "sent", "", ""}, T1);
        transaction.commit();
    }
    second.database().exec("DROP TRIGGER audit_log_no_delete");
    second.database().exec("DELETE FROM audit_log WHERE id = 3");
    second.database().exec(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'x'); END");
    result = AuditLog::verify(second.database());
    BOOST_TEST(result.badRow.value_or(0) == 3);
    BOOST_TEST(result.problem.find("newest rows were removed") != std::string::npos, result.problem);

    // A row appended after the removal does not paper over the gap.
    {
        SQLite::Transaction transaction(second.database());
        second.audit().append({"test", "sent", "", ""}, T2);
        transaction.commit();
    }
    BOOST_TEST(AuditLog::verify(second.database()).badRow.value_or(0) == 3);
}

BOOST_AUTO_TEST_CASE(a_missing_trigger_is_reported_even_with_intact_rows)
{
    append("opt_out");
    db.exec("DROP TRIGGER audit_log_no_update");
    const AuditLog::Verification result = verify();
    BOOST_TEST(!result.intact());
    BOOST_TEST(result.problem.find("audit_log_no_update") != std::string::npos, result.problem);
}

BOOST_AUTO_TEST_CASE(a_rolled_back_append_leaves_the_chain_whole)
{
    append("one");
    {
        SQLite::Transaction transaction(db);
        ledger.audit().append({"test", "lost", "", ""}, T1);
    } // rolled back
    append("two");
    const AuditLog::Verification result = verify();
    BOOST_TEST(result.intact(), result.problem);
    BOOST_TEST(result.rows == 2);
}

BOOST_AUTO_TEST_CASE(two_connections_appending_in_turn_do_not_fork_the_chain)
{
    LedgerStore other(dir.file("ledger.db"));
    for (int i = 0; i < 10; ++i)
    {
        LedgerStore& writer = i % 2 == 0 ? ledger : other;
        for (int j = 0; j < 3; ++j)
        {
            SQLite::Transaction transaction(writer.database(), SQLite::TransactionBehavior::IMMEDIATE);
            writer.audit().append({"test", "turn", "", std::to_string(i)}, T1);
            writer.audit().append({"test", "turn", "", std::to_string(i)}, T1);
            transaction.commit();
        }
    }
    const AuditLog::Verification result = verify();
    BOOST_TEST(result.intact(), result.problem);
    BOOST_TEST(result.rows == 60);
}

BOOST_AUTO_TEST_CASE(csv_export_quotes_as_rfc_4180_says)
{
    append("opt_out", "plain");
    append("failed", "a,b \"quoted\"\nsecond line");
    std::ostringstream out;
    BOOST_TEST(AuditLog::exportCsv(db, out) == 2);
    const std::string csv = out.str();
    BOOST_TEST(csv.starts_with("id,at,actor,action,subject,detail,prev_hash,hash\r\n"));
    BOOST_TEST(csv.find(",plain,,") != std::string::npos);
    BOOST_TEST(csv.find(",\"a,b \"\"quoted\"\"\nsecond line\",") != std::string::npos);
    BOOST_TEST(csv.ends_with("\r\n"));
}

BOOST_AUTO_TEST_CASE(addresses_are_masked_in_provider_texts)
{
    BOOST_TEST(withoutAddresses("550 <Ann.Lee@example.com>: user unknown") ==
               "550 <<address>>: user unknown");
    BOOST_TEST(withoutAddresses("{\"a@b.c\":{\"2008\":\"x\"}} and c@d") ==
               "{\"<address>\":{\"2008\":\"x\"}} and <address>");
    BOOST_TEST(withoutAddresses("HTTP 503: busy") == "HTTP 503: busy");
}

BOOST_AUTO_TEST_CASE(cycle_records_are_audited_by_keyed_hash_in_their_transactions)
{
    const std::int64_t cycle = ledger.cycles().begin(Oun, at(T1), at(T2));
    ledger.deliveries().recordSkips(cycle, Oun, {{"anon", T1, "", SkipReason::Anonymous}});
    ledger.staging().stageCandidates(cycle, Oun, {makeCart("old", "C1", T1), makeCart("new", "C1", T2)});
    BOOST_TEST(ledger.staging().resolveSuperseded(cycle, Oun) == 1);
    ledger.deliveries().queueReminders(
        cycle, Oun,
        {{"new", T2, "C1", "acd-new", "ada@example.com", R"({"firstName":"Ada"})"},
         {"b", T1, "C2", "acd-b", "alan@example.com", R"({"firstName":"Alan"})"}},
        {{"c", T1, "C3", SkipReason::NoEmail}});
    const std::vector<OutboxItem> pending = ledger.deliveries().pendingOutbox(0, 10);
    BOOST_REQUIRE(pending.size() == 2u);
    ledger.deliveries().recordDeliveries(
        {{pending[0].notificationId, DeliveryState::Sent, "", "emarsys"},
         {pending[1].notificationId, DeliveryState::Deferred, "550 <alan@example.com> busy", "emarsys"}});
    ledger.deliveries().recordDeliveries(
        {{pending[1].notificationId, DeliveryState::Failed, "2008 alan@example.com unknown", "emarsys"}});

    BOOST_TEST(all("SELECT action FROM audit_log ORDER BY id") ==
               "skipped|skipped|skipped|sent|deferred|failed|");
    const KeyedHash hash(Key);
    BOOST_TEST(all("SELECT subject FROM audit_log WHERE action = 'sent'") ==
               "email:" + hash.email("ada@example.com") + "|");
    BOOST_TEST(all("SELECT subject FROM audit_log WHERE detail LIKE '%reason=superseded%'") ==
               "customer:" + hash.customer("C1") + "|");
    BOOST_TEST(all("SELECT subject FROM audit_log WHERE detail LIKE '%cart=anon%'") == "|");
    const std::string everything = all("SELECT * FROM audit_log") + all("SELECT reason FROM notifications");
    for (const char* personal : {"ada@", "alan@", "Ada", "Alan", "C1|", "=C2"})
        BOOST_TEST(everything.find(personal) == std::string::npos, personal);
    BOOST_TEST(verify().intact());
}

BOOST_AUTO_TEST_SUITE_END()
