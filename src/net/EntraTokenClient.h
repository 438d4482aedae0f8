#pragma once

#include "core/Timestamp.h"
#include "net/OAuthClientCredentials.h"

#include <functional>
#include <string>

namespace acd {

class HttpClient;

/// Entra ID v2's token endpoint of a tenant: `{authority}/{tenant}/oauth2/v2.0/token`.
std::string entraTokenUrl(const std::string& authority, const std::string& tenantId);

/// Entra ID v2 client credentials for `scope` (e.g. https://commerce.dynamics.com/.default,
/// https://vault.azure.net/.default): the token URL, the client id in the form body, messages
/// that name the authority and tenant. The caller adds the client secret or the client
/// assertion. Throws std::invalid_argument naming what is empty.
OAuthClientCredentialsOptions entraClientCredentials(const std::string& authority,
                                                     const std::string& tenantId, std::string clientId,
                                                     std::string scope);

/// Entra ID v2 tokens with a client secret, as Retail Server takes them (DESIGN §3): the one
/// client-credentials flow of OAuthClientCredentials, at Entra's token URL.
/// A token is reused until 5 minutes before it expires. Not thread-safe, like HttpClient.
class EntraTokenClient : public OAuthClientCredentials
{
public:
    using Clock = std::function<Timestamp()>;

    /// `authority` is e.g. https://login.microsoftonline.com, `scope` e.g.
    /// https://commerce.dynamics.com/.default. `clock` is there for tests.
    EntraTokenClient(HttpClient& http, const std::string& authority, const std::string& tenantId,
                     std::string clientId, std::string clientSecret, std::string scope,
                     Clock clock = &Timestamp::now);
};

} // namespace acd
