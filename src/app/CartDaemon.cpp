#include "app/CartDaemon.h"

#include "admin/AdminServer.h"
#include "app/AdminCommands.h"
#include "app/PrivacyCommands.h"
#include "app/Registry.h"
#include "config/AppSettingsImporter.h"
#include "config/Settings.h"
#include "cycle/Cycle.h"
#include "ledger/LedgerStore.h"
#include "net/EntraTokenClient.h"
#include "net/HttpClient.h"
#include "notify/EmailProvider.h"
#include "platform/Memory.h"
#include "platform/ProcessLock.h"
#include "platform/ServiceCommandLine.h"
#include "platform/Signals.h"
#include "retail/RetailClient.h"
#include "secrets/SecretStore.h"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/Event.h>
#include <Poco/FileStream.h>
#include <Poco/FormattingChannel.h>
#include <Poco/PatternFormatter.h>
#include <Poco/StreamCopier.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/LoggingConfigurator.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionProcessor.h>
#include <Poco/Util/OptionSet.h>

#include <atomic>
#include <iostream>
#include <thread>

using Poco::Util::Application;
using Poco::Util::Option;

namespace acd {

namespace {

/// Everything a cycle needs, built once at start from the settings. Secrets are read here,
/// so a missing one stops the start with its name rather than failing every cycle.
struct Services
{
    explicit Services(const Settings& settings)
        : ledger(settings.ledgerPath), retailHttp(httpOptions(settings, settings.concurrency)),
          providerHttp(httpOptions(settings, ProviderBatchesInFlight)), secretsHttp(httpOptions(settings, 1)),
          secrets(makeSecretStore(settings, secretsHttp)), token(retailToken(retailHttp, settings, *secrets)),
          retail(retailHttp, token, retailOptions(settings)),
          provider(makeEmailProvider(settings, *secrets, providerHttp))
    {}

    static RetailClientOptions retailOptions(const Settings& settings)
    {
        RetailClientOptions options;
        options.baseUrl = settings.retailServerUrl;
        options.operatingUnitNumber = settings.operatingUnitNumber;
        options.apiVersion = settings.apiVersion;
        options.pageSize = settings.pageSize;
        return options;
    }

    /// The app id is read before its secret, so that an error names the first one missing.
    static EntraTokenClient retailToken(HttpClient& http, const Settings& settings, SecretStore& secrets)
    {
        const std::string clientId = secrets.get(settings.appIdSecretName);
        const std::string clientSecret = secrets.get(settings.appSecretSecretName);
        return EntraTokenClient(http, settings.authority, settings.tenantId, clientId, clientSecret,
                                settings.audienceId + "/.default");
    }

    LedgerStore ledger;
    std::unique_ptr<LedgerStore> deliveryLedger; // the delivery thread's connection
    HttpClient retailHttp;
    HttpClient providerHttp;
    HttpClient secretsHttp;
    std::unique_ptr<SecretStore> secrets;
    EntraTokenClient token;
    RetailClient retail;
    std::unique_ptr<EmailProvider> provider;
};

std::string readFile(const std::string& path)
{
    Poco::FileInputStream in(path);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    return text;
}

} // namespace

void CartDaemon::initialize(Application& self)
{
    Poco::AutoPtr<Poco::PatternFormatter> formatter(new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%SZ %p %t"));
    Poco::AutoPtr<Poco::FormattingChannel> console(
        new Poco::FormattingChannel(formatter, new Poco::ConsoleChannel));
    Poco::Logger::root().setChannel(console);
    ServerApplication::initialize(self);
}

void CartDaemon::defineOptions(Poco::Util::OptionSet& options)
{
    ServerApplication::defineOptions(options);
    options.addOption(Option("help", "h", "show this help and exit").required(false).repeatable(false));
    options.addOption(Option("config", "c", "read the configuration from FILE (Poco properties)")
                          .required(false)
                          .repeatable(false)
                          .argument("FILE"));
    options.addOption(
        Option("config-check", "", "validate the configuration and exit").required(false).repeatable(false));
    options.addOption(
        Option("once", "", "run one cycle and exit: 0 when it completed").required(false).repeatable(false));
    options.addOption(Option("import-appsettings", "",
                             "print the properties equivalent of the .NET sample's appSettings.json FILE")
                          .required(false)
                          .repeatable(false)
                          .argument("FILE"));
    for (const AdminCommand& command : adminCommands())
    {
        Option option(command.option, "", command.help);
        option.required(false).repeatable(false);
        if (command.argument)
            option.argument(command.argument);
        options.addOption(option);
    }
}

void CartDaemon::handleOption(const std::string& name, const std::string& value)
{
    ServerApplication::handleOption(name, value);
    if (name == "help")
    {
        _helpRequested = true;
        stopOptionsProcessing();
    }
    else if (name == "config")
        _configPath = value;
    else if (name == "config-check")
        _configCheck = true;
    else if (name == "once")
        _once = true;
    else if (name == "import-appsettings")
        _importPath = value;
    for (const AdminCommand& command : adminCommands())
        if (name == command.option)
        {
            _command = &command;
            _commandValue = value;
        }
}

int CartDaemon::main(const std::vector<std::string>&)
{
    platform::useOneAllocatorArena(); // before any thread starts
    // Started by the Windows service manager, Poco passed the start parameters (none for an
    // automatic start), not the service's command line, where the MSI puts /config=FILE.
    if (config().getBool("application.runAsService", false))
    {
        Poco::Util::OptionProcessor processor(options());
        processor.setUnixStyle(false);
        try
        {
            for (const std::string& arg : platform::serviceCommandLine())
            {
                std::string name, value;
                if (processor.process(arg, name, value) && !name.empty())
                    handleOption(name, value);
            }
        }
        catch (const Poco::Exception& e)
        {
            logger().error("the service's command line: %s", e.displayText());
            return EXIT_USAGE;
        }
    }
    if (_helpRequested)
    {
        Poco::Util::HelpFormatter help(options());
        help.setCommand(commandName());
        help.setUsage("--config=FILE [--once | --config-check] | --import-appsettings=FILE | --help");
        help.setHeader("Finds abandoned carts on Dynamics 365 Commerce Retail Server and sends reminders.");
        help.setFooter("Without --once, runs a cycle every detection.intervalMinutes until stopped.");
        help.format(std::cout);
        return EXIT_OK;
    }
    if (!_importPath.empty())
        return importAppSettings();
    if (_configPath.empty())
    {
        std::cerr << "abandoned-cartd: --config=FILE is required (see --help)\n";
        return EXIT_USAGE;
    }

    Settings settings;
    try
    {
        loadConfiguration(_configPath);
        // Poco's own logging.* keys: a rotating file, syslog, the Windows Event Log...
        Poco::Util::AbstractConfiguration::Keys loggingKeys;
        config().keys("logging", loggingKeys);
        if (!loggingKeys.empty())
        {
            Poco::Util::LoggingConfigurator().configure(
                Poco::Util::AbstractConfiguration::Ptr(&config(), true));
            // Loggers made before (the application's own) keep the channel they were born with.
            Poco::Logger::setChannel("", Poco::Logger::root().getChannel());
        }
        std::vector<std::string> warnings;
        settings = Settings::load(config(), warnings);
        for (const std::string& warning : warnings)
            logger().warning("%s: %s", _configPath, warning);
    }
    catch (const ConfigError& e)
    {
        std::cerr << "abandoned-cartd: " << _configPath << ": " << e.what() << '\n';
        return EXIT_CONFIG;
    }
    catch (const Poco::Exception& e)
    {
        std::cerr << "abandoned-cartd: cannot read configuration " << _configPath << ": " << e.displayText()
                  << '\n';
        return EXIT_CONFIG;
    }
    if (_configCheck)
    {
        std::cout << "configuration OK: " << _configPath << '\n';
        return EXIT_OK;
    }
    if (_command)
        return _command->run(settings, _commandValue);

    // Only one process runs cycles on a ledger: what a start finds half done ('running' cycles,
    // requests on their way) then belongs to a process that stopped, never to one still at work.
    std::unique_ptr<ProcessLock> cycleLock;
    const std::string lockPath = settings.ledgerPath + ".lock";
    try
    {
        cycleLock = ProcessLock::tryAcquire(lockPath);
    }
    catch (const std::system_error& e)
    {
        logger().critical("cannot lock %s: %s", lockPath, std::string(e.what()));
        return EXIT_CANTCREAT;
    }
    if (!cycleLock)
    {
        logger().critical("another abandoned-cartd process runs cycles on the ledger %s (it holds %s); "
                          "stop it first, or use the commands that work beside it (--purge, --opt-out, ...)",
                          settings.ledgerPath, lockPath);
        return EXIT_TEMPFAIL;
    }

    std::unique_ptr<Services> services;
    try
    {
        services = std::make_unique<Services>(settings);
        preparePrivacy(settings, services->ledger, *services->secrets, logger());
        // After the hash key: the second connection takes it along.
        services->deliveryLedger = services->ledger.openSecondConnection();
        if (const int interrupted = services->ledger.cycles().closeInterrupted())
            logger().warning("%d cycle(s) had been interrupted (process stopped mid-cycle); their reminders "
                             "stay in the outbox and are resumed",
                             interrupted);
    }
    catch (const LedgerError& e)
    {
        logger().critical(e.what());
        return EXIT_CANTCREAT;
    }
    catch (const std::exception& e)
    {
        logger().critical("cannot start: %s", std::string(e.what()));
        return EXIT_CONFIG;
    }

    std::atomic<bool> stopRequested{false};
    // A cycle records its own failures; what escapes it (the ledger itself failing: disk full,
    // locked past the busy timeout) is logged here, and the next cycle tries again.
    auto runCycle = [&] {
        try
        {
            const CycleParts parts{services->ledger, *services->deliveryLedger, services->retail,
                                   *services->provider, static_cast<std::size_t>(ProviderBatchesInFlight)};
            Cycle cycle(settings, parts, logger(), stopRequested);
            CycleResult result = cycle.run();
            // Sealed copies in use = Key Vault could not be reached: the cycles table says so.
            services->ledger.cycles().setSecretsState(result.cycleId, services->secrets->usedSealedCopy());
            // The write-ahead log holds copies of the pages the cycle changed, outbox rows it
            // deleted (addresses, names) among them: it is emptied after every cycle, not only
            // when retention removed something. A reader in the way leaves it to the next one.
            services->ledger.truncateWal();
            // Between cycles the daemon holds little: the ledger's page cache and the heap the
            // cycle used go back.
            services->ledger.releaseMemory();
            services->deliveryLedger->releaseMemory();
            platform::returnFreeMemory();
            if (result.completed())
                logger().information(result.summary());
            else
                logger().error(result.summary());
            return result.completed();
        }
        catch (const std::exception& e)
        {
            logger().error("cycle could not be recorded: %s", std::string(e.what()));
            return false;
        }
    };
    if (_once)
        return runCycle() ? EXIT_OK : EXIT_TEMPFAIL;

    Poco::Event wake;
    platform::blockTerminationSignals();
    std::unique_ptr<AdminServer> admin;
    try
    {
        admin = startAdminServer(settings, *services->secrets, logger());
    }
    catch (const std::exception& e)
    {
        logger().critical("cannot start the admin API: %s", std::string(e.what()));
        return EXIT_CONFIG;
    }
    std::thread worker([&] {
        while (!stopRequested)
        {
            runCycle();
            wake.tryWait(static_cast<long>(settings.intervalMinutes) * 60 * 1000);
        }
    });
    logger().information("abandoned-cartd started: a cycle every %d minute(s)", settings.intervalMinutes);
    waitForTerminationRequest();
    logger().information("stop requested: finishing the current batch");
    stopRequested = true;
    wake.set();
    worker.join();
    admin.reset();
    logger().information("abandoned-cartd stopped");
    return EXIT_OK;
}

int CartDaemon::importAppSettings()
{
    try
    {
        std::vector<std::string> notes;
        const std::string properties = acd::importAppSettings(readFile(_importPath), notes);
        for (const std::string& note : notes)
            std::cerr << "note: " << note << '\n';
        std::cout << properties;
        return EXIT_OK;
    }
    catch (const ConfigError& e)
    {
        std::cerr << "abandoned-cartd: " << _importPath << ": " << e.what() << '\n';
        return EXIT_DATAERR;
    }
    catch (const Poco::Exception& e)
    {
        std::cerr << "abandoned-cartd: cannot read " << _importPath << ": " << e.displayText() << '\n';
        return EXIT_NOINPUT;
    }
}

} // namespace acd
