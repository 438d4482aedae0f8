#define BOOST_TEST_MODULE cli_tests
#include <boost/test/unit_test.hpp>

#include "Harness.h"
#include "ScenarioBuilder.h"
#include "SimRun.h"

#include <Poco/File.h>
#include <Poco/Thread.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

using namespace acd::test;

namespace {

const std::string Daemon = binaryPath("abandoned-cartd");

/// A config that is valid without any server: the simulator is not needed to check one.
std::string validConfig(const TempDir& dir, const std::map<std::string, std::string>& overrides = {})
{
    std::map<std::string, std::string> keys{
        {"retailServer.url", "https://contoso.commerce.dynamics.com"},
        {"retailServer.tenantId", "8a1c4d2e-0000-4000-8000-000000000001"},
        {"retailServer.operatingUnitNumber", "128"},
        {"retailServer.appIdSecretName", "retail-app-id"},
        {"retailServer.appSecretSecretName", "retail-app-secret"},
        {"ledger.path", dir.file("ledger.sqlite")},
        {"emarsys.externalEventId", "1234"},
        {"emarsys.clientIdSecretName", "emarsys-client-id"},
        {"emarsys.clientSecretSecretName", "emarsys-client-secret"},
    };
    for (const auto& [key, value] : overrides)
        keys[key] = value;
    std::string text;
    for (const auto& [key, value] : keys)
        if (value != "<absent>")
            text += key + " = " + value + "\n";
    const std::string path = dir.file("test.properties");
    writeText(path, text);
    return path;
}

RunResult check(const std::map<std::string, std::string>& overrides)
{
    TempDir dir;
    return runProgram(Daemon, {"--config=" + validConfig(dir, overrides), "--config-check"});
}

/// A bad value exits non-zero with one line on stderr naming the key, the value and what
/// was expected.
void expectRefused(const std::map<std::string, std::string>& overrides, const std::string& key,
                   const std::string& value, const std::string& expectation)
{
    const RunResult result = check(overrides);
    BOOST_TEST_INFO("stderr: " << result.err);
    BOOST_TEST(result.exitCode != 0);
    BOOST_TEST(result.err.find(key) != std::string::npos);
    BOOST_TEST(result.err.find(value) != std::string::npos);
    BOOST_TEST(result.err.find(expectation) != std::string::npos);
    BOOST_TEST(std::count(result.err.begin(), result.err.end(), '\n') == 1);
}

} // namespace

BOOST_AUTO_TEST_CASE(help_lists_the_options)
{
    const RunResult result = runProgram(Daemon, {"--help"});
    BOOST_TEST(result.exitCode == 0);
    for (const char* option : {"--config", "--once", "--config-check", "--import-appsettings", "--help"})
        BOOST_TEST(result.out.find(option) != std::string::npos, option);
}

BOOST_AUTO_TEST_CASE(no_config_is_a_usage_error)
{
    const RunResult result = runProgram(Daemon, {"--once"});
    BOOST_TEST(result.exitCode == 64);
    BOOST_TEST(result.err.find("--config=FILE is required") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(valid_config_passes_the_check)
{
    const RunResult result = check({});
    BOOST_TEST_INFO("stderr: " << result.err);
    BOOST_TEST(result.exitCode == 0);
    BOOST_TEST(result.out.find("configuration OK") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(config_check_touches_no_ledger)
{
    TempDir dir;
    const RunResult result = runProgram(Daemon, {"--config=" + validConfig(dir), "--config-check"});
    BOOST_TEST(result.exitCode == 0);
    BOOST_TEST(!Poco::File(dir.file("ledger.sqlite")).exists());
}

BOOST_AUTO_TEST_CASE(missing_file_is_named)
{
    const RunResult result = runProgram(Daemon, {"--config=/nonexistent/acd.properties", "--config-check"});
    BOOST_TEST(result.exitCode != 0);
    BOOST_TEST(result.err.find("/nonexistent/acd.properties") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(wrong_type)
{
    expectRefused({{"retailServer.pageSize", "abc"}}, "retailServer.pageSize", "abc", "expected");
}

BOOST_AUTO_TEST_CASE(out_of_range)
{
    expectRefused({{"retailServer.pageSize", "5000"}}, "retailServer.pageSize", "5000", "1000");
}

BOOST_AUTO_TEST_CASE(plain_http_outside_loopback)
{
    expectRefused({{"retailServer.url", "http://contoso.example.com"}}, "retailServer.url",
                  "http://contoso.example.com", "https://");
}

BOOST_AUTO_TEST_CASE(plain_http_on_loopback_is_accepted)
{
    const RunResult result = check({{"retailServer.url", "http://127.0.0.1:8080"}});
    BOOST_TEST_INFO("stderr: " << result.err);
    BOOST_TEST(result.exitCode == 0);
}

BOOST_AUTO_TEST_CASE(missing_required_key)
{
    const RunResult result = check({{"retailServer.tenantId", "<absent>"}});
    BOOST_TEST(result.exitCode != 0);
    BOOST_TEST(result.err.find("retailServer.tenantId") != std::string::npos);
    BOOST_TEST(result.err.find("required") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_provider)
{
    expectRefused({{"notify.provider", "pigeon"}}, "notify.provider", "pigeon", "emarsys");
}

BOOST_AUTO_TEST_CASE(unknown_secret_source)
{
    expectRefused({{"secrets.sources", "env, vault9"}}, "secrets.sources", "vault9", "keyvault");
}

BOOST_AUTO_TEST_CASE(include_not_after_exclude)
{
    const RunResult result = check({{"detection.includeModifiedSinceLastMinutes", "10"},
                                    {"detection.excludeModifiedSinceLastMinutes", "30"}});
    BOOST_TEST_INFO("stderr: " << result.err);
    BOOST_TEST(result.exitCode != 0);
    BOOST_TEST(result.err.find("detection.includeModifiedSinceLastMinutes") != std::string::npos);
    BOOST_TEST(result.err.find("detection.excludeModifiedSinceLastMinutes") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_key_is_warned_about)
{
    const RunResult result = check({{"retailServer.pagesize", "200"}});
    BOOST_TEST_INFO("stderr: " << result.err);
    BOOST_TEST(result.exitCode == 0);
    BOOST_TEST(result.err.find("retailServer.pagesize") != std::string::npos);
    BOOST_TEST(result.err.find("retailServer.pageSize") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(import_appsettings_gives_a_loadable_file)
{
    TempDir dir;
    const RunResult imported = runProgram(
        Daemon, {"--import-appsettings=" + sourcePath("tests/unit/config/data/appSettings.sample.json")});
    BOOST_TEST_INFO("stderr: " << imported.err);
    BOOST_TEST(imported.exitCode == 0);
    BOOST_TEST(imported.out.find("retailServer.tenantId") != std::string::npos);
    BOOST_TEST(imported.err.find("Cosmos") != std::string::npos);
    writeText(dir.file("imported.properties"),
              imported.out + "\nledger.path = " + dir.file("l.sqlite") + "\n");
    const RunResult checked =
        runProgram(Daemon, {"--config=" + dir.file("imported.properties"), "--config-check"});
    BOOST_TEST_INFO("stderr: " << checked.err);
    BOOST_TEST(checked.exitCode == 0);
}

BOOST_AUTO_TEST_CASE(import_appsettings_refuses_malformed_json)
{
    TempDir dir;
    writeText(dir.file("bad.json"), "{\"RetailServerClientOptions\": {\"TenantId\": ");
    const RunResult result = runProgram(Daemon, {"--import-appsettings=" + dir.file("bad.json")});
    BOOST_TEST(result.exitCode != 0);
    BOOST_TEST(result.err.find("bad.json") != std::string::npos);
    BOOST_TEST(result.out.empty());
}

BOOST_AUTO_TEST_CASE(once_against_the_simulator_records_a_cycle)
{
    TempDir dir;
    CommerceSim sim(sourcePath("tests/sim/scenarios/basic.json"));
    const RunResult result =
        runProgram(Daemon, {"--config=" + writeConfig(dir, sim), "--once"}, simSecrets());
    BOOST_TEST_INFO("stderr: " << result.err);
    BOOST_TEST(result.exitCode == 0);
    SQLite::Database ledger(dir.file("ledger.sqlite"));
    SQLite::Statement cycles(ledger,
                             "SELECT status, window_from < window_to, ended_at IS NOT NULL FROM cycles");
    BOOST_REQUIRE(cycles.executeStep());
    BOOST_TEST(cycles.getColumn(0).getString() == "completed");
    BOOST_TEST(cycles.getColumn(1).getInt() == 1);
    BOOST_TEST(cycles.getColumn(2).getInt() == 1);
    BOOST_TEST(!cycles.executeStep());
}

BOOST_AUTO_TEST_CASE(a_ledger_newer_than_the_binary_is_refused_and_kept)
{
    TempDir dir;
    const std::string path = dir.file("ledger.sqlite");
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("CREATE TABLE future(x); PRAGMA user_version = 9999;");
    }
    const std::string before = readText(path);
    CommerceSim sim(sourcePath("tests/sim/scenarios/basic.json"));
    const RunResult result = runProgram(
        Daemon, {"--config=" + writeConfig(dir, sim, {{"ledger.path", path}}), "--once"}, simSecrets());
    BOOST_TEST(result.exitCode != 0);
    BOOST_TEST(result.err.find("9999") != std::string::npos);
    BOOST_TEST(result.err.find("newer") != std::string::npos);
    BOOST_TEST(readText(path) == before);
}

BOOST_AUTO_TEST_CASE(a_corrupt_ledger_is_refused_and_kept)
{
    TempDir dir;
    const std::string path = dir.file("ledger.sqlite");
    std::string garbage(8192, '\0');
    for (std::size_t i = 0; i < garbage.size(); ++i)
        garbage[i] = static_cast<char>((i * 7919) % 251);
    writeText(path, garbage);
    CommerceSim sim(sourcePath("tests/sim/scenarios/basic.json"));
    const RunResult result = runProgram(
        Daemon, {"--config=" + writeConfig(dir, sim, {{"ledger.path", path}}), "--once"}, simSecrets());
    BOOST_TEST(result.exitCode != 0);
    BOOST_TEST(result.err.find(path) != std::string::npos);
    BOOST_TEST(readText(path) == garbage);
}

BOOST_AUTO_TEST_CASE(logging_goes_to_a_rotating_file_when_configured)
{
    TempDir dir;
    CommerceSim sim(sourcePath("tests/sim/scenarios/basic.json"));
    const std::string log = dir.file("abandoned-cartd.log");
    const std::string config =
        writeConfig(dir, sim,
                    {{"logging.loggers.root.channel", "file"},
                     {"logging.channels.file.class", "FileChannel"},
                     {"logging.channels.file.path", log},
                     {"logging.channels.file.rotation", "300"},
                     {"logging.channels.file.archive", "number"},
                     {"logging.channels.file.formatter.class", "PatternFormatter"},
                     {"logging.channels.file.formatter.pattern", "%Y-%m-%dT%H:%M:%S %p %t"},
                     {"logging.channels.file.formatter.times", "UTC"}});
    const RunResult result = runProgram(Daemon, {"--config=" + config, "--once"}, simSecrets());
    BOOST_TEST_INFO("stderr: " << result.err);
    BOOST_TEST(result.exitCode == 0);
    const std::string text = readText(log);
    BOOST_TEST(text.find("cycle 1 completed") != std::string::npos);
    BOOST_TEST(result.err.find("cycle 1 completed") == std::string::npos);
    BOOST_TEST(text.find(" Information cycle 1 completed") != std::string::npos, text);
    // The next cycle's lines pass the 300-byte rotation size: the log was rotated.
    REQUIRE_SUCCESS(runProgram(Daemon, {"--config=" + config, "--once"}, simSecrets()));
    BOOST_TEST(Poco::File(log + ".0").exists());
    BOOST_TEST(readText(log + ".0").find("cycle 1 completed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(one_process_at_a_time_runs_cycles_on_a_ledger)
{
    ScenarioBuilder store;
    store.customer("C1", "Ada", "Lovelace", "ada@example.com").product(68719476736, "Shoe", "89.90", "");
    store.cart("c1", "C1", 60, {68719476736});
    SimRun run(store);
    ChildProcess daemon(Daemon, {"--config=" + run.config}, simSecrets(), run.dir.file("daemon.log"));
    // Its first cycle starts at once; it then waits detection.intervalMinutes, holding the lock.
    // While the daemon creates and migrates the ledger, a reader may find it locked or empty.
    const auto sent = [&] {
        try
        {
            return Poco::File(run.ledger()).exists() && run.ledgerStates()["c1"] == "sent";
        }
        catch (const SQLite::Exception&)
        {
            return false;
        }
    };
    for (int i = 0; i < 500 && !sent(); ++i)
        Poco::Thread::sleep(20);
    BOOST_REQUIRE(sent());

    const RunResult second = run.once();
    BOOST_TEST(second.exitCode == 75);
    BOOST_TEST(second.err.find("another abandoned-cartd process runs cycles on the ledger") !=
                   std::string::npos,
               second.err);
    BOOST_TEST(second.err.find(run.ledger() + ".lock") != std::string::npos);
    // The commands that do not run cycles work beside it.
    REQUIRE_SUCCESS(run.run({"--opt-out=ada@example.com"}));

    daemon.terminate();
    BOOST_TEST(daemon.wait() == 0);
    REQUIRE_SUCCESS(run.once()); // free again once it stopped
}
