#include "app/SecretCommands.h"

#include "app/Registry.h"
#include "net/HttpClient.h"
#include "secrets/SecretStore.h"

#include <Poco/Util/Application.h>

#include <algorithm>
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
    if (s.provider == "emarsys" && s.emarsysAuth == "wsse")
    {
        names.emplace_back("emarsys.apiUserNameSecretName", s.emarsysUserSecretName);
        names.emplace_back("emarsys.apiSecretSecretName", s.emarsysSecretSecretName);
    }
    else if (s.provider == "emarsys")
    {
        names.emplace_back("emarsys.clientIdSecretName", s.emarsysClientIdSecretName);
        names.emplace_back("emarsys.clientSecretSecretName", s.emarsysClientSecretSecretName);
    }
    if (s.provider == "sendgrid")
        names.emplace_back("sendgrid.apiKeySecretName", s.sendgridApiKeySecretName);
    if (s.provider == "smtp" && !s.smtpUserSecretName.empty())
    {
        names.emplace_back("smtp.userSecretName", s.smtpUserSecretName);
        names.emplace_back("smtp.passwordSecretName", s.smtpPasswordSecretName);
    }
    if (s.provider == "mandrill")
        names.emplace_back("mandrill.apiKeySecretName", s.mandrillApiKeySecretName);
    if (s.provider == "mailchimp")
        names.emplace_back("mailchimp.apiKeySecretName", s.mailchimpApiKeySecretName);
    if (s.adminPort != 0 && !s.adminTokenSecretName.empty())
        names.emplace_back("admin.tokenSecretName", s.adminTokenSecretName);
    return names;
}

/// "42 s", "17 min", "3 h 5 min", "12 d 4 h": how long ago `then` was, to the unit that matters.
std::string ageOf(Timestamp then, Timestamp now)
{
    const std::int64_t seconds = std::max<std::int64_t>(0, now.unixSeconds() - then.unixSeconds());
    if (seconds < 60)
        return std::to_string(seconds) + " s";
    if (seconds < 3600)
        return std::to_string(seconds / 60) + " min";
    if (seconds < 86400)
        return std::to_string(seconds / 3600) + " h " + std::to_string(seconds % 3600 / 60) + " min";
    return std::to_string(seconds / 86400) + " d " + std::to_string(seconds % 86400 / 3600) + " h";
}

/// "from keyvault, read 0 s ago", or for a sealed copy
/// "from keyvault (sealed copy, sealed 2 h 5 min ago, at 2026-11-25T12:00:00Z)".
std::string describe(const SecretStatus& status, Timestamp now)
{
    std::string text = "from " + status.source;
    if (!status.sealed)
        return text + ", read " + ageOf(status.readAt, now) + " ago";
    if (!status.sealedAt)
        return text + " (sealed copy, sealed at an unknown time)";
    return text + " (sealed copy, sealed " + ageOf(*status.sealedAt, now) + " ago, at " +
           status.sealedAt->toIsoSeconds() + ")";
}

struct SecretAccess
{
    explicit SecretAccess(const Settings& settings)
        : http(httpOptions(settings, 1)), store(makeSecretStore(settings, http))
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
            const SecretStatus status = access.store->status(name);
            std::cout << "ok       " << name << "  " << describe(status, Timestamp::now()) << '\n';
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
