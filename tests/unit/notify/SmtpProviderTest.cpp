#define BOOST_TEST_MODULE SmtpProvider
#include <boost/test/unit_test.hpp>

#include "RecordingJournal.h"
#include "ReminderData.h"
#include "SmtpTestServer.h"

#include "notify/SmtpProvider.h"

#include <Poco/Net/ServerSocket.h>

using namespace acd;
using namespace acd::test;
using namespace std::chrono_literals;

namespace {

const std::string Password = "s3cret-Pa55word";

std::vector<Reminder> reminders(const std::vector<std::string>& emails)
{
    std::vector<Reminder> list;
    for (std::size_t i = 0; i < emails.size(); ++i)
        list.push_back({static_cast<std::int64_t>(i + 1), "acd-trigger-" + std::to_string(i + 1), emails[i],
                        reminderData("Zoë", "Ångström", "fr-fr", "EUR", {{"Écharpe", "1", "24.5", "", ""}})});
    return list;
}

struct Client
{
    SmtpOptions options;
    std::vector<std::chrono::milliseconds> sleeps;

    Client(int port, const std::string& tls = "none")
    {
        options.host = "127.0.0.1";
        options.port = port;
        options.tls = tls;
        options.from = "Contoso <shop@example.com>";
        options.timeoutSeconds = 10;
        options.rendering = {templatesDir(), "", {}};
    }

    std::vector<DeliveryResult> deliver(const std::vector<Reminder>& list,
                                        Timestamp deadline = Timestamp::now().plusSeconds(600))
    {
        SmtpProvider provider(options);
        provider.sleeper = [this](std::chrono::milliseconds d) { sleeps.push_back(d); };
        provider.random01 = [] { return 0.5; };
        return test::deliverAll(provider, list, deadline);
    }
};

bool allSent(const std::vector<DeliveryResult>& results)
{
    return std::all_of(results.begin(), results.end(),
                       [](const DeliveryResult& r) { return r.status == DeliveryStatus::Sent; });
}

} // namespace

BOOST_AUTO_TEST_CASE(a_batch_goes_through_one_connection)
{
    SmtpTestServer server;
    Client client(server.port());
    const auto results = client.deliver(reminders({"a@example.com", "b@example.com", "c@example.com"}));
    BOOST_TEST(allSent(results));
    BOOST_TEST(server.count("connect") == 1u);
    BOOST_TEST(server.count("accepted") == 3u);
    const std::string message = server.message(2);
    BOOST_TEST(message.find("Message-ID: <acd-trigger-2@abandoned-cartd>") != std::string::npos);
    BOOST_TEST(message.find("From: Contoso <shop@example.com>") != std::string::npos);
    BOOST_TEST(message.find("Content-Type: multipart/alternative") != std::string::npos);
    BOOST_TEST(server.envelope(2).find(R"("from": "shop@example.com", "to": ["b@example.com"])") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(credentials_are_given_with_auth_and_a_refusal_is_an_auth_error)
{
    SmtpTestServer server({"--auth=mailer:" + Password});
    Client client(server.port());
    client.options.user = "mailer";
    client.options.password = Password;
    BOOST_TEST(allSent(client.deliver(reminders({"a@example.com"}))));
    BOOST_TEST(server.count("auth PLAIN ok") == 1u);

    client.options.password = "wrong-password";
    try
    {
        const auto results = client.deliver(reminders({"b@example.com"}));
        BOOST_FAIL("expected ProviderAuthError, got " + results[0].detail);
    }
    catch (const ProviderAuthError& e)
    {
        BOOST_TEST(std::string(e.what()).find("535") != std::string::npos);
        BOOST_TEST(std::string(e.what()).find("mailer") != std::string::npos);
        BOOST_TEST(std::string(e.what()).find("wrong-password") == std::string::npos);
    }

    client.options.user.clear();
    client.options.password.clear();
    BOOST_CHECK_THROW(client.deliver(reminders({"c@example.com"})), ProviderAuthError); // 530
    BOOST_TEST(!server.has(2));
}

BOOST_AUTO_TEST_CASE(transient_refusals_are_retried_with_backoff)
{
    SmtpTestServer server({"--tempfail=2"});
    Client client(server.port());
    const auto results = client.deliver(reminders({"a@example.com", "b@example.com"}));
    BOOST_TEST(allSent(results));
    BOOST_TEST(server.count("data-tempfail") == 2u);
    BOOST_TEST(server.count("accepted") == 2u);
    BOOST_TEST(client.sleeps.size() == 2u);
    BOOST_TEST(server.count("connect") == 1u);
}

BOOST_AUTO_TEST_CASE(a_connection_lost_while_the_server_has_the_message_is_uncertain_not_sent_twice)
{
    // The server keeps the first message, then drops the connection where its 250 was due.
    SmtpTestServer server({"--vanish=1"});
    Client client(server.port());
    const auto results = client.deliver(reminders({"a@example.com", "b@example.com"}));
    BOOST_TEST((results[0].status == DeliveryStatus::Uncertain));
    BOOST_TEST(results[0].detail.find("before its answer") != std::string::npos, results[0].detail);
    BOOST_TEST((results[1].status == DeliveryStatus::Sent));
    BOOST_TEST(server.count("accepted") == 2u); // a once: it was not sent again
    BOOST_TEST(server.count("vanished") == 1u);
    BOOST_TEST(server.count("connect") == 2u); // b on a new connection
    BOOST_TEST(client.sleeps.empty());
}

BOOST_AUTO_TEST_CASE(a_refusal_that_lasts_leaves_the_reminder_pending)
{
    SmtpTestServer server({"--tempfail=100"});
    Client client(server.port());
    client.options.maxAttemptsPerMessage = 3;
    const auto results = client.deliver(reminders({"a@example.com"}));
    BOOST_TEST((results[0].status == DeliveryStatus::Retry));
    BOOST_TEST(results[0].detail.find("451 4.3.0") != std::string::npos);
    BOOST_TEST(results[0].detail.find("after 3 attempts") != std::string::npos);

    // With no time left for the next wait, the reminder stays pending at once.
    Client hurried(server.port());
    const auto late = hurried.deliver(reminders({"a@example.com"}), Timestamp::now().plusSeconds(0));
    BOOST_TEST((late[0].status == DeliveryStatus::Retry));
    BOOST_TEST(hurried.sleeps.empty());
}

BOOST_AUTO_TEST_CASE(a_permanent_refusal_rejects_that_recipient_only)
{
    SmtpTestServer server({"--reject=gone@example.com"});
    Client client(server.port());
    const auto results = client.deliver(reminders({"a@example.com", "gone@example.com", "c@example.com"}));
    BOOST_TEST((results[0].status == DeliveryStatus::Sent));
    BOOST_TEST((results[1].status == DeliveryStatus::Rejected));
    BOOST_TEST(results[1].detail.find("550 5.1.1 <gone@example.com>: Recipient address rejected") !=
               std::string::npos);
    BOOST_TEST((results[2].status == DeliveryStatus::Sent));
    // libcurl closes the connection after a failed transaction: c goes on a second one.
    BOOST_TEST(server.count("connect") == 2u);
    BOOST_TEST(client.sleeps.empty());
}

BOOST_AUTO_TEST_CASE(starttls_and_implicit_tls_verify_the_server)
{
    TestCertificate certificate;
    for (const std::string mode : {"starttls", "implicit"})
    {
        BOOST_TEST_CONTEXT(mode)
        {
            SmtpTestServer server({"--tls=" + mode, "--tls-cert=" + certificate.cert,
                                   "--tls-key=" + certificate.key, "--auth=mailer:" + Password});
            Client trusting(server.port(), mode);
            trusting.options.caFile = certificate.cert;
            trusting.options.user = "mailer";
            trusting.options.password = Password;
            BOOST_TEST(allSent(trusting.deliver(reminders({"a@example.com"}))));
            BOOST_TEST(server.envelope(1).find(R"("tls": true)") != std::string::npos);

            // The same server, not trusted: nothing is sent, the reminder stays pending.
            Client wary(server.port(), mode);
            wary.options.maxAttemptsPerMessage = 1;
            const auto refused = wary.deliver(reminders({"b@example.com", "c@example.com"}));
            BOOST_TEST((refused[0].status == DeliveryStatus::Retry));
            BOOST_TEST(refused[0].detail.find("not from a certificate authority this computer trusts") !=
                           std::string::npos,
                       refused[0].detail);
            BOOST_TEST((refused[1].status == DeliveryStatus::Retry));
            BOOST_TEST(refused[1].detail.starts_with("not attempted"));
            BOOST_TEST(!server.has(2));

            // smtp.caFile names another authority: only that one is trusted, so refused too.
            TestCertificate other;
            Client misled(server.port(), mode);
            misled.options.caFile = other.cert;
            misled.options.maxAttemptsPerMessage = 1;
            const auto wrongCa = misled.deliver(reminders({"d@example.com"}));
            BOOST_TEST((wrongCa[0].status == DeliveryStatus::Retry));
            BOOST_TEST(wrongCa[0].detail.find("not from a certificate authority of " + other.cert) !=
                           std::string::npos,
                       wrongCa[0].detail);
            BOOST_TEST(!server.has(2));
        }
    }
}

BOOST_AUTO_TEST_CASE(configured_credentials_are_never_skipped_when_the_server_offers_no_auth)
{
    SmtpTestServer server; // offers no AUTH, and would take the message without
    Client client(server.port());
    client.options.user = "mailer";
    client.options.password = Password;
    client.options.maxAttemptsPerMessage = 1;
    const auto results = client.deliver(reminders({"a@example.com", "b@example.com"}));
    BOOST_TEST((results[0].status == DeliveryStatus::Retry));
    BOOST_TEST(results[0].detail.find("offers neither AUTH PLAIN nor AUTH LOGIN (it offers: nothing)") !=
                   std::string::npos,
               results[0].detail);
    BOOST_TEST(results[1].detail.starts_with("not attempted"));
    BOOST_TEST(!server.has(1));
}

namespace {

/// A ledger that cannot record: the message must then not leave.
class FailingJournal : public RecordingJournal
{
public:
    void sending(const std::vector<std::int64_t>&) override { throw std::runtime_error("disk full"); }
};

} // namespace

BOOST_AUTO_TEST_CASE(a_message_that_cannot_be_recorded_as_sending_is_not_sent)
{
    SmtpTestServer server;
    Client client(server.port());
    SmtpProvider provider(client.options);
    FailingJournal journal;
    BOOST_CHECK_EXCEPTION(
        provider.deliver(reminders({"a@example.com"}), Timestamp::now().plusSeconds(600), journal),
        std::runtime_error, [](const std::runtime_error& e) { return std::string(e.what()) == "disk full"; });
    BOOST_TEST(server.count("connect") == 1u); // it got as far as the session
    BOOST_TEST(!server.has(1));
}

BOOST_AUTO_TEST_CASE(starttls_is_never_skipped_when_the_server_does_not_offer_it)
{
    SmtpTestServer server;
    Client client(server.port(), "starttls");
    client.options.maxAttemptsPerMessage = 1;
    const auto results = client.deliver(reminders({"a@example.com"}));
    BOOST_TEST((results[0].status == DeliveryStatus::Retry));
    BOOST_TEST(results[0].detail.find("does not offer STARTTLS") != std::string::npos);
    BOOST_TEST(!server.has(1));
}

BOOST_AUTO_TEST_CASE(an_unreachable_server_leaves_everything_pending)
{
    int port = 0;
    {
        Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
        port = probe.address().port();
    }
    Client client(port);
    client.options.maxAttemptsPerMessage = 2;
    const auto results = client.deliver(reminders({"a@example.com", "b@example.com"}));
    BOOST_TEST((results[0].status == DeliveryStatus::Retry));
    BOOST_TEST(results[0].detail.find("connection to 127.0.0.1:" + std::to_string(port) + " failed") !=
               std::string::npos);
    BOOST_TEST((results[1].status == DeliveryStatus::Retry));
    BOOST_TEST(client.sleeps.size() == 1u);
}

BOOST_AUTO_TEST_CASE(wrong_options_are_named)
{
    SmtpOptions options;
    options.rendering = {templatesDir(), "", {}};
    options.host = "mail.example.com";
    options.from = "shop@example.com";
    options.tls = "ssl";
    BOOST_CHECK_EXCEPTION(SmtpProvider{options}, std::invalid_argument, [](const std::invalid_argument& e) {
        return std::string(e.what()).find("smtp.tls") != std::string::npos;
    });
    options.tls = "none";
    options.from = "nobody";
    BOOST_CHECK_EXCEPTION(SmtpProvider{options}, std::invalid_argument, [](const std::invalid_argument& e) {
        return std::string(e.what()).find("smtp.from") != std::string::npos;
    });
}
