// commerce-sim: Retail Server, Entra ID, Emarsys, Key Vault and managed identity on one
// loopback port, for the integration tests, the demo and the benchmark (tests/sim/README.md).

#include "Generator.h"
#include "Json.h"
#include "Scenario.h"
#include "SimServer.h"
#include "SimTime.h"

#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/NumberParser.h>
#include <Poco/Path.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#include <iostream>
#include <map>

namespace acd::sim {

namespace {

// Enough that a client's parallel requests are not serialised behind --latency-ms.
constexpr int ServerThreads = 64;

int parseCount(const std::string& option, const std::string& value, int max)
{
    int parsed;
    if (!Poco::NumberParser::tryParse(value, parsed) || parsed < 0 || parsed > max)
        throw SimError("--" + option + "=" + value + ": expected an integer from 0 to " +
                       std::to_string(max));
    return parsed;
}

std::string readFile(const std::string& path)
{
    try
    {
        Poco::FileInputStream in(path);
        std::string text;
        Poco::StreamCopier::copyToString(in, text);
        return text;
    }
    catch (const Poco::Exception& e)
    {
        throw SimError("cannot read scenario file " + path + ": " + e.displayText());
    }
}

/// Written under a temporary name and renamed, so that a reader never sees half a number.
void writePortFile(const std::string& path, int port)
{
    const std::string temporary = path + ".tmp." + std::to_string(Poco::Process::id());
    {
        Poco::FileOutputStream out(temporary);
        out << port << '\n';
    }
    Poco::File(temporary).renameTo(path);
}

} // namespace

class CommerceSimApp : public Poco::Util::ServerApplication
{
protected:
    void defineOptions(Poco::Util::OptionSet& options) override
    {
        ServerApplication::defineOptions(options);
        using Poco::Util::Option;
        options.addOption(Option("help", "h", "show the options and exit"));
        options.addOption(
            Option("scenario", "", "scenario JSON file (optional with --generate)").argument("FILE"));
        options.addOption(Option("port", "", "port on 127.0.0.1 (default 0: any free port)").argument("N"));
        options.addOption(
            Option("port-file", "", "write the port number to this file once listening").argument("PATH"));
        options.addOption(Option("latency-ms", "", "delay added to every simulated reply").argument("N"));
        options.addOption(
            Option("generate", "", "carts=N[,customers=N][,products=N][,seed=N]: add generated data")
                .argument("SPEC"));
        options.addOption(
            Option("arc-key-dir", "", "directory for the Azure Arc challenge key file").argument("DIR"));
    }

    void handleOption(const std::string& name, const std::string& value) override
    {
        ServerApplication::handleOption(name, value);
        if (name == "help")
        {
            _help = true;
            stopOptionsProcessing();
        }
        else
        {
            _options[name] = value;
        }
    }

    int main(const std::vector<std::string>& arguments) override
    {
        if (_help)
        {
            Poco::Util::HelpFormatter help(options());
            help.setCommand(commandName());
            help.setUsage("--scenario=FILE.json [--port=0] [--port-file=PATH] [--latency-ms=N] "
                          "[--generate=carts=N,...] [--arc-key-dir=DIR]");
            help.setHeader("Simulates Retail Server, Entra ID, Emarsys and Key Vault on 127.0.0.1.");
            help.format(std::cout);
            return EXIT_OK;
        }
        if (!arguments.empty())
        {
            std::cerr << "commerce-sim: unexpected argument '" << arguments.front() << "'" << std::endl;
            return EXIT_USAGE;
        }
        try
        {
            return serve();
        }
        catch (const SimError& e)
        {
            std::cerr << "commerce-sim: " << e.what() << std::endl;
            return EXIT_USAGE;
        }
        catch (const Poco::Exception& e)
        {
            std::cerr << "commerce-sim: " << e.displayText() << std::endl;
            return EXIT_SOFTWARE;
        }
    }

private:
    std::string option(const std::string& name, const std::string& fallback = "") const
    {
        const auto it = _options.find(name);
        return it == _options.end() ? fallback : it->second;
    }

    int serve()
    {
        std::optional<GenerateSpec> generate;
        if (_options.count("generate"))
            generate = GenerateSpec::parse(option("generate"));
        if (!_options.count("scenario") && !generate)
            throw SimError("--scenario=FILE.json is required (or --generate=carts=N)");
        const int port = parseCount("port", option("port", "0"), 65535);
        const int latencyMs = parseCount("latency-ms", option("latency-ms", "0"), 600'000);

        const std::string scenarioText = _options.count("scenario") ? readFile(option("scenario")) : "{}";
        auto scenario = Scenario::load(parseJsonObject(scenarioText, "scenario " + option("scenario", "{}")),
                                       generate, nowTicks());

        SimContext context(option("arc-key-dir", Poco::Path::temp()), latencyMs);
        context.scenario.replace(std::move(scenario));

        Poco::Net::ServerSocket socket(
            Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
        context.port = socket.address().port();
        Poco::ThreadPool pool(4, ServerThreads + 4);
        auto* params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(ServerThreads);
        params->setMaxQueued(1000);
        params->setKeepAlive(true);
        Poco::Net::HTTPServer server(new SimHandlerFactory(context), pool, socket, params);
        server.start();

        if (_options.count("port-file"))
            writePortFile(option("port-file"), context.port);
        std::cout << "commerce-sim listening on " << context.baseUrl() << std::endl;

        waitForTerminationRequest();
        context.stopping.set();
        server.stopAll(true);
        pool.joinAll();
        return EXIT_OK;
    }

    bool _help = false;
    std::map<std::string, std::string> _options;
};

} // namespace acd::sim

POCO_SERVER_MAIN(acd::sim::CommerceSimApp)
