#pragma once

#include "core/Timestamp.h"

#include <functional>
#include <stdexcept>
#include <string>

namespace acd {

class HttpClient;

/// No token could be had. The message names the authority and, when Entra answered,
/// its `error` and `error_description`; never the client secret.
class TokenError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// OAuth2 client-credentials tokens from Entra ID v2 (Retail Server, Key Vault).
/// A token is reused until 5 minutes before it expires. Not thread-safe, like HttpClient.
class EntraTokenClient
{
public:
    using Clock = std::function<Timestamp()>;

    /// `authority` is e.g. https://login.microsoftonline.com, `scope` e.g.
    /// https://commerce.dynamics.com/.default. `clock` is there for tests.
    EntraTokenClient(HttpClient& http, std::string authority, std::string tenantId, std::string clientId,
                     std::string clientSecret, std::string scope, Clock clock = &Timestamp::now);

    /// A valid access token, fetched only when the cached one is missing or about to expire.
    /// Throws TokenError.
    std::string token();

    /// Forgets the cached token (the server refused it), so the next token() fetches one.
    void invalidate();

private:
    [[noreturn]] void fail(const std::string& reason) const;

    HttpClient& _http;
    std::string _authority;
    std::string _tenantId;
    std::string _clientId;
    std::string _clientSecret;
    std::string _scope;
    Clock _clock;
    std::string _token;
    Timestamp _refreshAt; // when the cached token stops being handed out
};

} // namespace acd
