#include "Handlers.h"
#include "Json.h"
#include "SimTime.h"

#include <Poco/MD5Engine.h>

namespace acd::sim {

namespace {

/// A stable version id per secret value, shaped like Key Vault's 32 hex characters.
std::string versionOf(const std::string& name, const std::string& value)
{
    Poco::MD5Engine md5;
    md5.update(name + '\n' + value);
    return Poco::DigestEngine::digestToHex(md5.digest());
}

} // namespace

std::string keyVaultChallenge(const SimContext& context)
{
    return "Bearer authorization=\"" + context.baseUrl() + "/" + context.settings().tenantId +
           "\", resource=\"https://vault.azure.net\"";
}

SimReply handleKeyVault(SimContext& context, const SimRequest& request, const std::string& secretPath)
{
    const ScenarioSettings settings = context.settings();
    const auto authorization = request.header("Authorization");
    const std::string scheme = "Bearer ";
    if (!authorization || authorization->compare(0, scheme.size(), scheme) != 0 ||
        !context.tokens.isValid(authorization->substr(scheme.size()), Audience::Vault))
    {
        SimReply reply =
            odataError(401, "Unauthorized",
                       authorization ? "AKV10032: Invalid issuer or token. The token is unknown, "
                                       "revoked, expired or not for https://vault.azure.net."
                                     : "AKV10000: Request is missing a Bearer or PoP token.");
        reply.headers.emplace_back("WWW-Authenticate", keyVaultChallenge(context));
        return reply;
    }
    if (!request.queryParam("api-version"))
        return odataError(400, "BadParameter", "The 'api-version' query parameter is missing.");

    const auto slash = secretPath.find('/');
    const std::string name = secretPath.substr(0, slash);
    const std::string askedVersion = slash == std::string::npos ? "" : secretPath.substr(slash + 1);
    const auto value = context.scenario.read([&](const Scenario& scenario) { return scenario.secret(name); });
    const std::string version = value ? versionOf(name, *value) : "";
    if (!value || (!askedVersion.empty() && askedVersion != version))
        return odataError(
            404, "SecretNotFound",
            "A secret with (name/id) " + secretPath +
                " was not found in this key vault. If you recently deleted this secret you may be "
                "able to recover it using the correct recovery command.");

    const std::string loaded = std::to_string(settings.loadedAtTicks / TicksPerSecond);
    return jsonReply(200, R"({"value":)" + jsonQuote(*value) + R"(,"id":)" +
                              jsonQuote(context.baseUrl() + "/secrets/" + name + "/" + version) +
                              R"(,"attributes":{"enabled":true,"created":)" + loaded + R"(,"updated":)" +
                              loaded +
                              R"(,"recoveryLevel":"Recoverable+Purgeable","recoverableDays":90},"tags":{}})");
}

} // namespace acd::sim
