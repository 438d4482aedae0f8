#include "config/Settings.h"

#include "config/SettingsKeys.h"
#include "core/ImageUrls.h"
#include "core/Urls.h"

#include <Poco/String.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <algorithm>
#include <set>
#include <tuple>
#include <variant>

namespace acd {

namespace {

using configkeys::fail;
using configkeys::failRequired;
using configkeys::Key;
using configkeys::keyTable;
using configkeys::parseBool;
using configkeys::parseInt;
using configkeys::parseSecretSources;
using configkeys::quoted;
using configkeys::textOf;
using Poco::Util::AbstractConfiguration;

const char* const viewportPrefix = "media.viewports";
const std::vector<std::string> viewportFields = {"media", "width", "height", "useForDefaultImageTag"};

// Our top-level prefixes; `logging.*`, `application.*` and `system.*` belong to Poco.
const std::set<std::string> ourPrefixes = {
    "keyVault", "retailServer", "detection", "ledger",  "notify", "emarsys", "outbox",   "smtp",
    "mandrill", "media",        "secrets",   "privacy", "admin",  "http",    "sendgrid", "mailchimp"};
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
        // A line "= value" has an empty key: the root's child "" is the root again, and
        // following it would never end (found by fuzz_settings).
        if (key == prefix)
            continue;
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
        // The distance is at least the difference in length: a long stray key (a line of prose
        // left without its '#') is no near miss, and comparing it in full took seconds per file.
        const std::size_t shorter = std::min(key.size(), candidate.size());
        if (std::max(key.size(), candidate.size()) - shorter >= bestDistance)
            continue;
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

bool isSet(const AbstractConfiguration& config, const char* key)
{
    return !textOf(config, key).empty();
}

/// Runs before any value is checked: the auth decides which keys are required, and its
/// warnings should reach the user even when a later key stops the load.
void resolveEmarsysAuth(const AbstractConfiguration& config, Settings& s, std::vector<std::string>& warnings)
{
    const std::string provider = textOf(config, "notify.provider");
    if (!provider.empty() && provider != "emarsys")
        return;
    std::string auth = textOf(config, "emarsys.auth");
    if (auth.empty())
    {
        // A file written before OAuth 2.0 has only the WSSE keys; moving it to oauth2 would stop
        // its reminders on the day of the upgrade, well before Emarsys turns WSSE off.
        const bool wsseKeys =
            isSet(config, "emarsys.apiUserNameSecretName") && isSet(config, "emarsys.apiSecretSecretName");
        const bool oauthKeys =
            isSet(config, "emarsys.clientIdSecretName") || isSet(config, "emarsys.clientSecretSecretName");
        if (wsseKeys && !oauthKeys)
        {
            s.emarsysAuth = configkeys::authWsse;
            warnings.push_back("emarsys.auth not set: wsse assumed, as emarsys.apiUserNameSecretName and "
                               "emarsys.apiSecretSecretName are set and emarsys.clientIdSecretName and "
                               "emarsys.clientSecretSecretName are not (a configuration from an earlier "
                               "version); set emarsys.auth to oauth2 or wsse to say which");
        }
        auth = s.emarsysAuth;
    }
    if (auth == configkeys::authWsse)
        warnings.push_back(configkeys::wsseRetirementWarning);
}

/// An explicit URL always wins, even a v2 one under oauth2: it may be a proxy or the simulator.
void settleEmarsysUrls(const AbstractConfiguration& config, Settings& s, std::vector<std::string>& warnings)
{
    const bool wsse = s.emarsysAuth == configkeys::authWsse;
    for (const auto& [key, field, v2, v3] :
         {std::tuple{"emarsys.apiUrl", &Settings::emarsysApiUrl, configkeys::v2TriggerUrl,
                     configkeys::v3TriggerUrl},
          std::tuple{"emarsys.contactDeleteUrl", &Settings::emarsysContactDeleteUrl,
                     configkeys::v2ContactDeleteUrl, configkeys::v3ContactDeleteUrl}})
    {
        if (!isSet(config, key))
        {
            s.*field = wsse ? v2 : v3;
            continue;
        }
        const std::string& url = s.*field;
        if (wsse || s.provider != "emarsys" || url.find("/api/v2/") == std::string::npos)
            continue;
        warnings.push_back(std::string(key) + " = " + quoted(url) +
                           " is a v2 URL, which takes WSSE only, but emarsys.auth is oauth2: use " +
                           Poco::replace(url, std::string("/api/v2/"), std::string("/api/v3/")));
    }
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
    resolveEmarsysAuth(config, settings, warnings);
    for (const Key& key : keyTable())
    {
        const std::string value = textOf(config, key.name);
        if (value.empty())
        {
            // The auth is final by now: inferred before the loop, or read from emarsys.auth, which
            // precedes the keys that depend on it.
            if (key.requiredFor && (*key.requiredFor == '\0' || settings.provider == key.requiredFor) &&
                (!key.requiredForAuth || settings.emarsysAuth == key.requiredForAuth))
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
    settleEmarsysUrls(config, settings, warnings);
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
