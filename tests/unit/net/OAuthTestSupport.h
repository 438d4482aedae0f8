#pragma once
// What the OAuthClientCredentials tests share: the client's awkward credentials, fake token
// services, a clock to move, and a token cache whose failures a test chooses.
#include "FakeHttpServer.h"
#include "net/HttpClient.h"
#include "net/OAuthClientCredentials.h"

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace acd::test::oauth {

// Characters that are form syntax ('&', '=', '+'), a path separator, a space and UTF-8: each
// has to be encoded, and each is a way for a half-done redaction to let part of it through.
inline const std::string ClientId = "emarsys client";
inline const std::string Secret = "s3cr&t=+/ \u00e9%";
inline const std::string EncodedSecret = "s3cr%26t%3D%2B%2F%20%C3%A9%25";
// base64("emarsys client:s3cr&t=+/ é%"), worked out apart from the code under test.
inline const std::string BasicValue = "Basic ZW1hcnN5cyBjbGllbnQ6czNjciZ0PSsvIMOpJQ==";

/// Answers with tok-1, tok-2, … valid for `lifetime` seconds.
inline FakeHttpServer::Handler issuing(int lifetime)
{
    auto issued = std::make_shared<int>(0);
    return [issued, lifetime](const FakeRequest&) {
        FakeReply reply;
        reply.body = R"({"token_type":"bearer","expires_in":)" + std::to_string(lifetime) +
                     R"(,"access_token":"tok-)" + std::to_string(++*issued) + "\"}";
        return reply;
    };
}

inline FakeHttpServer::Handler answering(int status, std::string body)
{
    return [status, body](const FakeRequest&) {
        FakeReply reply;
        reply.status = status;
        reply.body = body;
        return reply;
    };
}

struct Clock
{
    Timestamp now = Timestamp::fromUnixSeconds(1'800'000'000);
    std::function<Timestamp()> function()
    {
        return [this] { return now; };
    }
};

/// What the processes of one installation share: the kept token, and how the cache fails.
struct CacheState
{
    std::optional<CachedToken> kept;
    int stores = 0;
    int clears = 0;
    bool loadThrows = false;
    bool storeThrows = false;
    bool clearThrows = false;
};

class FakeCache : public TokenCache
{
public:
    explicit FakeCache(std::shared_ptr<CacheState> state) : _state(std::move(state)) {}

    std::optional<CachedToken> load() override
    {
        if (_state->loadThrows)
            throw std::runtime_error("cache unreadable (test)");
        return _state->kept;
    }
    void store(const CachedToken& token) override
    {
        ++_state->stores;
        if (_state->storeThrows)
            throw std::runtime_error("cache full (test)");
        _state->kept = token;
    }
    void clear() override
    {
        ++_state->clears;
        if (_state->clearThrows)
            throw std::runtime_error("cache locked (test)");
        _state->kept.reset();
    }

private:
    std::shared_ptr<CacheState> _state;
};

inline OAuthClientCredentialsOptions optionsFor(const std::string& tokenUrl, Clock& clock, bool basic = true)
{
    OAuthClientCredentialsOptions options;
    options.tokenUrl = tokenUrl;
    options.clientId = ClientId;
    options.clientSecret = Secret;
    options.credentialsInBasicHeader = basic;
    options.what = "Test token request to " + tokenUrl;
    options.clock = clock.function();
    return options;
}

inline OAuthClientCredentialsOptions cachedOptionsFor(const std::string& tokenUrl, Clock& clock,
                                                      const std::shared_ptr<CacheState>& cache)
{
    auto options = optionsFor(tokenUrl, clock);
    options.cache = std::make_unique<FakeCache>(cache);
    return options;
}

inline std::optional<TokenError> tokenErrorOf(TokenSource& tokens)
{
    try
    {
        tokens.token();
    }
    catch (const TokenError& e)
    {
        return e;
    }
    return std::nullopt;
}

/// The TokenError that a token service answering `status` and `body` leads to.
inline std::optional<TokenError> errorFor(int status, const std::string& body, bool basic = true,
                                          const std::string& secret = Secret)
{
    FakeHttpServer server(answering(status, body));
    HttpClient http;
    Clock clock;
    auto options = optionsFor(server.url(), clock, basic);
    options.clientSecret = secret;
    OAuthClientCredentials tokens(http, std::move(options));
    return tokenErrorOf(tokens);
}

inline bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace acd::test::oauth
