#define BOOST_TEST_MODULE config_provider_settings
#include <boost/test/unit_test.hpp>

#include "config/Settings.h"

#include "SettingsValues.h"

using acd::ConfigError;
using acd::Settings;
using namespace acd::test;

// The keys of one provider: required only when it is notify.provider, and checked.
BOOST_AUTO_TEST_CASE(smtp_rules)
{
    Values smtp = with(required(), {{"notify.provider", "smtp"},
                                    {"smtp.host", "mail.example.com"},
                                    {"smtp.from", "reminders@example.com"}});
    BOOST_TEST(load(with(smtp, {{"smtp.tls", "implicit"}})).smtpPort == 465);
    BOOST_TEST(load(with(smtp, {{"smtp.tls", "implicit"}, {"smtp.port", "2465"}})).smtpPort == 2465);
    BOOST_TEST(errorOf(with(smtp, {{"smtp.userSecretName", "u"}})) ==
               "smtp.passwordSecretName is required: smtp.userSecretName is set");
    BOOST_TEST(
        errorOf(with(smtp,
                     {{"smtp.userSecretName", "u"}, {"smtp.passwordSecretName", "p"}, {"smtp.tls", "none"}}))
            .starts_with(R"(smtp.tls = "none": expected starttls or implicit)"));
    BOOST_TEST(load(with(smtp, {{"smtp.host", "127.0.0.1"},
                                {"smtp.userSecretName", "u"},
                                {"smtp.passwordSecretName", "p"},
                                {"smtp.tls", "none"}}))
                   .smtpTls == "none");
    BOOST_TEST(errorOf(with(smtp, {{"smtp.from", "not-an-address"}}))
                   .starts_with(R"(smtp.from = "not-an-address": expected an email address)"));
}

BOOST_AUTO_TEST_CASE(mandrill_rules)
{
    const Values mandrill =
        with(without(without(without(required(), "emarsys.externalEventId"), "emarsys.clientIdSecretName"),
                     "emarsys.clientSecretSecretName"),
             {{"notify.provider", "mandrill"},
              {"mandrill.apiKeySecretName", "mandrill-api-key"},
              {"mandrill.templateName", "abandoned-cart"}});
    const Settings s = load(mandrill);
    BOOST_TEST(s.provider == "mandrill");
    BOOST_TEST(s.mandrillApiUrl == "https://mandrillapp.com/api/1.0");
    BOOST_TEST(s.mandrillApiKeySecretName == "mandrill-api-key");
    BOOST_TEST(s.mandrillTemplateName == "abandoned-cart");
    BOOST_TEST(
        errorOf(without(mandrill, "mandrill.templateName")).starts_with("mandrill.templateName is required"));
    BOOST_TEST(errorOf(without(mandrill, "mandrill.apiKeySecretName"))
                   .starts_with("mandrill.apiKeySecretName is required"));
    BOOST_TEST(errorOf(with(mandrill, {{"mandrill.templateName", "cart<script>"}}))
                   .starts_with(R"(mandrill.templateName = "cart<script>": expected the name or slug)"));
    BOOST_TEST(errorOf(with(mandrill, {{"mandrill.apiUrl", "http://mandrillapp.com/api/1.0"}}))
                   .starts_with("mandrill.apiUrl = "));
    BOOST_TEST(
        load(with(mandrill, {{"mandrill.templateName", "Abandoned cart v2.1"}})).mandrillTemplateName ==
        "Abandoned cart v2.1");
    // Not required for the other providers, and no typo warning for the mandrill.* keys.
    std::vector<std::string> warnings;
    load(with(required(), {{"mandrill.templateName", "abandoned-cart"}}), warnings);
    BOOST_TEST(warnings.empty(), (warnings.empty() ? "" : warnings.front()));
}

BOOST_AUTO_TEST_CASE(sendgrid_keys_are_required_for_sendgrid_and_checked)
{
    Values sendgrid = with(required(), {{"notify.provider", "sendgrid"},
                                        {"sendgrid.apiKeySecretName", "sendgrid-api-key"},
                                        {"sendgrid.templateId", "d-0123456789abcdef0123456789abcdef"},
                                        {"sendgrid.from", "Shop <reminders@example.com>"}});
    const Settings s = load(sendgrid);
    BOOST_TEST(s.sendgridApiUrl == "https://api.sendgrid.com/v3/mail/send");
    BOOST_TEST(s.sendgridUnsubscribeGroupId == 0);
    for (const char* key : {"sendgrid.apiKeySecretName", "sendgrid.templateId", "sendgrid.from"})
        BOOST_TEST(errorOf(without(sendgrid, key)).starts_with(std::string(key) + " is required: "), key);
    BOOST_TEST(errorOf(with(sendgrid, {{"sendgrid.templateId", "1234"}}))
                   .starts_with(R"(sendgrid.templateId = "1234": expected the id of a dynamic template)"));
    BOOST_TEST(
        errorOf(with(sendgrid, {{"sendgrid.apiUrl", "https://api.sendgrid.com/mail/send"}}))
            .starts_with(R"(sendgrid.apiUrl = "https://api.sendgrid.com/mail/send": expected the v3)"));
    BOOST_TEST(errorOf(with(sendgrid, {{"sendgrid.apiUrl", "http://api.eu.sendgrid.com/v3/mail/send"}}))
                   .starts_with("sendgrid.apiUrl = "));
    BOOST_TEST(errorOf(with(sendgrid, {{"sendgrid.unsubscribeGroupId", "-1"}}))
                   .starts_with(R"(sendgrid.unsubscribeGroupId = "-1": expected a whole number)"));
    BOOST_TEST(load(with(sendgrid, {{"sendgrid.unsubscribeGroupId", "42"}})).sendgridUnsubscribeGroupId ==
               42);
    BOOST_TEST(s.sendgridPersonalizationsPerRequest == 100);
    BOOST_TEST(load(with(sendgrid, {{"sendgrid.personalizationsPerRequest", "1000"}}))
                   .sendgridPersonalizationsPerRequest == 1000);
    BOOST_TEST(errorOf(with(sendgrid, {{"sendgrid.personalizationsPerRequest", "1001"}}))
                   .starts_with(R"(sendgrid.personalizationsPerRequest = "1001": expected a whole number)"));
    // Not required for other providers.
    BOOST_TEST(load(required()).provider == "emarsys");
}

BOOST_AUTO_TEST_CASE(mailchimp_keys_are_required_for_mailchimp_and_checked)
{
    const Values mailchimp = with(required(), {{"notify.provider", "mailchimp"},
                                               {"mailchimp.apiKeySecretName", "mailchimp-api-key"},
                                               {"mailchimp.storeId", "contoso-online"},
                                               {"mailchimp.listId", "a1b2c3d4e5"}});
    const Settings s = load(mailchimp);
    BOOST_TEST(s.provider == "mailchimp");
    BOOST_TEST(s.mailchimpApiUrl.empty()); // from the key's data centre
    BOOST_TEST(s.mailchimpApiKeySecretName == "mailchimp-api-key");
    BOOST_TEST(s.mailchimpStoreId == "contoso-online");
    BOOST_TEST(s.mailchimpListId == "a1b2c3d4e5");
    for (const char* key : {"mailchimp.apiKeySecretName", "mailchimp.storeId", "mailchimp.listId"})
        BOOST_TEST(errorOf(without(mailchimp, key)).starts_with(std::string(key) + " is required: "), key);
    BOOST_TEST(
        errorOf(with(mailchimp, {{"mailchimp.storeId", "shop/../lists"}}))
            .starts_with(R"(mailchimp.storeId = "shop/../lists": expected the id the Mailchimp store)"));
    BOOST_TEST(errorOf(with(mailchimp, {{"mailchimp.listId", "a1 b2"}}))
                   .starts_with(R"(mailchimp.listId = "a1 b2": expected the audience id)"));
    BOOST_TEST(errorOf(with(mailchimp, {{"mailchimp.apiUrl", "http://us21.api.mailchimp.com/3.0"}}))
                   .starts_with("mailchimp.apiUrl = "));
    BOOST_TEST(
        load(with(mailchimp, {{"mailchimp.apiUrl", "https://us21.api.mailchimp.com/3.0"}})).mailchimpApiUrl ==
        "https://us21.api.mailchimp.com/3.0");
    BOOST_TEST(errorOf(with(mailchimp, {{"mailchimp.apiKeySecretName", "key with spaces"}}))
                   .starts_with(R"(mailchimp.apiKeySecretName = "key with spaces": expected a secret name)"));
    // Not required for the other providers, and no typo warning for the mailchimp.* keys.
    std::vector<std::string> warnings;
    load(with(required(), {{"mailchimp.storeId", "contoso-online"}}), warnings);
    BOOST_TEST(warnings.empty());
}
