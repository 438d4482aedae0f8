#define BOOST_TEST_MODULE sim_selftest
#include <boost/test/unit_test.hpp>

#include "SimTestSupport.h"

#include <Poco/Exception.h>
#include <Poco/FileStream.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <Poco/TemporaryFile.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace simtest;

std::string searchBody(const std::string& from, const std::string& to, bool includeAnonymous = false)
{
    return R"({"cartSearchCriteria":{"CartTypeValue":1,"IncludeAnonymous":)" +
           std::string(includeAnonymous ? "true" : "false") + R"(,"LastModifiedDateTimeFrom":")" + from +
           R"(","LastModifiedDateTimeTo":")" + to + R"("}})";
}

std::string searchUri(std::size_t top, std::size_t skip)
{
    return "/Commerce/Carts/Search?api-version=7.3&$top=" + std::to_string(top) +
           "&$skip=" + std::to_string(skip) + "&$orderby=ModifiedDateTime,Id";
}

/// Every page of a search, concatenated, as the carts' JSON objects.
std::vector<Object::Ptr> allPages(const SimProcess& sim, const std::string& token, const std::string& body,
                                  std::size_t top, std::vector<std::size_t>* pageSizes = nullptr)
{
    std::vector<Object::Ptr> carts;
    for (std::size_t skip = 0;; skip += top)
    {
        const HttpResult page = sim.retail("POST", searchUri(top, skip), token, body);
        BOOST_REQUIRE_EQUAL(page.status, 200);
        const Array::Ptr values = page.json()->getArray("value");
        if (pageSizes)
            pageSizes->push_back(values->size());
        for (std::size_t i = 0; i < values->size(); ++i)
            carts.push_back(values->getObject(static_cast<unsigned>(i)));
        if (values->size() < top)
            return carts;
    }
}

std::vector<std::string> idsOf(const std::vector<Object::Ptr>& carts)
{
    std::vector<std::string> ids;
    for (const auto& cart : carts)
        ids.push_back(cart->getValue<std::string>("Id"));
    return ids;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(token_then_channel, BasicSim)
{
    const HttpResult token = sim.token(CommerceScope);
    BOOST_REQUIRE_EQUAL(token.status, 200);
    const Object::Ptr grant = token.json();
    BOOST_TEST(grant->getValue<std::string>("token_type") == "Bearer");
    BOOST_TEST(grant->getValue<int>("expires_in") == 3599);

    const HttpResult channel =
        sim.retail("GET", "/Commerce/OrgUnits/GetOrgUnitConfiguration()?api-version=7.3",
                   grant->getValue<std::string>("access_token"));
    BOOST_REQUIRE_EQUAL(channel.status, 200);
    BOOST_TEST(channel.json()->getValue<Poco::Int64>("RecordId") == 5637144592LL);
    BOOST_TEST(channel.json()->getValue<std::string>("Currency") == "USD");
    BOOST_TEST(channel.json()->has("@odata.context"));

    const HttpResult refused = sim.token(CommerceScope, "not-the-secret");
    BOOST_TEST(refused.status == 401);
    BOOST_TEST(refused.json()->getValue<std::string>("error") == "invalid_client");
    BOOST_TEST(refused.body.find("not-the-secret") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(retail_calls_need_token_oun_and_api_version, BasicSim)
{
    const std::string token = sim.accessToken(CommerceScope);
    const std::string channel = "/Commerce/OrgUnits/GetOrgUnitConfiguration()?api-version=7.3";
    BOOST_TEST(sim.retail("GET", channel, token).status == 200);
    BOOST_TEST(sim.call("GET", channel, "", {{"OUN", "128"}}).status == 401);
    BOOST_TEST(sim.call("GET", channel, "", {{"OUN", "128"}, {"Authorization", "Bearer " + token}}).status ==
               401);
    BOOST_TEST(sim.retail("GET", channel, "made-up-token").status == 401);
    BOOST_TEST(sim.retail("GET", channel, sim.accessToken(VaultScope)).status == 401);

    const HttpResult noOun = sim.call("GET", channel, "", {{"Authorization", "id_token " + token}});
    BOOST_TEST(noOun.status == 400);
    BOOST_TEST(noOun.json()->getObject("error")->getValue<std::string>("code") ==
               "MissingOperatingUnitNumber");
    BOOST_TEST(
        sim.call("GET", channel, "", {{"Authorization", "id_token " + token}, {"OUN", "129"}}).status == 400);
    BOOST_TEST(sim.retail("GET", "/Commerce/OrgUnits/GetOrgUnitConfiguration()", token).status == 400);
    BOOST_TEST(
        sim.retail("GET", "/Commerce/OrgUnits/GetOrgUnitConfiguration()?api-version=7.1", token).status ==
        400);

    BOOST_REQUIRE_EQUAL(sim.control("POST", "/token-expiry", R"({"seconds":0})").status, 200);
    const HttpResult shortLived = sim.token(CommerceScope);
    BOOST_TEST(shortLived.json()->getValue<int>("expires_in") == 0);
    BOOST_TEST(sim.retail("GET", channel, shortLived.json()->getValue<std::string>("access_token")).status ==
               401);

    BOOST_REQUIRE_EQUAL(sim.control("POST", "/revoke-tokens").status, 200);
    BOOST_TEST(sim.retail("GET", channel, token).status == 401);
}

BOOST_FIXTURE_TEST_CASE(paging_with_ties_is_complete_and_ordered, BasicSim)
{
    const std::string token = sim.accessToken(CommerceScope);
    const std::string window = searchBody(isoSeconds(-500 * 60), isoSeconds(-10 * 60));

    const std::vector<std::string> all = idsOf(allPages(sim, token, window, 1000));
    const std::vector<std::string> paged = idsOf(allPages(sim, token, window, 2));
    BOOST_TEST(paged == all, boost::test_tools::per_element());
    BOOST_REQUIRE(!all.empty());
    BOOST_TEST(all.front() == "cart-untimed");
    const std::set<std::string> unique(all.begin(), all.end());
    BOOST_TEST(unique.size() == all.size());
    for (const char* absent : {"cart-anonymous", "cart-anonymous-blank", "cart-old", "cart-recent"})
        BOOST_TEST(!unique.count(absent), absent << " must not be in the window");

    const auto tie = std::find(all.begin(), all.end(), "tie-1");
    BOOST_REQUIRE(tie + 5 <= all.end());
    const std::vector<std::string> ties(tie, tie + 5);
    const std::vector<std::string> expected = {"tie-1", "tie-2", "tie-3", "tie-4", "tie-5"};
    BOOST_TEST(ties == expected, boost::test_tools::per_element());

    const std::vector<std::string> withAnonymous =
        idsOf(allPages(sim, token, searchBody(isoSeconds(-500 * 60), isoSeconds(-10 * 60), true), 3));
    BOOST_TEST(withAnonymous.size() == all.size() + 2);

    // Bounds are inclusive: From = To = the ties' instant selects exactly the five (after the
    // untimed cart, which every search returns), in Id order, however the instant is written
    // (the ties are served in +00:00, Z and -05:00 forms).
    const std::vector<Object::Ptr> carts = allPages(sim, token, window, 1000);
    std::set<std::string> zones;
    std::string tieInstant;
    for (const auto& cart : carts)
    {
        if (cart->isNull("ModifiedDateTime"))
            continue;
        const std::string modified = cart->getValue<std::string>("ModifiedDateTime");
        zones.insert(modified.back() == 'Z' ? "Z" : modified.substr(modified.size() - 6));
        if (cart->getValue<std::string>("Id") == "tie-1")
            tieInstant = modified;
    }
    BOOST_TEST(zones.count("Z"));
    BOOST_TEST(zones.count("+00:00"));
    BOOST_TEST(zones.count("-05:00"));
    std::vector<std::size_t> pageSizes;
    const std::vector<std::string> onlyTies =
        idsOf(allPages(sim, token, searchBody(tieInstant, tieInstant), 2, &pageSizes));
    const std::vector<std::string> expectedNarrow = {"cart-untimed", "tie-1", "tie-2",
                                                     "tie-3",        "tie-4", "tie-5"};
    BOOST_TEST(onlyTies == expectedNarrow, boost::test_tools::per_element());
    const std::vector<std::size_t> expectedPages = {2, 2, 2, 0};
    BOOST_TEST(pageSizes == expectedPages, boost::test_tools::per_element());

    BOOST_TEST(sim.retail("POST", "/Commerce/Carts/Search?api-version=7.3", token, window).status == 400);
    BOOST_TEST(sim.retail("POST", searchUri(10, 0), token, searchBody("yesterday", isoSeconds(0))).status ==
               400);
}

BOOST_FIXTURE_TEST_CASE(wsse_digest_is_checked, BasicSim)
{
    const std::string body = triggerBody({{"alice@example.com", "t-1"}});
    const HttpResult wrong = trigger(sim, "00000000000000000000000000000001", body, "wrong-secret");
    BOOST_TEST(wrong.status == 401);
    BOOST_TEST(wrong.json()->getValue<int>("replyCode") == 1);
    const HttpResult stale =
        trigger(sim, "00000000000000000000000000000002", body, "emarsys-secret", isoSeconds(-10 * 60));
    BOOST_TEST(stale.status == 401);

    const HttpResult accepted = trigger(sim, "00000000000000000000000000000003", body);
    BOOST_REQUIRE_EQUAL(accepted.status, 200);
    BOOST_TEST(accepted.json()->getValue<int>("replyCode") == 0);
    const HttpResult replayed = trigger(sim, "00000000000000000000000000000003", body);
    BOOST_TEST(replayed.status == 401);

    const Array::Ptr deliveries = sim.control("GET", "/emarsys/deliveries").jsonArray();
    BOOST_REQUIRE_EQUAL(deliveries->size(), 1U);
    const Object::Ptr delivery = deliveries->getObject(0);
    BOOST_TEST(delivery->getValue<std::string>("eventId") == "42");
    BOOST_TEST(delivery->getValue<std::string>("external_id") == "alice@example.com");
    BOOST_TEST(delivery->getObject("data")->getValue<std::string>("firstName") == "A");
}

BOOST_FIXTURE_TEST_CASE(each_contact_keeps_its_data_as_sent, BasicSim)
{
    // Spaces, nesting, braces and quotes inside strings, members around "data", a contact without data.
    const std::string body = R"( { "contacts" : [
        { "external_id" : "alice@example.com", "n": -1.5e3, "data" : { "p" : "a \"}]\\" , "l": [ {"x": [1, 2]}, null ] },
          "trigger_id": "t-a" },
        {"data":{"firstName":"B"},"external_id":"bruce@example.com","trigger_id":"t-b","ok":true},
        {"external_id":"recent@example.com","trigger_id":"t-c"} ], "key_id" : 3 } )";
    BOOST_REQUIRE_EQUAL(trigger(sim, "20000000000000000000000000000001", body).status, 200);
    const Array::Ptr deliveries = sim.control("GET", "/emarsys/deliveries").jsonArray();
    BOOST_REQUIRE_EQUAL(deliveries->size(), 3U);
    const Object::Ptr alice = deliveries->getObject(0)->getObject("data");
    BOOST_REQUIRE(alice);
    BOOST_TEST(alice->getValue<std::string>("p") == "a \"}]\\");
    BOOST_TEST(alice->getArray("l")->getObject(0)->getArray("x")->getElement<int>(1) == 2);
    BOOST_TEST(deliveries->getObject(1)->getObject("data")->getValue<std::string>("firstName") == "B");
    BOOST_TEST(deliveries->getObject(1)->getValue<std::string>("trigger_id") == "t-b");
    BOOST_TEST(deliveries->getObject(2)->isNull("data"));
}

BOOST_FIXTURE_TEST_CASE(trigger_id_is_delivered_once, BasicSim)
{
    const std::string body = triggerBody({{"alice@example.com", "same-trigger"}});
    BOOST_TEST(trigger(sim, "10000000000000000000000000000001", body).status == 200);
    // DESIGN §4.1: Emarsys answers a repeated trigger_id with error 9003 for that contact.
    const HttpResult again = trigger(sim, "10000000000000000000000000000002", body);
    BOOST_REQUIRE_EQUAL(again.status, 200);
    const Object::Ptr data = again.json()->getObject("data");
    BOOST_TEST(data->getArray("ids")->size() == 0U);
    BOOST_TEST(data->getObject("errors")->getObject("alice@example.com")->getValue<std::string>("9003") ==
               "Trigger ID already triggered");
    BOOST_TEST(sim.control("GET", "/emarsys/deliveries").jsonArray()->size() == 1U);
    const Object::Ptr stats = sim.control("GET", "/stats").json();
    BOOST_TEST(stats->getValue<int>("emarsysTrigger") == 2);
    BOOST_TEST(stats->getValue<int>("emarsysContacts") == 2);
    BOOST_TEST(stats->getValue<int>("emarsysDuplicates") == 1);
}

BOOST_FIXTURE_TEST_CASE(unknown_contact_gets_error_2008, BasicSim)
{
    const HttpResult reply =
        trigger(sim, "20000000000000000000000000000001",
                triggerBody({{"alice@example.com", "a"}, {"notinemarsys@example.com", "b"}}));
    BOOST_REQUIRE_EQUAL(reply.status, 200);
    const Object::Ptr data = reply.json()->getObject("data");
    BOOST_TEST(data->getArray("ids")->size() == 1U);
    BOOST_TEST(data->getArray("ids")->getElement<std::string>(0) == "alice@example.com");
    BOOST_TEST(data->getObject("errors")->getObject("notinemarsys@example.com")->has("2008"));
    BOOST_TEST(sim.control("GET", "/emarsys/deliveries").jsonArray()->size() == 1U);

    std::string tooMany = R"({"key_id":"3","contacts":[)";
    for (int i = 0; i < 1001; ++i)
        tooMany += std::string(i > 0 ? "," : "") + R"({"external_id":"alice@example.com"})";
    const HttpResult refused = trigger(sim, "20000000000000000000000000000002", tooMany + "]}");
    BOOST_TEST(refused.status == 400);
    BOOST_TEST(refused.json()->getValue<int>("replyCode") == 1000);
}

BOOST_FIXTURE_TEST_CASE(faults_are_injected_in_order, BasicSim)
{
    BOOST_REQUIRE_EQUAL(
        sim.control("POST", "/faults", R"({"kind":"emarsysTrigger","status":429,"times":1,"retryAfter":"1"})")
            .status,
        200);
    const std::string body = triggerBody({{"alice@example.com", "f-1"}});
    const HttpResult limited = trigger(sim, "30000000000000000000000000000001", body);
    BOOST_TEST(limited.status == 429);
    BOOST_TEST(!limited.headers.has("Retry-After")); // Emarsys has none (SimEmarsysTest.cpp)
    BOOST_TEST(sim.control("GET", "/emarsys/deliveries").jsonArray()->size() == 0U);
    BOOST_TEST(trigger(sim, "30000000000000000000000000000002", body).status == 200);
    // Other services do send Retry-After.
    sim.control("POST", "/faults", R"({"kind":"customers","status":429,"retryAfter":"1"})");
    const HttpResult throttled =
        sim.call("POST", "/Commerce/Customers/GetByAccountNumbers?api-version=7.3&$top=10",
                 R"({"accountNumbers":["C001"]})");
    BOOST_TEST(throttled.status == 429);
    BOOST_TEST(throttled.headers.get("Retry-After", "") == "1");
    BOOST_TEST(!throttled.headers.has("X-RateLimit-Reset"));

    const std::string token = sim.accessToken(CommerceScope);
    const std::string window = searchBody(isoSeconds(-500 * 60), isoSeconds(0));
    sim.control("POST", "/faults", R"({"kind":"cartSearch","status":503,"times":2,"afterMatches":1})");
    sim.control("POST", "/faults", R"({"kind":"cartSearch","action":"malformed"})");
    std::vector<int> statuses;
    for (int i = 0; i < 5; ++i)
        statuses.push_back(sim.retail("POST", searchUri(10, 0), token, window).status);
    const std::vector<int> expected = {200, 503, 503, 200, 200};
    BOOST_TEST(statuses == expected, boost::test_tools::per_element());

    sim.control("POST", "/faults", R"({"kind":"any","action":"malformed"})");
    const HttpResult malformed = sim.retail("POST", searchUri(10, 0), token, window);
    BOOST_TEST(malformed.status == 200);
    BOOST_CHECK_THROW(malformed.json(), Poco::Exception);

    sim.control("POST", "/faults", R"({"kind":"channel","action":"drop"})");
    BOOST_CHECK_THROW(
        sim.retail("GET", "/Commerce/OrgUnits/GetOrgUnitConfiguration()?api-version=7.3", token),
        Poco::Exception);

    sim.control("POST", "/faults", R"({"kind":"channel","status":500,"times":5})");
    BOOST_TEST(sim.control("DELETE", "/faults").status == 200);
    BOOST_TEST(
        sim.retail("GET", "/Commerce/OrgUnits/GetOrgUnitConfiguration()?api-version=7.3", token).status ==
        200);
    BOOST_TEST(sim.control("POST", "/faults", R"({"kind":"nonsense","status":500})").status == 400);
}

BOOST_FIXTURE_TEST_CASE(hostile_replies_follow_their_mode, BasicSim)
{
    const std::string token = sim.accessToken(CommerceScope);
    const std::string window = searchBody(isoSeconds(-500 * 60), isoSeconds(0));
    const auto search = [&] { return sim.retail("POST", searchUri(10, 0), token, window); };
    const auto hostile = [&](const std::string& kind, const std::string& rest) {
        return sim.control("POST", "/faults",
                           R"({"kind":")" + kind + R"(","action":"hostile",)" + rest + "}");
    };

    hostile("cartSearch", R"("mode":"html")");
    const HttpResult html = search();
    BOOST_TEST(html.status == 200);
    BOOST_TEST(html.headers.get("Content-Type", "").starts_with("text/html"));
    BOOST_TEST(html.body.starts_with("<!DOCTYPE html>"));

    hostile("cartSearch", R"("mode":"deep","depth":5000)");
    BOOST_TEST(search().body == std::string(5000, '['));

    hostile("cartSearch", R"("mode":"bigPage")");
    BOOST_TEST(search().json()->getArray("value")->size() == 101u); // $top=10

    hostile("cartSearch", R"("mode":"wrongTypes")");
    const auto first = search().json()->getArray("value")->getObject(0);
    BOOST_TEST(first->get("Id").isInteger());

    hostile("products", R"("mode":"hugeString","field":"ProductName","bytes":3000000)");
    const HttpResult products = sim.retail("POST", "/Commerce/Products/Search?api-version=7.3&$top=1", token,
                                           R"({"productSearchCriteria":{"Ids":[68719476736],)"
                                           R"("Context":{"ChannelId":5637144592}}})");
    BOOST_TEST(
        products.json()->getArray("value")->getObject(0)->getValue<std::string>("ProductName").size() ==
        3000000u);

    hostile("channel", R"("mode":"duplicateKeys")");
    const HttpResult channel =
        sim.retail("GET", "/Commerce/OrgUnits/GetOrgUnitConfiguration()?api-version=7.3", token);
    // Every member again, after the real ones.
    BOOST_TEST(channel.body.find(R"("RecordId":5637144592)") <
               channel.body.find(R"("RecordId":"duplicate")"));
    BOOST_TEST(channel.body.find(R"("Currency":"duplicate")") != std::string::npos);

    hostile("channel", R"("mode":"empty")");
    BOOST_TEST(
        sim.retail("GET", "/Commerce/OrgUnits/GetOrgUnitConfiguration()?api-version=7.3", token).body == "");

    // Refused with what is wrong.
    BOOST_TEST(hostile("channel", R"("mode":"bigPage")").status == 400);
    BOOST_TEST(hostile("channel", R"("mode":"sideways")").status == 400);
    BOOST_TEST(hostile("channel", R"("mode":"html","status":500)").status == 400);
    BOOST_TEST(hostile("channel", R"("mode":"trickle","intervalMs":0)").status == 400);
    BOOST_TEST(sim.control("DELETE", "/faults").status == 200);
}

BOOST_FIXTURE_TEST_CASE(key_vault_and_managed_identity, BasicSim)
{
    const std::string uri = "/secrets/retail-app-secret?api-version=7.4";
    const HttpResult anonymous = sim.call("GET", uri);
    BOOST_TEST(anonymous.status == 401);
    BOOST_TEST(anonymous.headers.get("WWW-Authenticate", "") ==
               "Bearer authorization=\"" + sim.base() + "/tenant-1\", resource=\"https://vault.azure.net\"");
    BOOST_TEST(
        sim.call("GET", uri, "", {{"Authorization", "Bearer " + sim.accessToken(CommerceScope)}}).status ==
        401);

    const std::string vault = sim.accessToken(VaultScope);
    const HttpResult found = sim.call("GET", uri, "", {{"Authorization", "Bearer " + vault}});
    BOOST_REQUIRE_EQUAL(found.status, 200);
    BOOST_TEST(found.json()->getValue<std::string>("value") == "app-secret");
    BOOST_TEST(
        found.json()->getValue<std::string>("id").rfind(sim.base() + "/secrets/retail-app-secret/", 0) == 0);
    const HttpResult missing = sim.call("GET", "/secrets/no-such-secret?api-version=7.4", "",
                                        {{"Authorization", "Bearer " + vault}});
    BOOST_TEST(missing.status == 404);
    BOOST_TEST(missing.json()->getObject("error")->getValue<std::string>("code") == "SecretNotFound");

    const std::string imds =
        "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net";
    BOOST_TEST(sim.call("GET", imds).status == 400);
    const HttpResult identity = sim.call("GET", imds, "", {{"Metadata", "true"}});
    BOOST_REQUIRE_EQUAL(identity.status, 200);
    BOOST_TEST(!identity.json()->getValue<std::string>("expires_on").empty());
    BOOST_TEST(
        sim.call("GET", uri, "",
                 {{"Authorization", "Bearer " + identity.json()->getValue<std::string>("access_token")}})
            .status == 200);

    const std::string arc =
        "/metadata/identity/oauth2/token?api-version=2019-11-01&resource=https://vault.azure.net";
    const HttpResult challenge = sim.call("GET", arc, "", {{"Metadata", "true"}});
    BOOST_REQUIRE_EQUAL(challenge.status, 401);
    const std::string realm = challenge.headers.get("WWW-Authenticate", "");
    BOOST_REQUIRE(realm.rfind("Basic realm=", 0) == 0);
    std::string key;
    Poco::FileInputStream keyFile(realm.substr(12));
    Poco::StreamCopier::copyToString(keyFile, key);
    BOOST_TEST(sim.call("GET", arc, "", {{"Metadata", "true"}, {"Authorization", "Basic wrong"}}).status ==
               401);
    BOOST_TEST(sim.call("GET", arc, "", {{"Metadata", "true"}, {"Authorization", "Basic " + key}}).status ==
               200);
    // Azure Arc serves its documented api-version only, the key notwithstanding.
    const std::string otherVersion =
        "/metadata/identity/oauth2/token?api-version=2020-06-01&resource=https://vault.azure.net";
    const HttpResult refused =
        sim.call("GET", otherVersion, "", {{"Metadata", "true"}, {"Authorization", "Basic " + key}});
    BOOST_TEST(refused.status == 400);
    BOOST_TEST(refused.body.find("2019-11-01") != std::string::npos);

    // A 401 fault on Key Vault carries Key Vault's challenge, as every 401 of the real one does.
    sim.control("POST", "/faults", R"({"kind":"keyVault","status":401})");
    const HttpResult faulted = sim.call("GET", uri, "", {{"Authorization", "Bearer " + vault}});
    BOOST_TEST(faulted.status == 401);
    BOOST_TEST(faulted.headers.get("WWW-Authenticate", "") ==
               "Bearer authorization=\"" + sim.base() + "/tenant-1\", resource=\"https://vault.azure.net\"");
    BOOST_TEST(sim.call("GET", uri, "", {{"Authorization", "Bearer " + vault}}).status == 200);
}

BOOST_FIXTURE_TEST_CASE(a_separate_key_vault_reader_gets_tokens_with_its_own_secret, BasicSim)
{
    BOOST_REQUIRE_EQUAL(
        sim.control(
               "POST", "/scenario",
               R"({"keyVault":{"secrets":{"s":"v"},"reader":{"clientId":"reader-id","clientSecret":"rs"}}})")
            .status,
        200);
    auto reader = [&](const std::string& secret) {
        return sim.call("POST", "/tenant-1/oauth2/v2.0/token",
                        "grant_type=client_credentials&client_id=reader-id&client_secret=" + secret +
                            "&scope=" + VaultScope,
                        {}, "application/x-www-form-urlencoded");
    };
    const HttpResult granted = reader("rs");
    BOOST_REQUIRE_EQUAL(granted.status, 200);
    BOOST_TEST(
        sim.call("GET", "/secrets/s?api-version=7.4", "",
                 {{"Authorization", "Bearer " + granted.json()->getValue<std::string>("access_token")}})
            .status == 200);
    BOOST_TEST(reader("app-secret").status == 401);        // the reader's secret, not the Retail app's
    BOOST_TEST(sim.token(VaultScope, "rs").status == 401); // and the other way round
    BOOST_TEST(sim.token(VaultScope).status == 200);
    BOOST_TEST(sim.control("POST", "/scenario", R"({"keyVault":{"reader":{"clientId":"x"}}})").status == 400);
}

BOOST_FIXTURE_TEST_CASE(control_api_edits_carts_and_records_requests, BasicSim)
{
    const std::string token = sim.accessToken(CommerceScope);
    BOOST_TEST(sim.retail("GET", "/Commerce/Carts('cart-a1')?api-version=7.3", token).status == 200);
    BOOST_TEST(sim.control("DELETE", "/carts/cart-a1").status == 200);
    BOOST_TEST(sim.retail("GET", "/Commerce/Carts('cart-a1')?api-version=7.3", token).status == 404);

    BOOST_REQUIRE_EQUAL(
        sim.control(
               "POST", "/carts",
               R"({"carts":[{"Id":"cart-new","CustomerId":"C001","modifiedMinutesAgo":30,"CartLines":[]}]})")
            .status,
        200);
    const HttpResult added = sim.retail("GET", "/Commerce/Carts('cart-new')?api-version=7.3", token);
    BOOST_REQUIRE_EQUAL(added.status, 200);
    BOOST_TEST(added.json()->getValue<std::string>("CustomerId") == "C001");
    const HttpResult bad =
        sim.control("POST", "/carts", R"({"carts":[{"Id":"x","modifiedMinutesAgo":"soon"}]})");
    BOOST_TEST(bad.status == 400);
    BOOST_TEST(bad.body.find("carts[0].modifiedMinutesAgo") != std::string::npos);

    const Array::Ptr requests = sim.control("GET", "/requests?kind=cart").jsonArray();
    BOOST_REQUIRE_EQUAL(requests->size(), 3U);
    BOOST_TEST(requests->getObject(1)->getValue<int>("status") == 404);
    BOOST_TEST(requests->getObject(1)->getValue<std::string>("path") == "/Commerce/Carts('cart-a1')");
    BOOST_TEST(sim.control("POST", "/reset-log").status == 200);
    BOOST_TEST(sim.control("GET", "/requests").jsonArray()->size() == 0U);
    BOOST_TEST(sim.control("GET", "/stats").json()->getValue<int>("requests") == 0);
}

BOOST_AUTO_TEST_CASE(generated_carts_page_completely)
{
    SimProcess sim({"--generate=carts=1000,customers=400,seed=7"});
    const std::string token = sim.accessToken(CommerceScope);
    std::vector<std::size_t> pageSizes;
    const std::vector<Object::Ptr> carts =
        allPages(sim, token, searchBody(isoSeconds(-500 * 60), isoSeconds(0)), 100, &pageSizes);
    BOOST_TEST(carts.size() == 1000U);
    BOOST_TEST(pageSizes.size() == 11U);
    std::set<std::string> ids, instants, customers;
    for (const auto& cart : carts)
    {
        ids.insert(cart->getValue<std::string>("Id"));
        instants.insert(cart->getValue<std::string>("ModifiedDateTime"));
        customers.insert(cart->getValue<std::string>("CustomerId"));
    }
    BOOST_TEST(ids.size() == 1000U);
    BOOST_TEST(instants.size() == 1000U);
    BOOST_TEST(customers.size() <= 400U);

    // The 15 most recent minutes hold no generated cart.
    BOOST_TEST(allPages(sim, token, searchBody(isoSeconds(-14 * 60), isoSeconds(0)), 100).empty());

    std::string accounts;
    for (const auto& customer : customers)
        accounts += (accounts.empty() ? "\"" : ",\"") + customer + "\"";
    const HttpResult found =
        sim.retail("POST", "/Commerce/Customers/GetByAccountNumbers?api-version=7.3", token,
                   R"({"accountNumbers":[)" + accounts + R"(],"searchLocationValue":1})");
    BOOST_REQUIRE_EQUAL(found.status, 200);
    BOOST_TEST(found.json()->getArray("value")->size() == customers.size());
    BOOST_TEST(sim.stop() == 0);
}

BOOST_AUTO_TEST_CASE(bad_scenario_is_refused_with_its_path)
{
    Poco::TemporaryFile scenario;
    {
        Poco::FileOutputStream out(scenario.path());
        out << R"({"carts":[{"Id":"x","CustomerId":"C1"}]})";
    }
    Poco::Pipe errors;
    Poco::ProcessHandle handle =
        Poco::Process::launch(SimBinary, {"--scenario=" + scenario.path()}, nullptr, nullptr, &errors);
    Poco::PipeInputStream in(errors);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    BOOST_TEST(handle.wait() != 0);
    BOOST_TEST(text.find("carts[0] needs modifiedMinutesAgo") != std::string::npos, text);
}
