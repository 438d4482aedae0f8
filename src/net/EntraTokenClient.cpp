#include "net/EntraTokenClient.h"

#include "net/UrlEncode.h"

#include <stdexcept>

namespace acd {

namespace {

std::string withoutTrailingSlashes(std::string text)
{
    while (!text.empty() && text.back() == '/')
        text.pop_back();
    return text;
}

OAuthClientCredentialsOptions withSecret(OAuthClientCredentialsOptions options, std::string clientSecret,
                                         EntraTokenClient::Clock clock)
{
    options.clientSecret = std::move(clientSecret);
    options.clock = std::move(clock);
    return options;
}

} // namespace

std::string entraTokenUrl(const std::string& authority, const std::string& tenantId)
{
    return withoutTrailingSlashes(authority) + "/" + percentEncode(tenantId) + "/oauth2/v2.0/token";
}

OAuthClientCredentialsOptions entraClientCredentials(const std::string& authority,
                                                     const std::string& tenantId, std::string clientId,
                                                     std::string scope)
{
    const std::string base = withoutTrailingSlashes(authority);
    const std::pair<const char*, const std::string*> required[] = {
        {"authority", &base}, {"tenant id", &tenantId}, {"scope", &scope}};
    for (const auto& [what, value] : required)
    {
        if (value->empty())
            throw std::invalid_argument(std::string("Entra client credentials: the ") + what + " is empty");
    }
    OAuthClientCredentialsOptions options;
    options.tokenUrl = entraTokenUrl(base, tenantId);
    options.clientId = std::move(clientId);
    options.scope = std::move(scope);
    options.what = "Entra token request to " + base + " (tenant " + tenantId + ")";
    return options;
}

EntraTokenClient::EntraTokenClient(HttpClient& http, const std::string& authority,
                                   const std::string& tenantId, std::string clientId,
                                   std::string clientSecret, std::string scope, Clock clock)
    : OAuthClientCredentials(
          http, withSecret(entraClientCredentials(authority, tenantId, std::move(clientId), std::move(scope)),
                           std::move(clientSecret), std::move(clock)))
{}

} // namespace acd
