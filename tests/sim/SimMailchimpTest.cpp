// Mailchimp Marketing e-commerce (DESIGN §4.4), as the simulator must speak it: Basic auth with
// the key, problem+json errors, the contract's order (customer and products before the cart), a
// repeated cart id refused as "already exists", the purge calls, the key kept out of the log.
#include <boost/test/unit_test.hpp>

#include "SimTestSupport.h"

#include <string>

namespace {

using namespace simtest;

const std::string Store = "/3.0/ecommerce/stores/acd-store";
const Headers Auth = {{"Authorization", "Basic eDowMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZi11czIx"}};
const std::string Hash = "b418773a2c51fb9777a1648346fa7394"; // md5("a@example.com")

const std::string Customer =
    R"({"id":"c1","email_address":"a@example.com","opt_in_status":false,"first_name":"Ann","last_name":"Lee"})";
const std::string Product =
    R"({"id":"p1","title":"Mug","variants":[{"id":"p1","title":"Mug","price":12.5,"image_url":"https://img.example.com/m.png"}]})";

std::string cart(const std::string& id, const std::string& total = "25")
{
    return R"({"id":")" + id +
           R"(","customer":{"id":"c1"},"checkout_url":"https://shop.example.com/cart","currency_code":"EUR","order_total":)" +
           total +
           R"(,"lines":[{"id":"1","product_id":"p1","product_variant_id":"p1","quantity":2,"price":25}]})";
}

} // namespace

BOOST_AUTO_TEST_CASE(mailchimp_keeps_each_cart_id_once_and_says_so_in_problem_json)
{
    SimProcess sim({"--scenario=" + BasicScenario});
    // The contract's order: the cart before its customer is refused.
    const HttpResult early = sim.call("POST", Store + "/carts", cart("t-1"), Auth);
    BOOST_TEST(early.status == 400);
    BOOST_TEST(early.headers.get("Content-Type", "").starts_with("application/problem+json"));
    BOOST_TEST(early.body.find("customer.id") != std::string::npos, early.body);

    BOOST_TEST(sim.call("PUT", Store + "/customers/c1", Customer, Auth).status == 200);
    BOOST_TEST(sim.call("PUT", Store + "/products/p1", Product, Auth).status == 200);
    BOOST_TEST(sim.call("POST", Store + "/carts", cart("t-1", "24"), Auth).body.find("order_total") !=
               std::string::npos);
    BOOST_TEST(sim.call("POST", Store + "/carts", cart("t-1"), Auth).status == 200);
    const HttpResult again = sim.call("POST", Store + "/carts", cart("t-1"), Auth);
    BOOST_TEST(again.status == 400);
    BOOST_TEST(again.json()->getValue<std::string>("detail") ==
               "A cart with the provided ID already exists in the account.");
    BOOST_TEST(sim.call("GET", "/_sim/mailchimp/carts").jsonArray()->size() == 1u);
    BOOST_TEST(sim.call("GET", "/_sim/stats").json()->getValue<int>("mailchimpCartRepeats") == 1);
    // reset-log forgets what was received, not the store's cart ids.
    sim.call("POST", "/_sim/reset-log");
    BOOST_TEST(sim.call("POST", Store + "/carts", cart("t-1"), Auth).status == 400);

    const HttpResult subscribed =
        sim.call("PUT", Store + "/customers/c1",
                 R"({"id":"c1","email_address":"a@example.com","opt_in_status":true})", Auth);
    BOOST_TEST(subscribed.body.find("opt_in_status") != std::string::npos, subscribed.body);
}

BOOST_AUTO_TEST_CASE(mailchimp_refuses_a_wrong_key_and_an_unknown_store_and_purges)
{
    SimProcess sim({"--scenario=" + BasicScenario});
    const HttpResult wrong =
        sim.call("PUT", Store + "/customers/c1", Customer, {{"Authorization", "Basic eDp3cm9uZw=="}});
    BOOST_TEST(wrong.status == 401);
    BOOST_TEST(wrong.json()->getValue<std::string>("title") == "API Key Invalid");
    BOOST_TEST(sim.call("PUT", "/3.0/ecommerce/stores/other/customers/c1", Customer, Auth).status == 404);
    BOOST_TEST(sim.call("GET", "/_sim/requests").body.find("eDowMTIz") == std::string::npos);

    sim.call("PUT", Store + "/customers/c1", Customer, Auth);
    const std::string member = "/3.0/lists/a1b2c3d4e5/members/" + Hash + "/actions/delete-permanent";
    BOOST_TEST(sim.call("POST", member, "", Auth).status == 204);
    BOOST_TEST(sim.call("POST", member, "", Auth).status == 404);
    BOOST_TEST(sim.call("DELETE", Store + "/customers/c1", "", Auth).status == 204);
    BOOST_TEST(sim.call("DELETE", Store + "/customers/c1", "", Auth).status == 404);
    BOOST_TEST(sim.call("GET", "/_sim/mailchimp/deletes").body ==
               R"([{"what":"member","id":")" + Hash + R"("},{"what":"customer","id":"c1"}])");

    // A 429 fault carries no rate-limit header, as Mailchimp sends none.
    sim.call("POST", "/_sim/faults",
             R"({"kind":"mailchimpCart","status":429,"header":{"Retry-After":"3","X-RateLimit-Reset":"9"}})");
    const HttpResult throttled = sim.call("POST", Store + "/carts", cart("t-2"), Auth);
    BOOST_TEST(throttled.status == 429);
    BOOST_TEST(!throttled.headers.has("Retry-After"));
    BOOST_TEST(!throttled.headers.has("X-RateLimit-Reset"));
}
