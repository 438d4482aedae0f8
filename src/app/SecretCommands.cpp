#include "app/SecretCommands.h"

#include "app/Registry.h"
#include "net/HttpClient.h"
#include "secrets/SecretStore.h"

#include <Poco/Util/Application.h>

#include <iostream>
#include <utility>
#include <vector>

namespace acd {

namespace {

/// The secrets this configuration uses, as (key naming it, secret name).
std::vector<std::pair<std::string, std::string>> configuredSecrets(const Settings& s)
{
    std::vector<std::pair<std::string, std::string>> names{
        {"retailServer.appIdSecretName", s.appIdSecretName},
        {"retailServer.appSecretSecretName", s.appSecretSecretName},
    };
    if (s.provider == "emarsys")
    {
        names.emplace_back("emarsys.apiUserNameSecretName", s.emarsysUserSecretName);
        names.emplace_back("emarsys.apiSecretSecretName", s.emarsysSecretSecretName);
    }
    if (s.provider == "smtp" && !s.smtpUserSecretName.empty())
    {
        names.emplace_back("smtp.userSecretName", s.smtpUserSecretName);
        names.emplace_back("smtp.passwordSecretName", s.smtpPasswordSecretName);
    }
    if (s.adminPort != 0 && !s.adminTokenSecretName.empty())
        names.emplace_back("admin.tokenSecretName", s.adminTokenSecretName);
    return names;
}

struct SecretAccess
{
    explicit SecretAccess(const Settings& settings)
        : http(HttpClientOptions{std::chrono::seconds(settings.requestTimeoutSeconds),
                                 std::chrono::seconds(10), 1, true}),
          store(makeSecretStore(settings, http))
    {}
    HttpClient http;
    std::unique_ptr<SecretStore> store;
};

} // namespace

int secretSet(const Settings& settings, const std::string& name)
{
    std::string value;
    std::getline(std::cin, value);
    if (value.empty())
    {
        std::cerr << "abandoned-cartd: --secret-set=" << name << ": no value on standard input\n";
        return Poco::Util::Application::EXIT_DATAERR;
    }
    try
    {
        SecretAccess access(settings);
        const std::string source = access.store->store(name, value);
        std::cout << "secret '" << name << "' stored in " << source << '\n';
        return Poco::Util::Application::EXIT_OK;
    }
    catch (const std::exception& e)
    {
        std::cerr << "abandoned-cartd: " << e.what() << '\n';
        return Poco::Util::Application::EXIT_CANTCREAT;
    }
}

int secretList(const Settings& settings, const std::string&)
{
    SecretAccess access(settings);
    std::cout << "sources, in order: ";
    bool first = true;
    for (const std::string& source : access.store->sourceNames())
    {
        std::cout << (first ? "" : ", ") << source;
        first = false;
    }
    std::cout << '\n';
    for (const auto& [key, name] : configuredSecrets(settings))
    {
        std::string where;
        try
        {
            where = access.store->sourceOf(name);
        }
        catch (const std::exception&)
        {
            where = "(not found)";
        }
        std::cout << name << "  " << where << "  (" << key << ")\n";
    }
    return Poco::Util::Application::EXIT_OK;
}

int secretCheck(const Settings& settings, const std::string&)
{
    SecretAccess access(settings);
    int missing = 0;
    for (const auto& [key, name] : configuredSecrets(settings))
    {
        try
        {
            access.store->get(name);
            std::cout << "ok       " << name << "  from " << access.store->sourceOf(name) << '\n';
        }
        catch (const std::exception& e)
        {
            ++missing;
            std::cout << "MISSING  " << name << "  (" << key << "): " << e.what() << '\n';
        }
    }
    if (access.store->usedSealedCopy())
        std::cout << "warning: Key Vault could not be reached; sealed local copies are in use\n";
    return missing == 0 ? Poco::Util::Application::EXIT_OK : Poco::Util::Application::EXIT_UNAVAILABLE;
}

} // namespace acd
