// SendGrid's v3 Mail Send, marketing contacts and global suppressions (DESIGN §4.2), as the
// simulator must speak them.
#include <boost/test/unit_test.hpp>

#include "SimTestSupport.h"

#include <Poco/Timestamp.h>

#include <string>
#include <vector>

namespace {

using namespace simtest;

const Headers Key = {{"Authorization", "Bearer SG.sim-api-key"}};
const std::string Template = "d-0123456789abcdef0123456789abcdef";

std::string mail(const std::vector<std::string>& addresses)
{
    std::string body = R"({"from":{"email":"shop@example.com","name":"Shop"},"template_id":")" + Template +
                       R"(","categories":["abandoned-cart"],"personalizations":[)";
    for (std::size_t i = 0; i < addresses.size(); ++i)
        body += std::string(i > 0 ? "," : "") + R"({"to":[{"email":")" + addresses[i] +
                R"("}],"dynamic_template_data":{"firstName":"A","n":)" + std::to_string(i) +
                R"(},"custom_args":{"trigger_id":"t)" + std::to_string(i) + R"("}})";
    return body + "]}";
}

Array::Ptr deliveries(const SimProcess& sim)
{
    return sim.control("GET", "/sendgrid/deliveries").jsonArray();
}

} // namespace

BOOST_FIXTURE_TEST_CASE(sendgrid_accepts_with_202_an_empty_body_and_a_message_id, BasicSim)
{
    const HttpResult reply = sim.call("POST", "/v3/mail/send", mail({"a@example.com", "b@example.com"}), Key);
    BOOST_TEST(reply.status == 202);
    BOOST_TEST(reply.body.empty());
    BOOST_TEST(!reply.headers.get("X-Message-Id", "").empty());
    const Array::Ptr all = deliveries(sim);
    BOOST_TEST_REQUIRE(all->size() == 2u);
    BOOST_TEST(all->getObject(1)->getValue<std::string>("trigger_id") == "t1");
    BOOST_TEST(all->getObject(1)->getObject("data")->getValue<int>("n") == 1);
    // No idempotency: the same request again is two more emails.
    BOOST_TEST(sim.call("POST", "/v3/mail/send", mail({"a@example.com", "b@example.com"}), Key).status ==
               202);
    BOOST_TEST(deliveries(sim)->size() == 4u);
}

BOOST_FIXTURE_TEST_CASE(sendgrid_refuses_the_whole_request_for_one_bad_address, BasicSim)
{
    const HttpResult reply =
        sim.call("POST", "/v3/mail/send", mail({"a@example.com", "not-an-address"}), Key);
    BOOST_TEST(reply.status == 400);
    const Object::Ptr error = reply.json()->getArray("errors")->getObject(0);
    BOOST_TEST(error->getValue<std::string>("field") == "personalizations.1.to.0.email");
    BOOST_TEST(error->getValue<std::string>("message") == "Does not contain a valid address.");
    BOOST_TEST(deliveries(sim)->size() == 0u);
    // An address twice in one request, and a wrong template, are refused too.
    BOOST_TEST(sim.call("POST", "/v3/mail/send", mail({"a@example.com", "A@example.com"}), Key).status ==
               400);
    std::string body = mail({"a@example.com"});
    body.replace(body.find(Template), Template.size(), "1234");
    const HttpResult wrongTemplate = sim.call("POST", "/v3/mail/send", body, Key);
    BOOST_TEST(wrongTemplate.status == 400);
    BOOST_TEST(wrongTemplate.json()->getArray("errors")->getObject(0)->getValue<std::string>("field") ==
               "template_id");
}

BOOST_FIXTURE_TEST_CASE(sendgrid_wants_its_key_and_throttles_with_x_ratelimit_reset_only, BasicSim)
{
    BOOST_TEST(sim.call("POST", "/v3/mail/send", mail({"a@example.com"})).status == 401);
    BOOST_TEST(sim.call("POST", "/v3/mail/send", mail({"a@example.com"}), {{"Authorization", "Bearer other"}})
                   .status == 401);
    BOOST_TEST(
        sim.control("POST", "/faults", R"({"kind":"sendgridMail","status":429,"retryAfter":"5"})").status ==
        200);
    const HttpResult throttled = sim.call("POST", "/v3/mail/send", mail({"a@example.com"}), Key);
    BOOST_TEST(throttled.status == 429);
    BOOST_TEST(!throttled.headers.has("Retry-After"));
    const long reset = std::stol(throttled.headers.get("X-RateLimit-Reset", "0"));
    BOOST_TEST(reset >= Poco::Timestamp().epochTime());
    BOOST_TEST(reset <= Poco::Timestamp().epochTime() + 2);
    BOOST_TEST(throttled.json()->has("errors"));
}

BOOST_FIXTURE_TEST_CASE(sendgrid_refuses_more_than_1000_personalizations_and_30_mb, BasicSim)
{
    std::vector<std::string> many;
    for (int i = 0; i < 1001; ++i)
        many.push_back("c" + std::to_string(i) + "@example.com");
    BOOST_TEST(sim.call("POST", "/v3/mail/send", mail(many), Key).status == 400);
    std::string huge = mail({"a@example.com"});
    huge.insert(huge.find("\"firstName\""), "\"pad\":\"" + std::string(31 * 1024 * 1024, 'x') + "\",");
    BOOST_TEST(sim.call("POST", "/v3/mail/send", huge, Key).status == 413);
}

BOOST_FIXTURE_TEST_CASE(sendgrid_contacts_are_searched_deleted_and_suppressed, BasicSim)
{
    const HttpResult found =
        sim.call("POST", "/v3/marketing/contacts/search/emails", R"({"emails":["Ada@Example.com"]})", Key);
    BOOST_TEST_REQUIRE(found.status == 200);
    const std::string id = found.json()
                               ->getObject("result")
                               ->getObject("ada@example.com")
                               ->getObject("contact")
                               ->getValue<std::string>("id");
    const HttpResult deleted = sim.call("DELETE", "/v3/marketing/contacts?ids=" + id, "", Key);
    BOOST_TEST(deleted.status == 202);
    BOOST_TEST(deleted.json()->has("job_id"));
    BOOST_TEST(sim.control("GET", "/sendgrid/deletes").jsonArray()->getElement<std::string>(0) ==
               "ada@example.com");
    BOOST_TEST(
        sim.call("POST", "/v3/marketing/contacts/search/emails", R"({"emails":["ada@example.com"]})", Key)
            .status == 404);

    const HttpResult suppressed =
        sim.call("POST", "/v3/asm/suppressions/global", R"({"recipient_emails":["ada@example.com"]})", Key);
    BOOST_TEST(suppressed.status == 201);
    BOOST_TEST(sim.control("GET", "/sendgrid/suppressions").jsonArray()->size() == 1u);
}
