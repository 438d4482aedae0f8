#define BOOST_TEST_MODULE hostile_tests
#include <boost/test/unit_test.hpp>

// DESIGN §12: every server the product reads (Retail Server, Entra, Key Vault, Emarsys) turned
// hostile in every way the simulator knows (tests/sim/README.md, "Hostile replies"). Each case
// is one cycle against the hostile server and one clean cycle after it: the first must end
// with one line naming the call and what was wrong, without a crash, with a non-zero exit and
// the window where it was; the second must deliver every reminder, once.

#include "Harness.h"
#include "ScenarioBuilder.h"
#include "SimRun.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

using namespace acd::test;

namespace {

constexpr std::int64_t Product = 68719476736;
constexpr int Customers = 40;

struct Case
{
    std::string kind;       // the simulator's fault kind
    std::string mode;       // its hostile mode
    std::string log;        // a regular expression the daemon's output must match
    std::string extra = {}; // more members of the fault, e.g. ,"field":"ProductName"
    int exit = 75;          // 75: the cycle failed, try again later
    /// Retail Server and its token: the window stays. The provider's side: the carts were read
    /// and their reminders are in the outbox, so the window moves and the reminders wait.
    bool windowKept = true;
    /// A hostile reply the product reads on (a huge string in a field it cuts): it delivers.
    bool readsOn = false;
};

std::ostream& operator<<(std::ostream& out, const Case& c)
{
    return out << c.kind << "/" << c.mode;
}

std::string account(int i)
{
    return "H" + std::to_string(100 + i);
}

std::string email(int i)
{
    return "h" + std::to_string(100 + i) + "@example.com";
}

ScenarioBuilder store()
{
    ScenarioBuilder s;
    for (int i = 0; i < Customers; ++i)
        s.customer(account(i), "Hedda", "Gabler", email(i));
    s.product(Product, "Trail Runner Shoe", "89.90", "Products/TrailRunner_000_001.png");
    // Tokens are fetched again after each revocation: far more often than Emarsys allows.
    s.section("emarsys", R"({"tokenFetchesPerMinute":1000000,"tokenFetchesPerHour":1000000})");
    return s;
}

/// Short limits, so that trickles and oversized replies end in a few seconds. Not one: on a
/// loaded machine the simulator took more than a second to start a 50 MB reply, and the stall
/// limit ended it before its size could be refused.
std::map<std::string, std::string> fastLimits(std::map<std::string, std::string> keys = {})
{
    keys.emplace("detection.excludeModifiedSinceLastMinutes", "0");
    keys.emplace("retailServer.timeoutSeconds", "10");
    keys.emplace("retailServer.concurrency", "1"); // one 50 MB page at a time, not four
    keys.emplace("http.stallSeconds", "3");
    keys.emplace("http.stallBytesPerSecond", "100");
    keys.emplace("http.maxReplyMegabytes", "16");
    keys.emplace("notify.retryBudgetSeconds", "3");
    return keys;
}

std::string windowStart(const SimRun& run)
{
    SQLite::Database db(run.ledger());
    SQLite::Statement q(db, "SELECT window_start FROM window_state WHERE oun = '128'");
    return q.executeStep() ? q.getColumn(0).getString() : "<none>";
}

int deliveriesTo(const SimRun& run, const std::string& address)
{
    int count = 0;
    const auto all = run.sim->deliveries();
    for (std::size_t i = 0; i < all->size(); ++i)
        count += all->getObject(static_cast<unsigned>(i))->getValue<std::string>("external_id") == address;
    return count;
}

/// Runs each case on `run`: a fresh cart for a fresh customer, the fault, a hostile cycle, then
/// a clean one. `beforeHostile` readies what the kind needs (a revoked Emarsys token, say).
void runCases(SimRun& run, const std::vector<Case>& cases, const std::map<std::string, std::string>& env = {},
              const std::function<void(const Case&)>& beforeHostile = {})
{
    BOOST_REQUIRE(cases.size() < Customers);
    REQUIRE_SUCCESS(run.once(env)); // the window starts; nothing to send yet
    for (std::size_t i = 0; i < cases.size(); ++i)
    {
        const Case& c = cases[i];
        BOOST_TEST_CONTEXT(c)
        {
            ScenarioBuilder cart;
            cart.cart("hostile-" + std::to_string(i), account(static_cast<int>(i)), 0, {Product});
            run.sim->post("/_sim/carts", cart.cartsJson());
            std::this_thread::sleep_for(std::chrono::milliseconds(5)); // modified before the cycle
            const std::string windowBefore = windowStart(run);
            if (beforeHostile)
                beforeHostile(c);
            run.sim->fault(R"({"kind":")" + c.kind + R"(","action":"hostile","mode":")" + c.mode +
                           R"(","times":1000)" + c.extra + "}");

            const RunResult hostile = run.once(env);
            const std::string output = hostile.out + hostile.err;
            BOOST_TEST_INFO("exit " << hostile.exitCode << "\n" << output);
            const std::string cartId = "hostile-" + std::to_string(i);
            // A crash would be a signal, which the harness reports as -1 or 128 + n.
            BOOST_TEST(hostile.exitCode == (c.readsOn ? 0 : c.exit));
            if (c.windowKept && !c.readsOn)
                BOOST_TEST(windowStart(run) == windowBefore);
            BOOST_TEST((run.ledgerStates()[cartId] == "sent") == c.readsOn);
            BOOST_TEST(std::regex_search(output, std::regex(c.log)), "expected /" << c.log << "/ in\n"
                                                                                  << output);

            run.sim->del("/_sim/faults");
            REQUIRE_SUCCESS(run.once(env));
            // Everything so far delivered once: this case's reminder and every earlier one.
            const auto states = run.ledgerStates();
            for (std::size_t j = 0; j <= i; ++j)
            {
                BOOST_TEST(deliveriesTo(run, email(static_cast<int>(j))) == 1, email(static_cast<int>(j)));
                BOOST_TEST(states.at("hostile-" + std::to_string(j)) == "sent");
            }
        }
    }
}

const std::string NotJson = "malformed reply from ";

} // namespace

BOOST_AUTO_TEST_CASE(retail_server)
{
    SimRun run(store(), fastLimits());
    // Each mode at least once, spread over the calls a cycle makes.
    const std::vector<Case> cases{
        {"cartSearch", "truncated", NotJson + "Carts/Search: the reply is not JSON \\(.* at offset"},
        {"channel", "html",
         NotJson + "OrgUnits/GetOrgUnitConfiguration: the reply is not JSON \\(Invalid value\\. at "
                   "offset 0\\) \\(Content-Type text/html"},
        {"customers", "empty", NotJson + "Customers/GetByAccountNumbers: the reply is empty"},
        {"cartSearch", "deep", NotJson + "Carts/Search: the reply is not JSON \\(.* at offset 100000\\)"},
        {"products", "wrongTypes", NotJson + "Products/Search: value\\[0\\]\\.ProductName is not a string"},
        {"cartSearch", "wrongTypes", NotJson + "Carts/Search: value\\[0\\]\\.Id is not a string"},
        {"channel", "nan", NotJson + "OrgUnits/GetOrgUnitConfiguration: the reply is not JSON"},
        {"customers", "duplicateKeys",
         NotJson + "Customers/GetByAccountNumbers: the reply has no \"value\" array"},
        {"products", "badUtf8",
         NotJson + "Products/Search: the reply is not JSON \\(Invalid encoding in string"},
        {"cartSearch", "hugeString", "Carts/Search failed .*larger than 16777216 bytes"},
        {"cartSearch", "bigPage",
         NotJson + "Carts/Search: the reply holds 1001 entries where \\$top=100 asked for at most 100"},
        {"customers", "bigPage",
         NotJson + "Customers/GetByAccountNumbers: the reply holds 11 entries where \\$top=1"},
        {"products", "trickle", "Products/Search failed .*(too slow|timed out|Timeout)"},
        // Read on: the huge values are cut, the reminder goes out.
        {"products", "hugeString", "cycle [0-9]+ completed", R"(,"field":"ProductName","bytes":8000000)", 0,
         true, true},
        {"customers", "hugeString", "cycle [0-9]+ completed", R"(,"field":"FirstName","bytes":8000000)", 0,
         true, true},
    };
    runCases(run, cases);
    // The 8 MB values arrived cut, whole characters and an ellipsis, in what Emarsys got.
    const auto delivered = run.deliveredByEmail();
    for (std::size_t i = 0; i < cases.size(); ++i)
    {
        if (!cases[i].readsOn)
            continue;
        const auto data = delivered.at(email(static_cast<int>(i)))->getObject("data");
        const std::string text =
            cases[i].kind == "products"
                ? data->getArray("orderDetails")->getObject(0)->getValue<std::string>("productName")
                : data->getValue<std::string>("firstName");
        BOOST_TEST(text.size() <= 512u);
        BOOST_TEST(text.starts_with("Hostile Hostile"));
        BOOST_TEST(text.ends_with("\xE2\x80\xA6"));
    }
}

BOOST_AUTO_TEST_CASE(entra_token)
{
    SimRun run(store(), fastLimits());
    const std::string notJson =
        "Entra token request to .* failed: HTTP 200, and the reply is not a JSON object ";
    runCases(
        run,
        {
            {"token", "truncated", notJson + "\\(64 bytes, not valid JSON: .* at offset 64"},
            {"token", "html",
             notJson + "\\([0-9]+ bytes, not valid JSON: Invalid value\\. at offset 0, "
                       "Content-Type text/html; charset=utf-8\\)"},
            {"token", "empty", notJson + "\\(0 bytes, empty, Content-Type application/json"},
            // Refused on its length: tokens are held to http.maxTokenReplyKilobytes.
            {"token", "deep", "Entra token request .* larger than 65536 bytes"},
            {"token", "wrongTypes", "Entra token request .* the reply has no access_token"},
            {"token", "nan", notJson + "\\([0-9]+ bytes, not valid JSON: Invalid value\\. at offset 9"},
            {"token", "duplicateKeys", "Entra token request .* the reply has access_token more than once"},
            {"token", "badUtf8", notJson + "\\([0-9]+ bytes, not valid JSON: Invalid encoding in string"},
            {"token", "hugeString", "Entra token request .* larger than 65536 bytes"},
            {"token", "trickle", "Entra token request .* (too slow|timed out|Timeout)"},
        });
}

BOOST_AUTO_TEST_CASE(emarsys)
{
    SimRun run(store(), fastLimits());
    // A token is kept across runs: revoked, the next trigger asks for a new one.
    const auto revoke = [&](const Case& c) {
        if (c.kind == "emarsysToken")
            run.sim->post("/_sim/revoke-tokens", "");
    };
    const std::string token = "Emarsys token request to .* failed: ";
    const std::string tokenNotJson = token + "HTTP 200, and the reply is not a JSON object \\([0-9]+ bytes, ";
    // The cycle read its carts and wrote the reminders to the outbox: the window moves on, the
    // reminders wait. A token that cannot be had fails the cycle; a trigger reply that cannot be
    // read leaves its reminders pending (Emarsys keeps a trigger_id once, so sending them again
    // is safe), and the cycle completes.
    const std::string pending = "reminder\\(s\\) stay pending for the next cycle: ";
    const std::string unreadable =
        pending + "Emarsys answered HTTP 200 with a body that is not its reply envelope";
    runCases(
        run,
        {
            {"emarsysToken", "truncated", tokenNotJson + "not valid JSON: .* at offset", "", 75, false},
            {"emarsysToken", "html",
             tokenNotJson + "not valid JSON: Invalid value\\. at offset 0, Content-Type text/html", "", 75,
             false},
            {"emarsysToken", "empty", tokenNotJson + "empty", "", 75, false},
            {"emarsysToken", "deep", token + "no answer: .* larger than 65536 bytes", "", 75, false},
            {"emarsysToken", "wrongTypes", token + "the reply has no access_token", "", 75, false},
            {"emarsysToken", "nan", tokenNotJson + "not valid JSON", "", 75, false},
            {"emarsysToken", "duplicateKeys", token + "the reply has access_token more than once", "", 75,
             false},
            {"emarsysToken", "badUtf8", tokenNotJson + "not valid JSON: Invalid encoding in string", "", 75,
             false},
            {"emarsysToken", "hugeString", token + "no answer: .* larger than 65536 bytes", "", 75, false},
            {"emarsysToken", "trickle", token + "no answer: .*(too slow|timed out|Timeout)", "", 75, false},
            {"emarsysTrigger", "truncated", unreadable, "", 0, false},
            {"emarsysTrigger", "html", unreadable, "", 0, false},
            {"emarsysTrigger", "empty", unreadable, "", 0, false},
            {"emarsysTrigger", "deep", unreadable, "", 0, false},
            {"emarsysTrigger", "wrongTypes", unreadable, "", 0, false},
            {"emarsysTrigger", "nan", unreadable, "", 0, false},
            {"emarsysTrigger", "duplicateKeys", unreadable, "", 0, false},
            {"emarsysTrigger", "badUtf8", unreadable, "", 0, false},
            {"emarsysTrigger", "hugeString", pending + "transport error .*larger than 16777216 bytes", "", 0,
             false},
            {"emarsysTrigger", "trickle", pending + "timeout .*(too slow|timed out|Timeout)", "", 0, false},
        },
        {}, revoke);
}

BOOST_AUTO_TEST_CASE(key_vault)
{
    ScenarioBuilder s = store();
    s.section("keyVault",
              R"({"secrets":{"retail-app-id":"app-id","retail-app-secret":"app-secret",)"
              R"("emarsys-client-id":"emarsys-client","emarsys-client-secret":"emarsys-client-secret"}})");
    SimRun run(s);
    run.config = writeConfig(run.dir, *run.sim,
                             fastLimits({{"secrets.sources", "keyvault"},
                                         {"keyVault.url", run.sim->url()},
                                         {"secrets.cacheSeconds", "0"}}));
    TempDir creds;
    writeText(creds.file("acd-seal-key"), "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    const std::map<std::string, std::string> env{{"AZURE_AUTHORITY_HOST", run.sim->url()},
                                                 {"AZURE_TENANT_ID", "tenant-1"},
                                                 {"AZURE_CLIENT_ID", "app-id"},
                                                 {"AZURE_CLIENT_SECRET", "app-secret"},
                                                 {"AZURE_CLIENT_CERTIFICATE_PATH", ""},
                                                 {"IDENTITY_ENDPOINT", ""},
                                                 {"IMDS_ENDPOINT", ""},
                                                 {"CREDENTIALS_DIRECTORY", creds.path()},
                                                 {"DBUS_SESSION_BUS_ADDRESS", ""},
                                                 {"ACD_SECRET_RETAIL_APP_ID", ""},
                                                 {"ACD_SECRET_RETAIL_APP_SECRET", ""},
                                                 {"ACD_SECRET_EMARSYS_CLIENT_ID", ""},
                                                 {"ACD_SECRET_EMARSYS_CLIENT_SECRET", ""}};
    // The secrets are read at start: a reply that cannot be read stops it (78); one that never
    // comes whole (refused on its size, trickling) counts as Key Vault unreachable, and the sealed
    // copy of DESIGN §5 serves.
    const std::string reply =
        "cannot start: Key Vault's reply for secret 'retail-app-id' in Key Vault [^ ]+ ";
    const std::string sealed =
        "keyvault unreachable: using the sealed local copy of secret 'retail-app-id' \\(";
    runCases(
        run,
        {
            {"keyVault", "truncated",
             reply + "is not valid JSON: .* at offset [0-9]+ \\([0-9]+ bytes, Content-Type application/json",
             "", 78},
            {"keyVault", "html",
             reply +
                 "is not valid JSON: Invalid value\\. at offset 0 \\([0-9]+ bytes, Content-Type text/html",
             "", 78},
            {"keyVault", "empty", reply + "is empty \\(0 bytes", "", 78},
            {"keyVault", "deep", sealed + ".*larger than 65536 bytes", "", 0, true, true},
            {"keyVault", "wrongTypes", reply + "has no string \"value\"", "", 78},
            {"keyVault", "nan", reply + "is not valid JSON: Invalid value\\. at offset 9", "", 78},
            {"keyVault", "duplicateKeys", reply + "has \"value\" more than once", "", 78},
            {"keyVault", "badUtf8", reply + "is not valid JSON: Invalid encoding in string", "", 78},
            {"keyVault", "hugeString", sealed + ".*larger than 65536 bytes", "", 0, true, true},
            {"keyVault", "trickle", sealed + ".*(too slow|timed out|Timeout)", "", 0, true, true},
        },
        env);
}
