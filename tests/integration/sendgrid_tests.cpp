#define BOOST_TEST_MODULE sendgrid_tests
#include <boost/test/unit_test.hpp>

// SendGrid as DESIGN §4.2 describes it, against the simulator: a whole cycle through the v3 Mail
// Send API, a bad address refused with SendGrid's words while the rest go, purge and opt-out
// reaching SendGrid, and the answers that need care (429 with X-RateLimit-Reset only, a reply
// lost after the request left).

#include "Harness.h"
#include "ScenarioBuilder.h"
#include "SimRun.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <map>
#include <string>
#include <vector>

using namespace acd::test;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

const std::string TemplateId = "d-0123456789abcdef0123456789abcdef";

ScenarioBuilder store()
{
    ScenarioBuilder s;
    s.customer("C1", "Ada", "Lovelace", "ada@example.com")
        .customer("C2", "Alan", "Turing", "alan@example.com")
        .customer("C3", "Grace", "Hopper", "grace@example.com")
        .customer("C4", "Bad", "Address", "bounce@invalid.example")
        .product(68719476736, "Trail Runner Shoe", "89.90", "Products/TrailRunner_000_001.png")
        .product(68719476737, "Wool Socks", "12.00", "https://cdn.example.com/socks.png")
        .cart("c1", "C1", 60, {68719476736, 68719476737})
        .cart("c2", "C2", 70, {68719476737})
        .cart("c3", "C3", 80, {68719476736})
        .cart("c4", "C4", 90, {68719476736})
        .sendgridInvalidAddresses({"bounce@invalid.example"});
    return s;
}

struct SendGridRun : SimRun
{
    explicit SendGridRun(const ScenarioBuilder& scenario, std::map<std::string, std::string> extra = {})
        : SimRun(scenario)
    {
        auto keys = sendgridKeys(*sim);
        for (const auto& [key, value] : extra)
            keys[key] = value;
        config = writeConfig(dir, *sim, keys);
    }

    /// Each personalization the simulated SendGrid accepted, by address (several: a list).
    std::map<std::string, std::vector<Object::Ptr>> delivered() const
    {
        std::map<std::string, std::vector<Object::Ptr>> byEmail;
        const Array::Ptr all = sim->sendgridDeliveries();
        for (unsigned i = 0; i < all->size(); ++i)
            byEmail[all->getObject(i)->getValue<std::string>("email")].push_back(all->getObject(i));
        return byEmail;
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(
    a_cycle_reminds_everyone_once_with_the_right_data_and_a_bad_address_is_refused_in_sendgrids_words)
{
    SendGridRun run(store());
    REQUIRE_SUCCESS(run.once());

    const auto delivered = run.delivered();
    const auto triggers = run.triggerIds();
    BOOST_TEST(delivered.size() == 3u);
    for (const auto& [email, cart, first] :
         std::vector<std::tuple<std::string, std::string, std::string>>{{"ada@example.com", "c1", "Ada"},
                                                                        {"alan@example.com", "c2", "Alan"},
                                                                        {"grace@example.com", "c3", "Grace"}})
    {
        BOOST_TEST_CONTEXT(email)
        {
            BOOST_REQUIRE(delivered.contains(email));
            BOOST_TEST(delivered.at(email).size() == 1u);
            const Object::Ptr d = delivered.at(email).front();
            BOOST_TEST(d->getValue<std::string>("trigger_id") == triggers.at(cart));
            BOOST_TEST(d->getValue<std::string>("template_id") == TemplateId);
            const Object::Ptr data = d->getObject("data");
            BOOST_TEST(data->getValue<std::string>("firstName") == first);
            BOOST_TEST(d->getValue<std::string>("name").starts_with(first + " "));
            BOOST_TEST(data->getValue<std::string>("returnToCartUrl") ==
                       "https://shop.example.com/cart?id=" + cart + "&c=C" + cart.substr(1));
        }
    }
    const Array::Ptr lines =
        delivered.at("ada@example.com").front()->getObject("data")->getArray("orderDetails");
    BOOST_REQUIRE(lines->size() == 2u);
    BOOST_TEST(lines->getObject(0)->getValue<std::string>("productName") == "Trail Runner Shoe");
    BOOST_TEST(lines->getObject(1)->getValue<std::string>("quantity") == "2");

    const auto states = run.ledgerStates();
    BOOST_TEST(states.at("c1") == "sent");
    BOOST_TEST(states.at("c4") == "failed");
    BOOST_TEST(run.notificationReason("c4") == "Does not contain a valid address.");
    // The refused request and the one sent again without the bad address.
    BOOST_TEST(run.stat("sendgridMail") == 2);
    BOOST_TEST(run.stat("sendgridPersonalizations") == 3);

    // The next cycle sends nothing again.
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.sim->sendgridDeliveries()->size() == 3u);

    // Every request carried the API key as a bearer token, and the sender.
    const Array::Ptr requests = parseArray(run.sim->get("/_sim/requests?kind=sendgridMail"));
    const Object::Ptr first = requests->getObject(0);
    BOOST_TEST(first->getObject("headers")->getValue<std::string>("Authorization") ==
               "Bearer SG.sim-api-key");
    const Object::Ptr body = parseObject(first->getValue<std::string>("body"));
    BOOST_TEST(body->getObject("from")->getValue<std::string>("email") == "shop@contoso.example");
    BOOST_TEST(body->getArray("categories")->getElement<std::string>(0) == "abandoned-cart");
}

BOOST_AUTO_TEST_CASE(personalizations_per_request_sets_how_many_reminders_a_request_holds)
{
    ScenarioBuilder scenario = store();
    SendGridRun run(scenario, {{"sendgrid.personalizationsPerRequest", "2"}});
    REQUIRE_SUCCESS(run.once());
    // c1 and c2 in one request; c3 with c4, refused for c4's address; then c3 alone.
    BOOST_TEST(run.sim->sendgridDeliveries()->size() == 3u);
    BOOST_TEST(run.stat("sendgridMail") == 3);
    const Array::Ptr requests = parseArray(run.sim->get("/_sim/requests?kind=sendgridMail"));
    for (unsigned i = 0; i < requests->size(); ++i)
        BOOST_TEST(parseObject(requests->getObject(i)->getValue<std::string>("body"))
                       ->getArray("personalizations")
                       ->size() <= 2u);
}

BOOST_AUTO_TEST_CASE(purge_deletes_the_contact_at_sendgrid_and_reports_what_it_answered)
{
    SendGridRun run(store());
    REQUIRE_SUCCESS(run.once());
    const RunResult purge = run.run({"--purge=Ada@Example.com"});
    REQUIRE_SUCCESS(purge);
    BOOST_TEST(purge.out.find("sendgrid forgot the contact") != std::string::npos, purge.out);
    // What SendGrid answered is reported: the deletion job it accepted.
    BOOST_TEST(purge.err.find("SendGrid accepted the deletion of 1 marketing contact(s) (HTTP 202, job_id") !=
                   std::string::npos,
               purge.err);
    BOOST_TEST(parseArray(run.sim->get("/_sim/sendgrid/deletes"))->getElement<std::string>(0) ==
               "ada@example.com");
    // The purged address is not handed to SendGrid again as a suppression.
    BOOST_TEST(parseArray(run.sim->get("/_sim/sendgrid/suppressions"))->size() == 0u);

    // Asked again, SendGrid has no such contact any more: nothing to delete, and said so.
    const RunResult again = run.run({"--purge=ada@example.com"});
    REQUIRE_SUCCESS(again);
    BOOST_TEST(again.err.find("SendGrid has no marketing contact") != std::string::npos, again.err);
    BOOST_TEST(parseArray(run.sim->get("/_sim/sendgrid/deletes"))->size() == 1u);
}

BOOST_AUTO_TEST_CASE(an_opt_out_reaches_sendgrids_global_suppressions)
{
    SendGridRun run(store());
    const RunResult optOut = run.run({"--opt-out=grace@example.com"});
    REQUIRE_SUCCESS(optOut);
    BOOST_TEST(optOut.out.find("sendgrid has the opt-out on its own list too") != std::string::npos,
               optOut.out);
    BOOST_TEST(parseArray(run.sim->get("/_sim/sendgrid/suppressions"))->getElement<std::string>(0) ==
               "grace@example.com");
    // And the cycle obeys the ledger's opt-out.
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(!run.delivered().contains("grace@example.com"));
    BOOST_TEST(run.ledgerStates().at("c3") == "skipped:opted_out");

    // SendGrid down: the ledger's opt-out holds, the command says what to do.
    run.sim->fault(R"({"kind":"sendgridSuppression","status":503,"times":100})");
    const RunResult failed = run.run({"--opt-out=alan@example.com"});
    BOOST_TEST(failed.exitCode == 69);
    BOOST_TEST(failed.err.find("could not add it to its own list") != std::string::npos, failed.err);
}

BOOST_AUTO_TEST_CASE(throttled_requests_wait_for_x_ratelimit_reset_and_then_go)
{
    SendGridRun run(store());
    run.sim->fault(R"({"kind":"sendgridMail","status":429,"times":2})");
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.delivered().size() == 3u);
    BOOST_TEST(run.ledgerStates().at("c1") == "sent");
}

BOOST_AUTO_TEST_CASE(a_reply_lost_after_the_request_left_makes_its_reminders_uncertain_and_never_sent_twice)
{
    ScenarioBuilder s;
    s.customer("C1", "Ada", "Lovelace", "ada@example.com")
        .customer("C2", "Alan", "Turing", "alan@example.com")
        .product(68719476736, "Trail Runner Shoe", "89.90", "Products/TrailRunner_000_001.png")
        .cart("c1", "C1", 60, {68719476736})
        .cart("c2", "C2", 70, {68719476736});
    SendGridRun run(s);
    // The simulator accepts the request, then drops the connection: the reminders went out, but
    // the product cannot know it.
    run.sim->fault(R"({"kind":"sendgridMail","action":"drop"})");
    REQUIRE_SUCCESS(run.once());
    const auto states = run.ledgerStates();
    BOOST_TEST(run.sim->sendgridDeliveries()->size() == 2u);
    for (const char* cart : {"c1", "c2"})
        BOOST_TEST(states.at(cart) == "uncertain", cart);
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.sim->sendgridDeliveries()->size() == 2u); // no second copy
}

BOOST_AUTO_TEST_CASE(config_check_names_a_missing_template_and_secret_check_covers_the_key)
{
    SendGridRun run(store(), {{"sendgrid.templateId", ""}});
    const RunResult check = run.run({"--config-check"});
    BOOST_TEST(check.exitCode != 0);
    BOOST_TEST(check.err.find("sendgrid.templateId is required") != std::string::npos, check.err);

    SendGridRun good(store());
    const RunResult secrets = good.run({"--secret-check"});
    BOOST_TEST(secrets.exitCode == 0, secrets.out << secrets.err);
    BOOST_TEST(secrets.out.find("sendgrid-api-key") != std::string::npos, secrets.out);
    BOOST_TEST((secrets.out + secrets.err).find("SG.sim-api-key") == std::string::npos);

    const RunResult missing = good.run({"--secret-check"}, {{"ACD_SECRET_SENDGRID_API_KEY", ""}});
    BOOST_TEST(missing.exitCode != 0);
    BOOST_TEST((missing.out + missing.err).find("sendgrid-api-key") != std::string::npos,
               missing.out + missing.err);
}
