#pragma once

#include "core/Timestamp.h"
#include "net/OAuthClientCredentials.h"
#include "net/TokenSource.h"

#include <functional>
#include <string>

namespace acd {

class HttpClient;

/// OAuth2 client-credentials tokens from Entra ID v2 (Retail Server): the generic flow with
/// the client's secret in the form body, at `{authority}/{tenant}/oauth2/v2.0/token`.
/// A token is reused until 5 minutes before it expires. Not thread-safe, like HttpClient.
class EntraTokenClient : public TokenSource
{
public:
    using Clock = std::function<Timestamp()>;

    /// `authority` is e.g. https://login.microsoftonline.com, `scope` e.g.
    /// https://commerce.dynamics.com/.default. `clock` is there for tests.
    EntraTokenClient(HttpClient& http, std::string authority, std::string tenantId, std::string clientId,
                     std::string clientSecret, std::string scope, Clock clock = &Timestamp::now);

    /// A valid access token, fetched only when the cached one is missing or about to expire.
    /// Throws TokenError.
    std::string token() override;

    /// Forgets the cached token (the server refused it), so the next token() fetches one.
    void invalidate() override;

private:
    OAuthClientCredentials _tokens;
};

} // namespace acd
