#define BOOST_TEST_MODULE privacy_tests
#include <boost/test/unit_test.hpp>

#include "Harness.h"

#include <Poco/File.h>
#include <Poco/JSON/Stringifier.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <set>
#include <sstream>

using namespace acd::test;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

const std::string Daemon = binaryPath("abandoned-cartd");
constexpr std::int64_t ChannelId = 5637144592;
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
    Object::Ptr root = new Object;
    root->set("operatingUnitNumber", "128");
    Object::Ptr channel = new Object;
    channel->set("RecordId", ChannelId);
    channel->set("Currency", "EUR");
    root->set("channel", channel);
    Array::Ptr customers = new Array;
    Array::Ptr carts = new Array;
    for (const Person& person : people)
    {
        Object::Ptr customer = new Object;
        customer->set("AccountNumber", person.account);
        customer->set("FirstName", person.first);
        customer->set("LastName", person.last);
        customer->set("Email", person.email);
        customer->set("Language", "en-us");
        customers->add(customer);
        Object::Ptr line = new Object;
        line->set("LineId", "l1");
        line->set("ProductId", ProductId);
        line->set("ItemId", "item-1");
        line->set("Quantity", 1);
        line->set("Price", "10.50");
        Array::Ptr lines = new Array;
        lines->add(line);
        Object::Ptr cart = new Object;
        cart->set("Id", person.cart);
        cart->set("CustomerId", person.account);
        cart->set("CartTypeValue", 1);
        cart->set("ChannelId", ChannelId);
        cart->set("modifiedMinutesAgo", 60);
        cart->set("TotalAmount", 10.5);
        cart->set("CartLines", lines);
        carts->add(cart);
    }
    Object::Ptr product = new Object;
    product->set("RecordId", ProductId);
    product->set("ProductName", "Trail Runner Shoe");
    product->set("ItemId", "item-1");
    product->set("Price", "10.50");
    Array::Ptr products = new Array;
    products->add(product);
    root->set("customers", customers);
    root->set("products", products);
    root->set("carts", carts);
    std::ostringstream json;
    Poco::JSON::Stringifier::condense(root, json);
    const std::string path = dir.file("scenario.json");
    writeText(path, json.str());
    return path;
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

    /// Every byte of the ledger's files as they are on disk.
    std::string ledgerBytes() const
    {
        std::string bytes;
        for (const char* suffix : {"", "-wal", "-shm"})
            if (Poco::File(ledger() + suffix).exists())
                bytes += readText(ledger() + suffix);
        return bytes;
    }

    std::string ledger() const { return dir.file("ledger.sqlite"); }

    TempDir dir;
    CommerceSim sim;
    std::string config;
};

#define REQUIRE_OK(result)                                                                                   \
    BOOST_TEST_INFO("stdout: " << (result).out << "\nstderr: " << (result).err);                             \
    BOOST_REQUIRE_EQUAL((result).exitCode, 0)

std::string lower(std::string text)
{
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

} // namespace

// Needs the cycle to consult PrivacyStore (the lead's wiring of src/app/Cycle.cpp).
BOOST_AUTO_TEST_CASE(an_opted_out_customer_gets_nothing_whatever_the_letter_case)
{
    Store store({Ada, Alan});
    REQUIRE_OK(store.run({"--opt-out=  ADA.LOVELACE@example.COM "}));
    REQUIRE_OK(store.run({"--once"}));
    BOOST_TEST((store.deliveredTo() == std::set<std::string>{"alan@example.com"}));
    BOOST_TEST(store.state(Ada.cart) == "skipped:opted_out");
    BOOST_TEST(store.state(Alan.cart) == "sent");
}

// Needs the cycle to consult PrivacyStore (the lead's wiring of src/app/Cycle.cpp).
BOOST_AUTO_TEST_CASE(consent_mode_sends_only_to_the_opt_in_list)
{
    Store store({Ada, Alan}, {{"detection.requireConsent", "true"}});
    REQUIRE_OK(store.run({"--opt-in=Alan@Example.com"}));
    REQUIRE_OK(store.run({"--once"}));
    BOOST_TEST((store.deliveredTo() == std::set<std::string>{"alan@example.com"}));
    BOOST_TEST(store.state(Ada.cart) == "skipped:no_consent");
}

// Needs the cycle's check right before delivery (the lead's wiring of src/app/Cycle.cpp).
BOOST_AUTO_TEST_CASE(an_opt_out_after_queueing_still_stops_the_reminder)
{
    // No retry budget: the reminders are queued but stay pending.
    Store store({Ada, Alan}, {{"notify.retryBudgetSeconds", "0"}});
    REQUIRE_OK(store.run({"--once"}));
    BOOST_TEST(store.deliveredTo().empty());
    REQUIRE_OK(store.run({"--opt-out=ada.lovelace@example.com"}));
    store.reconfigure({});
    REQUIRE_OK(store.run({"--once"}));
    BOOST_TEST((store.deliveredTo() == std::set<std::string>{"alan@example.com"}));
    BOOST_TEST(store.state(Ada.cart) == "skipped:opted_out");
}

BOOST_AUTO_TEST_CASE(the_hash_key_is_made_once_and_found_on_every_later_run)
{
    Store store({Ada});
    const RunResult first = store.run({"--opt-out=ada.lovelace@example.com"});
    REQUIRE_OK(first);
    BOOST_TEST(first.out.starts_with("opted out"), first.out);
    const std::string keyFile = store.dir.file("hash.key"); // owner-only: tests/unit/admin
    BOOST_REQUIRE(Poco::File(keyFile).exists());
    BOOST_TEST(first.err.find(keyFile) != std::string::npos, first.err); // the log says where
    const std::string key = readText(keyFile);

    const RunResult second = store.run({"--opt-out=Ada.Lovelace@Example.com"});
    REQUIRE_OK(second);
    BOOST_TEST(second.out.starts_with("already opted out"), second.out);
    BOOST_TEST(readText(keyFile) == key);
    BOOST_TEST((first.out + first.err + second.out + second.err).find(key.substr(0, 64)) ==
               std::string::npos);

    const RunResult a = store.run({"--audit-subject=ada.lovelace@example.com"});
    const RunResult b = store.run({"--audit-subject=ADA.LOVELACE@EXAMPLE.COM"});
    REQUIRE_OK(a);
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
    REQUIRE_OK(one);
    REQUIRE_OK(two);
    BOOST_TEST(one.out == again.out);
    BOOST_TEST(one.out != two.out);
    BOOST_TEST(!Poco::File(store.dir.file("hash.key")).exists());
}

BOOST_AUTO_TEST_CASE(a_purged_address_leaves_no_bytes_in_the_ledger_and_reaches_emarsys)
{
    // No retry budget: the reminders stay pending, so the outbox holds the names and addresses.
    Store store({Ada, Alan}, {{"notify.retryBudgetSeconds", "0"}});
    REQUIRE_OK(store.run({"--once"}));
    const std::string before = store.ledgerBytes();
    BOOST_TEST(before.find("Byronesque") != std::string::npos); // what the purge must remove is there
    BOOST_TEST(before.find(Ada.account) != std::string::npos);

    const RunResult purge = store.run({"--purge=" + Ada.email});
    REQUIRE_OK(purge);
    BOOST_TEST(purge.out.find("opted out") != std::string::npos, purge.out);
    const std::string after = store.ledgerBytes();
    for (const std::string& personal : {lower(Ada.email), Ada.email, Ada.first, Ada.last, Ada.account})
        BOOST_TEST(after.find(personal) == std::string::npos, personal);
    BOOST_TEST(after.find(Alan.last) != std::string::npos); // the others' pending reminders stay

    Array::Ptr deletes = parseArray(store.sim.get("/_sim/emarsys/deletes"));
    BOOST_REQUIRE(deletes->size() == 1u);
    BOOST_TEST(deletes->getElement<std::string>(0) == lower(Ada.email));

    // Her pending reminder is gone for good; the others go out.
    store.reconfigure({});
    REQUIRE_OK(store.run({"--once"}));
    BOOST_TEST((store.deliveredTo() == std::set<std::string>{"alan@example.com"}));
    BOOST_TEST(store.state(Ada.cart) == "skipped:purged");
}

BOOST_AUTO_TEST_CASE(the_audit_log_refuses_changes_and_verify_names_a_tampered_row)
{
    Store store({Ada, Alan});
    REQUIRE_OK(store.run({"--opt-out=ada.lovelace@example.com"}));
    REQUIRE_OK(store.run({"--opt-in=alan@example.com"}));
    REQUIRE_OK(store.run({"--once"}));
    const RunResult intact = store.run({"--audit-verify"});
    REQUIRE_OK(intact);
    BOOST_TEST(intact.out.starts_with("audit trail intact: "), intact.out);
    {
        SQLite::Database db(store.ledger(), SQLite::OPEN_READWRITE);
        const std::int64_t rows = db.execAndGet("SELECT count(*) FROM audit_log").getInt64();
        BOOST_TEST(rows >= 2);
        BOOST_TEST(intact.out.find(": " + std::to_string(rows) + " rows") != std::string::npos, intact.out);
        BOOST_CHECK_THROW(db.exec("UPDATE audit_log SET actor = 'intruder' WHERE id = 2"), SQLite::Exception);
        BOOST_CHECK_THROW(db.exec("DELETE FROM audit_log WHERE id = 1"), SQLite::Exception);
        const std::string all = db.execAndGet("SELECT group_concat(coalesce(subject, '') || detail, '|') "
                                              "FROM audit_log")
                                    .getString();
        // Whole words only: short ones such as "ada" also occur inside the hex of a keyed hash.
        for (const std::string& personal : {lower(Ada.email), Alan.email, Ada.account, Alan.account,
                                            Ada.first, Ada.last, Alan.last, std::string("@example.com")})
            BOOST_TEST(lower(all).find(lower(personal)) == std::string::npos, personal);
    }
    REQUIRE_OK(store.run({"--audit-verify"})); // refused changes left it intact

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
    REQUIRE_OK(store.run({"--opt-out=ada.lovelace@example.com"}));
    REQUIRE_OK(store.run({"--opt-in=ada.lovelace@example.com"}));
    const std::string file = store.dir.file("audit.csv");
    REQUIRE_OK(store.run({"--audit-export=" + file}));
    const std::string csv = readText(file);
    BOOST_TEST(csv.starts_with("id,at,actor,action,subject,detail,prev_hash,hash\r\n"));
    BOOST_TEST(csv.find(",opt_out,email:") != std::string::npos);
    BOOST_TEST(csv.find(",opt_in,email:") != std::string::npos);
    std::size_t lines = 0;
    for (std::size_t at = csv.find("\r\n"); at != std::string::npos; at = csv.find("\r\n", at + 2))
        ++lines;
    BOOST_TEST(lines >= 3u);
    const RunResult toStdout = store.run({"--audit-export=-"});
    REQUIRE_OK(toStdout);
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
