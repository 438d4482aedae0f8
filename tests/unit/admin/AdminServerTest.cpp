#define BOOST_TEST_MODULE admin server
#include <boost/test/unit_test.hpp>

#include "../ledger/LedgerTestSupport.h"
#include "AdminTestSupport.h"
#include "admin/AdminServer.h"
#include "core/KeyedHash.h"
#include "ledger/LedgerStore.h"
#include "secrets/SecretStore.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <SQLiteCpp/Database.h>

#include <optional>

using namespace acd;
using namespace acd::test;

namespace {

const std::string Token = "admin-token-3f9a1c";
const std::string Key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

struct Reply
{
    int status = 0;
    std::string body;
    std::string contentType;
    std::string wwwAuthenticate;
    std::string allow;

    Poco::JSON::Object::Ptr json() const
    {
        return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
    }
    std::string errorCode() const { return json()->getObject("error")->getValue<std::string>("code"); }
};

struct ServerFixture
{
    explicit ServerFixture(const std::string& tokenSecretName = "admin-token", bool mirrorsOptOuts = false)
        : ledger(dir.file("ledger.sqlite"))
    {
        ledger.setHashKey(Key);
        (*values)["admin-token"] = Token;
        std::vector<std::unique_ptr<SecretSource>> sources;
        sources.push_back(std::make_unique<MapSource>("vault", values));
        secrets = std::make_unique<SecretStore>(std::move(sources), std::chrono::seconds(0));
        AdminServerOptions options;
        options.tokenSecretName = tokenSecretName;
        options.ledgerPath = dir.file("ledger.sqlite");
        options.hashKey = Key;
        options.providerName = mirrorsOptOuts ? "mandrill" : "emarsys";
        if (mirrorsOptOuts)
            options.mirrorOptOut = [this](const std::string& email) {
                if (providerDown)
                    throw std::runtime_error("Mandrill rejects/add answered HTTP 500 GeneralError");
                mirrored.push_back(email);
            };
        server =
            std::make_unique<AdminServer>(std::move(options), *secrets, [this](const std::string& email) {
                if (providerDown)
                    throw std::runtime_error("Emarsys contact/delete answered HTTP 503 for " + email);
                forgotten.push_back(email);
            });
        server->start();
    }

    Reply call(const std::string& method, const std::string& path,
               const std::optional<std::string>& body = {},
               const std::optional<std::string>& authorization = "Bearer " + Token,
               std::optional<std::size_t> announcedLength = {})
    {
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(server->port()));
        Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        if (authorization)
            request.set("Authorization", *authorization);
        if (body || announcedLength)
        {
            request.setContentType("application/json");
            request.setContentLength64(
                static_cast<Poco::Int64>(announcedLength ? *announcedLength : body->size()));
        }
        std::ostream& out = session.sendRequest(request);
        if (body)
            out << *body;
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        Reply reply;
        reply.status = response.getStatus();
        reply.contentType = response.getContentType();
        reply.wwwAuthenticate = response.get("WWW-Authenticate", "");
        reply.allow = response.get("Allow", "");
        Poco::StreamCopier::copyToString(in, reply.body);
        return reply;
    }

    std::int64_t rows(const std::string& sql) { return count(ledger.database(), sql); }

    TempDir dir;
    LedgerStore ledger;
    MapSource::Values values = std::make_shared<std::map<std::string, std::string>>();
    std::unique_ptr<SecretStore> secrets;
    std::vector<std::string> forgotten;
    std::vector<std::string> mirrored; // opt-outs handed to the provider's own list
    bool providerDown = false;
    std::unique_ptr<AdminServer> server;
};

struct TokenlessFixture : ServerFixture
{
    TokenlessFixture() : ServerFixture("") {}
};

/// A provider with a suppression list of its own (Mandrill's rejects).
struct MirroringFixture : ServerFixture
{
    MirroringFixture() : ServerFixture("admin-token", true) {}
};

const std::string Ada = R"({"email":"Ada@Example.com"})";

} // namespace

BOOST_FIXTURE_TEST_SUITE(admin_server, ServerFixture)

BOOST_AUTO_TEST_CASE(binds_a_free_loopback_port)
{
    BOOST_TEST(server->port() > 0);
}

BOOST_AUTO_TEST_CASE(a_missing_or_wrong_token_is_refused_and_changes_nothing)
{
    for (const std::optional<std::string>& authorization :
         {std::optional<std::string>{}, std::optional<std::string>{"Bearer wrong-token"},
          std::optional<std::string>{"Bearer " + Token + "x"}, std::optional<std::string>{"Basic " + Token},
          std::optional<std::string>{"Bearer"}})
    {
        const Reply reply = call("POST", "/v1/opt-outs", Ada, authorization);
        BOOST_TEST(reply.status == 401);
        BOOST_TEST(reply.errorCode() == "unauthorized");
        BOOST_TEST(reply.wwwAuthenticate.starts_with("Bearer"));
        BOOST_TEST(reply.body.find(Token) == std::string::npos);
    }
    BOOST_TEST(call("POST", "/v1/purge", Ada, std::nullopt).status == 401);
    BOOST_TEST(
        call("DELETE", "/v1/opt-outs/ada@example.com", std::nullopt, std::string("Bearer nope")).status ==
        401);
    BOOST_TEST(call("GET", "/metrics", std::nullopt, std::nullopt).status == 401);
    BOOST_TEST(rows("SELECT count(*) FROM opt_outs") == 0);
    BOOST_TEST(rows("SELECT count(*) FROM audit_log") == 0);
    BOOST_TEST(forgotten.empty());
}

BOOST_AUTO_TEST_CASE(opt_out_opt_in_and_back_through_the_api)
{
    Reply reply = call("POST", "/v1/opt-outs", Ada);
    BOOST_TEST(reply.status == 200);
    BOOST_TEST(reply.contentType == "application/json");
    BOOST_TEST(reply.json()->getValue<bool>("changed"));
    BOOST_TEST(ledger.database().execAndGet("SELECT email_hash FROM opt_outs").getString() ==
               KeyedHash(Key).email("ada@example.com"));
    BOOST_TEST(ledger.database().execAndGet("SELECT actor FROM audit_log").getString() ==
               "admin-api:127.0.0.1");
    BOOST_TEST(
        !call("POST", "/v1/opt-outs", R"({"email":" ada@example.COM "})").json()->getValue<bool>("changed"));

    reply = call("DELETE", "/v1/opt-outs/ADA%40example.com");
    BOOST_TEST(reply.status == 200);
    BOOST_TEST(reply.json()->getValue<bool>("changed"));
    BOOST_TEST(rows("SELECT count(*) FROM opt_outs") == 0);

    BOOST_TEST(call("POST", "/v1/opt-ins", Ada).status == 200);
    BOOST_TEST(rows("SELECT count(*) FROM consents") == 1);
}

BOOST_AUTO_TEST_CASE(the_unsubscribe_link_opts_out_with_its_token_and_no_bearer)
{
    const std::string token = KeyedHash(Key).unsubscribeToken("ada@example.com");
    const std::string wrong = KeyedHash(Key).unsubscribeToken("alan@example.com");
    for (const std::string& bad : {wrong, std::string(""), token.substr(1)})
    {
        const Reply refused = call("POST", "/v1/unsubscribe",
                                   R"({"email":"Ada@Example.com","token":")" + bad + "\"}", std::nullopt);
        BOOST_TEST(refused.status == 403);
        BOOST_TEST(refused.errorCode() == "invalid_token");
    }
    BOOST_TEST(call("POST", "/v1/unsubscribe", Ada, std::nullopt).status == 400); // no token at all
    BOOST_TEST(rows("SELECT count(*) FROM opt_outs") == 0);

    const Reply reply = call("POST", "/v1/unsubscribe",
                             R"({"email":"Ada@Example.com","token":")" + token + "\"}", std::nullopt);
    BOOST_TEST(reply.status == 200);
    BOOST_TEST(reply.json()->getValue<bool>("changed"));
    BOOST_TEST(ledger.database().execAndGet("SELECT email_hash FROM opt_outs").getString() ==
               KeyedHash(Key).email("ada@example.com"));
    BOOST_TEST(ledger.database().execAndGet("SELECT actor FROM audit_log").getString() ==
               "unsubscribe-link:127.0.0.1");
}

BOOST_AUTO_TEST_CASE(purge_reaches_the_provider_and_reports_its_failure)
{
    const std::int64_t cycle = ledger.cycles().begin("128", Timestamp::now(), Timestamp::now());
    ledger.deliveries().queueReminders(
        cycle, "128", {{"c1", Timestamp::now().toIso(), "C1", "acd-c1", "ada@example.com", "{}"}}, {});
    Reply reply = call("POST", "/v1/purge", Ada);
    BOOST_TEST(reply.status == 200, reply.body);
    BOOST_TEST(reply.json()->getValue<int>("outboxRows") == 1);
    BOOST_TEST(reply.json()->getValue<bool>("optedOut"));
    BOOST_TEST((forgotten == std::vector<std::string>{"ada@example.com"}));
    BOOST_TEST(rows("SELECT count(*) FROM outbox") == 0);

    providerDown = true;
    reply = call("POST", "/v1/purge", R"({"email":"grace@example.com","keepSubscribed":true})");
    BOOST_TEST(reply.status == 502);
    BOOST_TEST(reply.errorCode() == "provider_failed");
    BOOST_TEST(reply.body.find("grace@example.com") == std::string::npos, reply.body);
    BOOST_TEST(!reply.json()->getObject("purge")->getValue<bool>("optedOut"));
}

BOOST_AUTO_TEST_CASE(bad_requests_get_json_errors_that_say_what_is_wrong)
{
    Reply reply = call("POST", "/v1/opt-outs", std::string("{not json"));
    BOOST_TEST(reply.status == 400);
    BOOST_TEST(reply.errorCode() == "bad_request");
    BOOST_TEST(call("POST", "/v1/opt-outs", std::string(R"({"mail":"a@b.c"})")).status == 400);
    BOOST_TEST(call("POST", "/v1/opt-outs", std::string(R"(["a@b.c"])")).status == 400);
    BOOST_TEST(call("POST", "/v1/purge", std::string(R"({"email":"a@b.c","keepSubscribed":"yes"})")).status ==
               400);
    reply = call("POST", "/v1/opt-outs", std::string(R"({"email":"nobody"})"));
    BOOST_TEST(reply.status == 400);
    BOOST_TEST(reply.errorCode() == "invalid_email");
    BOOST_TEST(reply.json()->getObject("error")->getValue<std::string>("message").find("nobody") !=
               std::string::npos);

    reply = call("POST", "/v1/opt-outs", std::nullopt, "Bearer " + Token, 1024 * 1024);
    BOOST_TEST(reply.status == 413);
    BOOST_TEST(reply.errorCode() == "too_large");

    reply = call("GET", "/v1/opt-outs");
    BOOST_TEST(reply.status == 405);
    BOOST_TEST(reply.allow == "POST");
    reply = call("GET", "/v2/anything");
    BOOST_TEST(reply.status == 404);
    BOOST_TEST(reply.errorCode() == "not_found");
    BOOST_TEST(rows("SELECT count(*) FROM opt_outs") == 0);
}

BOOST_AUTO_TEST_CASE(healthz_is_open_and_tells_the_last_cycle_and_secrets_freshness)
{
    Reply reply = call("GET", "/healthz", std::nullopt, std::nullopt);
    BOOST_TEST(reply.status == 200);
    BOOST_TEST(reply.json()->getValue<std::string>("status") == "ok");
    BOOST_TEST(reply.json()->isNull("lastCycle"));

    const std::int64_t cycle = ledger.cycles().begin("128", Timestamp::now(), Timestamp::now());
    ledger.cycles().finish(cycle, {}, "failed", "Retail Server answered 503");
    reply = call("GET", "/healthz", std::nullopt, std::nullopt);
    BOOST_TEST(reply.json()->getValue<std::string>("status") == "degraded");
    Poco::JSON::Object::Ptr last = reply.json()->getObject("lastCycle");
    BOOST_TEST(last->getValue<std::string>("status") == "failed");
    BOOST_TEST(last->getValue<std::string>("error") == "Retail Server answered 503");
    BOOST_TEST(reply.json()->getObject("secrets")->getValue<bool>("sealedCopyInUse") == false);
}

BOOST_AUTO_TEST_CASE(metrics_are_prometheus_text_read_from_the_ledger)
{
    const std::int64_t cycle = ledger.cycles().begin("128", Timestamp::now(), Timestamp::now());
    ledger.deliveries().queueReminders(
        cycle, "128", {{"c1", Timestamp::now().toIso(), "C1", "acd-c1", "ada@example.com", "{}"}},
        {{"c2", Timestamp::now().toIso(), "C2", SkipReason::NoEmail}});
    ledger.deliveries().recordDeliveries({{ledger.deliveries().pendingOutbox(0, 10).at(0).notificationId,
                                           DeliveryState::Sent, "", "emarsys"}});
    // A message whose answer was lost on its way to the SMTP server.
    ledger.deliveries().queueReminders(
        cycle, "128", {{"c3", Timestamp::now().toIso(), "C3", "acd-c3", "bob@example.com", "{}"}}, {});
    const std::int64_t lost = ledger.deliveries().pendingOutbox(0, 10).at(0).notificationId;
    ledger.deliveries().recordDeliveries({{lost, DeliveryState::Uncertain, "connection lost", "smtp"}});
    CycleCounts counts;
    counts.cartsSeen = 7;
    counts.remindersUncertain = 1;
    ledger.cycles().finish(cycle, counts, "completed", "");

    const Reply reply = call("GET", "/metrics");
    BOOST_TEST(reply.status == 200);
    BOOST_TEST(reply.contentType.starts_with("text/plain; version=0.0.4"));
    for (const char* line :
         {"# TYPE acd_cycles_total counter\n", "acd_cycles_total{status=\"completed\"} 1\n",
          "acd_carts_seen_total 7\n", "acd_reminders_total{provider=\"emarsys\",result=\"sent\"} 1\n",
          "acd_reminders_total{provider=\"smtp\",result=\"uncertain\"} 1\n",
          "acd_reminders_uncertain_total 1\n", "acd_skips_total{reason=\"no_email\"} 1\n",
          "acd_secrets_sealed_copy_in_use 0\n"})
        BOOST_TEST(reply.body.find(line) != std::string::npos, line);
    BOOST_TEST(reply.body.find("acd_last_success_timestamp_seconds 0\n") == std::string::npos);
    BOOST_TEST(reply.body.find("acd_last_success_timestamp_seconds ") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(admin_server_without_token, TokenlessFixture)

BOOST_AUTO_TEST_CASE(write_endpoints_are_disabled_and_metrics_open)
{
    const Reply reply = call("POST", "/v1/opt-outs", Ada, std::nullopt);
    BOOST_TEST(reply.status == 403);
    BOOST_TEST(reply.errorCode() == "disabled");
    BOOST_TEST(call("GET", "/metrics", std::nullopt, std::nullopt).status == 200);
    BOOST_TEST(rows("SELECT count(*) FROM opt_outs") == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(admin_server_mirroring, MirroringFixture)

BOOST_AUTO_TEST_CASE(opt_outs_and_unsubscribes_reach_the_providers_list)
{
    BOOST_TEST(call("POST", "/v1/opt-outs", Ada).status == 200);
    const std::string token = KeyedHash(Key).unsubscribeToken("alan@example.com");
    BOOST_TEST(call("POST", "/v1/unsubscribe", R"({"email":"Alan@example.com","token":")" + token + "\"}",
                    std::nullopt)
                   .status == 200);
    BOOST_TEST((mirrored == std::vector<std::string>{"ada@example.com", "alan@example.com"}));
}

BOOST_AUTO_TEST_CASE(a_failed_mirror_keeps_the_opt_out_and_says_so)
{
    providerDown = true;
    const Reply reply = call("POST", "/v1/opt-outs", Ada);
    BOOST_TEST(reply.status == 502);
    BOOST_TEST(reply.errorCode() == "provider_failed");
    BOOST_TEST(reply.json()->getObject("optOut")->getValue<bool>("changed"));
    BOOST_TEST(rows("SELECT count(*) FROM opt_outs") == 1);
    // The customer who unsubscribes is opted out whatever the provider says.
    const std::string token = KeyedHash(Key).unsubscribeToken("alan@example.com");
    BOOST_TEST(call("POST", "/v1/unsubscribe", R"({"email":"alan@example.com","token":")" + token + "\"}",
                    std::nullopt)
                   .status == 200);
    BOOST_TEST(rows("SELECT count(*) FROM opt_outs") == 2);
    providerDown = false;
    BOOST_TEST(call("POST", "/v1/opt-outs", Ada).status == 200); // sent again: mirrored this time
    BOOST_TEST((mirrored == std::vector<std::string>{"ada@example.com"}));
}

BOOST_AUTO_TEST_SUITE_END()
