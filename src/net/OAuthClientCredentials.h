#pragma once

#include "core/Timestamp.h"
#include "net/TokenSource.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace acd {

class HttpClient;
struct HttpRequest;
struct HttpResponse;

struct OAuthClientCredentialsOptions
{
    std::string tokenUrl;
    std::string clientId;
    /// The client's secret, or empty when a clientAssertion proves who the client is.
    std::string clientSecret;
    /// Certificate credentials (RFC 7523, Entra's "certificate credentials"): a signed JWT made
    /// for each request, sent as client_assertion instead of a secret.
    std::function<std::string(Timestamp now)> clientAssertion;
    std::string scope; // "" = none sent
    /// RFC 6749 §2.3.1: the client's id and secret in `Authorization: Basic` (Emarsys), or in
    /// the form body (Entra ID).
    bool credentialsInBasicHeader = false;
    /// The start of every error message, e.g. "Emarsys token request to https://…".
    std::string what;
    /// Keeps the token across processes; null = this process only.
    std::unique_ptr<TokenCache> cache;
    std::function<Timestamp()> clock = &Timestamp::now;
    /// Told once when the cache cannot keep a token (the next process then fetches its own).
    std::function<void(const std::string&)> warn;
};

/// OAuth 2.0 client-credentials tokens (`grant_type=client_credentials`) with a client secret or
/// a client assertion: the one implementation for Emarsys, Retail Server's and Key Vault's Entra
/// tokens. Tokens are kept by a TokenKeeper (until 5 minutes before they expire, in the cache
/// when one is given). Throws TokenError: refused() for credentials the service turned down,
/// otherwise an outage, throttling or a reply without a token. The secret, the assertion and
/// the token never appear in a message.
class OAuthClientCredentials : public TokenSource
{
public:
    /// Throws std::invalid_argument naming what is empty.
    OAuthClientCredentials(HttpClient& http, OAuthClientCredentialsOptions options);

    std::string token() override;
    void invalidate() override;

private:
    IssuedToken fetch(Timestamp requestedAt);

    HttpClient& _http;
    OAuthClientCredentialsOptions _options;
    TokenKeeper _keeper;
};

/// Sends a token request and reads its reply with readTokenReply(). No answer is a TokenError
/// of kind Unreachable, starting with `what`.
IssuedToken requestToken(HttpClient& http, const HttpRequest& request, const std::string& what, Timestamp now,
                         const std::vector<std::string>& secrets = {});

/// The token of an OAuth 2.0 token reply (RFC 6749 §5.1), the way Entra, Emarsys and the
/// managed identity endpoints write it: `access_token` with `expires_in` (a number or a string
/// of digits) or else `expires_on` (Unix seconds); a lifetime over a day counts as a day.
/// Anything else throws TokenError starting with
/// `what`: 429 Throttled; 5xx Unreachable; 401, 403 and OAuth's credential errors (invalid_client,
/// unauthorized_client, invalid_grant, invalid_scope) Refused; other statuses Rejected, with
/// `error` and one line of `error_description`; a 200 without a token Malformed. Each of
/// `secrets`, and its percent-encoded form, is blanked out of the message.
IssuedToken readTokenReply(const HttpResponse& response, const std::string& what, Timestamp now,
                           const std::vector<std::string>& secrets = {});

} // namespace acd
