#define BOOST_TEST_MODULE core_decision_tests
#include <boost/test/unit_test.hpp>

#include "core/CartFilter.h"
#include "core/ReminderDecision.h"

#include <optional>
#include <string>

using namespace acd;

namespace {

/// The ledger string of the reason, "send" when there is none: readable in a failure message.
std::string text(const std::optional<SkipReason>& reason)
{
    return reason ? toString(*reason) : "send";
}

Cart goodCart()
{
    Cart cart;
    cart.id = "c1";
    cart.customerId = "004011";
    cart.modifiedDateTime = Timestamp::fromUnixSeconds(1795615391);
    cart.lines = {{"L1", 101, "0001", "1", "10"}, {"L2", 102, "0002", "1", "20"}};
    return cart;
}

} // namespace

BOOST_AUTO_TEST_SUITE(precheck)

BOOST_AUTO_TEST_CASE(a_complete_cart_passes)
{
    BOOST_TEST(text(precheckCart(goodCart())) == "send");
}

BOOST_AUTO_TEST_CASE(each_reason)
{
    Cart anonymous = goodCart();
    anonymous.customerId.clear();
    BOOST_TEST(text(precheckCart(anonymous)) == "anonymous");

    Cart empty = goodCart();
    empty.lines.clear();
    BOOST_TEST(text(precheckCart(empty)) == "empty");

    Cart untimed = goodCart();
    untimed.modifiedDateTime.reset();
    BOOST_TEST(text(precheckCart(untimed)) == "untimed");
}

BOOST_AUTO_TEST_CASE(priority_anonymous_then_empty_then_untimed)
{
    Cart cart = goodCart();
    cart.customerId.clear();
    cart.lines.clear();
    cart.modifiedDateTime.reset();
    BOOST_TEST(text(precheckCart(cart)) == "anonymous");
    cart.customerId = "004011";
    BOOST_TEST(text(precheckCart(cart)) == "empty");
    cart.lines = goodCart().lines;
    BOOST_TEST(text(precheckCart(cart)) == "untimed");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(decide)

struct Fixture
{
    Cart cart = goodCart();
    Customer customer{"004011", "Ann", "Lee", "ann@example.com", "en-us"};
    std::map<std::int64_t, Product> products{{101, Product{101, "Belt", "0001", "10", {}}}};

    DecisionInput input(const Customer* who, bool optedOut = false, bool recently = false,
                        bool consentRequired = false, bool consented = false) const
    {
        return DecisionInput{cart, who, products, optedOut, recently, consentRequired, consented};
    }
};

BOOST_FIXTURE_TEST_CASE(a_good_cart_is_sent, Fixture)
{
    // One of the two lines is known: enough.
    BOOST_TEST(text(decideSkip(input(&customer))) == "send");
    BOOST_TEST(text(decideSkip(input(&customer, false, false, true, true))) == "send");
}

BOOST_FIXTURE_TEST_CASE(each_reason, Fixture)
{
    BOOST_TEST(text(decideSkip(input(nullptr))) == "customer_unknown");
    BOOST_TEST(text(decideSkip(input(&customer, true))) == "opted_out");
    BOOST_TEST(text(decideSkip(input(&customer, false, true))) == "cooldown");
    BOOST_TEST(text(decideSkip(input(&customer, false, false, true, false))) == "no_consent");
    // Consent only matters in consent mode.
    BOOST_TEST(text(decideSkip(input(&customer, false, false, false, false))) == "send");

    for (const char* bad : {"", "   ", "ann.example.com", "@example.com", "ann@"})
    {
        Customer noEmail = customer;
        noEmail.email = bad;
        BOOST_TEST(text(decideSkip(input(&noEmail))) == "no_email", bad);
    }

    products.clear();
    BOOST_TEST(text(decideSkip(input(&customer))) == "no_product_found");
}

BOOST_FIXTURE_TEST_CASE(design_order_of_reasons, Fixture)
{
    Customer noEmail = customer;
    noEmail.email = "";
    // Everything wrong at once: each step removes the first reason and the next one shows.
    products.clear();
    BOOST_TEST(text(decideSkip(input(nullptr, true, true, true, false))) == "customer_unknown");
    BOOST_TEST(text(decideSkip(input(&noEmail, true, true, true, false))) == "no_email");
    BOOST_TEST(text(decideSkip(input(&customer, true, true, true, false))) == "no_product_found");
    products[102] = Product{102, "Hat", "0002", "20", {}};
    BOOST_TEST(text(decideSkip(input(&customer, true, true, true, false))) == "opted_out");
    BOOST_TEST(text(decideSkip(input(&customer, false, true, true, false))) == "no_consent");
    BOOST_TEST(text(decideSkip(input(&customer, false, true, true, true))) == "cooldown");
    BOOST_TEST(text(decideSkip(input(&customer, false, false, true, true))) == "send");
}

BOOST_FIXTURE_TEST_CASE(email_is_judged_after_normalising, Fixture)
{
    customer.email = "  Ann@Example.COM \n";
    BOOST_TEST(text(decideSkip(input(&customer))) == "send");
}

BOOST_AUTO_TEST_SUITE_END()
