#pragma once

#include "core/Timestamp.h"
#include "net/TokenSource.h"

#include <functional>
#include <memory>
#include <string>

namespace acd {

class HttpClient;

struct OAuthClientCredentialsOptions
{
    std::string tokenUrl;
    std::string clientId;
    std::string clientSecret;
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

/// OAuth 2.0 client-credentials tokens (`grant_type=client_credentials`), each handed out until
/// 5 minutes before it expires (half its life when it lives less than 10 minutes), kept in the
/// cache when one is given so that the next process reuses it instead of fetching another: some
/// services allow only a few fetches an hour (Emarsys: 2 a minute, 10 an hour). Throws
/// TokenError: refused() for credentials the service turned down, otherwise an outage or
/// throttling. The secret and the token never appear in a message.
class OAuthClientCredentials : public TokenSource
{
public:
    /// Throws std::invalid_argument naming what is empty.
    OAuthClientCredentials(HttpClient& http, OAuthClientCredentialsOptions options);

    std::string token() override;
    void invalidate() override;

private:
    std::string fetch(Timestamp requestedAt);
    [[noreturn]] void fail(const std::string& reason, bool refused) const;
    void warnOnce(const std::string& line);

    HttpClient& _http;
    OAuthClientCredentialsOptions _options;
    std::string _owner; // digest of token URL and client id: a cached token of another client is not taken
    std::string _token;
    std::string _refused; // the last token the service refused
    Timestamp _refreshAt;
    bool _warned = false;
};

} // namespace acd
