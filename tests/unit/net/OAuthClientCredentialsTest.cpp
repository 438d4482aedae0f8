#define BOOST_TEST_MODULE OAuthClientCredentials
#include <boost/test/unit_test.hpp>

#include "OAuthTestSupport.h"

#include <tuple>
#include <vector>

using namespace acd;
using namespace acd::test;
using namespace acd::test::oauth;

// The request, and a token kept until shortly before it ends, shared by the processes of one installation.
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
