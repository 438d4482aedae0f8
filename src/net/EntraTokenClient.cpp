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

OAuthClientCredentialsOptions entraOptions(std::string authority, const std::string& tenantId,
                                           std::string clientId, std::string clientSecret, std::string scope,
                                           EntraTokenClient::Clock clock)
{
    authority = withoutTrailingSlashes(std::move(authority));
    const std::pair<const char*, const std::string*> required[] = {
        {"authority", &authority}, {"tenant id", &tenantId}, {"scope", &scope}};
    for (const auto& [what, value] : required)
    {
        if (value->empty())
            throw std::invalid_argument(std::string("EntraTokenClient: the ") + what + " is empty");
    }
    OAuthClientCredentialsOptions options;
    options.tokenUrl = authority + "/" + percentEncode(tenantId) + "/oauth2/v2.0/token";
    options.clientId = std::move(clientId);
    options.clientSecret = std::move(clientSecret);
    options.scope = std::move(scope);
    options.what = "Entra token request to " + authority + " (tenant " + tenantId + ")";
    options.clock = std::move(clock);
    return options;
}

} // namespace

EntraTokenClient::EntraTokenClient(HttpClient& http, std::string authority, std::string tenantId,
                                   std::string clientId, std::string clientSecret, std::string scope,
                                   Clock clock)
    : _tokens(http, entraOptions(std::move(authority), tenantId, std::move(clientId), std::move(clientSecret),
                                 std::move(scope), std::move(clock)))
{}

std::string EntraTokenClient::token()
{
    return _tokens.token();
}

void EntraTokenClient::invalidate()
{
    _tokens.invalidate();
}

} // namespace acd
