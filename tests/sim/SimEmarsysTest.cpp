// Emarsys OAuth 2.0 and the v3 API (DESIGN §4.1), as the simulator must speak them.
#include <boost/test/unit_test.hpp>

#include "SimTestSupport.h"

#include <Poco/Timestamp.h>

#include <ctime>
#include <string>
#include <vector>

namespace {

using namespace simtest;

const std::string ClientId = "emarsys-client";
const std::string ClientSecret = "emarsys-client-secret";
/// base64("emarsys-client:emarsys-client-secret"), written out so that a wrong encoding on
/// either side shows.
const std::string DefaultBasic = "Basic ZW1hcnN5cy1jbGllbnQ6ZW1hcnN5cy1jbGllbnQtc2VjcmV0";
const std::string Form = "application/x-www-form-urlencoded";

std::string basicAuth(const std::string& id, const std::string& secret)
{
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << id << ':' << secret;
    encoder.close();
    return "Basic " + out.str();
}

HttpResult tokenRequest(const SimProcess& sim, const std::string& body, const Headers& headers,
                        const std::string& contentType = Form)
{
    return sim.call("POST", "/oauth2/token", body, headers, contentType);
}

HttpResult fetchToken(const SimProcess& sim, const std::string& id = ClientId,
                      const std::string& secret = ClientSecret)
{
    return tokenRequest(sim, "grant_type=client_credentials", {{"Authorization", basicAuth(id, secret)}});
}

std::string emarsysToken(const SimProcess& sim)
{
    const HttpResult reply = fetchToken(sim);
    BOOST_REQUIRE_EQUAL(reply.status, 200);
    return reply.json()->getValue<std::string>("access_token");
}

Headers bearer(const std::string& token)
{
    return {{"Authorization", "Bearer " + token}};
}

Headers wsse(const std::string& nonce)
{
    return {{"X-WSSE", wsseHeader("emarsys-user", "emarsys-secret", nonce, isoSeconds(0))}};
}

HttpResult v3Trigger(const SimProcess& sim, const std::string& body, const Headers& headers)
{
    return sim.call("POST", "/api/v3/event/42/trigger", body, headers);
}

HttpResult v3Delete(const SimProcess& sim, const std::string& email, const Headers& headers)
{
    return sim.call("POST", "/api/v3/contact/delete", R"({"key_id":"3","3":")" + email + "\"}", headers);
}

/// A 401 in Emarsys's shape, with the simulator's reason for the test author.
void checkUnauthorized(const HttpResult& reply, const std::string& what)
{
    BOOST_TEST(reply.status == 401, what);
    if (reply.status != 401)
        return;
    BOOST_TEST(reply.json()->getValue<int>("replyCode") == 1, what);
    BOOST_TEST(reply.json()->getValue<std::string>("replyText") == "Unauthorized", what);
    BOOST_TEST(!reply.headers.get("X-Sim-Reason", "").empty(), what);
}

std::string oauthError(const HttpResult& reply)
{
    return reply.json()->getValue<std::string>("error");
}

/// The auth tests make more fetches than Emarsys allows; the limit has tests of its own.
void allowManyFetches(const SimProcess& sim)
{
    BOOST_REQUIRE_EQUAL(sim.control("POST", "/scenario",
                                    R"({"emarsys":{"tokenFetchesPerMinute":100,"tokenFetchesPerHour":100}})")
                            .status,
                        200);
}

std::vector<std::string> strings(const Poco::JSON::Array::Ptr& array)
{
    std::vector<std::string> out;
    for (std::size_t i = 0; i < array->size(); ++i)
        out.push_back(array->getElement<std::string>(static_cast<unsigned>(i)));
    return out;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(emarsys_token_takes_client_credentials_in_basic_only, BasicSim)
{
    allowManyFetches(sim); // the default credentials, as no scenario names others
    const HttpResult granted =
        tokenRequest(sim, "grant_type=client_credentials", {{"Authorization", DefaultBasic}});
    BOOST_REQUIRE_EQUAL(granted.status, 200);
    BOOST_TEST(granted.json()->getValue<std::string>("token_type") == "bearer");
    BOOST_TEST(granted.json()->getValue<int>("expires_in") == 3600);
    BOOST_TEST(!granted.json()->getValue<std::string>("access_token").empty());
    BOOST_TEST(sim.token(CommerceScope).json()->getValue<int>("expires_in") == 3599); // Entra's own

    const HttpResult inBody = tokenRequest(
        sim, "grant_type=client_credentials&client_id=" + ClientId + "&client_secret=" + ClientSecret, {});
    BOOST_TEST(inBody.status == 400);
    BOOST_TEST(oauthError(inBody) == "invalid_request");
    BOOST_TEST(!inBody.json()->getValue<std::string>("error_description").empty());
    const HttpResult alsoInBody =
        tokenRequest(sim, "grant_type=client_credentials&client_secret=" + ClientSecret,
                     {{"Authorization", DefaultBasic}});
    BOOST_TEST(alsoInBody.status == 400);
    BOOST_TEST(oauthError(alsoInBody) == "invalid_request");

    const HttpResult wrongSecret = fetchToken(sim, ClientId, "not-the-secret");
    BOOST_TEST(wrongSecret.status == 401);
    BOOST_TEST(oauthError(wrongSecret) == "invalid_client");
    BOOST_TEST(fetchToken(sim, "someone-else", ClientSecret).status == 401);
    BOOST_TEST(fetchToken(sim, "emarsys-user", "emarsys-secret").status == 401); // WSSE's are not OAuth's
    const HttpResult anonymous = tokenRequest(sim, "grant_type=client_credentials", {});
    BOOST_TEST(anonymous.status == 401);
    BOOST_TEST(oauthError(anonymous) == "invalid_client");

    const HttpResult otherGrant = tokenRequest(sim, "grant_type=password", {{"Authorization", DefaultBasic}});
    BOOST_TEST(otherGrant.status == 400);
    BOOST_TEST(oauthError(otherGrant) == "unsupported_grant_type");
    const HttpResult json = tokenRequest(sim, R"({"grant_type":"client_credentials"})",
                                         {{"Authorization", DefaultBasic}}, "application/json");
    BOOST_TEST(json.status == 400);
    BOOST_TEST(oauthError(json) == "invalid_request");

    const Poco::JSON::Object::Ptr stats = sim.control("GET", "/stats").json();
    BOOST_TEST(stats->getValue<int>("emarsysToken") == 9);
    BOOST_TEST(stats->getValue<int>("emarsysTokensIssued") == 1);
}

BOOST_FIXTURE_TEST_CASE(third_token_fetch_within_a_minute_is_refused, BasicSim)
{
    // Wrong credentials are not the client's fetches: they do not use up its allowance.
    BOOST_TEST(fetchToken(sim, ClientId, "not-the-secret").status == 401);
    const std::string first = emarsysToken(sim);
    BOOST_TEST(fetchToken(sim).status == 200);
    const HttpResult third = fetchToken(sim);
    BOOST_TEST(third.status == 429);
    BOOST_TEST(oauthError(third) == "too_many_requests");
    BOOST_TEST(!third.json()->getValue<std::string>("error_description").empty());
    BOOST_TEST(!third.json()->has("access_token"));
    BOOST_TEST(!third.headers.has("Retry-After"));
    BOOST_TEST(fetchToken(sim).status == 429);

    // The kept token is what a client should have used.
    BOOST_TEST(v3Trigger(sim, triggerBody({{"alice@example.com", "kept-1"}}), bearer(first)).status == 200);
    const Poco::JSON::Object::Ptr stats = sim.control("GET", "/stats").json();
    BOOST_TEST(stats->getValue<int>("emarsysToken") == 5);
    BOOST_TEST(stats->getValue<int>("emarsysTokensIssued") == 2);
}

BOOST_FIXTURE_TEST_CASE(hour_limit_refuses_the_eleventh_fetch, BasicSim)
{
    BOOST_REQUIRE_EQUAL(
        sim.control("POST", "/scenario", R"({"emarsys":{"tokenFetchesPerMinute":100}})").status, 200);
    for (int i = 1; i <= 10; ++i)
        BOOST_TEST(fetchToken(sim).status == 200, "fetch " << i);
    const HttpResult eleventh = fetchToken(sim);
    BOOST_TEST(eleventh.status == 429);
    BOOST_TEST(oauthError(eleventh) == "too_many_requests");
    BOOST_TEST(sim.control("GET", "/stats").json()->getValue<int>("emarsysTokensIssued") == 10);

    // A new scenario is a new account with its own client and a fresh allowance, here tightened.
    BOOST_REQUIRE_EQUAL(
        sim.control("POST", "/scenario",
                    R"({"emarsys":{"clientId":"shop","clientSecret":"s3cret","tokenFetchesPerMinute":1}})")
            .status,
        200);
    BOOST_TEST(fetchToken(sim, "shop", "s3cret").status == 200);
    BOOST_TEST(fetchToken(sim, "shop", "s3cret").status == 429);
    BOOST_TEST(fetchToken(sim).status == 401);
    BOOST_TEST(sim.control("POST", "/scenario", R"({"emarsys":{"tokenFetchesPerHour":-1}})").status == 400);

    // Every request with the client's credentials counts, even one refused for its body.
    BOOST_REQUIRE_EQUAL(sim.control("POST", "/scenario", "{}").status, 200);
    BOOST_TEST(fetchToken(sim).status == 200);
    BOOST_TEST(tokenRequest(sim, "grant_type=password", {{"Authorization", DefaultBasic}}).status == 400);
    BOOST_TEST(fetchToken(sim).status == 429);
}

BOOST_FIXTURE_TEST_CASE(v3_takes_emarsys_bearer_tokens_only_and_v2_wsse_only, BasicSim)
{
    const std::string token = emarsysToken(sim);
    const HttpResult accepted = v3Trigger(sim, triggerBody({{"alice@example.com", "v3-1"}}), bearer(token));
    BOOST_REQUIRE_EQUAL(accepted.status, 200);
    BOOST_TEST(accepted.json()->getValue<int>("replyCode") == 0);
    BOOST_TEST(strings(accepted.json()->getObject("data")->getArray("ids")) ==
                   std::vector<std::string>{"alice@example.com"},
               boost::test_tools::per_element());

    const std::string body = triggerBody({{"bruce@example.com", "v3-2"}});
    checkUnauthorized(v3Trigger(sim, body, wsse("40000000000000000000000000000001")), "v3 with WSSE");
    Headers both = bearer(token);
    both.push_back(wsse("40000000000000000000000000000002").front());
    checkUnauthorized(v3Trigger(sim, body, both), "v3 with bearer and WSSE");
    checkUnauthorized(v3Trigger(sim, body, bearer(sim.accessToken(CommerceScope))), "v3 with an Entra token");
    checkUnauthorized(v3Trigger(sim, body, bearer("made-up-token")), "v3 with an unknown token");
    checkUnauthorized(v3Trigger(sim, body, {}), "v3 without Authorization");
    checkUnauthorized(v3Trigger(sim, body, {{"Authorization", DefaultBasic}}), "v3 with Basic");
    checkUnauthorized(sim.call("POST", "/api/v2/event/42/trigger", body, bearer(token)), "v2 with bearer");
    BOOST_TEST(trigger(sim, "40000000000000000000000000000003", body).status == 200); // v2 with WSSE

    BOOST_TEST(v3Delete(sim, "alice@example.com", bearer(token)).status == 200);
    checkUnauthorized(v3Delete(sim, "bruce@example.com", wsse("40000000000000000000000000000004")),
                      "v3 delete with WSSE");
    checkUnauthorized(
        sim.call("POST", "/api/v2/contact/delete", R"({"key_id":"3","3":"zoe@example.com"})", bearer(token)),
        "v2 delete with bearer");
    BOOST_TEST(strings(sim.control("GET", "/emarsys/deletes").jsonArray()) ==
                   std::vector<std::string>{"alice@example.com"},
               boost::test_tools::per_element());
    const Poco::JSON::Array::Ptr deliveries = sim.control("GET", "/emarsys/deliveries").jsonArray();
    BOOST_REQUIRE_EQUAL(deliveries->size(), 2U);
    BOOST_TEST(deliveries->getObject(0)->getValue<std::string>("trigger_id") == "v3-1");
    BOOST_TEST(deliveries->getObject(1)->getValue<std::string>("trigger_id") == "v3-2");
    BOOST_TEST(sim.control("GET", "/requests?kind=emarsysTrigger").jsonArray()->size() == 9U);
}

BOOST_FIXTURE_TEST_CASE(expired_and_revoked_emarsys_tokens_are_refused, BasicSim)
{
    allowManyFetches(sim);
    const std::string kept = emarsysToken(sim);
    BOOST_REQUIRE_EQUAL(sim.control("POST", "/token-expiry", R"({"seconds":0})").status, 200);
    const HttpResult shortLived = fetchToken(sim);
    BOOST_REQUIRE_EQUAL(shortLived.status, 200);
    BOOST_TEST(shortLived.json()->getValue<int>("expires_in") == 0);
    const HttpResult expired = v3Trigger(sim, triggerBody({{"alice@example.com", "e-1"}}),
                                         bearer(shortLived.json()->getValue<std::string>("access_token")));
    checkUnauthorized(expired, "expired token");
    BOOST_TEST(expired.headers.get("X-Sim-Reason", "").find("expired") != std::string::npos);
    BOOST_TEST(v3Trigger(sim, triggerBody({{"alice@example.com", "e-1"}}), bearer(kept)).status == 200);

    // What a client sees when Emarsys drops its kept token: a 401, then a fresh token works.
    BOOST_REQUIRE_EQUAL(sim.control("POST", "/revoke-tokens").status, 200);
    checkUnauthorized(v3Trigger(sim, triggerBody({{"bruce@example.com", "e-2"}}), bearer(kept)),
                      "revoked token");
    BOOST_REQUIRE_EQUAL(sim.control("POST", "/token-expiry", R"({"seconds":60})").status, 200);
    const HttpResult fresh = fetchToken(sim);
    BOOST_REQUIRE_EQUAL(fresh.status, 200);
    BOOST_TEST(fresh.json()->getValue<int>("expires_in") == 60);
    BOOST_TEST(v3Trigger(sim, triggerBody({{"bruce@example.com", "e-2"}}),
                         bearer(fresh.json()->getValue<std::string>("access_token")))
                   .status == 200);
    BOOST_TEST(sim.control("GET", "/emarsys/deliveries").jsonArray()->size() == 2U);
}

BOOST_FIXTURE_TEST_CASE(repeated_trigger_id_gets_9003_and_is_not_delivered_again, BasicSim)
{
    const Headers auth = bearer(emarsysToken(sim));
    BOOST_REQUIRE_EQUAL(
        v3Trigger(sim, triggerBody({{"alice@example.com", "r-1"}, {"bruce@example.com", "r-2"}}), auth)
            .status,
        200);
    const std::string again = R"({"key_id":"3","contacts":[
        {"external_id":"alice@example.com","trigger_id":"r-1","data":{}},
        {"external_id":"zoe@example.com","trigger_id":"r-3","data":{}},
        {"external_id":"bruce@example.com","data":{}},
        {"external_id":"notinemarsys@example.com","trigger_id":"r-4","data":{}}]})";
    const HttpResult reply = v3Trigger(sim, again, auth);
    BOOST_REQUIRE_EQUAL(reply.status, 200);
    BOOST_TEST(reply.json()->getValue<int>("replyCode") == 0);
    const Poco::JSON::Object::Ptr data = reply.json()->getObject("data");
    BOOST_TEST(strings(data->getArray("ids")) ==
                   (std::vector<std::string>{"zoe@example.com", "bruce@example.com"}),
               boost::test_tools::per_element());
    const Poco::JSON::Object::Ptr errors = data->getObject("errors");
    BOOST_TEST(errors->size() == 2U);
    const Poco::JSON::Object::Ptr duplicate = errors->getObject("alice@example.com");
    BOOST_REQUIRE(duplicate);
    BOOST_TEST(duplicate->size() == 1U);
    BOOST_TEST(duplicate->getValue<std::string>("9003") == "Trigger ID already triggered");
    BOOST_TEST(errors->getObject("notinemarsys@example.com")->has("2008"));

    // Without a trigger_id a contact is delivered every time.
    BOOST_TEST(
        v3Trigger(sim, R"({"key_id":"3","contacts":[{"external_id":"bruce@example.com"}]})", auth).status ==
        200);
    const Poco::JSON::Array::Ptr deliveries = sim.control("GET", "/emarsys/deliveries").jsonArray();
    std::vector<std::string> delivered;
    for (std::size_t i = 0; i < deliveries->size(); ++i)
    {
        const Poco::JSON::Object::Ptr d = deliveries->getObject(static_cast<unsigned>(i));
        delivered.push_back(d->getValue<std::string>("external_id") + "/" +
                            (d->isNull("trigger_id") ? "-" : d->getValue<std::string>("trigger_id")));
    }
    const std::vector<std::string> expected = {"alice@example.com/r-1", "bruce@example.com/r-2",
                                               "zoe@example.com/r-3", "bruce@example.com/-",
                                               "bruce@example.com/-"};
    BOOST_TEST(delivered == expected, boost::test_tools::per_element());
    const Poco::JSON::Object::Ptr stats = sim.control("GET", "/stats").json();
    BOOST_TEST(stats->getValue<int>("emarsysDuplicates") == 1);
    BOOST_TEST(stats->getValue<int>("emarsysContacts") == 7);
}

BOOST_FIXTURE_TEST_CASE(emarsys_faults_speak_emarsys, BasicSim)
{
    const Headers auth = bearer(emarsysToken(sim));
    const std::string body = triggerBody({{"alice@example.com", "f-1"}});
    BOOST_REQUIRE_EQUAL(sim.control("POST", "/faults",
                                    R"({"kind":"emarsysTrigger","status":400,"replyCode":5005,)"
                                    R"("replyText":"No program or campaign is triggered"})")
                            .status,
                        200);
    const HttpResult notConnected = v3Trigger(sim, body, auth);
    BOOST_TEST(notConnected.status == 400);
    BOOST_TEST(notConnected.json()->getValue<int>("replyCode") == 5005);
    BOOST_TEST(notConnected.json()->getValue<std::string>("replyText") ==
               "No program or campaign is triggered");

    // Emarsys throttles with X-RateLimit-* and never sends Retry-After.
    sim.control("POST", "/faults", R"({"kind":"contactDelete","status":429})");
    const std::time_t before = Poco::Timestamp().epochTime();
    const HttpResult limited = v3Delete(sim, "alice@example.com", auth);
    const std::time_t after = Poco::Timestamp().epochTime();
    BOOST_TEST(limited.status == 429);
    BOOST_TEST(limited.headers.get("X-RateLimit-Limit", "") == "1000");
    BOOST_TEST(limited.headers.get("X-RateLimit-Remaining", "") == "0");
    const long long reset = std::stoll(limited.headers.get("X-RateLimit-Reset", "0"));
    BOOST_TEST(reset >= static_cast<long long>(before) + 1);
    BOOST_TEST(reset <= static_cast<long long>(after) + 1);
    BOOST_TEST(!limited.headers.has("Retry-After"));

    sim.control(
        "POST", "/faults",
        R"({"kind":"emarsysTrigger","status":429,"retryAfter":"5","header":{"X-RateLimit-Reset":"1234"}})");
    const HttpResult own = v3Trigger(sim, body, auth);
    BOOST_TEST(own.status == 429);
    BOOST_TEST(own.headers.get("X-RateLimit-Reset", "") == "1234");
    BOOST_TEST(own.headers.get("X-RateLimit-Limit", "") == "1000");
    BOOST_TEST(!own.headers.has("Retry-After"));
    BOOST_TEST(sim.control("GET", "/emarsys/deliveries").jsonArray()->size() == 0U);
    BOOST_TEST(sim.control("GET", "/emarsys/deletes").jsonArray()->size() == 0U);
    BOOST_TEST(v3Trigger(sim, body, auth).status == 200);

    BOOST_TEST(
        sim.control("POST", "/faults", R"({"kind":"cartSearch","status":400,"replyCode":5005})").status ==
        400);
    BOOST_TEST(
        sim.control("POST", "/faults", R"({"kind":"emarsysTrigger","action":"drop","replyCode":1})").status ==
        400);
    sim.control("POST", "/faults", R"({"kind":"emarsysToken","status":503})");
    const HttpResult unavailable = fetchToken(sim);
    BOOST_TEST(unavailable.status == 503);
    BOOST_TEST(oauthError(unavailable) == "temporarily_unavailable");
}

BOOST_AUTO_TEST_CASE(shipped_scenarios_keep_the_emarsys_client_in_key_vault)
{
    for (const char* name : {"basic.json", "demo.json"})
    {
        SimProcess sim({"--scenario=" + std::string(ACD_SOURCE_DIR) + "/tests/sim/scenarios/" + name});
        const Headers vault = bearer(sim.accessToken(VaultScope));
        auto secret = [&](const std::string& secretName) {
            const HttpResult reply =
                sim.call("GET", "/secrets/" + secretName + "?api-version=7.4", "", vault);
            BOOST_REQUIRE_EQUAL(reply.status, 200);
            return reply.json()->getValue<std::string>("value");
        };
        const std::string id = secret("emarsys-client-id");
        const std::string clientSecret = secret("emarsys-client-secret");
        BOOST_TEST(id == ClientId, name);
        BOOST_TEST(clientSecret == ClientSecret, name);
        BOOST_TEST(secret("emarsys-api-user") == "emarsys-user", name);
        BOOST_TEST(fetchToken(sim, id, clientSecret).status == 200, name);
    }
}
