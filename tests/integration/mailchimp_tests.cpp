#define BOOST_TEST_MODULE mailchimp_tests
#include <boost/test/unit_test.hpp>

// Mailchimp Marketing e-commerce as DESIGN §4.4 describes it, against the simulator: whole
// cycles of the real daemon, every expected customer's cart at Mailchimp once per cart id with
// its customer and products, a cart Mailchimp already has counted as sent, 429s retried, a
// wrong key stopping deliveries without losing them, purge, and the key kept out of everything.

#include "Harness.h"
#include "ScenarioBuilder.h"
#include "SimRun.h"

#include <Poco/MD5Engine.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <map>
#include <string>
#include <vector>

using namespace acd::test;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

const std::string Key = "0123456789abcdef0123456789abcdef-us21"; // simSecrets() and the simulator's default
const std::string KeyEnv = "ACD_SECRET_MAILCHIMP_API_KEY";

ScenarioBuilder store()
{
    ScenarioBuilder s;
    s.customer("C1", "Ada", "Lovelace", "Ada@Example.com")
        .customer("C2", "Alan", "Turing", "alan@example.com")
        .customer("C3", "Zoë", "Ångström", "zoe@example.com", "fr-fr")
        .customer("C4", "No", "Mail", "")
        .product(68719476736, "Trail Runner Shoe", "89.90", "Products/TrailRunner_000_001.png")
        .product(68719476737, "Wool Socks", "12.50", "")
        .cart("c1", "C1", 60, {68719476736, 68719476737})
        .cart("c2", "C2", 50, {68719476737})
        .cart("c3", "C3", 40, {68719476736})
        .cart("c4", "C4", 30, {68719476736});
    return s;
}

std::string md5(const std::string& text)
{
    Poco::MD5Engine engine;
    engine.update(text);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

/// A SimRun on Mailchimp: the simulator's URL is known only once it runs, so the keys go in after.
struct MailchimpRun : SimRun
{
    explicit MailchimpRun(const ScenarioBuilder& scenario, std::map<std::string, std::string> extra = {})
        : SimRun(scenario)
    {
        auto keys = mailchimpKeys(*sim);
        for (const auto& [key, value] : extra)
            keys[key] = value;
        config = writeConfig(dir, *sim, keys);
    }

    /// The carts Mailchimp accepted, by the address of their customer; a second one fails the test.
    std::map<std::string, Object::Ptr> cartsByEmail() const
    {
        const Array::Ptr all = parseArray(sim->get("/_sim/mailchimp/carts"));
        std::map<std::string, Object::Ptr> byEmail;
        for (std::size_t i = 0; i < all->size(); ++i)
        {
            const Object::Ptr cart = all->getObject(static_cast<unsigned>(i));
            const std::string email = cart->getValue<std::string>("email");
            BOOST_TEST(!byEmail.contains(email), email << " has two carts");
            byEmail[email] = cart;
        }
        return byEmail;
    }
};

void requireNoKey(const RunResult& result)
{
    BOOST_TEST(result.out.find(Key) == std::string::npos, "the API key in stdout");
    BOOST_TEST(result.err.find(Key) == std::string::npos, "the API key in stderr");
}

} // namespace

BOOST_AUTO_TEST_CASE(a_cycle_hands_every_cart_to_mailchimp_once_with_its_customer_and_products)
{
    MailchimpRun run(store());
    const RunResult first = run.once();
    REQUIRE_SUCCESS(first);
    requireNoKey(first);

    const auto carts = run.cartsByEmail();
    BOOST_TEST_REQUIRE(carts.size() == 3u);
    const auto triggers = run.triggerIds();
    for (const auto& [email, cartId] :
         {std::pair{"ada@example.com", "c1"}, std::pair{"alan@example.com", "c2"},
          std::pair{"zoe@example.com", "c3"}})
    {
        BOOST_TEST_REQUIRE(carts.contains(email), email);
        BOOST_TEST(carts.at(email)->getValue<std::string>("id") == triggers.at(cartId), email);
        BOOST_TEST(carts.at(email)->getValue<std::string>("customer_id") ==
                   md5(Poco::toLower(std::string(email))));
    }
    const Object::Ptr ada = carts.at("ada@example.com")->getObject("cart");
    BOOST_TEST(ada->getValue<std::string>("checkout_url") == "https://shop.example.com/cart?id=c1&c=C1");
    BOOST_TEST(ada->getValue<std::string>("currency_code") == "EUR");
    BOOST_TEST(ada->getValue<double>("order_total") == 31.5); // 1 × 10.50 + 2 × 10.50
    const Array::Ptr lines = ada->getArray("lines");
    BOOST_TEST_REQUIRE(lines->size() == 2u);
    BOOST_TEST(lines->getObject(0)->getValue<std::string>("product_id") == "68719476736");
    BOOST_TEST(lines->getObject(1)->getValue<int>("quantity") == 2);
    BOOST_TEST(lines->getObject(1)->getValue<double>("price") == 21.0);

    const auto states = run.ledgerStates();
    BOOST_TEST(states.at("c1") == "sent");
    BOOST_TEST(states.at("c2") == "sent");
    BOOST_TEST(states.at("c3") == "sent");
    BOOST_TEST(states.at("c4") == "skipped:no_email");

    // Each customer with the names of the reminder; each product PUT once, with its image.
    const Array::Ptr customers = parseArray(run.sim->get("/_sim/mailchimp/customers"));
    BOOST_TEST(customers->size() == 3u);
    for (std::size_t i = 0; i < customers->size(); ++i)
        if (customers->getObject(static_cast<unsigned>(i))->getValue<std::string>("email_address") ==
            "zoe@example.com")
            BOOST_TEST(customers->getObject(static_cast<unsigned>(i))->getValue<std::string>("first_name") ==
                       "Zoë");
    const Array::Ptr products = parseArray(run.sim->get("/_sim/mailchimp/products"));
    BOOST_TEST_REQUIRE(products->size() == 2u);
    BOOST_TEST(products->getObject(0)->getValue<int>("puts") == 1);
    BOOST_TEST(products->getObject(1)->getValue<int>("puts") == 1);
    BOOST_TEST(products->getObject(0)->getValue<std::string>("image_url").find("TrailRunner_000_001.png") !=
               std::string::npos);
    BOOST_TEST(products->getObject(1)->getValue<std::string>("image_url").empty());

    // The request log never shows the key; a second cycle sends nothing again.
    BOOST_TEST(run.sim->get("/_sim/requests").find(Key) == std::string::npos);
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.cartsByEmail().size() == 3u);
    BOOST_TEST(run.stat("mailchimpCart") == 3);
    BOOST_TEST(run.stat("mailchimpCartRepeats") == 0);
}

BOOST_AUTO_TEST_CASE(a_cart_mailchimp_already_has_counts_as_sent)
{
    MailchimpRun run(store());
    // Mailchimp takes the cart and the answer is lost: the provider sends it again, gets "already
    // exists", and that is the cart arrived.
    run.sim->fault(R"({"kind":"mailchimpCart","action":"drop","times":1})");
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.cartsByEmail().size() == 3u);
    BOOST_TEST(run.stat("mailchimpCartRepeats") == 1);
    for (const char* cart : {"c1", "c2", "c3"})
        BOOST_TEST(run.ledgerStates().at(cart) == "sent", cart);
}

BOOST_AUTO_TEST_CASE(a_429_without_headers_is_retried_and_every_cart_arrives_once)
{
    MailchimpRun run(store());
    run.sim->fault(R"({"kind":"mailchimpCart","status":429,"times":2})");
    run.sim->fault(R"({"kind":"mailchimpProduct","status":503,"times":1})");
    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.cartsByEmail().size() == 3u);
    const Object::Ptr statuses = run.sim->stats()->getObject("statuses");
    BOOST_TEST(statuses->optValue<int>("429", 0) == 2);
    BOOST_TEST(statuses->optValue<int>("503", 0) == 1);
    for (const char* cart : {"c1", "c2", "c3"})
        BOOST_TEST(run.ledgerStates().at(cart) == "sent", cart);
}

BOOST_AUTO_TEST_CASE(a_wrong_key_says_so_sends_nothing_and_loses_nothing)
{
    MailchimpRun run(store());
    const std::string wrong = "ffffffffffffffffffffffffffffffff-us21";
    const RunResult result = run.once({{KeyEnv, wrong}});
    const std::string said = result.out + result.err;
    BOOST_TEST(said.find(wrong) == std::string::npos);
    BOOST_TEST(said.find("API Key Invalid") != std::string::npos, said);
    BOOST_TEST(said.find("mailchimp.apiKeySecretName = mailchimp-api-key") != std::string::npos, said);
    BOOST_TEST(run.cartsByEmail().empty());
    BOOST_TEST(run.ledgerStates().at("c1") == "pending");

    REQUIRE_SUCCESS(run.once());
    BOOST_TEST(run.cartsByEmail().size() == 3u);
    BOOST_TEST(run.ledgerStates().at("c1") == "sent");
}

BOOST_AUTO_TEST_CASE(a_purge_deletes_the_member_and_the_customer)
{
    MailchimpRun run(store());
    REQUIRE_SUCCESS(run.once());
    const RunResult purge = run.run({"--purge=ada@example.com"});
    REQUIRE_SUCCESS(purge);
    requireNoKey(purge);
    BOOST_TEST(purge.out.find("mailchimp forgot the contact") != std::string::npos, purge.out);
    const Array::Ptr deletes = parseArray(run.sim->get("/_sim/mailchimp/deletes"));
    BOOST_TEST_REQUIRE(deletes->size() == 2u);
    BOOST_TEST(deletes->getObject(0)->getValue<std::string>("what") == "member");
    BOOST_TEST(deletes->getObject(0)->getValue<std::string>("id") == md5("ada@example.com"));
    BOOST_TEST(deletes->getObject(1)->getValue<std::string>("what") == "customer");
    BOOST_TEST(deletes->getObject(1)->getValue<std::string>("id") == md5("ada@example.com"));
    BOOST_TEST(parseArray(run.sim->get("/_sim/mailchimp/customers"))->size() == 2u);

    // Nothing at Mailchimp for an address is nothing to delete.
    REQUIRE_SUCCESS(run.run({"--purge=nobody@example.com"}));
    BOOST_TEST(parseArray(run.sim->get("/_sim/mailchimp/deletes"))->size() == 2u);
}

BOOST_AUTO_TEST_CASE(config_check_names_a_missing_store_and_secret_check_the_key)
{
    MailchimpRun run(store(), {{"mailchimp.storeId", ""}});
    const RunResult check = run.run({"--config-check"});
    BOOST_TEST(check.exitCode != 0);
    BOOST_TEST(check.err.find("mailchimp.storeId is required") != std::string::npos, check.err);

    MailchimpRun good(store());
    const RunResult secrets = good.run({"--secret-check"});
    BOOST_TEST(secrets.out.find("mailchimp-api-key") != std::string::npos, secrets.out);
    requireNoKey(secrets);
    // A key without its data centre, and no mailchimp.apiUrl: the start says what to do.
    MailchimpRun derived(store(), {{"mailchimp.apiUrl", ""}});
    const RunResult start = derived.once({{KeyEnv, "0123456789abcdef"}});
    BOOST_TEST(start.exitCode != 0);
    BOOST_TEST((start.out + start.err).find("does not end in its data centre") != std::string::npos,
               start.out << start.err);
}
