#define BOOST_TEST_MODULE OAuthClientCredentials
#include <boost/test/unit_test.hpp>

#include "FakeHttpServer.h"
#include "net/HttpClient.h"
#include "net/OAuthClientCredentials.h"

#include <memory>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <vector>

using namespace acd;
using namespace acd::test;

namespace {

// Characters that are form syntax ('&', '=', '+'), a path separator, a space and UTF-8: each
// has to be encoded, and each is a way for a half-done redaction to let part of it through.
const std::string ClientId = "emarsys client";
const std::string Secret = "s3cr&t=+/ \u00e9%";
const std::string EncodedSecret = "s3cr%26t%3D%2B%2F%20%C3%A9%25";
// base64("emarsys client:s3cr&t=+/ é%"), worked out apart from the code under test.
const std::string BasicValue = "Basic ZW1hcnN5cyBjbGllbnQ6czNjciZ0PSsvIMOpJQ==";

/// Answers with tok-1, tok-2, … valid for `lifetime` seconds.
FakeHttpServer::Handler issuing(int lifetime)
{
    auto issued = std::make_shared<int>(0);
    return [issued, lifetime](const FakeRequest&) {
        FakeReply reply;
        reply.body = R"({"token_type":"bearer","expires_in":)" + std::to_string(lifetime) +
                     R"(,"access_token":"tok-)" + std::to_string(++*issued) + "\"}";
        return reply;
    };
}

FakeHttpServer::Handler answering(int status, std::string body)
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

OAuthClientCredentialsOptions optionsFor(const std::string& tokenUrl, Clock& clock, bool basic = true)
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

OAuthClientCredentialsOptions cachedOptionsFor(const std::string& tokenUrl, Clock& clock,
                                               const std::shared_ptr<CacheState>& cache)
{
    auto options = optionsFor(tokenUrl, clock);
    options.cache = std::make_unique<FakeCache>(cache);
    return options;
}

std::optional<TokenError> tokenErrorOf(TokenSource& tokens)
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
std::optional<TokenError> errorFor(int status, const std::string& body, bool basic = true,
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

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_CASE(basic_header_carries_id_and_secret_and_the_body_only_grant_and_scope)
{
    FakeHttpServer server(issuing(3600));
    HttpClient http;
    Clock clock;
    OAuthClientCredentials tokens(http, optionsFor(server.url() + "/oauth2/token", clock));
    BOOST_TEST(tokens.token() == "tok-1");

    const auto requests = server.requests();
    BOOST_REQUIRE(requests.size() == 1u);
    BOOST_TEST(requests[0].method == "POST");
    BOOST_TEST(requests[0].uri == "/oauth2/token");
    BOOST_TEST(requests[0].header("Content-Type") == "application/x-www-form-urlencoded");
    BOOST_TEST(requests[0].header("Authorization") == BasicValue);
    // DESIGN §4.1: the credentials go in the header, never in the body.
    BOOST_TEST(requests[0].body == "grant_type=client_credentials");

    auto scoped = optionsFor(server.url(), clock);
    scoped.scope = "events contacts/delete";
    OAuthClientCredentials withScope(http, std::move(scoped));
    withScope.token();
    BOOST_TEST(server.requests().at(1).body ==
               "grant_type=client_credentials&scope=events%20contacts%2Fdelete");
}

BOOST_AUTO_TEST_CASE(form_body_mode_sends_id_and_secret_percent_encoded)
{
    FakeHttpServer server(issuing(3600));
    HttpClient http;
    Clock clock;
    OAuthClientCredentials tokens(http, optionsFor(server.url(), clock, false));
    BOOST_TEST(tokens.token() == "tok-1");

    const auto requests = server.requests();
    BOOST_REQUIRE(requests.size() == 1u);
    BOOST_TEST(!requests[0].hasHeader("Authorization"));
    BOOST_TEST(requests[0].body ==
               "grant_type=client_credentials&client_id=emarsys%20client&client_secret=" + EncodedSecret);
}

BOOST_AUTO_TEST_CASE(token_is_reused_until_five_minutes_before_expiry_or_invalidated)
{
    FakeHttpServer server(issuing(3600));
    HttpClient http;
    Clock clock;
    OAuthClientCredentials tokens(http, optionsFor(server.url(), clock));
    const Timestamp start = clock.now;

    BOOST_TEST(tokens.token() == "tok-1");
    clock.now = start.plusSeconds(3600 - 301);
    BOOST_TEST(tokens.token() == "tok-1");
    BOOST_TEST(server.requestCount() == 1u);

    clock.now = start.plusSeconds(3600 - 300);
    BOOST_TEST(tokens.token() == "tok-2");
    BOOST_TEST(tokens.token() == "tok-2");
    BOOST_TEST(server.requestCount() == 2u);

    tokens.invalidate();
    BOOST_TEST(tokens.token() == "tok-3");
    BOOST_TEST(server.requestCount() == 3u);
}

BOOST_AUTO_TEST_CASE(short_lived_token_is_kept_half_its_life)
{
    FakeHttpServer server(issuing(120));
    HttpClient http;
    Clock clock;
    OAuthClientCredentials tokens(http, optionsFor(server.url(), clock));
    const Timestamp start = clock.now;

    BOOST_TEST(tokens.token() == "tok-1");
    clock.now = start.plusSeconds(59);
    BOOST_TEST(tokens.token() == "tok-1");
    clock.now = start.plusSeconds(60);
    BOOST_TEST(tokens.token() == "tok-2");
    BOOST_TEST(server.requestCount() == 2u);
}

BOOST_AUTO_TEST_CASE(a_second_process_sharing_the_cache_makes_no_request)
{
    FakeHttpServer server(issuing(3600));
    Clock clock;
    auto cache = std::make_shared<CacheState>();
    const Timestamp start = clock.now;
    {
        HttpClient http;
        OAuthClientCredentials first(http, cachedOptionsFor(server.url(), clock, cache));
        BOOST_TEST(first.token() == "tok-1");
    }
    BOOST_REQUIRE(cache->kept.has_value());
    BOOST_TEST(cache->kept->value == "tok-1");
    // Kept only as long as this process would hand it out itself: 5 minutes before expiry.
    BOOST_TEST((cache->kept->expiresAt == start.plusSeconds(3600 - 300)));
    // A digest: the owner says whose token it is without saying the client id or secret.
    BOOST_TEST(!cache->kept->owner.empty());
    BOOST_TEST(!contains(cache->kept->owner, ClientId));
    BOOST_TEST(!contains(cache->kept->owner, Secret));

    clock.now = start.plusSeconds(1800);
    HttpClient http;
    OAuthClientCredentials second(http, cachedOptionsFor(server.url(), clock, cache));
    BOOST_TEST(second.token() == "tok-1");
    BOOST_TEST(second.token() == "tok-1");
    BOOST_TEST(server.requestCount() == 1u);
}

BOOST_AUTO_TEST_CASE(a_cached_token_of_another_client_or_token_url_is_not_used)
{
    FakeHttpServer server(issuing(3600));
    Clock clock;
    auto cache = std::make_shared<CacheState>();
    HttpClient http;
    OAuthClientCredentials first(http, cachedOptionsFor(server.url() + "/a", clock, cache));
    BOOST_TEST(first.token() == "tok-1");
    const std::string firstOwner = cache->kept->owner;

    auto otherClient = cachedOptionsFor(server.url() + "/a", clock, cache);
    otherClient.clientId = "another client";
    OAuthClientCredentials second(http, std::move(otherClient));
    BOOST_TEST(second.token() == "tok-2");
    BOOST_TEST(server.requestCount() == 2u);
    BOOST_TEST(cache->kept->owner != firstOwner);
    const std::string secondOwner = cache->kept->owner;

    OAuthClientCredentials third(http, cachedOptionsFor(server.url() + "/b", clock, cache));
    BOOST_TEST(third.token() == "tok-3");
    BOOST_TEST(server.requestCount() == 3u);
    BOOST_TEST(cache->kept->owner != firstOwner);
    BOOST_TEST(cache->kept->owner != secondOwner);
}

BOOST_AUTO_TEST_CASE(an_expired_cached_token_is_not_used)
{
    FakeHttpServer server(issuing(3600));
    Clock clock;
    auto cache = std::make_shared<CacheState>();
    HttpClient http;
    {
        OAuthClientCredentials first(http, cachedOptionsFor(server.url(), clock, cache));
        BOOST_TEST(first.token() == "tok-1");
    }
    const Timestamp keptUntil = cache->kept->expiresAt;

    clock.now = keptUntil.plusSeconds(-1);
    {
        OAuthClientCredentials second(http, cachedOptionsFor(server.url(), clock, cache));
        BOOST_TEST(second.token() == "tok-1");
        BOOST_TEST(server.requestCount() == 1u);
    }

    clock.now = keptUntil;
    OAuthClientCredentials third(http, cachedOptionsFor(server.url(), clock, cache));
    BOOST_TEST(third.token() == "tok-2");
    BOOST_TEST(server.requestCount() == 2u);
    BOOST_TEST(cache->kept->value == "tok-2");
}

BOOST_AUTO_TEST_CASE(invalidate_clears_the_cache_so_the_next_process_fetches)
{
    FakeHttpServer server(issuing(3600));
    Clock clock;
    auto cache = std::make_shared<CacheState>();
    HttpClient http;
    OAuthClientCredentials first(http, cachedOptionsFor(server.url(), clock, cache));
    BOOST_TEST(first.token() == "tok-1");
    first.invalidate();
    BOOST_TEST(cache->clears == 1);
    BOOST_TEST(!cache->kept.has_value());

    OAuthClientCredentials second(http, cachedOptionsFor(server.url(), clock, cache));
    BOOST_TEST(second.token() == "tok-2");
    BOOST_TEST(server.requestCount() == 2u);
    // The refused token is not taken back from memory either.
    BOOST_TEST(first.token() == "tok-2");
    BOOST_TEST(server.requestCount() == 2u);
}

BOOST_AUTO_TEST_CASE(a_failing_cache_costs_a_fetch_and_one_warning_without_token_or_secret)
{
    using Failure = std::tuple<const char*, bool, bool>;
    for (const auto& [name, load, store] :
         {Failure{"load", true, false}, Failure{"store", false, true}, Failure{"both", true, true}})
    {
        BOOST_TEST_CONTEXT("failing " << name)
        {
            FakeHttpServer server(issuing(3600));
            Clock clock;
            auto cache = std::make_shared<CacheState>();
            cache->loadThrows = load;
            cache->storeThrows = store;
            std::vector<std::string> warnings;
            auto options = cachedOptionsFor(server.url(), clock, cache);
            options.warn = [&](const std::string& line) { warnings.push_back(line); };
            HttpClient http;
            OAuthClientCredentials tokens(http, std::move(options));

            BOOST_TEST(tokens.token() == "tok-1");
            BOOST_TEST(server.requestCount() == 1u);
            BOOST_TEST(warnings.size() == 1u);
            // The next refresh fails the same way; the log says it once, not every hour.
            clock.now = clock.now.plusSeconds(3600);
            BOOST_TEST(tokens.token() == "tok-2");
            tokens.invalidate();
            BOOST_TEST(tokens.token() == "tok-3");
            BOOST_TEST(warnings.size() == 1u);
            for (const auto& line : warnings)
            {
                BOOST_TEST(contains(line, "Test token request to"), line);
                BOOST_TEST(!contains(line, "tok-"), line);
                BOOST_TEST(!contains(line, Secret), line);
                BOOST_TEST(!contains(line, EncodedSecret), line);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(throttling_is_not_a_refusal_and_names_the_fetch_limit)
{
    FakeHttpServer server(answering(429, R"({"error":"too_many_requests"})"));
    HttpClient http;
    Clock clock;
    auto cache = std::make_shared<CacheState>();
    OAuthClientCredentials tokens(http, cachedOptionsFor(server.url(), clock, cache));
    const auto error = tokenErrorOf(tokens);
    BOOST_REQUIRE(error.has_value());
    const std::string message = error->what();
    BOOST_TEST(!error->refused(), message);
    BOOST_TEST(contains(message, "HTTP 429"), message);
    BOOST_TEST(contains(message, "limits how often a token may be fetched"), message);
    BOOST_TEST(contains(message, "Test token request to " + server.url()), message);
    BOOST_TEST(cache->stores == 0);
}

BOOST_AUTO_TEST_CASE(credentials_turned_down_are_a_refusal)
{
    const std::pair<int, std::string> replies[] = {
        {401, R"({"error":"invalid_client","error_description":"Client authentication failed"})"},
        {400, R"({"error":"invalid_client"})"},
        {400, R"({"error":"unauthorized_client"})"},
        {403, R"({"error":"access_denied"})"},
        {401, "<html>Unauthorized</html>"},
    };
    for (const auto& [status, body] : replies)
    {
        BOOST_TEST_CONTEXT(status << " " << body)
        {
            const auto error = errorFor(status, body);
            BOOST_REQUIRE(error.has_value());
            BOOST_TEST(error->refused(), error->what());
            BOOST_TEST(contains(error->what(), "HTTP " + std::to_string(status)), error->what());
        }
    }
    const std::string message =
        errorFor(401, R"({"error":"invalid_client","error_description":"bad secret"})")->what();
    BOOST_TEST(contains(message, "invalid_client: bad secret"), message);
}

BOOST_AUTO_TEST_CASE(outages_are_not_a_refusal)
{
    const std::pair<int, std::string> replies[] = {
        {500, R"({"error":"server_error"})"},
        {503, "<html>Service Unavailable</html>"},
        // A broken service's error code does not make its outage the configuration's fault.
        {502, R"({"error":"invalid_client"})"},
    };
    for (const auto& [status, body] : replies)
    {
        BOOST_TEST_CONTEXT(status << " " << body)
        {
            const auto error = errorFor(status, body);
            BOOST_REQUIRE(error.has_value());
            BOOST_TEST(!error->refused(), error->what());
            BOOST_TEST(contains(error->what(), "HTTP " + std::to_string(status)), error->what());
        }
    }

    HttpClient http;
    Clock clock;
    const std::string unreachable = "http://127.0.0.1:" + std::to_string(closedPort()) + "/token";
    OAuthClientCredentials tokens(http, optionsFor(unreachable, clock));
    const auto error = tokenErrorOf(tokens);
    BOOST_REQUIRE(error.has_value());
    BOOST_TEST(!error->refused(), error->what());
    BOOST_TEST(contains(error->what(), "Test token request to " + unreachable), error->what());
}

BOOST_AUTO_TEST_CASE(a_reply_without_a_token_or_a_positive_lifetime_is_a_token_error)
{
    const std::pair<std::string, std::string> replies[] = {
        {R"({"token_type":"bearer","expires_in":3600})", "no access_token"},
        {R"({"access_token":"","expires_in":3600})", "no access_token"},
        {R"({"access_token":7,"expires_in":3600})", "no access_token"},
        {R"({"access_token":"tok-unused"})", "no positive expires_in"},
        {R"({"access_token":"tok-unused","expires_in":0})", "no positive expires_in"},
        {R"({"access_token":"tok-unused","expires_in":-60})", "no positive expires_in"},
        {R"({"access_token":"tok-unused","expires_in":"soon"})", "no positive expires_in"},
        {R"({"access_token":"tok-unused","expires_in":true})", "no positive expires_in"},
    };
    for (const auto& [body, expected] : replies)
    {
        BOOST_TEST_CONTEXT(body)
        {
            FakeHttpServer server(answering(200, body));
            HttpClient http;
            Clock clock;
            auto cache = std::make_shared<CacheState>();
            OAuthClientCredentials tokens(http, cachedOptionsFor(server.url(), clock, cache));
            const auto error = tokenErrorOf(tokens);
            BOOST_REQUIRE(error.has_value());
            const std::string message = error->what();
            BOOST_TEST(contains(message, expected), message);
            BOOST_TEST(!contains(message, "tok-unused"), message);
            BOOST_TEST(cache->stores == 0);
            // Nothing was kept: the next call asks again instead of handing out a bad token.
            BOOST_TEST(tokenErrorOf(tokens).has_value());
            BOOST_TEST(server.requestCount() == 2u);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_secret_never_appears_in_a_token_error_even_when_echoed)
{
    const std::string echoes = Secret + " " + EncodedSecret + "\\r\\n" + Secret;
    const std::pair<int, std::string> replies[] = {
        {401, R"({"error":"invalid_client","error_description":"wrong secret )" + echoes + R"("})"},
        {400, R"({"error":")" + echoes + R"("})"},
        {500, R"({"error":"server_error","error_description":")" + echoes + R"("})"},
        {200, R"({"access_token":"x","expires_in":3600)" + echoes}, // not JSON: the body is quoted
        {403, "Forbidden: " + echoes},
        {429, echoes},
    };
    for (const bool basic : {true, false})
    {
        for (const auto& [status, body] : replies)
        {
            BOOST_TEST_CONTEXT((basic ? "basic " : "form ") << status)
            {
                const auto error = errorFor(status, body, basic);
                BOOST_REQUIRE(error.has_value());
                const std::string message = error->what();
                BOOST_TEST(contains(message, "HTTP " + std::to_string(status)));
                BOOST_TEST(!contains(message, Secret));
                BOOST_TEST(!contains(message, EncodedSecret));
                BOOST_TEST(!contains(message, "s3cr"));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(the_token_never_appears_in_a_warning_or_a_token_error)
{
    const std::string Token = "tok-9f2c7e51";
    FakeHttpServer server([&, calls = std::make_shared<int>(0)](const FakeRequest&) {
        FakeReply reply;
        if (++*calls == 1)
            reply.body = R"({"access_token":")" + Token + R"(","expires_in":3600})";
        else
        {
            // A service in trouble answering with a token and an error at once.
            reply.status = 500;
            reply.body = R"({"access_token":")" + Token + R"(","error":"server_error"})";
        }
        return reply;
    });
    Clock clock;
    auto cache = std::make_shared<CacheState>();
    cache->storeThrows = true;
    cache->clearThrows = true;
    std::vector<std::string> warnings;
    auto options = cachedOptionsFor(server.url(), clock, cache);
    options.warn = [&](const std::string& line) { warnings.push_back(line); };
    HttpClient http;
    OAuthClientCredentials tokens(http, std::move(options));
    BOOST_TEST(tokens.token() == Token);
    tokens.invalidate();
    const auto error = tokenErrorOf(tokens);
    BOOST_REQUIRE(error.has_value());
    BOOST_TEST(!contains(error->what(), Token), error->what());
    BOOST_REQUIRE(!warnings.empty());
    for (const auto& line : warnings)
        BOOST_TEST(!contains(line, Token), line);
}

BOOST_AUTO_TEST_CASE(empty_settings_are_refused)
{
    HttpClient http;
    Clock clock;
    using Options = OAuthClientCredentialsOptions;
    for (std::string Options::*field : {&Options::tokenUrl, &Options::clientId, &Options::clientSecret})
    {
        auto options = optionsFor("http://127.0.0.1:1/token", clock);
        (options.*field).clear();
        BOOST_CHECK_THROW(OAuthClientCredentials(http, std::move(options)), std::invalid_argument);
    }
    auto options = optionsFor("http://127.0.0.1:1/token", clock);
    options.clock = nullptr;
    BOOST_CHECK_THROW(OAuthClientCredentials(http, std::move(options)), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_refused_token_is_not_taken_back_from_a_cache_that_cannot_clear)
{
    FakeHttpServer server(issuing(3600));
    Clock clock;
    auto cache = std::make_shared<CacheState>();
    cache->clearThrows = true;
    HttpClient http;
    OAuthClientCredentials tokens(http, cachedOptionsFor(server.url(), clock, cache));
    BOOST_TEST(tokens.token() == "tok-1");
    // A 401 with tok-1: DESIGN §4.1 says fetch one new token and retry once.
    tokens.invalidate();
    BOOST_TEST(tokens.token() == "tok-2");
    BOOST_TEST(server.requestCount() == 2u);
}

BOOST_AUTO_TEST_CASE(a_token_in_a_reply_that_is_not_json_is_not_quoted_in_the_error)
{
    // A proxy cutting the reply short: HTTP 200, the token there, the JSON unfinished.
    const auto error = errorFor(200, R"({"access_token":"tok-9f2c7e51","expires_in":36)");
    BOOST_REQUIRE(error.has_value());
    BOOST_TEST(!contains(error->what(), "tok-9f2c7e51"), error->what());
}

BOOST_AUTO_TEST_CASE(the_basic_credentials_echoed_by_the_server_are_not_quoted_in_the_error)
{
    // base64(id:secret) is the secret to anyone who reads the log.
    const auto error = errorFor(400, R"({"error":"invalid_request","error_description":"cannot parse )" +
                                         BasicValue + R"("})");
    BOOST_REQUIRE(error.has_value());
    BOOST_TEST(!contains(error->what(), BasicValue.substr(6)), error->what());
}

BOOST_AUTO_TEST_CASE(a_secret_made_of_asterisks_does_not_hang_the_redaction, *boost::unit_test::timeout(10))
{
    // The redaction writes "***" and searches again from where it wrote it.
    const auto error = errorFor(401, R"({"error":"invalid_client","error_description":"got *"})", true, "*");
    BOOST_REQUIRE(error.has_value());
    BOOST_TEST(error->refused());
}

BOOST_AUTO_TEST_CASE(an_error_code_with_a_line_break_stays_on_one_line)
{
    // The log keeps one line per failure whatever the service writes (found by fuzz_token_reply).
    const auto error =
        errorFor(400, R"({"error":"invalid_scope\r\nforged log line","error_description":"x"})");
    BOOST_REQUIRE(error.has_value());
    const std::string message = error->what();
    BOOST_TEST(message.find_first_of("\r\n") == std::string::npos, message);
    BOOST_TEST(contains(message, "forged log line"), message);
}

BOOST_AUTO_TEST_CASE(a_lifetime_beyond_a_day_counts_as_a_day)
{
    // 10^14 seconds overflowed the expiry in ticks (UBSan; a fuzz_token_reply regression).
    const HttpResponse response{200, {}, R"({"access_token":"a","expires_in":99999999999999})"};
    const IssuedToken token =
        readTokenReply(response, "token request", Timestamp::fromUnixSeconds(1'795'000'000));
    BOOST_TEST(token.lifetimeSeconds == 24 * 3600);
}
