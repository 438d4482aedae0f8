#pragma once

#include "config/Settings.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>

#include <map>
#include <string>
#include <vector>

/// Configurations as key → value maps, loaded through Settings::load as a file would be.
namespace acd::test {

using Values = std::map<std::string, std::string>;

/// The keys a new installation must set for the default provider (emarsys, oauth2).
inline Values required()
{
    return {
        {"retailServer.url", "https://contoso.commerce.dynamics.com"},
        {"retailServer.tenantId", "contoso.onmicrosoft.com"},
        {"retailServer.operatingUnitNumber", "128"},
        {"retailServer.appIdSecretName", "retail-app-id"},
        {"retailServer.appSecretSecretName", "retail-app-secret"},
        {"ledger.path", "/var/lib/abandoned-cartd/ledger.sqlite"},
        {"emarsys.externalEventId", "1234"},
        {"emarsys.clientIdSecretName", "emarsys-client-id"},
        {"emarsys.clientSecretSecretName", "emarsys-client-secret"},
    };
}

inline Values with(Values values, const Values& changes)
{
    for (const auto& [key, value] : changes)
        values[key] = value;
    return values;
}

inline Values without(Values values, const std::string& key)
{
    values.erase(key);
    return values;
}

inline Settings load(const Values& values, std::vector<std::string>& warnings)
{
    Poco::AutoPtr<Poco::Util::MapConfiguration> config = new Poco::Util::MapConfiguration;
    for (const auto& [key, value] : values)
        config->setString(key, value);
    return Settings::load(*config, warnings);
}

inline Settings load(const Values& values)
{
    std::vector<std::string> warnings;
    return load(values, warnings);
}

inline std::string errorOf(const Values& values)
{
    try
    {
        load(values);
    }
    catch (const ConfigError& e)
    {
        return e.what();
    }
    return "(no error)";
}

} // namespace acd::test
