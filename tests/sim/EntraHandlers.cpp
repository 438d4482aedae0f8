#include "Handlers.h"
#include "Json.h"

#include <Poco/Exception.h>
#include <Poco/String.h>

#include <iostream>

namespace acd::sim {

namespace {

constexpr const char* VaultAudience = "https://vault.azure.net";
/// The one api-version Azure Arc's agent (himds) documents for its token endpoint.
constexpr const char* ArcApiVersion = "2019-11-01";

SimReply entraError(int status, const std::string& error, const std::string& description)
{
    return jsonReply(status, R"({"error":)" + jsonQuote(error) + R"(,"error_description":)" +
                                 jsonQuote(description) + "}");
}

Audience audienceOf(std::string resource)
{
    if (!resource.empty() && resource.back() == '/')
        resource.pop_back();
    return resource == VaultAudience ? Audience::Vault : Audience::Retail;
}

} // namespace

SimReply handleToken(SimContext& context, const SimRequest& request, const std::string& tenant)
{
    const ScenarioSettings settings = context.settings();
    if (tenant != settings.tenantId)
        return entraError(400, "invalid_request", "AADSTS90002: Tenant '" + tenant + "' not found.");
    const std::string contentType = request.header("Content-Type").value_or("");
    if (Poco::icompare(contentType.substr(0, 33), "application/x-www-form-urlencoded") != 0)
        return entraError(400, "invalid_request",
                          "AADSTS900144: The request body must be application/x-www-form-urlencoded.");

    auto form = parseForm(request.body);
    for (const char* name : {"grant_type", "client_id", "scope"})
    {
        if (form[name].empty())
            return entraError(
                400, "invalid_request",
                std::string("AADSTS900144: The request body must contain the following parameter: '") + name +
                    "'.");
    }
    if (form["grant_type"] != "client_credentials")
        return entraError(400, "unsupported_grant_type",
                          "AADSTS70003: The app requested an unsupported grant type '" + form["grant_type"] +
                              "'.");
    // The Retail Server app, or the Key Vault reader when the scenario has a separate one.
    const bool reader =
        !settings.vaultReaderClientId.empty() && form["client_id"] == settings.vaultReaderClientId;
    if (form["client_id"] != settings.clientId && !reader)
        return entraError(401, "invalid_client",
                          "AADSTS700016: Application with identifier '" + form["client_id"] +
                              "' was not found in the directory '" + tenant + "'.");
    if (form["client_secret"] != (reader ? settings.vaultReaderClientSecret : settings.clientSecret))
        return entraError(
            401, "invalid_client",
            "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
            "request is the client secret value, not the client secret ID.");
    const std::string& scope = form["scope"];
    const std::string suffix = "/.default";
    if (scope.size() <= suffix.size() ||
        scope.compare(scope.size() - suffix.size(), suffix.size(), suffix) != 0)
        return entraError(400, "invalid_scope",
                          "AADSTS1002012: The provided value for scope " + scope +
                              " is not valid. Client credential flows must have a scope value with /.default "
                              "suffixed to the resource identifier (application ID URI).");

    const auto issued = context.tokens.issue(audienceOf(scope.substr(0, scope.size() - suffix.size())));
    return jsonReply(200, R"({"token_type":"Bearer","expires_in":)" + std::to_string(issued.expiresIn) +
                              R"(,"ext_expires_in":)" + std::to_string(issued.expiresIn) +
                              R"(,"access_token":)" + jsonQuote(issued.token) + "}");
}

SimReply handleManagedIdentity(SimContext& context, const SimRequest& request)
{
    if (request.header("Metadata").value_or("") != "true")
        return entraError(400, "invalid_request", "Required metadata header not specified");
    const auto apiVersion = request.queryParam("api-version");
    if (!apiVersion || apiVersion->empty())
        return entraError(400, "invalid_request", "Required query variable 'api-version' is missing");
    const auto resource = request.queryParam("resource");
    if (!resource || resource->empty())
        return entraError(400, "invalid_request", "Required query variable 'resource' is missing");

    const auto authorization = request.header("Authorization");
    bool arc = false;
    switch (context.settings().managedIdentity)
    {
    case ManagedIdentityFlow::Imds:
        break;
    case ManagedIdentityFlow::Arc:
        arc = true;
        break;
    case ManagedIdentityFlow::Auto:
        arc = *apiVersion == ArcApiVersion || authorization.has_value();
        break;
    }
    // Azure Arc is documented with this api-version only: the simulator refuses any other (IMDS's
    // 2018-02-01, say) before the challenge, so a client asking another one never gets a token.
    if (arc && *apiVersion != ArcApiVersion)
        return entraError(400, "invalid_request",
                          "Invalid API version '" + *apiVersion + "': Azure Arc supports api-version " +
                              ArcApiVersion);
    if (arc && !(authorization && context.arc.accepts(*authorization)))
    {
        std::string keyFile;
        try
        {
            keyFile = context.arc.keyFilePath();
        }
        catch (const Poco::Exception& e)
        {
            std::cerr << "commerce-sim: " << e.displayText() << std::endl;
            return entraError(500, "server_error", "the simulator could not write its Azure Arc key file");
        }
        SimReply reply =
            entraError(401, "invalid_request",
                       authorization ? "The Basic key does not match the challenge file"
                                     : "Authorization with the key from the challenge file is required");
        reply.headers.emplace_back("WWW-Authenticate", "Basic realm=" + keyFile);
        return reply;
    }

    const auto issued = context.tokens.issue(audienceOf(*resource));
    const std::string expiresIn = std::to_string(issued.expiresIn);
    // IMDS writes its numbers as strings.
    return jsonReply(200, R"({"access_token":)" + jsonQuote(issued.token) +
                              R"(,"client_id":"00000000-0000-0000-0000-00000000c0de","expires_in":")" +
                              expiresIn + R"(","expires_on":")" + std::to_string(issued.expiresOnUnix) +
                              R"(","ext_expires_in":")" + expiresIn + R"(","not_before":")" +
                              std::to_string(issued.expiresOnUnix - issued.expiresIn) + R"(","resource":)" +
                              jsonQuote(*resource) + R"(,"token_type":"Bearer"})");
}

} // namespace acd::sim
