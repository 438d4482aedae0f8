#define BOOST_TEST_MODULE EntraTokenClient
#include <boost/test/unit_test.hpp>

#include "FakeHttpServer.h"
#include "net/EntraTokenClient.h"
#include "net/HttpClient.h"

using namespace acd;
using namespace acd::test;

namespace {

const std::string Secret = "s3cr&t=+/ é%";

/// Answers token requests with tok-1, tok-2, … valid for `lifetime` seconds.
FakeHttpServer::Handler issuing(int lifetime)
{
    auto issued = std::make_shared<int>(0);
    return [issued, lifetime](const FakeRequest&) {
        FakeReply reply;
        reply.body = R"({"token_type":"Bearer","expires_in":)" + std::to_string(lifetime) +
                     R"(,"ext_expires_in":3599,"access_token":"tok-)" + std::to_string(++*issued) + "\"}";
        return reply;
    };
}

struct Clock
{
    Timestamp now = Timestamp::fromUnixSeconds(1'800'000'000);
    EntraTokenClient::Clock function()
    {
        return [this] { return now; };
    }
};

std::string tokenErrorOf(EntraTokenClient& tokens)
{
    try
    {
        tokens.token();
    }
    catch (const TokenError& e)
    {
        return e.what();
    }
    return "";
}

} // namespace

BOOST_AUTO_TEST_CASE(requests_a_client_credentials_token_form_encoded)
{
    FakeHttpServer server(issuing(3599));
    HttpClient http;
    EntraTokenClient tokens(http, server.url() + "/", "tenant-1", "app id", Secret,
                            "https://commerce.dynamics.com/.default");
    BOOST_TEST(tokens.token() == "tok-1");

    const auto requests = server.requests();
    BOOST_REQUIRE(requests.size() == 1u);
    BOOST_TEST(requests[0].method == "POST");
    BOOST_TEST(requests[0].uri == "/tenant-1/oauth2/v2.0/token");
    BOOST_TEST(requests[0].header("Content-Type") == "application/x-www-form-urlencoded");
    // Every value is percent-encoded: nothing of the secret's '&', '=', '+' leaks into the form syntax.
    BOOST_TEST(requests[0].body.find(Secret) == std::string::npos);
    BOOST_TEST(requests[0].body.find("client_secret=s3cr%26t%3D%2B%2F%20%C3%A9%25") != std::string::npos,
               requests[0].body);
    const auto fields = formFields(requests[0].body);
    BOOST_TEST(fields.size() == 4u);
    BOOST_TEST(fields.at("grant_type") == "client_credentials");
    BOOST_TEST(fields.at("client_id") == "app id");
    BOOST_TEST(fields.at("client_secret") == Secret);
    BOOST_TEST(fields.at("scope") == "https://commerce.dynamics.com/.default");
}

BOOST_AUTO_TEST_CASE(token_is_cached_until_five_minutes_before_expiry)
{
    FakeHttpServer server(issuing(3600));
    HttpClient http;
    Clock clock;
    EntraTokenClient tokens(http, server.url(), "t", "c", Secret, "s", clock.function());
    const Timestamp start = clock.now;

    BOOST_TEST(tokens.token() == "tok-1");
    BOOST_TEST(tokens.token() == "tok-1");
    BOOST_TEST(server.requestCount() == 1u);

    clock.now = start.plusSeconds(3600 - 301);
    BOOST_TEST(tokens.token() == "tok-1");
    BOOST_TEST(server.requestCount() == 1u);

    clock.now = start.plusSeconds(3600 - 300);
    BOOST_TEST(tokens.token() == "tok-2");
    BOOST_TEST(server.requestCount() == 2u);
    BOOST_TEST(tokens.token() == "tok-2");
    BOOST_TEST(server.requestCount() == 2u);
}

BOOST_AUTO_TEST_CASE(invalidate_forces_a_new_token)
{
    FakeHttpServer server(issuing(3600));
    HttpClient http;
    Clock clock;
    EntraTokenClient tokens(http, server.url(), "t", "c", Secret, "s", clock.function());
    BOOST_TEST(tokens.token() == "tok-1");
    tokens.invalidate();
    BOOST_TEST(tokens.token() == "tok-2");
    BOOST_TEST(server.requestCount() == 2u);
}

BOOST_AUTO_TEST_CASE(short_lived_token_is_kept_for_half_its_life)
{
    FakeHttpServer server(issuing(120));
    HttpClient http;
    Clock clock;
    EntraTokenClient tokens(http, server.url(), "t", "c", Secret, "s", clock.function());
    const Timestamp start = clock.now;
    BOOST_TEST(tokens.token() == "tok-1");
    clock.now = start.plusSeconds(59);
    BOOST_TEST(tokens.token() == "tok-1");
    clock.now = start.plusSeconds(60);
    BOOST_TEST(tokens.token() == "tok-2");
}

BOOST_AUTO_TEST_CASE(invalid_client_names_authority_and_entra_error_but_not_the_secret)
{
    FakeHttpServer server([](const FakeRequest&) {
        FakeReply reply;
        reply.status = 401;
        // A hostile or buggy server echoing the secret must not get it into our message.
        reply.body =
            R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided: )" +
            std::string("s3cr&t=+/ \u00e9%") + R"(\r\nTrace ID: 1234","error_codes":[7000215]})";
        return reply;
    });
    HttpClient http;
    EntraTokenClient tokens(http, server.url(), "tenant-1", "c", Secret, "s");
    const std::string message = tokenErrorOf(tokens);
    BOOST_TEST(message.find(server.url()) != std::string::npos, message);
    BOOST_TEST(message.find("HTTP 401") != std::string::npos, message);
    BOOST_TEST(message.find("invalid_client") != std::string::npos, message);
    BOOST_TEST(message.find("AADSTS7000215") != std::string::npos, message);
    BOOST_TEST(message.find("s3cr") == std::string::npos, message);
    BOOST_TEST(message.find('\n') == std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(non_json_reply_is_a_token_error)
{
    FakeHttpServer server([](const FakeRequest&) {
        FakeReply reply;
        reply.body = "<html>proxy login</html>";
        return reply;
    });
    HttpClient http;
    EntraTokenClient tokens(http, server.url(), "t", "c", Secret, "s");
    const std::string message = tokenErrorOf(tokens);
    BOOST_TEST(message.find(server.url()) != std::string::npos, message);
    BOOST_TEST(message.find("not a JSON object") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(reply_without_token_is_a_token_error)
{
    FakeHttpServer server([](const FakeRequest&) {
        FakeReply reply;
        reply.body = R"({"token_type":"Bearer","expires_in":3599})";
        return reply;
    });
    HttpClient http;
    EntraTokenClient tokens(http, server.url(), "t", "c", Secret, "s");
    BOOST_TEST(tokenErrorOf(tokens).find("no access_token") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(expires_in_as_text_is_understood)
{
    FakeHttpServer server([](const FakeRequest&) {
        FakeReply reply;
        reply.body = R"({"expires_in":"3600","access_token":"text-lifetime"})";
        return reply;
    });
    HttpClient http;
    Clock clock;
    EntraTokenClient tokens(http, server.url(), "t", "c", Secret, "s", clock.function());
    BOOST_TEST(tokens.token() == "text-lifetime");
    clock.now = clock.now.plusSeconds(3000);
    tokens.token();
    BOOST_TEST(server.requestCount() == 1u);
}

BOOST_AUTO_TEST_CASE(unreachable_authority_is_a_token_error)
{
    HttpClient http;
    const std::string authority = closedPortUrl();
    EntraTokenClient tokens(http, authority, "t", "c", Secret, "s");
    const std::string message = tokenErrorOf(tokens);
    BOOST_TEST(message.find("Entra token request to " + authority) != std::string::npos, message);
    BOOST_TEST(message.find("s3cr") == std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(empty_settings_are_refused)
{
    HttpClient http;
    BOOST_CHECK_THROW(EntraTokenClient(http, "https://login.microsoftonline.com", "t", "c", "", "s"),
                      std::invalid_argument);
}
