#define BOOST_TEST_MODULE mandrill_tests
#include <boost/test/unit_test.hpp>

// Mailchimp Transactional (Mandrill) as DESIGN §4.3 describes it, against the simulator: a
// whole cycle, Mandrill's own words for a refused address, the opt-out mirrored to its
// rejection list, purge, and the key kept out of everything printed.

#include "Harness.h"
#include "ScenarioBuilder.h"
#include "SimRun.h"

#include <map>
#include <string>
#include <vector>

using namespace acd::test;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

const std::string Key = "mandrill-key"; // simSecrets() and the simulator's default

ScenarioBuilder store()
{
    ScenarioBuilder s;
    s.customer("C1", "Ada", "Lovelace", "ada@example.com")
        .customer("C2", "Alan", "Turing", "alan@example.com")
        .customer("C3", "Grace", "Hopper", "grace@example.com")
        .customer("C4", "Zoë", "Ångström", "bounced@example.com", "fr-fr")
        .product(68719476736, "Trail Runner Shoe", "89.90", "Products/TrailRunner_000_001.png")
        .product(68719476737, "Wool Socks", "12.50", "")
        .cart("c1", "C1", 60, {68719476736, 68719476737})
        .cart("c2", "C2", 50, {68719476737})
        .cart("c3", "C3", 40, {68719476736})
        .cart("c4", "C4", 30, {68719476736})
        .mandrill(R"({"rejected":{"bounced@example.com":"hard-bounce"},"queued":["grace@example.com"]})");
    return s;
}

/// A SimRun on Mandrill: the simulator's URL is known only once it runs, so the keys go in after.
struct MandrillRun : SimRun
{
    explicit MandrillRun(const ScenarioBuilder& scenario, std::map<std::string, std::string> extra = {})
        : SimRun(scenario)
    {
        auto keys = mandrillKeys(*sim);
        for (const auto& [key, value] : extra)
            keys[key] = value;
        config = writeConfig(dir, *sim, keys);
    }

    std::vector<Object::Ptr> messages() const
    {
        const Array::Ptr all = parseArray(sim->get("/_sim/mandrill/messages"));
        std::vector<Object::Ptr> out;
        for (std::size_t i = 0; i < all->size(); ++i)
            out.push_back(all->getObject(static_cast<unsigned>(i)));
        return out;
    }
};

std::string var(const Object::Ptr& message, const std::string& name)
{
    return message->getObject("vars")->getValue<std::string>(name);
}

void requireNoKey(const RunResult& result)
{
    BOOST_TEST(result.out.find(Key) == std::string::npos, "the API key in stdout");
    BOOST_TEST(result.err.find(Key) == std::string::npos, "the API key in stderr");
}

} // namespace

BOOST_AUTO_TEST_CASE(a_cycle_reminds_everyone_once_with_the_right_data)
{
    MandrillRun run(store());
    const RunResult first = run.once();
    REQUIRE_SUCCESS(first);
    requireNoKey(first);

    std::map<std::string, Object::Ptr> byEmail;
    for (const Object::Ptr& message : run.messages())
    {
        const std::string email = message->getValue<std::string>("email");
        BOOST_TEST(!byEmail.contains(email), email << " got two emails");
        byEmail[email] = message;
    }
    BOOST_TEST_REQUIRE(byEmail.size() == 4u);

    const Object::Ptr ada = byEmail.at("ada@example.com");
    BOOST_TEST(ada->getValue<std::string>("template") == "abandoned-cart");
    BOOST_TEST(!ada->getValue<std::string>("trigger_id").empty());
    BOOST_TEST(var(ada, "firstName") == "Ada");
    BOOST_TEST(var(ada, "lastName") == "Lovelace");
    BOOST_TEST(var(ada, "currency") == "EUR");
    BOOST_TEST(var(ada, "returnToCartUrl") == "https://shop.example.com/cart?id=c1&c=C1");
    const Array::Ptr lines = ada->getObject("vars")->getArray("orderDetails");
    BOOST_TEST_REQUIRE(lines->size() == 2u);
    BOOST_TEST(lines->getObject(0)->getValue<std::string>("productName") == "Trail Runner Shoe");
    BOOST_TEST(lines->getObject(0)->getValue<std::string>("unitPrice") == "10.5");
    BOOST_TEST(lines->getObject(1)->getValue<std::string>("quantity") == "2");
    BOOST_TEST(lines->getObject(0)->getObject("productImage")->getArray("viewPortImages")->size() == 3u);
    BOOST_TEST(var(byEmail.at("bounced@example.com"), "firstName") == "Zoë");
    BOOST_TEST(var(byEmail.at("bounced@example.com"), "language") == "fr-fr");

    const auto states = run.ledgerStates();
    BOOST_TEST(states.at("c1") == "sent");
    BOOST_TEST(states.at("c2") == "sent");
    BOOST_TEST(states.at("c3") == "sent"); // queued counts as accepted
    BOOST_TEST(states.at("c4") == "failed");
    BOOST_TEST(run.notificationReason("c4").find("rejected (hard-bounce)") != std::string::npos,
               run.notificationReason("c4"));

    // The request log never shows the key; a second cycle sends nothing again.
    BOOST_TEST(run.sim->get("/_sim/requests?kind=mandrillSend").find(Key) == std::string::npos);
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.messages().size() == 4u);
    BOOST_TEST(run.stat("mandrillSend") == 1);
}

BOOST_AUTO_TEST_CASE(an_opt_out_reaches_the_rejects_and_a_purge_says_there_is_nothing_to_remove)
{
    MandrillRun run(store());
    const RunResult optOut = run.run({"--opt-out=Alan@Example.com"});
    REQUIRE_SUCCESS(optOut);
    requireNoKey(optOut);
    BOOST_TEST(optOut.out.find("mandrill has the opt-out on its own list too") != std::string::npos,
               optOut.out);
    const Array::Ptr rejects = parseArray(run.sim->get("/_sim/mandrill/rejects"));
    BOOST_TEST_REQUIRE(rejects->size() == 1u);
    BOOST_TEST(rejects->getObject(0)->getValue<std::string>("email") == "alan@example.com");

    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.ledgerStates().at("c2") == "skipped:opted_out");

    const RunResult purge = run.run({"--purge=ada@example.com"});
    REQUIRE_SUCCESS(purge);
    BOOST_TEST(purge.out.find("mandrill keeps no contacts: nothing to remove there") != std::string::npos,
               purge.out);
    // A purge does not hand the address back to Mandrill's rejection list.
    BOOST_TEST(parseArray(run.sim->get("/_sim/mandrill/rejects"))->size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_failed_mirror_keeps_the_opt_out_and_asks_for_another_run)
{
    MandrillRun run(store());
    run.sim->fault(R"({"kind":"mandrillRejectsAdd","status":503,"times":100})");
    const RunResult failed = run.run({"--opt-out=alan@example.com"});
    BOOST_TEST(failed.exitCode == 69);
    BOOST_TEST(failed.err.find("run --opt-out again") != std::string::npos, failed.err);
    run.sim->del("/_sim/faults");
    REQUIRE_SUCCESS(run.run({"--opt-out=alan@example.com"}));
    BOOST_TEST(parseArray(run.sim->get("/_sim/mandrill/rejects"))->size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_wrong_key_sends_nothing_and_leaves_the_reminders_pending)
{
    MandrillRun run(store());
    const RunResult result = run.once({{"ACD_SECRET_MANDRILL_API_KEY", "md-wrong-Key-123"}});
    BOOST_TEST(result.out.find("md-wrong-Key-123") == std::string::npos);
    BOOST_TEST(result.err.find("md-wrong-Key-123") == std::string::npos);
    BOOST_TEST((result.out + result.err).find("Invalid_Key") != std::string::npos, result.out << result.err);
    BOOST_TEST(run.messages().empty());
    BOOST_TEST(run.ledgerStates().at("c1") == "pending");
    BOOST_TEST(run.sim->get("/_sim/requests?kind=mandrillSend").find("md-wrong-Key-123") ==
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(config_check_names_a_missing_template_and_secret_check_the_key)
{
    MandrillRun run(store(), {{"mandrill.templateName", ""}});
    const RunResult check = run.run({"--config-check"});
    BOOST_TEST(check.exitCode != 0);
    BOOST_TEST(check.err.find("mandrill.templateName is required") != std::string::npos, check.err);

    MandrillRun good(store());
    const RunResult secrets = good.run({"--secret-check"});
    BOOST_TEST(secrets.out.find("mandrill-api-key") != std::string::npos, secrets.out);
    requireNoKey(secrets);
    const RunResult missing = good.run({"--secret-check"}, {{"ACD_SECRET_MANDRILL_API_KEY", ""}});
    BOOST_TEST(missing.out.find("MISSING  mandrill-api-key  (mandrill.apiKeySecretName)") !=
                   std::string::npos,
               missing.out);
}
