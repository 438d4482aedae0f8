// config/Settings: the properties file (DESIGN §6). The input is a properties text laid over
// the keys a new installation must set, so that validation goes past "<key> is required".
#include "FuzzCheck.h"
#include "config/Settings.h"

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <sstream>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> file;
    try
    {
        std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
        file = new Poco::Util::PropertyFileConfiguration(in);
    }
    catch (const Poco::Exception&) // Poco's own reading of the file, before ours
    {
        return 0;
    }
    Poco::AutoPtr<Poco::Util::MapConfiguration> base = new Poco::Util::MapConfiguration;
    base->setString("retailServer.url", "https://contoso.commerce.dynamics.com");
    base->setString("retailServer.tenantId", "contoso.onmicrosoft.com");
    base->setString("retailServer.operatingUnitNumber", "128");
    base->setString("retailServer.appIdSecretName", "retail-app-id");
    base->setString("retailServer.appSecretSecretName", "retail-app-secret");
    base->setString("ledger.path", "/var/lib/abandoned-cartd/ledger.sqlite");
    base->setString("emarsys.externalEventId", "1234");
    base->setString("emarsys.clientIdSecretName", "emarsys-client-id");
    base->setString("emarsys.clientSecretSecretName", "emarsys-client-secret");
    Poco::AutoPtr<Poco::Util::LayeredConfiguration> config = new Poco::Util::LayeredConfiguration;
    config->add(Poco::Util::AbstractConfiguration::Ptr(file), 0);
    config->add(Poco::Util::AbstractConfiguration::Ptr(base), 1);

    std::vector<std::string> warnings;
    try
    {
        const acd::Settings settings = acd::Settings::load(*config, warnings);
        FUZZ_CHECK(!settings.retailServerUrl.empty() && settings.retailServerUrl.back() != '/',
                   settings.retailServerUrl);
    }
    catch (const acd::ConfigError& e)
    {
        const std::string message = e.what();
        FUZZ_CHECK(!message.empty(), "an empty ConfigError");
        FUZZ_CHECK(message.find_first_of("\r\n") == std::string::npos, "a message of two lines: " + message);
    }
    for (const std::string& warning : warnings)
        FUZZ_CHECK(warning.find_first_of("\r\n") == std::string::npos, "a warning of two lines: " + warning);
    return 0;
}
