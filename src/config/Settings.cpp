#include "config/Settings.h"

#include "core/Email.h"
#include "core/ImageUrls.h"

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
#include <set>
#include <tuple>
#include <variant>

namespace acd {

namespace {

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

/// The value of `key`, trimmed; "" when absent. An empty value counts as not set, so that a
/// line left as `key =` keeps the default.
std::string textOf(const AbstractConfiguration& config, const std::string& key)
{
    return Poco::trim(config.getString(key, ""));
}

bool onlyChars(const std::string& value, const char* extra)
{
    return !value.empty() && std::all_of(value.begin(), value.end(), [extra](unsigned char c) {
        return std::isalnum(c) || std::strchr(extra, c) != nullptr;
    });
}

bool isLoopbackHost(const std::string& host)
{
    Poco::Net::IPAddress address;
    return Poco::icompare(host, "localhost") == 0 ||
           (Poco::Net::IPAddress::tryParse(host, address) && address.isLoopback());
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
    if (value != "emarsys" && value != "outbox" && value != "smtp")
        fail(key, value, "one of: emarsys, outbox, smtp");
}

void checkSmtpTls(const std::string& key, const std::string& value)
{
    if (value != "none" && value != "starttls" && value != "implicit")
        fail(key, value, "one of: none, starttls, implicit");
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

const std::vector<std::string> secretSourceNames = {"keyvault", "dpapi", "libsecret", "systemd-creds", "env"};

std::vector<std::string> parseSecretSources(const std::string& key, const std::string& value)
{
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

using Field = std::variant<std::string Settings::*, int Settings::*, bool Settings::*,
                           std::vector<std::string> Settings::*>;

struct Key
{
    const char* name;
    Field field;
    int min = 0; // integers
    int max = 0;
    void (*check)(const std::string& key, const std::string& value) = nullptr; // text
    const char* requiredFor = nullptr; // "" always, else the notify.provider that needs the key
    const char* why = nullptr;
};

constexpr const char* always = "";

// Every key we read, in DESIGN §6 order: this order is the order of validation.
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
         .why = "notify.provider is emarsys; the name of the secret holding the API user name"},
        {.name = "emarsys.apiSecretSecretName",
         .field = &Settings::emarsysSecretSecretName,
         .check = checkSecretName,
         .requiredFor = "emarsys",
         .why = "notify.provider is emarsys; the name of the secret holding the API secret"},
        {.name = "emarsys.contactKeyId", .field = &Settings::emarsysContactKeyId, .check = checkNumericId},
        {.name = "notify.templatesDir", .field = &Settings::templatesDir},
        {.name = "notify.unsubscribeUrl", .field = &Settings::unsubscribeUrl, .check = checkUnsubscribeUrl},
        {.name = "notify.retryBudgetSeconds", .field = &Settings::retryBudgetSeconds, .min = 0, .max = 3600},
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

const char* const viewportPrefix = "media.viewports";
const std::vector<std::string> viewportFields = {"media", "width", "height", "useForDefaultImageTag"};

// Our top-level prefixes; `logging.*`, `application.*` and `system.*` belong to Poco.
const std::set<std::string> ourPrefixes = {"keyVault", "retailServer", "detection", "ledger",
                                           "notify",   "emarsys",      "outbox",    "smtp",
                                           "media",    "secrets",      "privacy",   "admin"};
const std::set<std::string> pocoPrefixes = {"logging", "application", "system"};

std::vector<Viewport> loadViewports(const AbstractConfiguration& config)
{
    AbstractConfiguration::Keys names;
    config.keys(viewportPrefix, names);
    std::vector<Viewport> viewports;
    for (const auto& name : names)
    {
        const std::string prefix = std::string(viewportPrefix) + "." + name + ".";
        Viewport viewport;
        viewport.name = name;
        viewport.media = textOf(config, prefix + "media");
        if (viewport.media.empty())
            failRequired(prefix + "media",
                         "the CSS media query of viewport " + name + ", e.g. (max-width:768px)");
        for (auto [field, member] :
             {std::pair{"width", &Viewport::width}, std::pair{"height", &Viewport::height}})
        {
            const std::string value = textOf(config, prefix + field);
            if (value.empty())
                failRequired(prefix + field,
                             std::string("the image ") + field + " of viewport " + name + " in pixels");
            viewport.*member = parseInt(prefix + field, value, 1, 10000);
        }
        const std::string useDefault = textOf(config, prefix + "useForDefaultImageTag");
        if (!useDefault.empty())
            viewport.useForDefaultImageTag = parseBool(prefix + "useForDefaultImageTag", useDefault);
        viewports.push_back(viewport);
    }
    if (viewports.empty())
        return defaultViewports();
    std::sort(viewports.begin(), viewports.end(), [](const Viewport& a, const Viewport& b) {
        return std::tie(a.width, a.name) < std::tie(b.width, b.name);
    });
    return viewports;
}

void collectKeys(const AbstractConfiguration& config, const std::string& prefix,
                 std::vector<std::string>& out)
{
    AbstractConfiguration::Keys children;
    config.keys(prefix, children);
    for (const auto& child : children)
    {
        if (prefix.empty() && pocoPrefixes.count(child))
            continue;
        const std::string key = prefix.empty() ? child : prefix + "." + child;
        if (config.has(key))
            out.push_back(key);
        collectKeys(config, key, out);
    }
}

std::size_t editDistance(const std::string& a, const std::string& b)
{
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
    {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
        {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// Keys are compared without case, so `retailserver.URL` still finds `retailServer.url`.
std::string closest(const std::string& key, const std::vector<std::string>& candidates)
{
    const std::string lowerKey = Poco::toLower(key);
    std::string best;
    std::size_t bestDistance = std::max<std::size_t>(2, key.size() / 4) + 1;
    for (const auto& candidate : candidates)
    {
        const std::size_t distance = editDistance(lowerKey, Poco::toLower(candidate));
        if (distance < bestDistance)
        {
            bestDistance = distance;
            best = candidate;
        }
    }
    return best;
}

void warnUnknownKeys(const AbstractConfiguration& config, std::vector<std::string>& warnings)
{
    std::vector<std::string> known;
    for (const Key& key : keyTable())
        known.push_back(key.name);
    AbstractConfiguration::Keys viewportNames;
    config.keys(viewportPrefix, viewportNames);
    for (const auto& name : viewportNames)
        for (const auto& field : viewportFields)
            known.push_back(std::string(viewportPrefix) + "." + name + "." + field);

    std::vector<std::string> present;
    collectKeys(config, "", present);
    for (const auto& key : present)
    {
        if (std::find(known.begin(), known.end(), key) != known.end())
            continue;
        const std::string top = key.substr(0, key.find('.'));
        const std::string suggestion = closest(key, known);
        // Beyond our prefixes only a near miss of one of our keys (`retailSever.url`) is worth a word.
        if (!ourPrefixes.count(top) && suggestion.empty())
            continue;
        std::string warning = "unknown key " + key + " (ignored)";
        if (!suggestion.empty())
            warning += " \u2014 did you mean " + suggestion + "?";
        warnings.push_back(warning);
    }
}

// Base URLs get paths appended (`{retailServer.url}/Commerce`), so a trailing '/' would double.
void trimTrailingSlashes(std::string& url)
{
    while (url.size() > 1 && url.back() == '/' && url[url.size() - 2] != '/')
        url.pop_back();
}

void checkCombinations(const AbstractConfiguration& config, Settings& s)
{
    if (s.includeModifiedSinceLastMinutes <= s.excludeModifiedSinceLastMinutes)
        fail("detection.includeModifiedSinceLastMinutes", std::to_string(s.includeModifiedSinceLastMinutes),
             "more minutes than detection.excludeModifiedSinceLastMinutes = \"" +
                 std::to_string(s.excludeModifiedSinceLastMinutes) + "\" (the window would be empty)");

    if (std::find(s.secretSources.begin(), s.secretSources.end(), "keyvault") != s.secretSources.end() &&
        s.keyVaultUrl.empty())
        failRequired("keyVault.url", "secrets.sources lists keyvault");

    if (s.smtpUserSecretName.empty() != s.smtpPasswordSecretName.empty())
    {
        if (s.smtpUserSecretName.empty())
            failRequired("smtp.userSecretName", "smtp.passwordSecretName is set");
        failRequired("smtp.passwordSecretName", "smtp.userSecretName is set");
    }
    if (s.provider == "smtp" && s.smtpTls == "none" && !s.smtpUserSecretName.empty() &&
        !isLoopbackHost(s.smtpHost))
        fail("smtp.tls", s.smtpTls,
             "starttls or implicit: smtp.userSecretName is set and smtp.host is not a loopback host, so the "
             "password would cross the network in clear");
    if (s.smtpTls == "implicit" && textOf(config, "smtp.port").empty())
        s.smtpPort = 465;

    if (s.adminPort != 0 && !isLoopbackHost(s.adminBindAddress) && s.adminTokenSecretName.empty())
        failRequired("admin.tokenSecretName",
                     "admin.bindAddress " + s.adminBindAddress +
                         " is not a loopback address, so admin requests need a token");

    trimTrailingSlashes(s.keyVaultUrl);
    trimTrailingSlashes(s.retailServerUrl);
    trimTrailingSlashes(s.authority);
}

template <class... F> struct Overloaded : F...
{
    using F::operator()...;
};
template <class... F> Overloaded(F...) -> Overloaded<F...>;

} // namespace

Settings Settings::load(const AbstractConfiguration& config, std::vector<std::string>& warnings)
{
    warnUnknownKeys(config, warnings);

    Settings settings;
    for (const Key& key : keyTable())
    {
        const std::string value = textOf(config, key.name);
        if (value.empty())
        {
            if (key.requiredFor && (*key.requiredFor == '\0' || settings.provider == key.requiredFor))
                failRequired(key.name, key.why);
            continue;
        }
        std::visit(
            Overloaded{
                [&](std::string Settings::*field) {
                    if (value.find_first_of("\r\n") != std::string::npos)
                        fail(key.name, value, "a single line of text");
                    if (key.check)
                        key.check(key.name, value);
                    settings.*field = value;
                },
                [&](int Settings::*field) { settings.*field = parseInt(key.name, value, key.min, key.max); },
                [&](bool Settings::*field) { settings.*field = parseBool(key.name, value); },
                [&](std::vector<std::string> Settings::*field) {
                    settings.*field = parseSecretSources(key.name, value);
                },
            },
            key.field);
    }
    settings.viewports = loadViewports(config);
    checkCombinations(config, settings);
    return settings;
}

std::string Settings::canonicalText() const
{
    std::vector<std::string> lines;
    for (const Key& key : keyTable())
    {
        const std::string value = std::visit(
            Overloaded{
                [this](std::string Settings::*field) { return this->*field; },
                [this](int Settings::*field) { return std::to_string(this->*field); },
                [this](bool Settings::*field) { return std::string(this->*field ? "true" : "false"); },
                [this](std::vector<std::string> Settings::*field) {
                    return Poco::cat(std::string(","), (this->*field).begin(), (this->*field).end());
                },
            },
            key.field);
        lines.push_back(std::string(key.name) + "=" + value);
    }
    for (const Viewport& viewport : viewports)
    {
        const std::string prefix = std::string(viewportPrefix) + "." + viewport.name + ".";
        lines.push_back(prefix + "media=" + viewport.media);
        lines.push_back(prefix + "width=" + std::to_string(viewport.width));
        lines.push_back(prefix + "height=" + std::to_string(viewport.height));
        lines.push_back(prefix +
                        "useForDefaultImageTag=" + (viewport.useForDefaultImageTag ? "true" : "false"));
    }
    std::sort(lines.begin(), lines.end());
    std::string text;
    for (const auto& line : lines)
        text += line + "\n";
    return text;
}

} // namespace acd
