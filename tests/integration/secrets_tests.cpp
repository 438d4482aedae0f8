#define BOOST_TEST_MODULE secrets_tests
#include <boost/test/unit_test.hpp>

#include "Harness.h"

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Timestamp.h>
#include <SQLiteCpp/SQLiteCpp.h>

#include <Poco/String.h>

#include <algorithm>
#include <regex>
#include <sstream>

using namespace acd::test;
using Poco::JSON::Object;

namespace {

const std::string Daemon = binaryPath("abandoned-cartd");

// Distinctive values, so that finding one anywhere it should not be is unambiguous. Every
// secret value a run uses is one of these: the Retail Server app's id and secret and the
// Emarsys OAuth client's id and secret (all read from Key Vault), and the Key Vault reader's
// client secret (from the environment, as DefaultAzureCredential reads it).
const std::string RetailAppId = "Id-5e0c8d72-retail-app-id";
const std::string RetailSecret = "Rs-7c1f0e9a-retail-client-secret";
const std::string EmarsysClientId = "Ec-3f9b7d10-emarsys-client-id";
const std::string EmarsysClientSecret = "Es-b44d2a61-emarsys-client-secret";
const std::string VaultReaderSecret = "Az-90ab33ce-vault-reader-secret";
const std::vector<std::string> EverySecret = {RetailAppId, RetailSecret, EmarsysClientId, EmarsysClientSecret,
                                              VaultReaderSecret};
// The Key Vault reader's app registration: not the Retail Server app.
const std::string VaultReaderId = "vault-reader-app";
// The 64 hex digits of the systemd credential that keys the sealed files.
const std::string SealKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// basic.json with the distinctive secrets, the vault holding the product's secrets and
/// accepting the vault reader's client credentials; `managedIdentity` as given ("" = default).
std::string writeScenario(const TempDir& dir, const std::string& managedIdentity = "")
{
    Object::Ptr root = parseObject(readText(sourcePath("tests/sim/scenarios/basic.json")));
    root->set("clientId", RetailAppId);
    root->set("clientSecret", RetailSecret);
    root->getObject("emarsys")->set("clientId", EmarsysClientId);
    root->getObject("emarsys")->set("clientSecret", EmarsysClientSecret);
    Object::Ptr vault = root->getObject("keyVault")->getObject("secrets");
    vault->set("retail-app-id", RetailAppId);
    vault->set("retail-app-secret", RetailSecret);
    vault->set("emarsys-client-id", EmarsysClientId);
    vault->set("emarsys-client-secret", EmarsysClientSecret);
    Object::Ptr reader = new Object;
    reader->set("clientId", VaultReaderId);
    reader->set("clientSecret", VaultReaderSecret);
    root->getObject("keyVault")->set("reader", reader);
    if (!managedIdentity.empty())
    {
        Object::Ptr flow = new Object;
        flow->set("flow", managedIdentity);
        root->set("managedIdentity", flow);
    }
    std::ostringstream text;
    Poco::JSON::Stringifier::stringify(root, text);
    writeText(dir.file("scenario.json"), text.str());
    return dir.file("scenario.json");
}

/// A loopback port nothing listens on (bound, then released).
int closedPort()
{
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    const int port = socket.address().port();
    socket.close();
    return port;
}

struct VaultRun
{
    // The scenario (which holds the secrets) lives apart from what the product writes, so that
    // every file in `dir` can be searched for them.
    TempDir scenarioDir;
    TempDir dir;
    CommerceSim sim;
    std::string config;

    explicit VaultRun(const std::string& managedIdentity = "", const std::vector<std::string>& simArgs = {})
        : sim(writeScenario(scenarioDir, managedIdentity), simArgs),
          config(writeConfig(dir, sim, {{"secrets.sources", "keyvault"}, {"keyVault.url", sim.url()}}))
    {
        Poco::File(dir.file("creds")).createDirectories();
        writeText(dir.file("creds/acd-seal-key"), SealKey);
    }

    /// The vault reader's identity through the environment credential, as DefaultAzureCredential
    /// reads it; sealed copies go to files keyed by the systemd credential.
    std::map<std::string, std::string> env() const
    {
        return {{"AZURE_AUTHORITY_HOST", sim.url()},
                {"AZURE_TENANT_ID", "tenant-1"},
                {"AZURE_CLIENT_ID", VaultReaderId},
                {"AZURE_CLIENT_SECRET", VaultReaderSecret},
                {"AZURE_CLIENT_CERTIFICATE_PATH", ""},
                {"IDENTITY_ENDPOINT", ""},
                {"IMDS_ENDPOINT", ""},
                {"CREDENTIALS_DIRECTORY", dir.file("creds")},
                {"DBUS_SESSION_BUS_ADDRESS", ""}};
    }

    /// A configuration like `config` (the same ledger) with `overrides`, in the file `name`.
    std::string configWith(const std::map<std::string, std::string>& overrides, const std::string& name) const
    {
        std::map<std::string, std::string> keys{
            {"secrets.sources", "keyvault"}, {"keyVault.url", sim.url()}, {"ledger.path", ledger()}};
        for (const auto& [key, value] : overrides)
            keys[key] = value;
        const TempDir scratch; // writeConfig's file name is fixed: `config` stays as it is
        const std::string path = dir.file(name);
        writeText(path, readText(writeConfig(scratch, sim, keys)));
        return path;
    }

    RunResult once(const std::string& configPath = "") const
    {
        return runProgram(Daemon, {"--config=" + (configPath.empty() ? config : configPath), "--once"},
                          env());
    }

    std::string ledger() const { return dir.file("ledger.sqlite"); }
};

/// Bearer tokens the run was issued (Emarsys's), found in the requests the simulator kept:
/// searched for wherever the secrets are.
std::vector<std::string> issuedTokens;

void expectNoSecretIn(const std::string& where, const std::string& text)
{
    for (const std::string& secret : EverySecret)
        BOOST_TEST(text.find(secret) == std::string::npos, secret << " found in " << where);
    for (const std::string& token : issuedTokens)
        BOOST_TEST(text.find(token) == std::string::npos, "an access token found in " << where);
}

/// Every file under `path` (the ledger, its WAL, the sealed copies, the log, ...), except the
/// seal key the test wrote itself.
void expectNoSecretInFilesUnder(const std::string& path, std::vector<std::string>& searched)
{
    for (Poco::DirectoryIterator it(path), end; it != end; ++it)
    {
        if (it->isDirectory())
            expectNoSecretInFilesUnder(it->path(), searched);
        else if (it.name() != "acd-seal-key")
        {
            expectNoSecretIn(it->path(), readText(it->path()));
            searched.push_back(it.name());
        }
    }
}

using CycleRows = std::vector<std::string>;

/// "status/secrets_state" of every cycle in the ledger, oldest first ("NULL" for no state).
CycleRows cycles(const std::string& ledger)
{
    SQLite::Database db(ledger, SQLite::OPEN_READONLY);
    SQLite::Statement query(
        db, "SELECT status || '/' || coalesce(secrets_state, 'NULL') FROM cycles ORDER BY id");
    CycleRows rows;
    while (query.executeStep())
        rows.push_back(query.getColumn(0).getString());
    return rows;
}

std::size_t occurrences(const std::string& text, const std::string& part)
{
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size()))
        ++count;
    return count;
}

/// The simulator's recorded requests of one kind.
std::vector<Object::Ptr> requestsOf(const CommerceSim& sim, const std::string& kind)
{
    std::vector<Object::Ptr> found;
    const auto all = sim.requests();
    for (std::size_t i = 0; i < all->size(); ++i)
    {
        Object::Ptr request = all->getObject(static_cast<unsigned>(i));
        if (request->getValue<std::string>("kind") == kind)
            found.push_back(request);
    }
    return found;
}

std::string header(const Object::Ptr& request, const std::string& name)
{
    const Object::Ptr headers = request->getObject("headers");
    for (const std::string& key : headers->getNames())
        if (Poco::icompare(key, name) == 0)
            return headers->getValue<std::string>(key);
    return "";
}

/// Seconds since midnight of a recorded request's `time` (`2026-11-25T14:03:11.1230000Z`).
double secondOfDay(const Object::Ptr& request)
{
    const std::string time = request->getValue<std::string>("time");
    return std::stoi(time.substr(11, 2)) * 3600.0 + std::stoi(time.substr(14, 2)) * 60.0 +
           std::stod(time.substr(17, time.size() - 18));
}

const char* const Unshare = "/usr/bin/unshare";
const char* const ArcTokens = "/var/opt/azcmagent/tokens";

/// Runs `args` where /var/opt/azcmagent/tokens (Azure Arc's agent directory, the only one the
/// product reads challenge files from) is `tokensDir`: a private mount namespace of an
/// unprivileged user namespace, with a tmpfs over /var/opt. Nothing outside the process sees it.
std::vector<std::string> inArcAgentView(const std::string& tokensDir, std::vector<std::string> args)
{
    const std::string script = std::string("set -e; mount -t tmpfs tmpfs /var/opt; mkdir -p ") + ArcTokens +
                               "; mount --bind \"$1\" " + ArcTokens + "; shift; exec \"$@\"";
    std::vector<std::string> wrapped{"--user", "--map-root-user", "--mount", "sh", "-c", script,
                                     "sh",     tokensDir};
    wrapped.insert(wrapped.end(), args.begin(), args.end());
    return wrapped;
}

boost::test_tools::assertion_result privateMountsWork(boost::unit_test::test_unit_id)
{
    boost::test_tools::assertion_result result(false);
    if (!Poco::File(Unshare).exists() || !Poco::File("/var/opt").exists())
    {
        result.message() << "needs " << Unshare << " and /var/opt";
        return result;
    }
    TempDir probe;
    const RunResult run = runProgram(Unshare, inArcAgentView(probe.path(), {"test", "-d", ArcTokens}));
    if (run.exitCode != 0)
    {
        result.message() << "unprivileged user and mount namespaces are not available here: " << run.err;
        return result;
    }
    return true;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_cycle_with_every_secret_from_key_vault_leaks_none)
{
    VaultRun run;
    // One run logs to a file through Poco's logging.* keys, at the most detailed level.
    const std::string config = run.configWith({{"logging.loggers.root.channel", "file"},
                                               {"logging.loggers.root.level", "trace"},
                                               {"logging.channels.file.class", "FileChannel"},
                                               {"logging.channels.file.path", run.dir.file("acd.log")}},
                                              "logged.properties");
    const RunResult result = run.once(config);
    BOOST_TEST_INFO("stderr: " << result.err);
    BOOST_REQUIRE_EQUAL(result.exitCode, 0);
    BOOST_TEST(run.sim.deliveries()->size() > 0u);
    const Object::Ptr stats = run.sim.stats();
    BOOST_TEST(stats->getValue<int>("keyVault") >= 4);
    // The reader's token came from its own app registration.
    const auto tokens = requestsOf(run.sim, "token");
    BOOST_TEST(std::any_of(tokens.begin(), tokens.end(), [](const Object::Ptr& request) {
        return request->getValue<std::string>("body").find("client_id=" + VaultReaderId) != std::string::npos;
    }));
    BOOST_TEST(cycles(run.ledger()) == (CycleRows{"completed/live"}), boost::test_tools::per_element());
    // Emarsys's OAuth token: searched for like a secret.
    for (const Object::Ptr& trigger : requestsOf(run.sim, "emarsysTrigger"))
    {
        const std::string authorization =
            trigger->getObject("headers")->optValue<std::string>("Authorization", "");
        BOOST_REQUIRE(authorization.starts_with("Bearer "));
        issuedTokens.push_back(authorization.substr(7));
    }
    BOOST_REQUIRE(!issuedTokens.empty());

    expectNoSecretIn("stdout", result.out);
    expectNoSecretIn("stderr", result.err);
    // The searches below find something to search: the log holds the cycle's summary line, the
    // ledger its rows, each value was sealed for the day Key Vault cannot be reached, and the
    // Emarsys token for the next process.
    BOOST_TEST(readText(run.dir.file("acd.log")).find("cycle") != std::string::npos);
    std::vector<std::string> sealedFiles;
    Poco::File(run.dir.file("sealed")).list(sealedFiles);
    BOOST_TEST(sealedFiles.size() == 5u);
    expectNoSecretIn("the log file", readText(run.dir.file("acd.log")));
    expectNoSecretIn("the ledger", readText(run.ledger()));
    if (Poco::File(run.ledger() + "-wal").exists()) // SQLite removes it when the last connection closes
        expectNoSecretIn("the ledger's WAL", readText(run.ledger() + "-wal"));
    for (const std::string& name : sealedFiles)
        expectNoSecretIn("sealed/" + name, readText(run.dir.file("sealed/" + name)));
    // And any other file the run left behind.
    std::vector<std::string> searched;
    expectNoSecretInFilesUnder(run.dir.path(), searched);
    BOOST_TEST(searched.size() >= 5u + 3u);
    issuedTokens.clear();
}

BOOST_AUTO_TEST_CASE(key_vault_down_the_sealed_copies_keep_the_store_running)
{
    VaultRun run;
    BOOST_REQUIRE_EQUAL(run.once().exitCode, 0);
    run.sim.fault(R"({"kind":"keyVault","status":503,"times":1000})");
    const RunResult result = run.once();
    BOOST_TEST_INFO("stderr: " << result.err);
    BOOST_TEST(result.exitCode == 0);
    // Warned once, though four secrets come from sealed copies.
    BOOST_TEST(occurrences(result.err, "using the sealed local copy") == 1u);
    expectNoSecretIn("stderr", result.err);
    expectNoSecretIn("stdout", result.out);
    BOOST_TEST(cycles(run.ledger()) == (CycleRows{"completed/live", "completed/sealed"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(key_vault_unreachable_on_a_closed_port_the_sealed_copies_run_the_cycle)
{
    VaultRun run;
    BOOST_REQUIRE_EQUAL(run.once().exitCode, 0);
    const std::string down = run.configWith(
        {{"keyVault.url", "http://127.0.0.1:" + std::to_string(closedPort())}}, "vault-down.properties");
    BOOST_REQUIRE(run.sim.deliveries()->size() > 0u);
    run.sim.post("/_sim/reset-log", ""); // requests, stats and deliveries start again from nothing

    const RunResult result = run.once(down);
    BOOST_TEST_INFO("stderr: " << result.err);
    BOOST_TEST(result.exitCode == 0);
    BOOST_TEST(occurrences(result.err, "using the sealed local copy") == 1u);
    expectNoSecretIn("stderr", result.err);
    // The cycle ran against Retail Server with the sealed credentials; the simulated vault was
    // not asked (it is elsewhere), and nothing was sent twice.
    const Object::Ptr stats = run.sim.stats();
    BOOST_TEST(stats->getValue<int>("cartSearch") >= 1);
    BOOST_TEST(stats->getValue<int>("keyVault") == 0);
    BOOST_TEST(run.sim.deliveries()->size() == 0u);
    BOOST_TEST(cycles(run.ledger()) == (CycleRows{"completed/live", "completed/sealed"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(key_vault_down_without_a_sealed_copy_names_the_secret)
{
    VaultRun run;
    run.sim.fault(R"({"kind":"keyVault","status":503,"times":1000})");
    const RunResult result = run.once();
    BOOST_TEST(result.exitCode != 0);
    BOOST_TEST(result.err.find("Key Vault unreachable and no sealed copy of 'retail-app-") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_401_challenge_gets_a_fresh_token_and_the_read_goes_on)
{
    VaultRun run;
    run.sim.fault(R"({"kind":"keyVault","status":401,"times":1})");
    const RunResult result = run.once();
    BOOST_TEST_INFO("stderr: " << result.err);
    BOOST_REQUIRE_EQUAL(result.exitCode, 0);

    const auto vault = requestsOf(run.sim, "keyVault");
    BOOST_REQUIRE(vault.size() >= 5u); // the refused read, its retry, the three other secrets
    BOOST_TEST(vault[0]->getValue<int>("status") == 401);
    BOOST_TEST(vault[1]->getValue<std::string>("path") == vault[0]->getValue<std::string>("path"));
    BOOST_TEST(vault[1]->getValue<int>("status") == 200);
    for (std::size_t i = 1; i < vault.size(); ++i)
        BOOST_TEST(vault[i]->getValue<int>("status") != 401);
    // The retry carries a token fetched after the challenge, not the refused one.
    BOOST_TEST(header(vault[1], "Authorization") != header(vault[0], "Authorization"));
    const auto tokens = requestsOf(run.sim, "token");
    const auto vaultTokens = std::count_if(tokens.begin(), tokens.end(), [](const Object::Ptr& request) {
        return request->getValue<std::string>("body").find("vault.azure.net") != std::string::npos;
    });
    BOOST_TEST(vaultTokens == 2);
    BOOST_TEST(result.err.find("sealed") == std::string::npos);
    BOOST_TEST(cycles(run.ledger()) == (CycleRows{"completed/live"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_vault_that_keeps_refusing_the_token_is_an_error_never_a_sealed_copy)
{
    VaultRun run;
    BOOST_REQUIRE_EQUAL(run.once().exitCode, 0); // sealed copies exist now
    run.sim.fault(R"({"kind":"keyVault","status":401,"times":1000})");
    const RunResult result = run.once();
    BOOST_TEST_INFO("stderr: " << result.err);
    BOOST_TEST(result.exitCode != 0);
    BOOST_TEST(result.err.find("'retail-app-id'") != std::string::npos);
    BOOST_TEST(result.err.find("unauthenticated (401)") != std::string::npos);
    // The challenge's authority is named, for a wrong tenant.
    BOOST_TEST(result.err.find("expects a token from " + run.sim.url() + "/tenant-1") != std::string::npos);
    BOOST_TEST(result.err.find("sealed local copy") == std::string::npos);
    expectNoSecretIn("stderr", result.err);
    BOOST_TEST(cycles(run.ledger()).size() == 1u); // no second cycle ran
}

BOOST_AUTO_TEST_CASE(a_429_with_retry_after_is_waited_for_then_read)
{
    VaultRun run;
    run.sim.fault(R"({"kind":"keyVault","status":429,"times":2,"retryAfter":"1"})");
    const RunResult result = run.once();
    BOOST_TEST_INFO("stderr: " << result.err);
    BOOST_REQUIRE_EQUAL(result.exitCode, 0);

    const auto vault = requestsOf(run.sim, "keyVault");
    BOOST_REQUIRE(vault.size() >= 6u); // one secret three times, the three others once
    BOOST_TEST(vault[0]->getValue<int>("status") == 429);
    BOOST_TEST(vault[1]->getValue<int>("status") == 429);
    BOOST_TEST(vault[2]->getValue<int>("status") == 200);
    BOOST_TEST(vault[2]->getValue<std::string>("path") == vault[0]->getValue<std::string>("path"));
    // Retry-After: 1 was honoured before each retry.
    BOOST_TEST(secondOfDay(vault[1]) - secondOfDay(vault[0]) >= 0.95);
    BOOST_TEST(secondOfDay(vault[2]) - secondOfDay(vault[1]) >= 0.95);
    // Throttling within the retries is no outage: nothing came from a sealed copy.
    BOOST_TEST(result.err.find("sealed") == std::string::npos);
    BOOST_TEST(cycles(run.ledger()) == (CycleRows{"completed/live"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_secret_missing_from_the_vault_is_named)
{
    VaultRun run;
    const std::string config =
        run.configWith({{"emarsys.clientSecretSecretName", "no-such-secret"}}, "missing.properties");
    const RunResult result = run.once(config);
    BOOST_TEST(result.exitCode != 0);
    BOOST_TEST(result.err.find("no-such-secret") != std::string::npos);
    BOOST_TEST(result.err.find("not found") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(secret_check_reports_sources_and_ages_and_never_values)
{
    VaultRun run;
    const RunResult result = runProgram(Daemon, {"--config=" + run.config, "--secret-check"}, run.env());
    BOOST_TEST_INFO("stdout: " << result.out << "\nstderr: " << result.err);
    BOOST_TEST(result.exitCode == 0);
    for (const char* name :
         {"retail-app-id", "retail-app-secret", "emarsys-client-id", "emarsys-client-secret"})
        BOOST_TEST(std::regex_search(result.out, std::regex(std::string("ok       ") + name +
                                                            "  from keyvault, read [0-9]+ s ago\n")),
                   name);
    expectNoSecretIn("--secret-check", result.out + result.err);

    const RunResult listed = runProgram(Daemon, {"--config=" + run.config, "--secret-list"}, run.env());
    BOOST_TEST(listed.exitCode == 0);
    BOOST_TEST(listed.out.find("emarsys-client-secret  keyvault") != std::string::npos);
    expectNoSecretIn("--secret-list", listed.out + listed.err);
}

BOOST_AUTO_TEST_CASE(secret_check_tells_how_old_a_sealed_copy_is)
{
    VaultRun run;
    // --secret-check read the values from Key Vault, so it sealed them.
    const RunResult first = runProgram(Daemon, {"--config=" + run.config, "--secret-check"}, run.env());
    BOOST_REQUIRE_EQUAL(first.exitCode, 0);
    std::vector<std::string> sealedFiles;
    Poco::File(run.dir.file("sealed")).list(sealedFiles);
    BOOST_REQUIRE_EQUAL(sealedFiles.size(), 4u);
    // As if sealed two hours ago.
    const Poco::Timestamp twoHoursAgo = Poco::Timestamp() - Poco::Timespan(0, 2, 0, 0, 0); // d, h, min, s, µs
    for (const std::string& name : sealedFiles)
        Poco::File(run.dir.file("sealed/" + name)).setLastModified(twoHoursAgo);

    const std::string down = run.configWith(
        {{"keyVault.url", "http://127.0.0.1:" + std::to_string(closedPort())}}, "vault-down.properties");
    const RunResult result = runProgram(Daemon, {"--config=" + down, "--secret-check"}, run.env());
    BOOST_TEST_INFO("stdout: " << result.out << "\nstderr: " << result.err);
    BOOST_TEST(result.exitCode == 0);
    for (const char* name :
         {"retail-app-id", "retail-app-secret", "emarsys-client-id", "emarsys-client-secret"})
        BOOST_TEST(std::regex_search(result.out,
                                     std::regex(std::string("ok       ") + name +
                                                "  from keyvault \\(sealed copy, sealed 2 h 0 min ago, at "
                                                "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\\)\n")),
                   name << " in:\n"
                        << result.out);
    BOOST_TEST(result.out.find("warning: Key Vault could not be reached; sealed local copies are in use") !=
               std::string::npos);
    expectNoSecretIn("--secret-check", result.out + result.err);
}

BOOST_AUTO_TEST_CASE(secret_check_fails_on_a_missing_secret)
{
    VaultRun run;
    const std::string config = writeConfig(run.dir, run.sim, {{"secrets.sources", "env"}});
    auto env = simSecrets();
    env.erase("ACD_SECRET_EMARSYS_CLIENT_SECRET");
    const RunResult result = runProgram(Daemon, {"--config=" + config, "--secret-check"}, env);
    BOOST_TEST(result.exitCode != 0);
    BOOST_TEST(result.out.find("MISSING  emarsys-client-secret") != std::string::npos);
    BOOST_TEST(result.out.find("ok       retail-app-id  from env, read ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(secret_set_without_a_writable_source_explains_what_to_do)
{
    VaultRun run;
    const std::string config = writeConfig(run.dir, run.sim, {{"secrets.sources", "env, systemd-creds"}});
    const RunResult result = runProgram(Daemon, {"--config=" + config, "--secret-set=emarsys-client-secret"},
                                        {}, 60, EmarsysClientSecret + "\n");
    BOOST_TEST(result.exitCode != 0);
    expectNoSecretIn("--secret-set", result.out + result.err);
    BOOST_TEST(result.err.find("env, systemd-creds") != std::string::npos);
}

// Azure Arc: the agent answers the first token request with 401 and the path of a key file in
// its own directory; the product reads the file (only there) and asks again with its content.

/// The environment of a machine with an Azure Arc managed identity (the simulator's endpoint).
std::map<std::string, std::string> arcEnv(const VaultRun& run)
{
    auto env = run.env();
    env["AZURE_AUTHORITY_HOST"] = "";
    env["AZURE_TENANT_ID"] = "";
    env["AZURE_CLIENT_ID"] = "";
    env["AZURE_CLIENT_SECRET"] = "";
    env["IDENTITY_ENDPOINT"] = run.sim.url() + "/metadata/identity/oauth2/token";
    env["IMDS_ENDPOINT"] = run.sim.url();
    return env;
}

BOOST_AUTO_TEST_CASE(azure_arc_challenge_file_outside_the_agent_directory_is_refused)
{
    TempDir keys;
    VaultRun run("arc", {"--arc-key-dir=" + keys.path()});
    const RunResult result = runProgram(Daemon, {"--config=" + run.config, "--once"}, arcEnv(run));
    BOOST_TEST_INFO("stderr: " << result.err);
    BOOST_TEST(result.exitCode != 0);
    BOOST_TEST(result.err.find("managed identity (Azure Arc)") != std::string::npos);
    BOOST_TEST(result.err.find("refused the challenge file " + keys.path()) != std::string::npos);
    BOOST_TEST(result.err.find(std::string("must be a .key file in ") + ArcTokens) != std::string::npos);

    // The documented request, answered with the challenge; the key never went back.
    const auto identity = requestsOf(run.sim, "imds");
    BOOST_REQUIRE_EQUAL(identity.size(), 1u);
    BOOST_TEST(identity[0]->getValue<std::string>("query").find("api-version=2019-11-01") !=
               std::string::npos);
    BOOST_TEST(header(identity[0], "Metadata") == "true");
    BOOST_TEST(identity[0]->getValue<int>("status") == 401);
    BOOST_TEST(run.sim.stats()->getValue<int>("keyVault") == 0);
}

BOOST_AUTO_TEST_CASE(azure_arc_challenge_flow_gets_the_key_vault_token,
                     *boost::unit_test::precondition(privateMountsWork))
{
    // The simulated agent writes its key files here; the product sees this directory as
    // /var/opt/azcmagent/tokens, which is where the real agent keeps them.
    TempDir keys;
    VaultRun run("arc", {"--arc-key-dir=" + keys.path()});
    const RunResult result = runProgram(
        Unshare, inArcAgentView(keys.path(), {Daemon, "--config=" + run.config, "--once"}), arcEnv(run));
    BOOST_TEST_INFO("stdout: " << result.out << "\nstderr: " << result.err);
    BOOST_REQUIRE_EQUAL(result.exitCode, 0);

    const auto identity = requestsOf(run.sim, "imds");
    BOOST_REQUIRE_EQUAL(identity.size(), 2u); // the challenge, the answer; then the token is cached
    for (const auto& request : identity)
    {
        BOOST_TEST(request->getValue<std::string>("query").find("api-version=2019-11-01") !=
                   std::string::npos);
        BOOST_TEST(request->getValue<std::string>("query").find("resource=https") != std::string::npos);
        BOOST_TEST(header(request, "Metadata") == "true");
    }
    BOOST_TEST(identity[0]->getValue<int>("status") == 401);
    BOOST_TEST(header(identity[0], "Authorization").empty());
    std::vector<std::string> keyFiles;
    Poco::File(keys.path()).list(keyFiles);
    BOOST_REQUIRE_EQUAL(keyFiles.size(), 1u);
    const std::string key = readText(keys.file(keyFiles[0]));
    BOOST_TEST(header(identity[1], "Authorization") == "Basic " + key);
    BOOST_TEST(identity[1]->getValue<int>("status") == 200);

    // The vault was read with that token, every secret, and the cycle delivered.
    const auto vault = requestsOf(run.sim, "keyVault");
    const auto read = std::count_if(vault.begin(), vault.end(), [](const Object::Ptr& request) {
        return request->getValue<int>("status") == 200;
    });
    BOOST_TEST(read == 4);
    BOOST_TEST(run.sim.deliveries()->size() > 0u);
    BOOST_TEST(cycles(run.ledger()) == (CycleRows{"completed/live"}), boost::test_tools::per_element());
    expectNoSecretIn("stdout", result.out);
    expectNoSecretIn("stderr", result.err);
    BOOST_TEST(result.out.find(key) == std::string::npos);
    BOOST_TEST(result.err.find(key) == std::string::npos);
}
