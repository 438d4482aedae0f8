#define BOOST_TEST_MODULE secrets_tests
#include <boost/test/unit_test.hpp>

#include "Harness.h"

#include <Poco/File.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

using namespace acd::test;
using Poco::JSON::Object;

namespace {

const std::string Daemon = binaryPath("abandoned-cartd");

// Distinctive values, so that finding one anywhere it should not be is unambiguous.
const std::string RetailSecret = "Rs-7c1f0e9a-retail-client-secret";
const std::string EmarsysSecret = "Es-b44d2a61-emarsys-api-secret";
const std::string AzureSecret = "Az-90ab33ce-vault-reader-secret";

/// basic.json with the distinctive secrets, the vault holding the product's secrets and
/// accepting the vault reader's client credentials.
std::string writeScenario(const TempDir& dir)
{
    Object::Ptr root = parseObject(readText(sourcePath("tests/sim/scenarios/basic.json")));
    root->set("clientSecret", RetailSecret);
    root->getObject("emarsys")->set("secret", EmarsysSecret);
    Object::Ptr vault = root->getObject("keyVault")->getObject("secrets");
    vault->set("retail-app-secret", RetailSecret);
    vault->set("emarsys-api-secret", EmarsysSecret);
    std::ostringstream text;
    Poco::JSON::Stringifier::stringify(root, text);
    writeText(dir.file("scenario.json"), text.str());
    return dir.file("scenario.json");
}

struct VaultRun
{
    TempDir dir;
    CommerceSim sim{writeScenario(dir)};
    std::string config =
        writeConfig(dir, sim, {{"secrets.sources", "keyvault"}, {"keyVault.url", sim.url()}});

    VaultRun()
    {
        Poco::File(dir.file("creds")).createDirectories();
        writeText(dir.file("creds/acd-seal-key"),
                  "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    }

    /// The vault reader's identity through the environment credential, as DefaultAzureCredential
    /// reads it; sealed copies go to files keyed by the systemd credential.
    std::map<std::string, std::string> env() const
    {
        // The simulator's Entra accepts the scenario's one client; the vault reader uses it too.
        return {{"AZURE_AUTHORITY_HOST", sim.url()},
                {"AZURE_TENANT_ID", "tenant-1"},
                {"AZURE_CLIENT_ID", "app-id"},
                {"AZURE_CLIENT_SECRET", RetailSecret},
                {"CREDENTIALS_DIRECTORY", dir.file("creds")},
                {"DBUS_SESSION_BUS_ADDRESS", ""}};
    }

    RunResult once() const { return runProgram(Daemon, {"--config=" + config, "--once"}, env()); }
};

void expectNoSecretIn(const std::string& where, const std::string& text)
{
    for (const std::string& secret : {RetailSecret, EmarsysSecret, AzureSecret})
        BOOST_TEST(text.find(secret) == std::string::npos, secret << " found in " << where);
}

} // namespace

BOOST_AUTO_TEST_CASE(a_cycle_with_every_secret_from_key_vault)
{
    VaultRun run;
    const RunResult result = run.once();
    BOOST_TEST_INFO("stderr: " << result.err);
    BOOST_REQUIRE_EQUAL(result.exitCode, 0);
    BOOST_TEST(run.sim.deliveries()->size() > 0u);
    const Object::Ptr stats = run.sim.stats();
    BOOST_TEST(stats->getValue<int>("keyVault") >= 4);
    // Each value was sealed for the day Key Vault cannot be reached.
    BOOST_TEST(Poco::File(run.dir.file("sealed")).exists());
    expectNoSecretIn("stdout", result.out);
    expectNoSecretIn("stderr", result.err);
    expectNoSecretIn("the ledger", readText(run.dir.file("ledger.sqlite")));
    if (Poco::File(run.dir.file("ledger.sqlite-wal")).exists())
        expectNoSecretIn("the ledger's WAL", readText(run.dir.file("ledger.sqlite-wal")));
    std::vector<std::string> sealedFiles;
    Poco::File(run.dir.file("sealed")).list(sealedFiles);
    BOOST_TEST(!sealedFiles.empty());
    for (const std::string& name : sealedFiles)
        expectNoSecretIn("sealed/" + name, readText(run.dir.file("sealed/" + name)));
}

BOOST_AUTO_TEST_CASE(key_vault_down_the_sealed_copies_keep_the_store_running)
{
    VaultRun run;
    BOOST_REQUIRE_EQUAL(run.once().exitCode, 0);
    run.sim.fault(R"({"kind":"keyVault","status":503,"times":1000})");
    const RunResult result = run.once();
    BOOST_TEST_INFO("stderr: " << result.err);
    BOOST_TEST(result.exitCode == 0);
    BOOST_TEST(result.err.find("sealed") != std::string::npos);
    expectNoSecretIn("stderr", result.err);
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

BOOST_AUTO_TEST_CASE(a_secret_missing_from_the_vault_is_named)
{
    VaultRun run;
    const std::string config = writeConfig(run.dir, run.sim,
                                           {{"secrets.sources", "keyvault"},
                                            {"keyVault.url", run.sim.url()},
                                            {"emarsys.apiSecretSecretName", "no-such-secret"}});
    const RunResult result = runProgram(Daemon, {"--config=" + config, "--once"}, run.env());
    BOOST_TEST(result.exitCode != 0);
    BOOST_TEST(result.err.find("no-such-secret") != std::string::npos);
    BOOST_TEST(result.err.find("not found") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(secret_check_reports_sources_and_never_values)
{
    VaultRun run;
    const RunResult result = runProgram(Daemon, {"--config=" + run.config, "--secret-check"}, run.env());
    BOOST_TEST_INFO("stdout: " << result.out << "\nstderr: " << result.err);
    BOOST_TEST(result.exitCode == 0);
    for (const char* name : {"retail-app-id", "retail-app-secret", "emarsys-api-user", "emarsys-api-secret"})
        BOOST_TEST(result.out.find(std::string("ok       ") + name + "  from keyvault") != std::string::npos,
                   name);
    expectNoSecretIn("--secret-check", result.out + result.err);

    const RunResult listed = runProgram(Daemon, {"--config=" + run.config, "--secret-list"}, run.env());
    BOOST_TEST(listed.exitCode == 0);
    BOOST_TEST(listed.out.find("emarsys-api-secret  keyvault") != std::string::npos);
    expectNoSecretIn("--secret-list", listed.out + listed.err);
}

BOOST_AUTO_TEST_CASE(secret_check_fails_on_a_missing_secret)
{
    VaultRun run;
    const std::string config = writeConfig(run.dir, run.sim, {{"secrets.sources", "env"}});
    auto env = simSecrets();
    env.erase("ACD_SECRET_EMARSYS_API_SECRET");
    const RunResult result = runProgram(Daemon, {"--config=" + config, "--secret-check"}, env);
    BOOST_TEST(result.exitCode != 0);
    BOOST_TEST(result.out.find("MISSING  emarsys-api-secret") != std::string::npos);
    BOOST_TEST(result.out.find("ok       retail-app-id  from env") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(secret_set_without_a_writable_source_explains_what_to_do)
{
    VaultRun run;
    const std::string config = writeConfig(run.dir, run.sim, {{"secrets.sources", "env, systemd-creds"}});
    const RunResult result = runProgram(Daemon, {"--config=" + config, "--secret-set=emarsys-api-secret"}, {},
                                        60, EmarsysSecret + "\n");
    BOOST_TEST(result.exitCode != 0);
    expectNoSecretIn("--secret-set", result.out + result.err);
    BOOST_TEST(result.err.find("env, systemd-creds") != std::string::npos);
}
