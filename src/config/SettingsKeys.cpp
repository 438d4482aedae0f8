#include "config/SettingsKeys.h"

#include "core/Email.h"
#include "core/Urls.h"

#include <Poco/Net/IPAddress.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>
#include <Poco/URI.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstring>

namespace acd::configkeys {

using Poco::Util::AbstractConfiguration;

// The value is quoted in a one-line message, so anything that could break the line or the
// quoting is escaped.
std::string quoted(const std::string& value)
{
    std::string out = "\"";
    for (unsigned char c : value)
    {
        if (c == '"' || c == '\\')
        {
            out += '\\';
            out += static_cast<char>(c);
        }
        else if (c < 0x20 || c == 0x7f)
        {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        }
        else
            out += static_cast<char>(c);
    }
    return out + "\"";
}

[[noreturn]] void fail(const std::string& key, const std::string& value, const std::string& expected)
{
    throw ConfigError(key + " = " + quoted(value) + ": expected " + expected);
}

[[noreturn]] void failRequired(const std::string& key, const std::string& why)
{
    throw ConfigError(key + " is required: " + why);
}

std::string textOf(const AbstractConfiguration& config, const std::string& key)
{
    return Poco::trim(config.getString(key, ""));
}

int parseInt(const std::string& key, const std::string& value, int min, int max)
{
    long long number = 0;
    const char* end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), end, number);
    if (ec != std::errc() || ptr != end || number < min || number > max)
    {
        if (max == INT_MAX)
            fail(key, value, "a whole number of " + std::to_string(min) + " or more");
        fail(key, value, "a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return static_cast<int>(number);
}

bool parseBool(const std::string& key, const std::string& value)
{
    const std::string lower = Poco::toLower(value);
    if (lower == "true" || lower == "yes" || lower == "1")
        return true;
    if (lower == "false" || lower == "no" || lower == "0")
        return false;
    fail(key, value, "true or false (or yes/no, 1/0)");
}

std::vector<std::string> parseSecretSources(const std::string& key, const std::string& value)
{
    static const std::vector<std::string> secretSourceNames = {"keyvault", "dpapi", "libsecret",
                                                               "systemd-creds", "env"};
    std::vector<std::string> sources;
    for (const auto& token : Poco::StringTokenizer(value, ", \t", Poco::StringTokenizer::TOK_IGNORE_EMPTY))
    {
        if (std::find(secretSourceNames.begin(), secretSourceNames.end(), token) == secretSourceNames.end())
            fail(key, value,
                 "a list of: keyvault, dpapi, libsecret, systemd-creds, env (unknown: " + token + ")");
        if (std::find(sources.begin(), sources.end(), token) != sources.end())
            fail(key, value, "each source at most once (repeated: " + token + ")");
        sources.push_back(token);
    }
    if (sources.empty())
        fail(key, value, "a list of: keyvault, dpapi, libsecret, systemd-creds, env");
    return sources;
}

const char* const wsseRetirementWarning =
    "emarsys.auth = wsse: Emarsys retires WSSE authentication at the end of 2026 (announced in its "
    "developer changelog on 2024-11-08); create OAuth 2.0 credentials in Emarsys (Management \u2192 "
    "Security Settings \u2192 Create API credentials \u2192 OpenID Connect), name their secrets in "
    "emarsys.clientIdSecretName and emarsys.clientSecretSecretName, and set emarsys.auth = oauth2";

namespace {

bool onlyChars(const std::string& value, const char* extra)
{
    return !value.empty() && std::all_of(value.begin(), value.end(), [extra](unsigned char c) {
        return std::isalnum(c) || std::strchr(extra, c) != nullptr;
    });
}

void checkUrlText(const std::string& key, const std::string& shown, const std::string& url)
{
    const char* expected = "https:// (plain http:// only for loopback hosts)";
    if (std::any_of(url.begin(), url.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; }))
        fail(key, shown, std::string(expected) + " without spaces or control characters");
    Poco::URI uri;
    try
    {
        uri = Poco::URI(url);
    }
    catch (const Poco::Exception& e)
    {
        fail(key, shown, std::string(expected) + " (" + e.message() + ")");
    }
    if (!uri.getUserInfo().empty())
        throw ConfigError(key + ": expected a URL without user:password@ (credentials belong in a secret, "
                                "never in the configuration)");
    const bool https = uri.getScheme() == "https";
    const bool loopbackHttp = uri.getScheme() == "http" && isLoopbackHost(uri.getHost());
    if (!https && !loopbackHttp)
        fail(key, shown, expected);
    if (!onlyChars(uri.getHost(), ".-_:"))
        fail(key, shown, "a URL with a host name, such as https://contoso.example.com/path");
}

std::string substituted(std::string text, std::initializer_list<const char*> placeholders)
{
    for (const char* placeholder : placeholders)
        Poco::replaceInPlace(text, std::string(placeholder), std::string("0"));
    return text;
}

void checkUrl(const std::string& key, const std::string& value)
{
    checkUrlText(key, value, value);
}

void checkReturnToCartUrl(const std::string& key, const std::string& value)
{
    checkUrlText(key, value, substituted(value, {"{cartId}", "{customerId}"}));
}

void checkUnsubscribeUrl(const std::string& key, const std::string& value)
{
    checkUrlText(key, value, substituted(value, {"{email}", "{token}"}));
}

void checkEmarsysApiUrl(const std::string& key, const std::string& value)
{
    if (value.find("{0}") == std::string::npos)
        fail(key, value, "a URL containing {0} (replaced by emarsys.externalEventId)");
    checkUrlText(key, value, substituted(value, {"{0}"}));
}

void checkSecretName(const std::string& key, const std::string& value)
{
    // Names become file names (systemd-creds) and URL path segments (Key Vault).
    if (!onlyChars(value, "._-") || value.front() == '.')
        fail(key, value,
             "a secret name of letters, digits, '.', '_' or '-' (the name, never the secret itself)");
}

void checkTenantId(const std::string& key, const std::string& value)
{
    if (!onlyChars(value, ".-"))
        fail(key, value, "a tenant id (GUID) or domain such as contoso.onmicrosoft.com");
}

/// The token scope is `{audienceId}/.default`: an application ID URI or an application id.
void checkAudienceId(const std::string& key, const std::string& value)
{
    const std::string expected = "an application ID URI such as https://commerce.dynamics.com or "
                                 "api://<app id>, or an application id (GUID), without /.default";
    if (value.ends_with("/.default") || !onlyChars(value, ".-_:/"))
        fail(key, value, expected);
    const bool guid = value.size() == 36 && value.find("://") == std::string::npos;
    if (!guid && value.find("://") == std::string::npos)
        fail(key, value, expected);
}

void checkOperatingUnitNumber(const std::string& key, const std::string& value)
{
    if (!onlyChars(value, "_-"))
        fail(key, value, "an operating unit number such as 128 (letters, digits, '_' or '-')");
}

void checkApiVersion(const std::string& key, const std::string& value)
{
    const auto dot = value.find('.');
    if (dot == std::string::npos || !onlyChars(value.substr(0, dot), "") ||
        !onlyChars(value.substr(dot + 1), ""))
        fail(key, value, "a version such as 7.3");
}

void checkIdentifier(const std::string& key, const std::string& value)
{
    if (!onlyChars(value, "_-"))
        fail(key, value, "an id of letters, digits, '_' or '-'");
}

void checkNumericId(const std::string& key, const std::string& value)
{
    if (!std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); }))
        fail(key, value, "the numeric id of a contact field, such as 3");
}

void checkProvider(const std::string& key, const std::string& value)
{
    if (value != "emarsys" && value != "outbox" && value != "smtp" && value != "sendgrid" &&
        value != "mandrill" && value != "mailchimp")
        fail(key, value, "one of: emarsys, outbox, smtp, sendgrid, mandrill, mailchimp");
}

void checkMailchimpId(const std::string& key, const std::string& value)
{
    // Both go into URL paths; Mailchimp's own are letters and digits, a store's id is chosen
    // by whoever created the store.
    if (!onlyChars(value, "._-") || value.size() > 50)
        fail(key, value,
             key == std::string("mailchimp.listId")
                 ? "the audience id Mailchimp shows in Audience \u2192 Settings, such as a1b2c3d4e5"
                 : "the id the Mailchimp store was created with (letters, digits, '.', '_' or '-'), such as "
                   "contoso-online");
}

void checkSendGridApiUrl(const std::string& key, const std::string& value)
{
    checkUrlText(key, value, value);
    if (value.find("/v3/") == std::string::npos)
        fail(key, value,
             "the v3 Mail Send URL, https://api.sendgrid.com/v3/mail/send (EU accounts: "
             "https://api.eu.sendgrid.com/v3/mail/send)");
}

void checkSendGridTemplateId(const std::string& key, const std::string& value)
{
    // Dynamic templates have ids "d-" and 32 hex digits; legacy templates cannot take
    // dynamic_template_data.
    if (!value.starts_with("d-") || value.size() < 3 || !onlyChars(value.substr(2), ""))
        fail(key, value, "the id of a dynamic template, such as d-0123456789abcdef0123456789abcdef");
}

void checkEmarsysAuth(const std::string& key, const std::string& value)
{
    if (value != authOAuth2 && value != authWsse)
        fail(key, value, "oauth2 or wsse");
}

void checkSmtpTls(const std::string& key, const std::string& value)
{
    if (value != "none" && value != "starttls" && value != "implicit")
        fail(key, value, "one of: none, starttls, implicit");
}

void checkMandrillTemplate(const std::string& key, const std::string& value)
{
    // The template's name or slug as Mailchimp Transactional shows it.
    if (!onlyChars(value, " ._-") || value.size() > 255)
        fail(key, value,
             "the name or slug of a published Mailchimp Transactional template (letters, digits, "
             "spaces, '.', '_' or '-'), such as abandoned-cart");
}

void checkHost(const std::string& key, const std::string& value)
{
    if (!onlyChars(value, ".-_:"))
        fail(key, value, "a host name or IP address");
}

void checkMailbox(const std::string& key, const std::string& value)
{
    // Either `reminders@example.com` or `Shop <reminders@example.com>`.
    std::string address = value;
    if (const auto open = value.rfind('<'); open != std::string::npos && value.back() == '>')
        address = value.substr(open + 1, value.size() - open - 2);
    if (!isUsableEmail(address) || address.find_first_of("<>") != std::string::npos)
        fail(key, value, "an email address such as reminders@example.com or Shop <reminders@example.com>");
}

void checkImageFormat(const std::string& key, const std::string& value)
{
    if (!onlyChars(value, "") || value.size() > 8)
        fail(key, value, "an image format such as jpg, png or webp");
}

void checkIpAddress(const std::string& key, const std::string& value)
{
    Poco::Net::IPAddress address;
    if (!Poco::Net::IPAddress::tryParse(value, address))
        fail(key, value, "an IP address such as 127.0.0.1 or ::1");
}

constexpr const char* always = "";

} // namespace

const std::vector<Key>& keyTable()
{
    static const std::vector<Key> table = {
        {.name = "keyVault.url", .field = &Settings::keyVaultUrl, .check = checkUrl},
        {.name = "retailServer.url",
         .field = &Settings::retailServerUrl,
         .check = checkUrl,
         .requiredFor = always,
         .why = "the Retail Server base URL (from LCS), e.g. https://contoso.commerce.dynamics.com"},
        {.name = "retailServer.tenantId",
         .field = &Settings::tenantId,
         .check = checkTenantId,
         .requiredFor = always,
         .why = "the Entra ID tenant that issues Retail Server tokens"},
        {.name = "retailServer.audienceId", .field = &Settings::audienceId, .check = checkAudienceId},
        {.name = "retailServer.authority", .field = &Settings::authority, .check = checkUrl},
        {.name = "retailServer.appIdSecretName",
         .field = &Settings::appIdSecretName,
         .check = checkSecretName,
         .requiredFor = always,
         .why = "the name of the secret holding the application (client) id"},
        {.name = "retailServer.appSecretSecretName",
         .field = &Settings::appSecretSecretName,
         .check = checkSecretName,
         .requiredFor = always,
         .why = "the name of the secret holding the application's client secret"},
        {.name = "retailServer.operatingUnitNumber",
         .field = &Settings::operatingUnitNumber,
         .check = checkOperatingUnitNumber,
         .requiredFor = always,
         .why = "the operating unit number of the online channel whose carts are read"},
        {.name = "retailServer.apiVersion", .field = &Settings::apiVersion, .check = checkApiVersion},
        {.name = "retailServer.pageSize", .field = &Settings::pageSize, .min = 1, .max = 1000},
        {.name = "retailServer.timeoutSeconds",
         .field = &Settings::requestTimeoutSeconds,
         .min = 1,
         .max = 600},
        {.name = "retailServer.concurrency", .field = &Settings::concurrency, .min = 1, .max = 32},
        {.name = "http.maxReplyMegabytes", .field = &Settings::maxReplyMegabytes, .min = 1, .max = 1024},
        {.name = "http.maxTokenReplyKilobytes",
         .field = &Settings::maxTokenReplyKilobytes,
         .min = 1,
         .max = 65536},
        {.name = "http.stallSeconds", .field = &Settings::stallSeconds, .min = 1, .max = 600},
        {.name = "http.stallBytesPerSecond",
         .field = &Settings::stallBytesPerSecond,
         .min = 0,
         .max = 1000000000},
        {.name = "detection.includeModifiedSinceLastMinutes",
         .field = &Settings::includeModifiedSinceLastMinutes,
         .min = 1,
         .max = 525600},
        {.name = "detection.excludeModifiedSinceLastMinutes",
         .field = &Settings::excludeModifiedSinceLastMinutes,
         .min = 0,
         .max = INT_MAX},
        {.name = "detection.returnToCartUrl",
         .field = &Settings::returnToCartUrl,
         .check = checkReturnToCartUrl},
        {.name = "detection.intervalMinutes", .field = &Settings::intervalMinutes, .min = 1, .max = 1440},
        {.name = "detection.customerCooldownHours",
         .field = &Settings::customerCooldownHours,
         .min = 0,
         .max = 8760},
        {.name = "detection.requireConsent", .field = &Settings::requireConsent},
        {.name = "ledger.path",
         .field = &Settings::ledgerPath,
         .requiredFor = always,
         .why = "where the SQLite ledger is kept, e.g. /var/lib/abandoned-cartd/ledger.sqlite"},
        {.name = "ledger.retentionDays", .field = &Settings::retentionDays, .min = 1, .max = 3650},
        {.name = "notify.provider", .field = &Settings::provider, .check = checkProvider},
        {.name = "emarsys.auth", .field = &Settings::emarsysAuth, .check = checkEmarsysAuth},
        {.name = "emarsys.tokenUrl", .field = &Settings::emarsysTokenUrl, .check = checkUrl},
        {.name = "emarsys.clientIdSecretName",
         .field = &Settings::emarsysClientIdSecretName,
         .check = checkSecretName,
         .requiredFor = "emarsys",
         .requiredForAuth = authOAuth2,
         .why = "notify.provider is emarsys and emarsys.auth is oauth2 (the default); the name of the secret "
                "holding the OAuth 2.0 client id (Emarsys \u2192 Management \u2192 Security Settings \u2192 "
                "Create API credentials \u2192 OpenID Connect)"},
        {.name = "emarsys.clientSecretSecretName",
         .field = &Settings::emarsysClientSecretSecretName,
         .check = checkSecretName,
         .requiredFor = "emarsys",
         .requiredForAuth = authOAuth2,
         .why = "notify.provider is emarsys and emarsys.auth is oauth2 (the default); the name of the secret "
                "holding the OAuth 2.0 client secret"},
        {.name = "emarsys.apiUrl", .field = &Settings::emarsysApiUrl, .check = checkEmarsysApiUrl},
        {.name = "emarsys.contactDeleteUrl", .field = &Settings::emarsysContactDeleteUrl, .check = checkUrl},
        {.name = "emarsys.externalEventId",
         .field = &Settings::emarsysExternalEventId,
         .check = checkIdentifier,
         .requiredFor = "emarsys",
         .why = "notify.provider is emarsys; the id of the external event that triggers the campaign"},
        {.name = "emarsys.apiUserNameSecretName",
         .field = &Settings::emarsysUserSecretName,
         .check = checkSecretName,
         .requiredFor = "emarsys",
         .requiredForAuth = authWsse,
         .why = "notify.provider is emarsys and emarsys.auth is wsse; the name of the secret holding the API "
                "user name"},
        {.name = "emarsys.apiSecretSecretName",
         .field = &Settings::emarsysSecretSecretName,
         .check = checkSecretName,
         .requiredFor = "emarsys",
         .requiredForAuth = authWsse,
         .why = "notify.provider is emarsys and emarsys.auth is wsse; the name of the secret holding the API "
                "secret"},
        {.name = "emarsys.contactKeyId", .field = &Settings::emarsysContactKeyId, .check = checkNumericId},
        {.name = "mandrill.apiUrl", .field = &Settings::mandrillApiUrl, .check = checkUrl},
        {.name = "mandrill.apiKeySecretName",
         .field = &Settings::mandrillApiKeySecretName,
         .check = checkSecretName,
         .requiredFor = "mandrill",
         .why = "notify.provider is mandrill; the name of the secret holding the Mailchimp Transactional API "
                "key "
                "(Mailchimp Transactional \u2192 Settings \u2192 SMTP & API Info \u2192 Add API key)"},
        {.name = "mandrill.templateName",
         .field = &Settings::mandrillTemplateName,
         .check = checkMandrillTemplate,
         .requiredFor = "mandrill",
         .why =
             "notify.provider is mandrill; the name of the published Handlebars template the reminders use "
             "(conf/mandrill/abandoned-cart.handlebars, see README)"},
        {.name = "mailchimp.apiUrl", .field = &Settings::mailchimpApiUrl, .check = checkUrl},
        {.name = "mailchimp.apiKeySecretName",
         .field = &Settings::mailchimpApiKeySecretName,
         .check = checkSecretName,
         .requiredFor = "mailchimp",
         .why =
             "notify.provider is mailchimp; the name of the secret holding the Mailchimp Marketing API key "
             "(Account \u2192 Extras \u2192 API keys), which ends in its data centre such as -us21"},
        {.name = "mailchimp.storeId",
         .field = &Settings::mailchimpStoreId,
         .check = checkMailchimpId,
         .requiredFor = "mailchimp",
         .why = "notify.provider is mailchimp; the id of the e-commerce store that receives the carts, tied "
                "to one audience (README, Mailchimp)"},
        {.name = "mailchimp.listId",
         .field = &Settings::mailchimpListId,
         .check = checkMailchimpId,
         .requiredFor = "mailchimp",
         .why = "notify.provider is mailchimp; the id of the store's audience, where a purge deletes the "
                "member"},
        {.name = "notify.templatesDir", .field = &Settings::templatesDir},
        {.name = "notify.unsubscribeUrl", .field = &Settings::unsubscribeUrl, .check = checkUnsubscribeUrl},
        {.name = "notify.retryBudgetSeconds", .field = &Settings::retryBudgetSeconds, .min = 0, .max = 3600},
        {.name = "notify.resendUncertain", .field = &Settings::resendUncertain},
        {.name = "sendgrid.apiUrl", .field = &Settings::sendgridApiUrl, .check = checkSendGridApiUrl},
        {.name = "sendgrid.apiKeySecretName",
         .field = &Settings::sendgridApiKeySecretName,
         .check = checkSecretName,
         .requiredFor = "sendgrid",
         .why =
             "notify.provider is sendgrid; the name of the secret holding the SendGrid API key (Settings "
             "\u2192 API Keys, with Mail Send access, and Marketing and Suppressions for purge and opt-out)"},
        {.name = "sendgrid.templateId",
         .field = &Settings::sendgridTemplateId,
         .check = checkSendGridTemplateId,
         .requiredFor = "sendgrid",
         .why =
             "notify.provider is sendgrid; the id (d-...) of the dynamic template that renders the reminder"},
        {.name = "sendgrid.from",
         .field = &Settings::sendgridFrom,
         .check = checkMailbox,
         .requiredFor = "sendgrid",
         .why = "notify.provider is sendgrid; the sender, a verified sender of the account, such as Shop "
                "<reminders@example.com>"},
        {.name = "sendgrid.unsubscribeGroupId",
         .field = &Settings::sendgridUnsubscribeGroupId,
         .min = 0,
         .max = INT_MAX},
        {.name = "sendgrid.personalizationsPerRequest",
         .field = &Settings::sendgridPersonalizationsPerRequest,
         .min = 1,
         .max = 1000},
        {.name = "outbox.dir",
         .field = &Settings::outboxDir,
         .requiredFor = "outbox",
         .why = "notify.provider is outbox; the folder that receives one .eml file per reminder"},
        {.name = "smtp.host",
         .field = &Settings::smtpHost,
         .check = checkHost,
         .requiredFor = "smtp",
         .why = "notify.provider is smtp; the mail server to send through"},
        {.name = "smtp.port", .field = &Settings::smtpPort, .min = 1, .max = 65535},
        {.name = "smtp.tls", .field = &Settings::smtpTls, .check = checkSmtpTls},
        {.name = "smtp.from",
         .field = &Settings::smtpFrom,
         .check = checkMailbox,
         .requiredFor = "smtp",
         .why = "notify.provider is smtp; the sender address of the reminders"},
        {.name = "smtp.userSecretName", .field = &Settings::smtpUserSecretName, .check = checkSecretName},
        {.name = "smtp.passwordSecretName",
         .field = &Settings::smtpPasswordSecretName,
         .check = checkSecretName},
        {.name = "media.imageServerUrl", .field = &Settings::imageServerUrl, .check = checkUrl},
        {.name = "media.quality", .field = &Settings::mediaQuality, .min = 1, .max = 100},
        {.name = "media.mode", .field = &Settings::mediaMode, .min = 0, .max = INT_MAX},
        {.name = "media.format", .field = &Settings::mediaFormat, .check = checkImageFormat},
        {.name = "secrets.sources", .field = &Settings::secretSources},
        {.name = "secrets.cacheSeconds", .field = &Settings::secretCacheSeconds, .min = 0, .max = 604800},
        {.name = "privacy.hashKeySecretName",
         .field = &Settings::hashKeySecretName,
         .check = checkSecretName},
        {.name = "admin.bindAddress", .field = &Settings::adminBindAddress, .check = checkIpAddress},
        {.name = "admin.port", .field = &Settings::adminPort, .min = 0, .max = 65535},
        {.name = "admin.tokenSecretName", .field = &Settings::adminTokenSecretName, .check = checkSecretName},
    };
    return table;
}

} // namespace acd::configkeys
