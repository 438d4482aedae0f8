// Mailchimp Transactional (DESIGN §4.3), as the simulator must speak it: the contract's checks,
// the error envelopes with HTTP 500, per-recipient statuses, rejects/add, the key kept out of the log.
#include <boost/test/unit_test.hpp>

#include "SimTestSupport.h"

#include <string>

namespace {

using namespace simtest;

const std::string Send = "/api/1.0/messages/send-template";

std::string request(const std::string& key, const std::string& templateName, const std::string& to,
                    const std::string& extra = R"("preserve_recipients":false)")
{
    return R"({"key":")" + key + R"(","template_name":")" + templateName +
           R"(","template_content":[],"message":{"to":)" + to +
           R"(,"merge_language":"handlebars","tags":["abandoned-cart"],)" + extra +
           R"(,"merge_vars":[{"rcpt":"a@example.com","vars":[{"name":"firstName","content":"Ann"}]}],)"
           R"("recipient_metadata":[{"rcpt":"a@example.com","values":{"trigger_id":"t-a"}}]}})";
}

const std::string TwoRecipients =
    R"([{"email":"a@example.com","name":"Ann","type":"to"},{"email":"Bounced@example.com","type":"to"}])";

} // namespace

BOOST_AUTO_TEST_CASE(mandrill_send_template_answers_per_recipient_and_records_each)
{
    SimProcess sim({"--scenario=" + BasicScenario});
    sim.call("POST", "/_sim/scenario", R"({"mandrill":{"rejected":{"bounced@example.com":"hard-bounce"}}})");
    const HttpResult sent = sim.call("POST", Send, request("mandrill-key", "abandoned-cart", TwoRecipients));
    BOOST_TEST(sent.status == 200, sent.body);
    BOOST_TEST(sent.body.find(R"({"email":"a@example.com","status":"sent","reject_reason":null)") !=
                   std::string::npos,
               sent.body);
    BOOST_TEST(sent.body.find(R"("status":"rejected","reject_reason":"hard-bounce")") != std::string::npos,
               sent.body);
    const std::string messages = sim.call("GET", "/_sim/mandrill/messages").body;
    BOOST_TEST(messages.find(R"("trigger_id":"t-a","vars":{"firstName":"Ann"})") != std::string::npos,
               messages);
    BOOST_TEST(sim.call("GET", "/_sim/requests?kind=mandrillSend").body.find("mandrill-key") ==
               std::string::npos);

    BOOST_TEST(sim.call("POST", "/api/1.0/rejects/add",
                        R"({"key":"mandrill-key","email":"A@example.com","comment":"x"})")
                   .status == 200);
    BOOST_TEST(sim.call("POST", Send, request("mandrill-key", "abandoned-cart", TwoRecipients))
                   .body.find(R"("status":"rejected","reject_reason":"custom")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(mandrill_errors_are_envelopes_with_http_500)
{
    SimProcess sim({"--scenario=" + BasicScenario});
    const HttpResult wrongKey = sim.call("POST", Send, request("nope", "abandoned-cart", TwoRecipients));
    BOOST_TEST(wrongKey.status == 500);
    BOOST_TEST(wrongKey.body.find(R"("status":"error")") != std::string::npos);
    BOOST_TEST(wrongKey.body.find(R"("name":"Invalid_Key")") != std::string::npos, wrongKey.body);
    BOOST_TEST(sim.call("POST", Send, request("mandrill-key", "other", TwoRecipients))
                   .body.find("Unknown_Template") != std::string::npos);
    const HttpResult visible =
        sim.call("POST", Send,
                 request("mandrill-key", "abandoned-cart", TwoRecipients, R"("preserve_recipients":true)"));
    BOOST_TEST(visible.status == 500);
    BOOST_TEST(visible.body.find("ValidationError") != std::string::npos);
    BOOST_TEST(visible.body.find("preserve_recipients") != std::string::npos, visible.body);
    std::string many = "[";
    for (int i = 0; i < 101; ++i)
        many += std::string(i ? "," : "") + R"({"email":"c)" + std::to_string(i) + R"(@example.com"})";
    const HttpResult tooMany = sim.call("POST", Send, request("mandrill-key", "abandoned-cart", many + "]"));
    BOOST_TEST(tooMany.body.find("more than 100") != std::string::npos, tooMany.body);
    BOOST_TEST(sim.call("GET", "/_sim/mandrill/messages").body == "[]");
}
