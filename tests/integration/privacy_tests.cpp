#define BOOST_TEST_MODULE privacy_tests
#include <boost/test/unit_test.hpp>

#include "Harness.h"
#include "ScenarioBuilder.h"

#include <Poco/File.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <set>
#include <sstream>
#include <thread>

using namespace acd::test;
using Poco::JSON::Array;

namespace {

const std::string Daemon = binaryPath("abandoned-cartd");
constexpr std::int64_t ProductId = 68719476736;

struct Person
{
    std::string cart;
    std::string account;
    std::string first;
    std::string last;
    std::string email; // as Retail Server gives it, letter case included
};

const Person Ada{"cart-1", "CUST-ADA-77", "Augusta", "Byronesque", "Ada.Lovelace@Example.com"};
const Person Alan{"cart-2", "CUST-ALAN-12", "Alan", "Turing", "alan@example.com"};

/// A store where each person has one abandoned cart an hour old.
std::string writeScenario(const TempDir& dir, const std::vector<Person>& people)
{
    ScenarioBuilder store;
    store.product(ProductId, "Trail Runner Shoe", "10.50", "");
    for (const Person& person : people)
        store.customer(person.account, person.first, person.last, person.email)
            .cartWith(person.cart, person.account, 60, {{ProductId, 1, "10.50"}});
    return store.write(dir);
}

struct Store
{
    explicit Store(const std::vector<Person>& people,
                   const std::map<std::string, std::string>& overrides = {})
        : sim(writeScenario(dir, people)), config(writeConfig(dir, sim, overrides))
    {}

    void reconfigure(const std::map<std::string, std::string>& overrides)
    {
        config = writeConfig(dir, sim, overrides);
    }

    RunResult run(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& extraEnv = {}) const
    {
        auto env = simSecrets();
        for (const auto& [name, value] : extraEnv)
            env[name] = value;
        std::vector<std::string> all{"--config=" + config};
        all.insert(all.end(), args.begin(), args.end());
        return runProgram(Daemon, all, env);
    }

    std::set<std::string> deliveredTo() const
    {
        std::set<std::string> emails;
        Array::Ptr all = sim.deliveries();
        for (std::size_t i = 0; i < all->size(); ++i)
            emails.insert(all->getObject(static_cast<unsigned>(i))->getValue<std::string>("external_id"));
        return emails;
    }

    std::string state(const std::string& cartId) const
    {
        SQLite::Database db(ledger());
        SQLite::Statement q(
            db, "SELECT status || coalesce(':' || reason, '') FROM notifications WHERE cart_id = ?");
        q.bind(1, cartId);
        return q.executeStep() ? q.getColumn(0).getString() : "<none>";
    }

    std::string ledgerBytes() const { return sqliteFileBytes(ledger()); }

    std::string ledger() const { return dir.file("ledger.sqlite"); }

    TempDir dir;
    CommerceSim sim;
    std::string config;
};

} // namespace

BOOST_AUTO_TEST_CASE(an_opted_out_customer_gets_nothing_whatever_the_letter_case)
{
    Store store({Ada, Alan});
    REQUIRE_SUCCESS(store.run({"--opt-out=  ADA.LOVELACE@example.COM "}));
    REQUIRE_SUCCESS(store.run({"--once"}));
    BOOST_TEST((store.deliveredTo() == std::set<std::string>{"alan@example.com"}));
    BOOST_TEST(store.state(Ada.cart) == "skipped:opted_out");
    BOOST_TEST(store.state(Alan.cart) == "sent");
    // Decided at once, not queued then withdrawn: her cart data never reached the outbox.
    SQLite::Database db(store.ledger());
    BOOST_TEST(db.execAndGet("SELECT trigger_id FROM notifications WHERE cart_id = '" + Ada.cart + "'")
                   .getString()
                   .empty());
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM audit_log WHERE action = 'withdrawn'").getInt() == 0);
}

BOOST_AUTO_TEST_CASE(consent_mode_sends_only_to_the_opt_in_list)
{
    Store store({Ada, Alan}, {{"detection.requireConsent", "true"}});
    REQUIRE_SUCCESS(store.run({"--opt-in=Alan@Example.com"}));
    REQUIRE_SUCCESS(store.run({"--once"}));
    BOOST_TEST((store.deliveredTo() == std::set<std::string>{"alan@example.com"}));
    BOOST_TEST(store.state(Ada.cart) == "skipped:no_consent");
}

BOOST_AUTO_TEST_CASE(an_opt_out_after_queueing_still_stops_the_reminder)
{
    // No retry budget: the reminders are queued but stay pending.
    Store store({Ada, Alan}, {{"notify.retryBudgetSeconds", "0"}});
    REQUIRE_SUCCESS(store.run({"--once"}));
    BOOST_TEST(store.deliveredTo().empty());
    REQUIRE_SUCCESS(store.run({"--opt-out=ada.lovelace@example.com"}));
    store.reconfigure({});
    REQUIRE_SUCCESS(store.run({"--once"}));
    BOOST_TEST((store.deliveredTo() == std::set<std::string>{"alan@example.com"}));
    BOOST_TEST(store.state(Ada.cart) == "skipped:opted_out");
    SQLite::Database db(store.ledger());
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM audit_log WHERE action = 'withdrawn'").getInt() == 1);
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM outbox").getInt() == 0);
}

BOOST_AUTO_TEST_CASE(the_hash_key_is_made_once_and_found_on_every_later_run)
{
    Store store({Ada});
    const RunResult first = store.run({"--opt-out=ada.lovelace@example.com"});
    REQUIRE_SUCCESS(first);
    BOOST_TEST(first.out.starts_with("opted out"), first.out);
    const std::string keyFile = store.dir.file("hash.key"); // owner-only: tests/unit/admin
    BOOST_REQUIRE(Poco::File(keyFile).exists());
    BOOST_TEST(first.err.find(keyFile) != std::string::npos, first.err); // the log says where
    const std::string key = readText(keyFile);

    const RunResult second = store.run({"--opt-out=Ada.Lovelace@Example.com"});
    REQUIRE_SUCCESS(second);
    BOOST_TEST(second.out.starts_with("already opted out"), second.out);
    BOOST_TEST(readText(keyFile) == key);
    BOOST_TEST((first.out + first.err + second.out + second.err).find(key.substr(0, 64)) ==
               std::string::npos);

    const RunResult a = store.run({"--audit-subject=ada.lovelace@example.com"});
    const RunResult b = store.run({"--audit-subject=ADA.LOVELACE@EXAMPLE.COM"});
    REQUIRE_SUCCESS(a);
    BOOST_TEST(a.out.starts_with("email:"));
    BOOST_TEST(a.out == b.out);
}

BOOST_AUTO_TEST_CASE(a_key_in_the_env_source_is_used_and_no_file_is_made)
{
    Store store({Ada});
    const RunResult one =
        store.run({"--audit-subject=ada@example.com"}, {{"ACD_SECRET_ACD_HASH_KEY", "key-one"}});
    const RunResult again =
        store.run({"--audit-subject=ada@example.com"}, {{"ACD_SECRET_ACD_HASH_KEY", "key-one"}});
    const RunResult two =
        store.run({"--audit-subject=ada@example.com"}, {{"ACD_SECRET_ACD_HASH_KEY", "key-two"}});
    REQUIRE_SUCCESS(one);
    REQUIRE_SUCCESS(two);
    BOOST_TEST(one.out == again.out);
    BOOST_TEST(one.out != two.out);
    BOOST_TEST(!Poco::File(store.dir.file("hash.key")).exists());
}

BOOST_AUTO_TEST_CASE(a_purged_address_leaves_no_bytes_in_the_ledger_and_reaches_emarsys)
{
    // No retry budget: the reminders stay pending, so the outbox holds the names and addresses.
    Store store({Ada, Alan}, {{"notify.retryBudgetSeconds", "0"}});
    REQUIRE_SUCCESS(store.run({"--once"}));
    const std::string before = store.ledgerBytes();
    BOOST_TEST(before.find("Byronesque") != std::string::npos); // what the purge must remove is there
    BOOST_TEST(before.find(Ada.account) != std::string::npos);

    const RunResult purge = store.run({"--purge=" + Ada.email});
    REQUIRE_SUCCESS(purge);
    BOOST_TEST(purge.out.find("opted out") != std::string::npos, purge.out);
    const std::string after = store.ledgerBytes();
    for (const std::string& personal :
         {Poco::toLower(Ada.email), Ada.email, Ada.first, Ada.last, Ada.account})
        BOOST_TEST(after.find(personal) == std::string::npos, personal);
    BOOST_TEST(after.find(Alan.last) != std::string::npos); // the others' pending reminders stay

    Array::Ptr deletes = parseArray(store.sim.get("/_sim/emarsys/deletes"));
    BOOST_REQUIRE(deletes->size() == 1u);
    BOOST_TEST(deletes->getElement<std::string>(0) == Poco::toLower(Ada.email));

    // Her pending reminder is gone for good; the others go out.
    store.reconfigure({});
    REQUIRE_SUCCESS(store.run({"--once"}));
    BOOST_TEST((store.deliveredTo() == std::set<std::string>{"alan@example.com"}));
    BOOST_TEST(store.state(Ada.cart) == "skipped:purged");
}

BOOST_AUTO_TEST_CASE(the_audit_log_refuses_changes_and_verify_names_a_tampered_row)
{
    Store store({Ada, Alan});
    REQUIRE_SUCCESS(store.run({"--opt-out=ada.lovelace@example.com"}));
    REQUIRE_SUCCESS(store.run({"--opt-in=alan@example.com"}));
    REQUIRE_SUCCESS(store.run({"--once"}));
    const RunResult intact = store.run({"--audit-verify"});
    REQUIRE_SUCCESS(intact);
    BOOST_TEST(intact.out.starts_with("audit trail intact: "), intact.out);
    {
        SQLite::Database db(store.ledger(), SQLite::OPEN_READWRITE);
        const std::int64_t rows = db.execAndGet("SELECT count(*) FROM audit_log").getInt64();
        BOOST_TEST(rows >= 2);
        BOOST_TEST(intact.out.find(": " + std::to_string(rows) + " rows") != std::string::npos, intact.out);
        BOOST_CHECK_THROW(db.exec("UPDATE audit_log SET actor = 'intruder' WHERE id = 2"), SQLite::Exception);
        BOOST_CHECK_THROW(db.exec("DELETE FROM audit_log WHERE id = 1"), SQLite::Exception);
        const std::string all =
            db.execAndGet("SELECT group_concat(coalesce(subject, '') || coalesce(detail, ''), '|') "
                          "FROM audit_log")
                .getString();
        // Whole words only: short ones such as "ada" also occur inside the hex of a keyed hash.
        for (const std::string& personal : {Poco::toLower(Ada.email), Alan.email, Ada.account, Alan.account,
                                            Ada.first, Ada.last, Alan.last, std::string("@example.com")})
            BOOST_TEST(Poco::toLower(all).find(Poco::toLower(personal)) == std::string::npos, personal);
    }
    REQUIRE_SUCCESS(store.run({"--audit-verify"})); // refused changes left it intact

    {
        SQLite::Database db(store.ledger(), SQLite::OPEN_READWRITE);
        db.exec("DROP TRIGGER audit_log_no_update");
        db.exec("UPDATE audit_log SET actor = 'someone else' WHERE id = 2");
        db.exec("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END");
    }
    const RunResult broken = store.run({"--audit-verify"});
    BOOST_TEST(broken.exitCode != 0);
    BOOST_TEST(broken.out.find("row 2") != std::string::npos, broken.out);
    BOOST_TEST(broken.out.find("altered") != std::string::npos, broken.out);
}

BOOST_AUTO_TEST_CASE(audit_export_writes_rfc_4180_csv)
{
    Store store({Ada});
    REQUIRE_SUCCESS(store.run({"--opt-out=ada.lovelace@example.com"}));
    REQUIRE_SUCCESS(store.run({"--opt-in=ada.lovelace@example.com"}));
    const std::string file = store.dir.file("audit.csv");
    REQUIRE_SUCCESS(store.run({"--audit-export=" + file}));
    const std::string csv = readText(file);
    BOOST_TEST(csv.starts_with("id,at,actor,action,subject,detail,prev_hash,hash\r\n"));
    BOOST_TEST(csv.find(",opt_out,email:") != std::string::npos);
    BOOST_TEST(csv.find(",opt_in,email:") != std::string::npos);
    std::size_t lines = 0;
    for (std::size_t at = csv.find("\r\n"); at != std::string::npos; at = csv.find("\r\n", at + 2))
        ++lines;
    BOOST_TEST(lines >= 3u);
    const RunResult toStdout = store.run({"--audit-export=-"});
    REQUIRE_SUCCESS(toStdout);
    BOOST_TEST(toStdout.out == csv);
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_naming_it)
{
    Store store({Ada});
    const RunResult noAddress = store.run({"--opt-out=nobody"});
    BOOST_TEST(noAddress.exitCode == 65);
    BOOST_TEST(noAddress.err.find("\"nobody\" is not an e-mail address") != std::string::npos, noAddress.err);
    const RunResult noLedger = store.run({"--audit-verify"});
    BOOST_TEST(noLedger.exitCode != 0);
    BOOST_TEST(noLedger.err.find("does not exist") != std::string::npos, noLedger.err);
    BOOST_TEST(!Poco::File(store.ledger()).exists());
}

BOOST_AUTO_TEST_CASE(retention_runs_in_the_cycle_and_keeps_only_counts_and_hashes)
{
    Store store({Ada, Alan});
    REQUIRE_SUCCESS(store.run({"--once"}));
    BOOST_TEST(store.deliveredTo().size() == 2u);
    {
        // Forty days pass for Ada's reminder only.
        SQLite::Database db(store.ledger(), SQLite::OPEN_READWRITE);
        db.exec("UPDATE outbox SET created_at = '2020-01-01T00:00:00.0000000Z' WHERE notification_id = "
                "(SELECT id FROM notifications WHERE cart_id = '" +
                Ada.cart + "')");
        db.exec("UPDATE notifications SET created_at = '2020-01-01T00:00:00.0000000Z', updated_at = "
                "'2020-01-01T00:00:00.0000000Z', sent_at = '2020-01-01T00:00:00.0000000Z' WHERE cart_id = '" +
                Ada.cart + "'");
    }
    REQUIRE_SUCCESS(store.run({"--once"}));
    SQLite::Database db(store.ledger());
    BOOST_TEST(db.execAndGet("SELECT customer_id FROM notifications WHERE cart_id = '" + Ada.cart + "'")
                   .getString()
                   .starts_with("h:"));
    BOOST_TEST(db.execAndGet("SELECT customer_id FROM notifications WHERE cart_id = '" + Alan.cart + "'")
                   .getString() == Alan.account);
    BOOST_TEST(
        db.execAndGet("SELECT status FROM notifications WHERE cart_id = '" + Ada.cart + "'").getString() ==
        "sent"); // the count stays
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM audit_log WHERE action = 'retention'").getInt() == 1);
    BOOST_TEST(store.ledgerBytes().find(Ada.account) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(each_start_audits_the_configuration_hash_and_secret_sources)
{
    Store store({Alan});
    REQUIRE_SUCCESS(store.run({"--once"}));
    REQUIRE_SUCCESS(store.run({"--once"}));
    store.reconfigure({{"detection.customerCooldownHours", "48"}});
    REQUIRE_SUCCESS(store.run({"--once"}));
    SQLite::Database db(store.ledger());
    SQLite::Statement configs(db, "SELECT subject FROM audit_log WHERE action = 'config' ORDER BY id");
    std::vector<std::string> hashes;
    while (configs.executeStep())
        hashes.push_back(configs.getColumn(0).getString());
    BOOST_REQUIRE_EQUAL(hashes.size(), 3u);
    BOOST_TEST(hashes[0].starts_with("sha256:"));
    BOOST_TEST(hashes[0] == hashes[1]); // the same configuration, the same hash
    BOOST_TEST(hashes[1] != hashes[2]); // one value changed
    // Each secret's source is recorded once, when first seen, not at every start.
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM audit_log WHERE action = 'secret_source' AND subject = "
                             "'retail-app-secret' AND detail = 'source=env'")
                   .getInt() == 1);
}

BOOST_AUTO_TEST_CASE(the_daemon_serves_the_admin_api_with_its_token)
{
    int port = 0;
    {
        Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
        port = probe.address().port();
    }
    Store store({Alan}, {{"admin.port", std::to_string(port)}, {"admin.tokenSecretName", "admin-token"}});
    auto env = simSecrets();
    env["ACD_SECRET_ADMIN_TOKEN"] = "admin-secret-token-1";
    ChildProcess daemon(Daemon, {"--config=" + store.config}, env, store.dir.file("daemon.log"));
    const auto call = [&](const std::string& method, const std::string& path, const std::string& token,
                          const std::string& body) {
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
        Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        if (!token.empty())
            request.set("Authorization", "Bearer " + token);
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::string text;
        Poco::StreamCopier::copyToString(session.receiveResponse(response), text);
        return std::make_pair(static_cast<int>(response.getStatus()), text);
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::pair<int, std::string> health{0, ""};
    while (std::chrono::steady_clock::now() < deadline)
    {
        try
        {
            health = call("GET", "/healthz", "", "");
            if (health.second.find("\"lastCycle\"") != std::string::npos &&
                health.second.find("completed") != std::string::npos)
                break;
        }
        catch (const Poco::Exception&)
        {}
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    BOOST_TEST(health.first == 200, health.second);
    BOOST_TEST(health.second.find("completed") != std::string::npos, health.second);
    const std::string body = R"({"email":"Ada.Lovelace@Example.com"})";
    BOOST_TEST(call("POST", "/v1/opt-outs", "", body).first == 401);
    BOOST_TEST(call("POST", "/v1/opt-outs", "wrong-token", body).first == 401);
    BOOST_TEST(call("POST", "/v1/opt-outs", "admin-secret-token-1", body).first == 200);
    daemon.terminate();
    BOOST_TEST(daemon.wait() == 0);
    SQLite::Database db(store.ledger());
    BOOST_TEST(db.execAndGet("SELECT count(*) FROM opt_outs").getInt() == 1);
    BOOST_TEST(readText(store.dir.file("daemon.log")).find("admin-secret-token-1") == std::string::npos);
}
