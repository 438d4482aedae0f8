#include "Handlers.h"
#include "Json.h"
#include "SimTime.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>

#include <sstream>
#include <utility>

namespace acd::sim {

namespace {

SimReply oauthError(int status, const std::string& error, const std::string& description)
{
    return jsonReply(status, R"({"error":)" + jsonQuote(error) + R"(,"error_description":)" +
                                 jsonQuote(description) + "}");
}

bool startsWithNoCase(const std::string& text, const std::string& prefix)
{
    return text.size() >= prefix.size() && Poco::icompare(text.substr(0, prefix.size()), prefix) == 0;
}

/// `Authorization: Basic base64(client_id:client_secret)` as (client_id, client_secret); nothing
/// when the header is absent or not of that form.
std::optional<std::pair<std::string, std::string>> basicCredentials(const SimRequest& request)
{
    const std::string scheme = "Basic ";
    const auto authorization = request.header("Authorization");
    if (!authorization || !startsWithNoCase(*authorization, scheme))
        return std::nullopt;
    std::string decoded;
    try
    {
        std::istringstream encoded(Poco::trim(authorization->substr(scheme.size())));
        Poco::Base64Decoder decoder(encoded);
        Poco::StreamCopier::copyToString(decoder, decoded);
    }
    catch (const Poco::Exception&)
    {
        return std::nullopt;
    }
    const auto colon = decoded.find(':');
    if (colon == std::string::npos)
        return std::nullopt;
    return std::make_pair(decoded.substr(0, colon), decoded.substr(colon + 1));
}

} // namespace

SimReply handleEmarsysToken(SimContext& context, const SimRequest& request)
{
    const ScenarioSettings settings = context.settings();
    const auto credentials = basicCredentials(request);
    const bool authenticated = credentials && credentials->first == settings.emarsysClientId &&
                               credentials->second == settings.emarsysClientSecret;
    // Counted before any other check: the limit is on what the client asks, so a fetch refused
    // for its body still uses up the client's allowance.
    const bool withinLimit =
        !authenticated || context.emarsys.fetchToken(nowTicks(), settings.emarsysTokenFetchesPerMinute,
                                                     settings.emarsysTokenFetchesPerHour);

    const std::string contentType = request.header("Content-Type").value_or("");
    if (!startsWithNoCase(contentType, "application/x-www-form-urlencoded"))
        return oauthError(400, "invalid_request",
                          "The request body must be application/x-www-form-urlencoded");
    auto form = parseForm(request.body);
    if (form.count("client_id") || form.count("client_secret"))
        return oauthError(400, "invalid_request",
                          "Client credentials must be sent in the Authorization: Basic header, not in the "
                          "request body");
    if (form["grant_type"].empty())
        return oauthError(400, "invalid_request", "The request body must contain grant_type");
    if (form["grant_type"] != "client_credentials")
        return oauthError(400, "unsupported_grant_type",
                          "The grant type '" + form["grant_type"] + "' is not supported");
    if (!credentials)
        return oauthError(
            401, "invalid_client",
            "Client authentication requires Authorization: Basic base64(client_id:client_secret)");
    if (!authenticated)
        return oauthError(401, "invalid_client", "Client authentication failed");
    if (!withinLimit)
        return oauthError(429, "too_many_requests",
                          "Token request limit exceeded: " +
                              std::to_string(settings.emarsysTokenFetchesPerMinute) + " a minute and " +
                              std::to_string(settings.emarsysTokenFetchesPerHour) + " an hour per client");

    const auto issued = context.tokens.issue(Audience::Emarsys);
    context.log.count("emarsysTokensIssued", 1);
    return jsonReply(200, R"({"access_token":)" + jsonQuote(issued.token) +
                              R"(,"token_type":"bearer","expires_in":)" + std::to_string(issued.expiresIn) +
                              "}");
}

std::optional<std::string> emarsysBearerProblem(const SimContext& context, const SimRequest& request)
{
    // Strict on purpose: a client that still sends its WSSE header has not finished moving.
    if (request.header("X-WSSE"))
        return "the v3 API takes Authorization: Bearer only, and this request carries X-WSSE";
    const auto authorization = request.header("Authorization");
    if (!authorization)
        return "the Authorization header is missing (the v3 API takes Authorization: Bearer <token>)";
    const std::string scheme = "Bearer ";
    if (authorization->size() <= scheme.size() || !startsWithNoCase(*authorization, scheme))
        return "Authorization is not 'Bearer <token>'";
    switch (context.tokens.check(authorization->substr(scheme.size()), Audience::Emarsys))
    {
    case TokenStore::Check::Valid:
        return std::nullopt;
    case TokenStore::Check::OtherAudience:
        return "the bearer token is not from the Emarsys token endpoint (an Entra or managed identity token)";
    case TokenStore::Check::Expired:
        return "the bearer token has expired";
    case TokenStore::Check::Unknown:
        break;
    }
    return "the bearer token is unknown or was revoked";
}

} // namespace acd::sim
