#define BOOST_TEST_MODULE config_settings
#include <boost/test/unit_test.hpp>

#include "config/Settings.h"

#include "SettingsValues.h"

#include <algorithm>
#include <sstream>

using acd::ConfigError;
using acd::Settings;
using namespace acd::test;

BOOST_AUTO_TEST_CASE(full_configuration_is_read_into_every_field)
{
    const Values values = {
        {"keyVault.url", "https://contoso-carts.vault.azure.net/"},
        {"retailServer.url", "https://contoso.commerce.dynamics.com/"},
        {"retailServer.tenantId", "00000000-1111-2222-3333-444444444444"},
        {"retailServer.audienceId", "api://retail"},
        {"retailServer.authority", "https://login.example.com"},
        {"retailServer.appIdSecretName", "app-id"},
        {"retailServer.appSecretSecretName", "app-secret"},
        {"retailServer.operatingUnitNumber", "128"},
        {"retailServer.apiVersion", "7.4"},
        {"retailServer.pageSize", "250"},
        {"retailServer.timeoutSeconds", "45"},
        {"retailServer.concurrency", "8"},
        {"detection.includeModifiedSinceLastMinutes", "120"},
        {"detection.excludeModifiedSinceLastMinutes", "30"},
        {"detection.returnToCartUrl", "https://shop.example.com/cart?id={cartId}&c={customerId}"},
        {"detection.intervalMinutes", "5"},
        {"detection.customerCooldownHours", "48"},
        {"detection.requireConsent", "yes"},
        {"ledger.path", "/tmp/ledger.sqlite"},
        {"ledger.retentionDays", "90"},
        {"notify.provider", "smtp"},
        {"notify.templatesDir", "/etc/acd/templates"},
        {"notify.unsubscribeUrl", "https://shop.example.com/u?e={email}&t={token}"},
        {"notify.retryBudgetSeconds", "60"},
        {"notify.resendUncertain", "true"},
        {"emarsys.auth", "wsse"},
        {"emarsys.tokenUrl", "https://auth.example.com/token"},
        {"emarsys.clientIdSecretName", "em-client-id"},
        {"emarsys.clientSecretSecretName", "em-client-secret"},
        {"emarsys.apiUrl", "https://emarsys.example.com/event/{0}/trigger"},
        {"emarsys.contactDeleteUrl", "https://emarsys.example.com/contact/delete"},
        {"emarsys.externalEventId", "77"},
        {"emarsys.apiUserNameSecretName", "em-user"},
        {"emarsys.apiSecretSecretName", "em-secret"},
        {"emarsys.contactKeyId", "5"},
        {"outbox.dir", "/var/spool/acd"},
        {"smtp.host", "mail.example.com"},
        {"smtp.port", "587"},
        {"smtp.tls", "starttls"},
        {"smtp.from", "Shop <reminders@example.com>"},
        {"smtp.userSecretName", "smtp-user"},
        {"smtp.passwordSecretName", "smtp-password"},
        {"media.imageServerUrl", "https://images.example.com/search?fileName=/"},
        {"media.quality", "70"},
        {"media.mode", "3"},
        {"media.format", "webp"},
        {"secrets.sources", "keyvault, systemd-creds env"},
        {"secrets.cacheSeconds", "600"},
        {"admin.bindAddress", "::1"},
        {"admin.port", "8081"},
        {"admin.tokenSecretName", "admin-token"},
    };
    std::vector<std::string> warnings;
    const Settings s = load(values, warnings);
    BOOST_TEST(warnings.empty());
    BOOST_TEST(s.keyVaultUrl == "https://contoso-carts.vault.azure.net");
    BOOST_TEST(s.retailServerUrl == "https://contoso.commerce.dynamics.com");
    BOOST_TEST(s.tenantId == "00000000-1111-2222-3333-444444444444");
    BOOST_TEST(s.audienceId == "api://retail");
    BOOST_TEST(s.authority == "https://login.example.com");
    BOOST_TEST(s.appIdSecretName == "app-id");
    BOOST_TEST(s.appSecretSecretName == "app-secret");
    BOOST_TEST(s.operatingUnitNumber == "128");
    BOOST_TEST(s.apiVersion == "7.4");
    BOOST_TEST(s.pageSize == 250);
    BOOST_TEST(s.requestTimeoutSeconds == 45);
    BOOST_TEST(s.concurrency == 8);
    BOOST_TEST(s.includeModifiedSinceLastMinutes == 120);
    BOOST_TEST(s.excludeModifiedSinceLastMinutes == 30);
    BOOST_TEST(s.returnToCartUrl == "https://shop.example.com/cart?id={cartId}&c={customerId}");
    BOOST_TEST(s.intervalMinutes == 5);
    BOOST_TEST(s.customerCooldownHours == 48);
    BOOST_TEST(s.requireConsent);
    BOOST_TEST(s.ledgerPath == "/tmp/ledger.sqlite");
    BOOST_TEST(s.retentionDays == 90);
    BOOST_TEST(s.provider == "smtp");
    BOOST_TEST(s.templatesDir == "/etc/acd/templates");
    BOOST_TEST(s.unsubscribeUrl == "https://shop.example.com/u?e={email}&t={token}");
    BOOST_TEST(s.retryBudgetSeconds == 60);
    BOOST_TEST(s.resendUncertain);
    BOOST_TEST(s.emarsysAuth == "wsse");
    BOOST_TEST(s.emarsysTokenUrl == "https://auth.example.com/token");
    BOOST_TEST(s.emarsysClientIdSecretName == "em-client-id");
    BOOST_TEST(s.emarsysClientSecretSecretName == "em-client-secret");
    BOOST_TEST(s.emarsysApiUrl == "https://emarsys.example.com/event/{0}/trigger");
    BOOST_TEST(s.emarsysContactDeleteUrl == "https://emarsys.example.com/contact/delete");
    BOOST_TEST(s.emarsysExternalEventId == "77");
    BOOST_TEST(s.emarsysUserSecretName == "em-user");
    BOOST_TEST(s.emarsysSecretSecretName == "em-secret");
    BOOST_TEST(s.emarsysContactKeyId == "5");
    BOOST_TEST(s.outboxDir == "/var/spool/acd");
    BOOST_TEST(s.smtpHost == "mail.example.com");
    BOOST_TEST(s.smtpPort == 587);
    BOOST_TEST(s.smtpTls == "starttls");
    BOOST_TEST(s.smtpFrom == "Shop <reminders@example.com>");
    BOOST_TEST(s.smtpUserSecretName == "smtp-user");
    BOOST_TEST(s.smtpPasswordSecretName == "smtp-password");
    BOOST_TEST(s.imageServerUrl == "https://images.example.com/search?fileName=/");
    BOOST_TEST(s.mediaQuality == 70);
    BOOST_TEST(s.mediaMode == 3);
    BOOST_TEST(s.mediaFormat == "webp");
    BOOST_TEST(s.secretSources == (std::vector<std::string>{"keyvault", "systemd-creds", "env"}));
    BOOST_TEST(s.secretCacheSeconds == 600);
    BOOST_TEST(s.adminBindAddress == "::1");
    BOOST_TEST(s.adminPort == 8081);
    BOOST_TEST(s.adminTokenSecretName == "admin-token");
}

BOOST_AUTO_TEST_CASE(required_keys_alone_give_the_documented_defaults)
{
    const Settings s = load(required());
    const Settings defaults;
    BOOST_TEST(s.pageSize == 100);
    BOOST_TEST(s.includeModifiedSinceLastMinutes == 500);
    BOOST_TEST(s.excludeModifiedSinceLastMinutes == 10);
    BOOST_TEST(s.intervalMinutes == 15);
    BOOST_TEST(s.customerCooldownHours == 24);
    BOOST_TEST(s.apiVersion == "7.3");
    BOOST_TEST(s.provider == "emarsys");
    BOOST_TEST(s.emarsysAuth == "oauth2");
    BOOST_TEST(s.emarsysTokenUrl == "https://auth.emarsys.net/oauth2/token");
    BOOST_TEST(s.emarsysApiUrl == "https://api.emarsys.net/api/v3/event/{0}/trigger");
    BOOST_TEST(s.emarsysContactDeleteUrl == "https://api.emarsys.net/api/v3/contact/delete");
    BOOST_TEST(s.emarsysContactKeyId == "3");
    BOOST_TEST(!s.resendUncertain);
    BOOST_TEST(s.smtpPort == 25);
    BOOST_TEST(s.secretSources == std::vector<std::string>{"env"});
    BOOST_TEST(s.adminPort == 0);
    BOOST_TEST(s.returnToCartUrl.empty());
    BOOST_TEST(s.imageServerUrl.empty());
    BOOST_TEST(s.audienceId == defaults.audienceId);
    BOOST_TEST(s.authority == defaults.authority);
    // A Settings made in code agrees with the loaded one, where the auth decides the URLs.
    BOOST_TEST(s.emarsysAuth == defaults.emarsysAuth);
    BOOST_TEST(s.emarsysApiUrl == defaults.emarsysApiUrl);
    BOOST_TEST(s.emarsysContactDeleteUrl == defaults.emarsysContactDeleteUrl);
    BOOST_TEST(s.resendUncertain == defaults.resendUncertain);
}

BOOST_AUTO_TEST_CASE(an_empty_value_keeps_the_default)
{
    const Settings s =
        load(with(required(), {{"retailServer.pageSize", "  "}, {"detection.returnToCartUrl", ""}}));
    BOOST_TEST(s.pageSize == 100);
    BOOST_TEST(s.returnToCartUrl.empty());
}

BOOST_AUTO_TEST_CASE(wrong_type_names_key_value_and_expectation)
{
    BOOST_TEST(errorOf(with(required(), {{"retailServer.pageSize", "abc"}})) ==
               R"(retailServer.pageSize = "abc": expected a whole number from 1 to 1000)");
    BOOST_TEST(errorOf(with(required(), {{"retailServer.pageSize", "10.5"}})) ==
               R"(retailServer.pageSize = "10.5": expected a whole number from 1 to 1000)");
    BOOST_TEST(errorOf(with(required(), {{"detection.requireConsent", "maybe"}})) ==
               R"(detection.requireConsent = "maybe": expected true or false (or yes/no, 1/0))");
}

BOOST_AUTO_TEST_CASE(out_of_range_integers_are_refused_with_their_range)
{
    const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
        {"retailServer.pageSize", "0", "from 1 to 1000"},
        {"retailServer.pageSize", "1001", "from 1 to 1000"},
        {"retailServer.concurrency", "33", "from 1 to 32"},
        {"retailServer.timeoutSeconds", "0", "from 1 to 600"},
        {"detection.intervalMinutes", "1441", "from 1 to 1440"},
        {"detection.includeModifiedSinceLastMinutes", "525601", "from 1 to 525600"},
        {"detection.excludeModifiedSinceLastMinutes", "-1", "of 0 or more"},
        {"detection.customerCooldownHours", "8761", "from 0 to 8760"},
        {"ledger.retentionDays", "3651", "from 1 to 3650"},
        {"media.quality", "101", "from 1 to 100"},
        {"media.mode", "-2", "of 0 or more"},
        {"smtp.port", "0", "from 1 to 65535"},
        {"admin.port", "65536", "from 0 to 65535"},
        {"retailServer.pageSize", "99999999999999999999", "from 1 to 1000"},
    };
    for (const auto& [key, value, range] : cases)
    {
        BOOST_TEST_CONTEXT(key << " = " << value)
        {
            BOOST_TEST(errorOf(with(required(), {{key, value}})) ==
                       key + " = \"" + value + "\": expected a whole number " + range);
        }
    }
}

BOOST_AUTO_TEST_CASE(urls_must_be_https_except_on_loopback)
{
    BOOST_TEST(errorOf(with(required(), {{"retailServer.url", "http://contoso.commerce.dynamics.com"}})) ==
               R"(retailServer.url = "http://contoso.commerce.dynamics.com": expected https:// )"
               "(plain http:// only for loopback hosts)");
    BOOST_TEST(errorOf(with(required(), {{"media.imageServerUrl", "ftp://images.example.com"}}))
                   .starts_with(R"(media.imageServerUrl = "ftp://images.example.com": expected https://)"));
    BOOST_TEST(errorOf(with(required(), {{"keyVault.url", "vault.azure.net"}}))
                   .starts_with(R"(keyVault.url = "vault.azure.net": expected https://)"));
    BOOST_TEST(errorOf(with(required(), {{"retailServer.url", "https://exa mple.com"}}))
                   .starts_with(R"(retailServer.url = "https://exa mple.com": expected https://)"));
    BOOST_TEST(errorOf(with(required(), {{"retailServer.url", "https://"}})) ==
               R"(retailServer.url = "https://": expected a URL with a host name, such as )"
               "https://contoso.example.com/path");
    // A lookalike of a loopback name is not loopback.
    BOOST_TEST(errorOf(with(required(), {{"retailServer.url", "http://localhost.example.com"}}))
                   .find("expected https://") != std::string::npos);

    BOOST_TEST(errorOf(with(required(), {{"retailServer.url", "http://127.0.0.1.evil.com"}}))
                   .find("expected https://") != std::string::npos);
    BOOST_TEST(errorOf(with(required(), {{"retailServer.url", "http://[::ffff:127.0.0.1]:80"}}))
                   .find("expected https://") != std::string::npos);

    for (const std::string url : {"http://127.0.0.1:8080", "http://localhost:9", "http://[::1]:80/x",
                                  "http://LocalHost:9", "http://127.8.9.10", "http://[0:0:0:0:0:0:0:1]:80"})
    {
        BOOST_TEST_CONTEXT(url)
        {
            BOOST_TEST(load(with(required(), {{"retailServer.url", url}})).retailServerUrl == url);
        }
    }
}

BOOST_AUTO_TEST_CASE(credentials_inside_a_url_are_refused_without_repeating_them)
{
    const std::string error =
        errorOf(with(required(), {{"retailServer.url", "https://admin:hunter2@contoso.example.com"}}));
    BOOST_TEST(error.starts_with("retailServer.url: expected a URL without user:password@"));
    BOOST_TEST(error.find("hunter2") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(placeholders_are_substituted_before_a_url_is_checked)
{
    BOOST_TEST(load(with(required(), {{"detection.returnToCartUrl", "https://shop.example.com/{cartId}"}}))
                   .returnToCartUrl == "https://shop.example.com/{cartId}");
    BOOST_TEST(
        errorOf(with(required(), {{"detection.returnToCartUrl", "http://shop.example.com/{cartId}"}})) ==
        R"(detection.returnToCartUrl = "http://shop.example.com/{cartId}": expected https:// )"
        "(plain http:// only for loopback hosts)");
    BOOST_TEST(
        errorOf(with(required(), {{"emarsys.apiUrl", "https://api.emarsys.net/api/v2/event/trigger"}})) ==
        R"(emarsys.apiUrl = "https://api.emarsys.net/api/v2/event/trigger": expected a URL containing {0} )"
        "(replaced by emarsys.externalEventId)");
    BOOST_TEST(load(with(required(), {{"emarsys.apiUrl", "http://127.0.0.1:4000/event/{0}/trigger"}}))
                   .emarsysApiUrl == "http://127.0.0.1:4000/event/{0}/trigger");
}

BOOST_AUTO_TEST_CASE(missing_required_keys_say_why_they_are_needed)
{
    for (const auto& [key, value] : required())
    {
        BOOST_TEST_CONTEXT(key)
        {
            const std::string error = errorOf(without(required(), key));
            BOOST_TEST(error.starts_with(key + " is required: "));
            BOOST_TEST(error.size() > key.size() + 20);
        }
    }
    BOOST_TEST(
        errorOf(with(without(required(), "emarsys.externalEventId"), {{"notify.provider", "outbox"}})) ==
        "outbox.dir is required: notify.provider is outbox; the folder that receives one .eml file per "
        "reminder");
    BOOST_TEST(
        errorOf(with(required(), {{"notify.provider", "smtp"}})).starts_with("smtp.host is required: "));
    BOOST_TEST(errorOf(with(required(), {{"notify.provider", "smtp"}, {"smtp.host", "mail.example.com"}}))
                   .starts_with("smtp.from is required: "));
}

BOOST_AUTO_TEST_CASE(provider_specific_keys_are_not_required_for_other_providers)
{
    Values outbox = required();
    for (const char* key :
         {"emarsys.externalEventId", "emarsys.clientIdSecretName", "emarsys.clientSecretSecretName"})
        outbox.erase(key);
    outbox["notify.provider"] = "outbox";
    outbox["outbox.dir"] = "/var/spool/acd";
    BOOST_TEST(load(outbox).outboxDir == "/var/spool/acd");
}

BOOST_AUTO_TEST_CASE(unknown_provider_and_tls_mode_list_the_choices)
{
    BOOST_TEST(
        errorOf(with(required(), {{"notify.provider", "mailgun"}})) ==
        R"(notify.provider = "mailgun": expected one of: emarsys, outbox, smtp, sendgrid, mandrill, mailchimp)");
    BOOST_TEST(errorOf(with(required(), {{"smtp.tls", "ssl"}})) ==
               R"(smtp.tls = "ssl": expected one of: none, starttls, implicit)");
}

BOOST_AUTO_TEST_CASE(secret_sources_are_an_ordered_list_of_known_names)
{
    BOOST_TEST(load(with(required(), {{"secrets.sources", " libsecret,dpapi  env"}})).secretSources ==
               (std::vector<std::string>{"libsecret", "dpapi", "env"}));
    BOOST_TEST(
        errorOf(with(required(), {{"secrets.sources", "env, vault"}})) ==
        R"(secrets.sources = "env, vault": expected a list of: keyvault, dpapi, libsecret, systemd-creds, )"
        "env (unknown: vault)");
    BOOST_TEST(errorOf(with(required(), {{"secrets.sources", "env dpapi env"}})) ==
               R"(secrets.sources = "env dpapi env": expected each source at most once (repeated: env))");
    BOOST_TEST(
        errorOf(with(required(), {{"secrets.sources", ", ,"}})) ==
        R"(secrets.sources = ", ,": expected a list of: keyvault, dpapi, libsecret, systemd-creds, env)");
    BOOST_TEST(errorOf(with(required(), {{"secrets.sources", "keyvault"}})) ==
               "keyVault.url is required: secrets.sources lists keyvault");
    BOOST_TEST(load(with(required(),
                         {{"secrets.sources", "keyvault"}, {"keyVault.url", "https://v.vault.azure.net"}}))
                   .secretSources == std::vector<std::string>{"keyvault"});
}

BOOST_AUTO_TEST_CASE(secret_names_cannot_escape_their_store)
{
    BOOST_TEST(errorOf(with(required(), {{"retailServer.appIdSecretName", "../etc/passwd"}}))
                   .starts_with(R"(retailServer.appIdSecretName = "../etc/passwd": expected a secret name)"));
}

BOOST_AUTO_TEST_CASE(the_audience_is_an_application_id_uri_or_guid)
{
    for (const char* bad : {"not a url", "commerce", "https://commerce.dynamics.com/.default"})
        BOOST_TEST(errorOf(with(required(), {{"retailServer.audienceId", bad}}))
                       .starts_with("retailServer.audienceId = \"" + std::string(bad) +
                                    "\": expected an application ID URI"));
    for (const char* good : {"https://commerce.dynamics.com", "api://0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                             "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"})
        BOOST_TEST(load(with(required(), {{"retailServer.audienceId", good}})).audienceId == good);
}

BOOST_AUTO_TEST_CASE(include_must_exceed_exclude)
{
    BOOST_TEST(errorOf(with(required(), {{"detection.includeModifiedSinceLastMinutes", "10"},
                                         {"detection.excludeModifiedSinceLastMinutes", "10"}})) ==
               R"(detection.includeModifiedSinceLastMinutes = "10": expected more minutes than )"
               R"(detection.excludeModifiedSinceLastMinutes = "10" (the window would be empty))");
    BOOST_TEST(errorOf(with(required(), {{"detection.includeModifiedSinceLastMinutes", "5"}}))
                   .find(R"(detection.excludeModifiedSinceLastMinutes = "10")") != std::string::npos);
    BOOST_TEST(load(with(required(), {{"detection.includeModifiedSinceLastMinutes", "11"}}))
                   .includeModifiedSinceLastMinutes == 11);
}

BOOST_AUTO_TEST_CASE(booleans_accept_the_usual_spellings)
{
    for (const std::string yes : {"true", "TRUE", "yes", "1"})
        BOOST_TEST(load(with(required(), {{"detection.requireConsent", yes}})).requireConsent);
    for (const std::string no : {"false", "No", "0"})
        BOOST_TEST(!load(with(required(), {{"detection.requireConsent", no}})).requireConsent);

    for (const std::string yes : {"true", "TRUE", "yes", "1"})
        BOOST_TEST(load(with(required(), {{"notify.resendUncertain", yes}})).resendUncertain, yes);
    for (const std::string no : {"false", "No", "0", " "})
        BOOST_TEST(!load(with(required(), {{"notify.resendUncertain", no}})).resendUncertain, no);
    BOOST_TEST(errorOf(with(required(), {{"notify.resendUncertain", "sometimes"}})) ==
               R"(notify.resendUncertain = "sometimes": expected true or false (or yes/no, 1/0))");
}

BOOST_AUTO_TEST_CASE(a_value_with_a_line_break_is_refused_on_one_line)
{
    const std::string error =
        errorOf(with(required(), {{"retailServer.operatingUnitNumber", "128\r\nX-Evil: 1"}}));
    BOOST_TEST(
        error ==
        R"(retailServer.operatingUnitNumber = "128\x0d\x0aX-Evil: 1": expected a single line of text)");
}

BOOST_AUTO_TEST_CASE(admin_endpoint_off_loopback_needs_a_token)
{
    BOOST_TEST(
        errorOf(with(required(), {{"admin.port", "8081"}, {"admin.bindAddress", "0.0.0.0"}})) ==
        "admin.tokenSecretName is required: admin.bindAddress 0.0.0.0 is not a loopback address, so admin "
        "requests need a token");
    BOOST_TEST(errorOf(with(required(), {{"admin.bindAddress", "localhost:80"}}))
                   .starts_with(R"(admin.bindAddress = "localhost:80": expected an IP address)"));
    BOOST_TEST(load(with(required(), {{"admin.port", "8081"}})).adminBindAddress == "127.0.0.1");
    for (const std::string address : {"::1", "0:0:0:0:0:0:0:1", "127.0.0.2"})
    {
        BOOST_TEST_CONTEXT(address)
        {
            BOOST_TEST(load(with(required(), {{"admin.port", "8081"}, {"admin.bindAddress", address}}))
                           .adminBindAddress == address);
        }
    }
    BOOST_TEST(errorOf(with(required(), {{"admin.port", "8081"}, {"admin.bindAddress", "::ffff:127.0.0.1"}}))
                   .starts_with("admin.tokenSecretName is required"));
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_warned_about_with_the_closest_known_key)
{
    std::vector<std::string> warnings;
    load(with(required(), {{"retailServer.pagesize", "10"},
                           {"retailSever.url", "https://x.example.com"},
                           {"smtp.hots", "mail.example.com"},
                           {"emarsys.somethingElseEntirely", "1"},
                           {"media.viewports.small.media", "(max-width:768px)"},
                           {"media.viewports.small.width", "80"},
                           {"media.viewports.small.height", "80"},
                           {"media.viewports.small.widht", "80"},
                           {"logging.loggers.root.level", "debug"},
                           {"application.name", "acd"},
                           {"unrelated.key", "x"}}),
         warnings);
    std::sort(warnings.begin(), warnings.end());
    const std::vector<std::string> expected = {
        "unknown key emarsys.somethingElseEntirely (ignored)",
        "unknown key media.viewports.small.widht (ignored) \u2014 did you mean media.viewports.small.width?",
        "unknown key retailServer.pagesize (ignored) \u2014 did you mean retailServer.pageSize?",
        "unknown key retailSever.url (ignored) \u2014 did you mean retailServer.url?",
        "unknown key smtp.hots (ignored) \u2014 did you mean smtp.host?",
    };
    BOOST_TEST(warnings == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_line_without_a_key_is_ignored)
{
    // "= value" is the empty key, which walking the keys once followed forever (fuzz_settings).
    std::vector<std::string> warnings;
    BOOST_TEST(load(with(required(), {{"", "value"}}), warnings).tenantId == "contoso.onmicrosoft.com");
    BOOST_TEST(warnings.empty());
}

BOOST_AUTO_TEST_CASE(warnings_are_given_even_when_loading_fails)
{
    std::vector<std::string> warnings;
    Values values = without(required(), "retailServer.url");
    values["retailServer.URL"] = "https://contoso.commerce.dynamics.com";
    BOOST_CHECK_THROW(load(values, warnings), ConfigError);
    BOOST_TEST(warnings ==
               std::vector<std::string>{
                   "unknown key retailServer.URL (ignored) \u2014 did you mean retailServer.url?"});
}

BOOST_AUTO_TEST_CASE(default_viewports_are_the_three_of_design_section_4)
{
    const Settings s = load(required());
    BOOST_TEST_REQUIRE(s.viewports.size() == 3u);
    BOOST_TEST(s.viewports[0].name == "small");
    BOOST_TEST(s.viewports[0].media == "(max-width:768px)");
    BOOST_TEST(s.viewports[0].width == 80);
    BOOST_TEST(s.viewports[0].height == 80);
    BOOST_TEST(!s.viewports[0].useForDefaultImageTag);
    BOOST_TEST(s.viewports[1].name == "medium");
    BOOST_TEST(s.viewports[1].media == "(min-width:769px) and (max-width:1599px)");
    BOOST_TEST(s.viewports[1].width == 183);
    BOOST_TEST(s.viewports[1].height == 183);
    BOOST_TEST(!s.viewports[1].useForDefaultImageTag);
    BOOST_TEST(s.viewports[2].name == "large");
    BOOST_TEST(s.viewports[2].media == "(min-width:1600px)");
    BOOST_TEST(s.viewports[2].width == 315);
    BOOST_TEST(s.viewports[2].height == 315);
    BOOST_TEST(s.viewports[2].useForDefaultImageTag);
}

BOOST_AUTO_TEST_CASE(custom_viewports_replace_the_defaults_ordered_by_width)
{
    const Settings s = load(with(required(), {{"media.viewports.wide.media", "(min-width:1000px)"},
                                              {"media.viewports.wide.width", "600"},
                                              {"media.viewports.wide.height", "400"},
                                              {"media.viewports.wide.useForDefaultImageTag", "yes"},
                                              {"media.viewports.narrow.media", "(max-width:999px)"},
                                              {"media.viewports.narrow.width", "120"},
                                              {"media.viewports.narrow.height", "90"}}));
    BOOST_TEST_REQUIRE(s.viewports.size() == 2u);
    BOOST_TEST(s.viewports[0].name == "narrow");
    BOOST_TEST(s.viewports[0].media == "(max-width:999px)");
    BOOST_TEST(s.viewports[0].width == 120);
    BOOST_TEST(s.viewports[0].height == 90);
    BOOST_TEST(!s.viewports[0].useForDefaultImageTag);
    BOOST_TEST(s.viewports[1].name == "wide");
    BOOST_TEST(s.viewports[1].width == 600);
    BOOST_TEST(s.viewports[1].height == 400);
    BOOST_TEST(s.viewports[1].useForDefaultImageTag);
}

BOOST_AUTO_TEST_CASE(incomplete_or_wrong_viewports_are_refused)
{
    BOOST_TEST(
        errorOf(with(required(), {{"media.viewports.x.width", "80"}, {"media.viewports.x.height", "80"}}))
            .starts_with("media.viewports.x.media is required: "));
    BOOST_TEST(
        errorOf(with(required(), {{"media.viewports.x.media", "all"}, {"media.viewports.x.height", "80"}}))
            .starts_with("media.viewports.x.width is required: "));
    BOOST_TEST(errorOf(with(required(), {{"media.viewports.x.media", "all"},
                                         {"media.viewports.x.width", "0"},
                                         {"media.viewports.x.height", "80"}})) ==
               R"(media.viewports.x.width = "0": expected a whole number from 1 to 10000)");
}

BOOST_AUTO_TEST_CASE(canonical_text_is_sorted_key_value_lines_of_the_effective_settings)
{
    const Settings s = load(with(required(), {{"secrets.sources", "systemd-creds env"}}));
    const std::string text = s.canonicalText();
    BOOST_TEST(text == load(with(required(), {{"secrets.sources", "systemd-creds,env"}})).canonicalText());

    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    BOOST_TEST(std::is_sorted(lines.begin(), lines.end()));
    for (const std::string expected :
         {"retailServer.appIdSecretName=retail-app-id", "retailServer.pageSize=100", "emarsys.auth=oauth2",
          "emarsys.tokenUrl=https://auth.emarsys.net/oauth2/token",
          "emarsys.clientIdSecretName=emarsys-client-id",
          "emarsys.clientSecretSecretName=emarsys-client-secret",
          "emarsys.apiUrl=https://api.emarsys.net/api/v3/event/{0}/trigger",
          "emarsys.apiUserNameSecretName=", "notify.resendUncertain=false", "detection.requireConsent=false",
          "secrets.sources=systemd-creds,env", "media.viewports.large.useForDefaultImageTag=true",
          "media.viewports.medium.width=183", "keyVault.url="})
        BOOST_TEST((std::find(lines.begin(), lines.end(), expected) != lines.end()), expected);

    BOOST_TEST(load(with(required(), {{"retailServer.pageSize", "101"}})).canonicalText() != text);
    BOOST_TEST(load(with(required(), {{"notify.resendUncertain", "true"}})).canonicalText() != text);
    BOOST_TEST(load(with(required(), {{"emarsys.clientIdSecretName", "other-id"}})).canonicalText() != text);
}
