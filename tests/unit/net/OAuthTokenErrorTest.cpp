#define BOOST_TEST_MODULE OAuthTokenError
#include <boost/test/unit_test.hpp>

#include "OAuthTestSupport.h"

#include <tuple>
#include <vector>

using namespace acd;
using namespace acd::test;
using namespace acd::test::oauth;

// What a token service that refuses, throttles, fails or answers nonsense becomes: a TokenError that never
// quotes a secret or a token.
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
