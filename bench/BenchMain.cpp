// acd-bench: runs the real `abandoned-cartd --once` against `commerce-sim` with generated carts
// and a latency on every simulated reply, replays the two baselines against the same simulator
// and prints the figures and the ratios of docs/benchmark.md. Figures only: nothing is asserted.

#include "FloorClient.h"
#include "Processes.h"
#include "SampleClient.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/NumberParser.h>
#include <Poco/Path.h>
#include <Poco/StringTokenizer.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>
#include <thread>

namespace acd::bench {
namespace {

using Poco::JSON::Object;

const char* const UsageText =
    "usage: acd-bench [--carts=N] [--latency-ms=L[,L...]] [--page-size=N] [--concurrency=N]\n"
    "                 [--baselines=sample,floor|none] [--idle=yes|no] [--idle-seconds=S]\n"
    "                 [--provider=emarsys|outbox|sendgrid|mandrill] [--bin-dir=DIR] [--work-dir=DIR]\n"
    "defaults: --carts=100000 --latency-ms=20,0 --page-size=1000 --concurrency=4\n"
    "          --baselines=sample,floor --idle=yes --idle-seconds=5 --provider=emarsys,\n"
    "          binaries beside acd-bench; --provider=outbox, sendgrid and mandrill have no baselines\n"
    "          (both send to Emarsys)\n";

/// The kinds of simulated request the figures show, in the order of a cycle.
const char* const Kinds[] = {"token",    "channel",        "cartSearch",  "customers",
                             "products", "emarsysTrigger", "mandrillSend"};

struct Options
{
    long carts = 100000;
    std::vector<int> latencies{20, 0};
    int pageSize = 1000;
    int concurrency = 4;
    bool sample = true;
    bool floor = true;
    bool idle = true;
    int idleSeconds = 5;
    bool outbox = false;   // notify.provider = outbox: the daemon writes files instead of calling Emarsys
    bool sendgrid = false; // notify.provider = sendgrid, against the simulator's SendGrid
    bool mandrill = false; // notify.provider = mandrill: the simulated Mailchimp Transactional
    std::string binDir;
    std::string workDir;
};

/// One measured run, with the simulator's exact request counts.
struct Figures
{
    std::string name;
    double seconds = 0;
    std::int64_t carts = 0;
    std::map<std::string, std::int64_t> requests; // by kind, plus "requests" for the total
    std::int64_t contacts = 0;
    std::int64_t duplicates = 0;
    std::int64_t mandrillMessages = 0; // mandrill only: recipients handed to send-template
    std::optional<double> peakRssMb;
    std::optional<double> cpuSeconds;
    double simCpuSeconds = 0;
    std::int64_t emlFiles = 0;   // outbox only
    std::int64_t htmlFiles = 0;  // outbox only
    std::int64_t otherFiles = 0; // outbox only: temporary files or anything else left behind
};

[[noreturn]] void usageError(const std::string& message)
{
    std::cerr << "acd-bench: " << message << '\n' << UsageText;
    std::exit(64);
}

long number(const std::string& option, const std::string& text, long min, long max)
{
    Poco::Int64 value = 0;
    if (!Poco::NumberParser::tryParse64(text, value) || value < min || value > max)
        usageError("--" + option + "=" + text + ": expected a whole number from " + std::to_string(min) +
                   " to " + std::to_string(max));
    return value;
}

Options parseOptions(int argc, char** argv)
{
    Options options;
    options.binDir = Poco::Path(std::filesystem::read_symlink("/proc/self/exe").string()).parent().toString();
    for (int i = 1; i < argc; ++i)
    {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h")
        {
            std::cout << UsageText;
            std::exit(0);
        }
        const auto equals = arg.find('=');
        if (!arg.starts_with("--") || equals == std::string::npos)
            usageError("unknown argument " + arg);
        const std::string name = arg.substr(2, equals - 2);
        const std::string value = arg.substr(equals + 1);
        if (name == "carts")
            options.carts = number(name, value, 1, 5'000'000);
        else if (name == "latency-ms")
        {
            options.latencies.clear();
            for (const std::string& part : Poco::StringTokenizer(value, ",", Poco::StringTokenizer::TOK_TRIM))
                options.latencies.push_back(static_cast<int>(number(name, part, 0, 10000)));
            if (options.latencies.empty())
                usageError("--latency-ms needs at least one value");
        }
        else if (name == "page-size")
            options.pageSize = static_cast<int>(number(name, value, 1, 1000));
        else if (name == "concurrency")
            options.concurrency = static_cast<int>(number(name, value, 1, 32));
        else if (name == "baselines")
        {
            options.sample = options.floor = false;
            for (const std::string& part : Poco::StringTokenizer(value, ",", Poco::StringTokenizer::TOK_TRIM))
            {
                if (part == "sample")
                    options.sample = true;
                else if (part == "floor")
                    options.floor = true;
                else if (part != "none")
                    usageError("--baselines: \"" + part + "\" is not sample, floor or none");
            }
        }
        else if (name == "idle")
        {
            if (value != "yes" && value != "no")
                usageError("--idle=" + value + ": expected yes or no");
            options.idle = value == "yes";
        }
        else if (name == "idle-seconds")
            options.idleSeconds = static_cast<int>(number(name, value, 1, 600));
        else if (name == "provider")
        {
            if (value != "emarsys" && value != "outbox" && value != "sendgrid" && value != "mandrill")
                usageError("--provider=" + value + ": expected emarsys, outbox, sendgrid or mandrill");
            options.outbox = value == "outbox";
            options.sendgrid = value == "sendgrid";
            options.mandrill = value == "mandrill";
        }
        else if (name == "bin-dir")
            options.binDir = value;
        else if (name == "work-dir")
            options.workDir = value;
        else
            usageError("unknown option --" + name);
    }
    if ((options.outbox || options.sendgrid || options.mandrill) && (options.sample || options.floor))
    {
        bool explicitBaselines = false;
        for (int i = 1; i < argc; ++i)
            explicitBaselines = explicitBaselines || std::string_view(argv[i]).starts_with("--baselines=");
        if (explicitBaselines)
            usageError(std::string("--provider=") +
                       (options.outbox     ? "outbox"
                        : options.sendgrid ? "sendgrid"
                                           : "mandrill") +
                       ": the baselines send to Emarsys; give --baselines=none");
        options.sample = options.floor = false;
    }
    return options;
}

std::map<std::string, std::string> daemonSecrets()
{
    return {{"ACD_SECRET_RETAIL_APP_ID", "app-id"},
            {"ACD_SECRET_RETAIL_APP_SECRET", "app-secret"},
            {"ACD_SECRET_EMARSYS_CLIENT_ID", "emarsys-client"},
            {"ACD_SECRET_EMARSYS_CLIENT_SECRET", "emarsys-client-secret"},
            {"ACD_SECRET_SENDGRID_API_KEY", "SG.sim-api-key"},
            {"ACD_SECRET_MANDRILL_API_KEY", "mandrill-key"},
            // The keyed hash of privacy features; given so that no run has to generate one.
            {"ACD_SECRET_ACD_HASH_KEY", std::string(64, 'b')}};
}

std::string writeDaemonConfig(const std::string& dir, const std::string& simUrl, const Options& options)
{
    const std::string path = dir + "/abandoned-cartd.properties";
    std::string provider = options.outbox ? "notify.provider = outbox\noutbox.dir = " + dir +
                                                "/outbox\nnotify.templatesDir = " ACD_SOURCE_DIR
                                                "/conf/templates\n"
                                          : "notify.provider = emarsys\n";
    if (options.sendgrid)
        provider = "notify.provider = sendgrid\nsendgrid.apiUrl = " + simUrl +
                   "/v3/mail/send\nsendgrid.apiKeySecretName = sendgrid-api-key\n"
                   "sendgrid.templateId = d-0123456789abcdef0123456789abcdef\n"
                   "sendgrid.from = Contoso Outdoor <shop@contoso.example>\n";
    if (options.mandrill)
        provider = "notify.provider = mandrill\nmandrill.apiUrl = " + simUrl +
                   "/api/1.0\nmandrill.apiKeySecretName = mandrill-api-key\nmandrill.templateName = "
                   "abandoned-cart\n";
    writeText(path, "retailServer.url = " + simUrl +
                        "\n"
                        "retailServer.authority = " +
                        simUrl +
                        "\n"
                        "retailServer.tenantId = tenant-1\n"
                        "retailServer.operatingUnitNumber = 128\n"
                        "retailServer.appIdSecretName = retail-app-id\n"
                        "retailServer.appSecretSecretName = retail-app-secret\n"
                        "retailServer.pageSize = " +
                        std::to_string(options.pageSize) +
                        "\n"
                        "retailServer.concurrency = " +
                        std::to_string(options.concurrency) +
                        "\n"
                        "detection.returnToCartUrl = https://shop.example.com/cart?id={cartId}\n"
                        "detection.intervalMinutes = 1440\n"
                        "ledger.path = " +
                        dir + "/ledger.sqlite\n" + provider +
                        "emarsys.auth = oauth2\n"
                        "emarsys.tokenUrl = " +
                        simUrl +
                        "/oauth2/token\n"
                        "emarsys.apiUrl = " +
                        simUrl +
                        "/api/v3/event/{0}/trigger\n"
                        "emarsys.contactDeleteUrl = " +
                        simUrl +
                        "/api/v3/contact/delete\n"
                        "emarsys.externalEventId = 1234\n"
                        "emarsys.clientIdSecretName = emarsys-client-id\n"
                        "emarsys.clientSecretSecretName = emarsys-client-secret\n"
                        "media.imageServerUrl = https://images.example.com/cms\n"
                        "secrets.sources = env\n");
    return path;
}

Object::Ptr parseObject(const std::string& text)
{
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Object::Ptr>();
}

void readStats(Sim& sim, Figures& figures)
{
    const Object::Ptr stats = parseObject(sim.get("/_sim/stats"));
    for (const char* kind : Kinds)
        figures.requests[kind] = stats->optValue<std::int64_t>(kind, 0);
    figures.requests["requests"] = stats->optValue<std::int64_t>("requests", 0);
    for (const char* kind : {"sendgridMail", "sendgridPersonalizations"})
        figures.requests[kind] = stats->optValue<std::int64_t>(kind, 0);
    figures.contacts = stats->optValue<std::int64_t>("emarsysContacts", 0);
    figures.duplicates = stats->optValue<std::int64_t>("emarsysDuplicates", 0);
    figures.mandrillMessages = stats->optValue<std::int64_t>("mandrillMessages", 0);
    figures.simCpuSeconds = sampleProcess(sim.pid()).cpuSeconds;
}

std::vector<std::string> simArgs(const Options& options, int latency)
{
    return {"--generate=carts=" + std::to_string(options.carts), "--latency-ms=" + std::to_string(latency)};
}

/// The text of the JSON object starting at `from` in `text` (strings and escapes skipped).
std::string_view objectAt(std::string_view text, std::size_t from)
{
    int depth = 0;
    bool inString = false;
    for (std::size_t i = from; i < text.size(); ++i)
    {
        const char c = text[i];
        if (inString)
        {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
        }
        else if (c == '"')
            inString = true;
        else if (c == '{')
            ++depth;
        else if (c == '}' && --depth == 0)
            return text.substr(from, i - from + 1);
    }
    throw std::runtime_error("an Emarsys request body held an unterminated contact");
}

/// The JSON string starting at `from` in `text`, quotes included.
std::string_view stringAt(std::string_view text, std::size_t from)
{
    for (std::size_t i = from + 1; i < text.size(); ++i)
    {
        if (text[i] == '\\')
            ++i;
        else if (text[i] == '"')
            return text.substr(from, i - from + 1);
    }
    throw std::runtime_error("the simulator's deliveries hold an unterminated string");
}

/// Every contact the daemon sent, in the order the simulator received them, as the daemon wrote
/// it: {"external_id":…,"trigger_id":…,"data":…}. The simulator keeps each contact's data as the
/// bytes it came in, so the I/O floor posts the daemon's very batches.
std::vector<std::string> daemonContacts(Sim& sim)
{
    const std::string deliveries = sim.get("/_sim/emarsys/deliveries");
    const std::string_view text = deliveries;
    std::vector<std::string> contacts;
    const auto valueAfter = [&text](std::string_view key, std::size_t from) {
        const std::size_t at = text.find(key, from);
        if (at == std::string_view::npos)
            throw std::runtime_error("a delivery of the simulator has no " + std::string(key));
        return at + key.size();
    };
    for (std::size_t at = text.find("{\"eventId\":"); at != std::string_view::npos;
         at = text.find("{\"eventId\":", at))
    {
        const std::string_view email = stringAt(text, valueAfter("\"external_id\":", at));
        const std::size_t triggerAt = valueAfter("\"trigger_id\":", at);
        const std::string_view trigger = text[triggerAt] == '"' ? stringAt(text, triggerAt) : "null";
        const std::size_t dataAt = valueAfter("\"data\":", triggerAt);
        const std::string_view data = text[dataAt] == '{' ? objectAt(text, dataAt) : "null";
        contacts.push_back("{\"external_id\":" + std::string(email) + ",\"trigger_id\":" +
                           std::string(trigger) + ",\"data\":" + std::string(data) + "}");
        at = dataAt + data.size();
    }
    if (contacts.empty())
        throw std::runtime_error("the daemon sent no Emarsys contact: the I/O floor has nothing to replay");
    return contacts;
}

Figures runDaemon(const Options& options, int latency, const std::string& dir,
                  std::vector<std::string>& contacts, double& ledgerMb)
{
    Sim sim(options.binDir + "/commerce-sim", dir, simArgs(options, latency));
    const std::string config = writeDaemonConfig(dir, sim.url(), options);
    Child daemon(options.binDir + "/abandoned-cartd", {"--config=" + config, "--once"}, daemonSecrets(),
                 dir + "/daemon.log");
    const Usage usage = daemon.wait();
    if (usage.exitCode != 0)
        throw std::runtime_error("abandoned-cartd --once exited with " + std::to_string(usage.exitCode) +
                                 ":\n" + readText(dir + "/daemon.log"));
    Figures figures;
    figures.name = "abandoned-cartd";
    figures.seconds = usage.wallSeconds;
    figures.carts = options.carts;
    figures.peakRssMb = usage.peakRssKb / 1024.0;
    figures.cpuSeconds = usage.cpuSeconds;
    readStats(sim, figures);
    ledgerMb = 0;
    for (const char* suffix : {"", "-wal", "-shm"})
        ledgerMb += static_cast<double>(fileSize(dir + "/ledger.sqlite" + suffix)) / (1024.0 * 1024.0);
    if (options.outbox)
    {
        for (const auto& entry : std::filesystem::directory_iterator(dir + "/outbox"))
        {
            const std::string name = entry.path().filename().string();
            if (name.starts_with("."))
                ++figures.otherFiles;
            else if (name.ends_with(".eml"))
                ++figures.emlFiles;
            else if (name.ends_with(".html"))
                ++figures.htmlFiles;
            else
                ++figures.otherFiles;
        }
    }
    if (options.floor)
        contacts = daemonContacts(sim);
    return figures;
}

template <typename Client>
Figures runBaseline(const std::string& name, const Options& options, int latency, const std::string& dir,
                    Client client)
{
    Sim sim(options.binDir + "/commerce-sim", dir, simArgs(options, latency));
    SimAccount account;
    account.url = sim.url();
    const ClientRun run = client(account);
    Figures figures;
    figures.name = name;
    figures.seconds = run.seconds;
    figures.carts = run.carts;
    readStats(sim, figures);
    return figures;
}

std::string fixed(double value, int decimals)
{
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

std::string column(const std::string& text, std::size_t width)
{
    return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}

double perThousand(const Figures& f)
{
    return f.carts > 0
               ? 1000.0 * static_cast<double>(f.requests.at("requests")) / static_cast<double>(f.carts)
               : 0;
}

void printRuns(const Options& options, int latency, const std::vector<Figures>& runs, double ledgerMb)
{
    std::cout << "\n== " << options.carts << " carts, " << latency
              << " ms per reply (retailServer.pageSize=" << options.pageSize
              << ", retailServer.concurrency=" << options.concurrency
              << (options.outbox ? ", notify.provider=outbox" : "")
              << (options.sendgrid ? ", notify.provider=sendgrid" : "")
              << (options.mandrill ? ", notify.provider=mandrill" : "") << ")\n";
    std::cout << column("", 18) << column("wall s", 10) << column("carts/s", 10) << column("requests", 10)
              << column("/1000 carts", 12) << column("peak RSS", 11) << column("CPU s", 8)
              << column("sim CPU s", 11) << '\n';
    for (const Figures& f : runs)
        std::cout << column(f.name, 18) << column(fixed(f.seconds, 2), 10)
                  << column(fixed(static_cast<double>(f.carts) / f.seconds, 0), 10)
                  << column(std::to_string(f.requests.at("requests")), 10)
                  << column(fixed(perThousand(f), 1), 12)
                  << column(f.peakRssMb ? fixed(*f.peakRssMb, 1) + " MB" : "-", 11)
                  << column(f.cpuSeconds ? fixed(*f.cpuSeconds, 2) : "-", 8)
                  << column(fixed(f.simCpuSeconds, 2), 11) << '\n';
    std::cout << column("requests by kind", 18);
    for (const char* kind : Kinds)
        std::cout << column(kind, 15);
    std::cout << '\n';
    for (const Figures& f : runs)
    {
        std::cout << column(f.name, 18);
        for (const char* kind : Kinds)
            std::cout << column(std::to_string(f.requests.at(kind)), 15);
        std::cout << '\n';
    }
    if (options.sendgrid)
    {
        const Figures& f = runs.front();
        std::cout << "SendGrid: " << f.requests.at("sendgridMail") << " mail send requests ("
                  << fixed(1000.0 * static_cast<double>(f.requests.at("sendgridMail")) /
                               static_cast<double>(f.carts),
                           1)
                  << " per 1000 carts), " << f.requests.at("sendgridPersonalizations") << " personalizations";
    }
    else if (options.outbox)
        std::cout << "outbox files: " << runs.front().emlFiles << " .eml, " << runs.front().htmlFiles
                  << " .html, " << runs.front().otherFiles << " other";
    else if (options.mandrill)
        std::cout << "Mandrill recipients: " << runs.front().mandrillMessages << " in "
                  << runs.front().requests.at("mandrillSend") << " send-template requests";
    else
    {
        std::cout << "Emarsys contacts:";
        for (const Figures& f : runs)
            std::cout << ' ' << f.name << ' ' << f.contacts << " (" << f.duplicates << " duplicates);";
    }
    std::cout << "\nledger after the cycle: " << fixed(ledgerMb, 1) << " MB ("
              << fixed(ledgerMb * 1024.0 * 1024.0 / static_cast<double>(options.carts), 0)
              << " bytes per cart)\n";

    const Figures& daemon = runs.front();
    for (const Figures& f : runs)
    {
        if (f.name == "sample pattern")
            std::cout << "ratio sample/daemon time: " << fixed(f.seconds / daemon.seconds, 1)
                      << "x (target at 20 ms: >= 10x); daemon/sample requests per 1000 carts: "
                      << fixed(perThousand(daemon) / perThousand(f), 3) << " (target: <= 0.333)\n";
        if (f.name == "I/O floor")
            std::cout << "ratio daemon/floor time: " << fixed(daemon.seconds / f.seconds, 2)
                      << "x (target at 0 ms: <= 1.5x)\n";
    }
    std::cout << "peak RSS " << fixed(*daemon.peakRssMb, 1) << " MB (target at 1 000 000 carts: <= 64 MB)\n"
              << std::flush;
}

void measureIdle(const Options& options, const std::string& dir)
{
    Sim sim(options.binDir + "/commerce-sim", dir, simArgs(options, 0));
    const std::string config = writeDaemonConfig(dir, sim.url(), options);
    const std::string log = dir + "/idle-daemon.log";
    Child daemon(options.binDir + "/abandoned-cartd", {"--config=" + config}, daemonSecrets(), log);
    const double deadline = monotonicSeconds() + 3600;
    while (readText(log).find("cycle 1 ") == std::string::npos)
    {
        if (daemon.ended() || monotonicSeconds() > deadline)
            throw std::runtime_error("the daemon in run mode did not finish its first cycle:\n" +
                                     readText(log));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const ProcessSample before = sampleProcess(daemon.pid());
    std::this_thread::sleep_for(std::chrono::seconds(options.idleSeconds));
    const ProcessSample after = sampleProcess(daemon.pid());
    daemon.terminate();
    const Usage usage = daemon.wait();
    std::cout << "\n== idle daemon (run mode, detection.intervalMinutes=1440) after its first cycle of "
              << options.carts << " carts\n"
              << "VmRSS " << fixed(after.rssKb / 1024.0, 1) << " MB (target: <= 20 MB); CPU "
              << fixed(after.cpuSeconds - before.cpuSeconds, 2) << " s over " << options.idleSeconds
              << " s (target: none); exit on SIGTERM " << usage.exitCode << '\n';
}

std::string makeWorkDir(const Options& options)
{
    if (!options.workDir.empty())
    {
        std::filesystem::create_directories(options.workDir);
        return options.workDir;
    }
    std::string pattern = (std::filesystem::temp_directory_path() / "acd-bench.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("cannot create a work directory under " +
                                 std::filesystem::temp_directory_path().string());
    return pattern;
}

int run(int argc, char** argv)
{
    const Options options = parseOptions(argc, argv);
    for (const char* exe : {"abandoned-cartd", "commerce-sim"})
        if (fileSize(options.binDir + "/" + exe) <= 0)
            usageError(options.binDir + "/" + exe + " not found: build it, or give --bin-dir");
    const std::string root = makeWorkDir(options);
    std::cout << "acd-bench: " << std::thread::hardware_concurrency() << " CPU(s); work files in " << root
              << '\n';
    for (const int latency : options.latencies)
    {
        const std::string dir = root + "/" + std::to_string(latency) + "ms";
        for (const char* run : {"daemon", "sample", "floor"})
            std::filesystem::create_directories(dir + "/" + run);
        std::vector<std::string> contacts;
        double ledgerMb = 0;
        std::vector<Figures> runs{runDaemon(options, latency, dir + "/daemon", contacts, ledgerMb)};
        if (options.sample)
            runs.push_back(runBaseline("sample pattern", options, latency, dir + "/sample",
                                       [](const SimAccount& account) { return runSamplePattern(account); }));
        if (options.floor)
        {
            FloorPlan plan;
            plan.pageSize = options.pageSize;
            plan.concurrency = options.concurrency;
            plan.contacts = std::move(contacts);
            runs.push_back(runBaseline("I/O floor", options, latency, dir + "/floor",
                                       [&](const SimAccount& account) { return runIoFloor(account, plan); }));
        }
        printRuns(options, latency, runs, ledgerMb);
    }
    if (options.idle)
    {
        const std::string dir = root + "/idle";
        std::filesystem::create_directories(dir);
        measureIdle(options, dir);
    }
    if (options.workDir.empty())
        std::filesystem::remove_all(root);
    return 0;
}

} // namespace
} // namespace acd::bench

int main(int argc, char** argv)
{
    try
    {
        return acd::bench::run(argc, argv);
    }
    catch (const std::exception& e)
    {
        std::cerr << "acd-bench: " << e.what() << '\n';
        return 1;
    }
}
