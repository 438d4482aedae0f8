#include "app/Registry.h"

#include "admin/HashKey.h"
#include "core/Email.h"
#include "core/KeyedHash.h"

#include "net/HttpClient.h"
#include "net/OAuthClientCredentials.h"
#include "notify/EmarsysProvider.h"
#include "notify/MailchimpProvider.h"
#include "notify/MandrillProvider.h"
#include "notify/OutboxProvider.h"
#include "notify/SendGridProvider.h"
#include "notify/SmtpProvider.h"
#include "platform/Sha256.h"
#include "secrets/SealedTokenCache.h"
#include "secrets/SecretStore.h"
#include "secrets/Sources.h"

#include <Poco/Logger.h>
#include <Poco/Path.h>

#include <functional>
#include <map>
#include <set>

namespace acd {

HttpClientOptions httpOptions(const Settings& settings, int maxConcurrent)
{
    HttpClientOptions options;
    options.timeout = std::chrono::seconds(settings.requestTimeoutSeconds);
    options.connectTimeout = std::chrono::seconds(10);
    options.maxConcurrent = maxConcurrent;
    options.allowPlainHttpOnLoopbackOnly = true;
    options.maxResponseBytes = static_cast<std::size_t>(settings.maxReplyMegabytes) * 1024 * 1024;
    options.maxSmallResponseBytes = static_cast<std::size_t>(settings.maxTokenReplyKilobytes) * 1024;
    options.stallBytesPerSecond = settings.stallBytesPerSecond;
    options.stallTime = std::chrono::seconds(settings.stallSeconds);
    return options;
}

namespace {

/// Local secret files live next to the ledger, in the state directory the installer protects.
std::string besideLedger(const Settings& settings, const std::string& folder)
{
    return Poco::Path(settings.ledgerPath).makeAbsolute().parent().pushDirectory(folder).toString();
}

/// What the outbox and SMTP providers render with: the templates, and the unsubscribe link
/// whose `{token}` is the installation's keyed hash of the address.
RendererOptions rendering(const Settings& s, SecretStore& secrets)
{
    RendererOptions options{s.templatesDir, s.unsubscribeUrl, {}};
    if (s.unsubscribeUrl.find("{token}") != std::string::npos)
    {
        auto hash = std::make_shared<KeyedHash>(installationHashKey(
            s, secrets, [](const std::string& line) { Poco::Logger::get("acd.privacy").information(line); }));
        options.unsubscribeToken = [hash](const std::string& email) {
            return hash->unsubscribeToken(normalizeEmail(email));
        };
    }
    return options;
}

/// Emarsys's OAuth 2.0 tokens, kept sealed between processes: Emarsys allows 2 token fetches
/// a minute and 10 an hour per client, and every command line run is a process.
std::unique_ptr<TokenSource> emarsysTokens(const Settings& s, SecretStore& secrets, HttpClient& http)
{
    OAuthClientCredentialsOptions options;
    options.tokenUrl = s.emarsysTokenUrl;
    options.clientId = secrets.get(s.emarsysClientIdSecretName);
    options.clientSecret = secrets.get(s.emarsysClientSecretSecretName);
    options.credentialsInBasicHeader = true;
    options.what = "Emarsys token request to " + s.emarsysTokenUrl;
    // Sealed under a key derived from the installation's, which every process of this ledger
    // has, the daemon and a command run from a shell alike (DPAPI on Windows).
    const std::string installationKey = installationHashKey(
        s, secrets, [](const std::string& line) { Poco::Logger::get("acd.privacy").information(line); });
    const platform::Sha256Digest sealKey =
        platform::HmacSha256(installationKey).digest("abandoned-cartd sealed tokens v1");
    options.cache = std::make_unique<SealedTokenCache>(
        makeSealedStore(besideLedger(s, "sealed"), std::string(sealKey.begin(), sealKey.end())),
        "emarsys-oauth-token");
    options.warn = [](const std::string& line) { Poco::Logger::get("acd.notify").warning(line); };
    return std::make_unique<OAuthClientCredentials>(http, std::move(options));
}

using SourceFactory = std::function<std::unique_ptr<SecretSource>(const Settings&, HttpClient&)>;
using ProviderFactory =
    std::function<std::unique_ptr<EmailProvider>(const Settings&, SecretStore&, HttpClient&)>;

const std::map<std::string, SourceFactory>& secretSources()
{
    static const std::map<std::string, SourceFactory> sources{
        {"env", [](const Settings&, HttpClient&) { return makeEnvSource(); }},
        {"systemd-creds", [](const Settings&, HttpClient&) { return makeSystemdCredsSource(); }},
        {"libsecret", [](const Settings&, HttpClient&) { return makeLibsecretSource(); }},
        {"dpapi", [](const Settings& s, HttpClient&) { return makeDpapiSource(besideLedger(s, "secrets")); }},
        {"keyvault",
         [](const Settings& s, HttpClient& http) {
             KeyVaultOptions options;
             options.warn = [](const std::string& line) { Poco::Logger::get("acd.secrets").warning(line); };
             return makeKeyVaultSource(http, s.keyVaultUrl, besideLedger(s, "sealed"), std::move(options));
         }},
    };
    return sources;
}

const std::map<std::string, ProviderFactory>& emailProviders()
{
    static const std::map<std::string, ProviderFactory> providers{
        {"emarsys",
         [](const Settings& s, SecretStore& secrets, HttpClient& http) {
             EmarsysOptions options;
             options.apiUrl = s.emarsysApiUrl;
             options.contactDeleteUrl = s.emarsysContactDeleteUrl;
             options.externalEventId = s.emarsysExternalEventId;
             options.contactKeyId = s.emarsysContactKeyId;
             if (s.emarsysAuth == "wsse")
             {
                 options.user = secrets.get(s.emarsysUserSecretName);
                 options.secret = secrets.get(s.emarsysSecretSecretName);
             }
             else
                 options.tokens = emarsysTokens(s, secrets, http);
             // The provider's HttpClient keeps ProviderBatchesInFlight connections (CartDaemon).
             options.batchesInFlight = ProviderBatchesInFlight;
             return std::make_unique<EmarsysProvider>(http, std::move(options));
         }},
        {"sendgrid",
         [](const Settings& s, SecretStore& secrets, HttpClient& http) {
             SendGridOptions options;
             options.apiUrl = s.sendgridApiUrl;
             options.apiKeyName = s.sendgridApiKeySecretName;
             options.apiKey = secrets.get(s.sendgridApiKeySecretName);
             options.templateId = s.sendgridTemplateId;
             options.from = s.sendgridFrom;
             if (s.sendgridUnsubscribeGroupId > 0)
                 options.unsubscribeGroupId = s.sendgridUnsubscribeGroupId;
             options.maxPersonalizations = static_cast<std::size_t>(s.sendgridPersonalizationsPerRequest);
             options.report = [](const std::string& line) {
                 Poco::Logger::get("acd.privacy").information(line);
             };
             return std::make_unique<SendGridProvider>(http, std::move(options));
         }},
        {"mandrill",
         [](const Settings& s, SecretStore& secrets, HttpClient& http) {
             return std::make_unique<MandrillProvider>(
                 http, MandrillOptions{.apiUrl = s.mandrillApiUrl,
                                       .apiKey = secrets.get(s.mandrillApiKeySecretName),
                                       .apiKeySecretName = s.mandrillApiKeySecretName,
                                       .templateName = s.mandrillTemplateName});
         }},
        {"mailchimp",
         [](const Settings& s, SecretStore& secrets, HttpClient& http) {
             return std::make_unique<MailchimpProvider>(
                 http, MailchimpOptions{.apiUrl = s.mailchimpApiUrl,
                                        .apiKey = secrets.get(s.mailchimpApiKeySecretName),
                                        .apiKeySecretName = s.mailchimpApiKeySecretName,
                                        .storeId = s.mailchimpStoreId,
                                        .listId = s.mailchimpListId,
                                        .remindersAtOnce = ProviderBatchesInFlight,
                                        .report = [](const std::string& line) {
                                            Poco::Logger::get("acd.privacy").information(line);
                                        }});
         }},
        {"outbox",
         [](const Settings& s, SecretStore& secrets, HttpClient&) {
             OutboxOptions options;
             options.dir = s.outboxDir;
             if (!s.smtpFrom.empty())
                 options.from = s.smtpFrom;
             options.rendering = rendering(s, secrets);
             return std::make_unique<OutboxProvider>(std::move(options));
         }},
        {"smtp",
         [](const Settings& s, SecretStore& secrets, HttpClient&) {
             SmtpOptions options;
             options.host = s.smtpHost;
             options.port = s.smtpPort;
             options.tls = s.smtpTls;
             options.from = s.smtpFrom;
             if (!s.smtpUserSecretName.empty())
             {
                 options.user = secrets.get(s.smtpUserSecretName);
                 options.password = secrets.get(s.smtpPasswordSecretName);
             }
             options.rendering = rendering(s, secrets);
             return std::make_unique<SmtpProvider>(std::move(options));
         }},
    };
    return providers;
}

/// Providers with a suppression list of their own (EmailProvider::mirrorOptOut).
const std::set<std::string> optOutMirrors{"mandrill", "sendgrid"};

template <typename Map> std::string namesOf(const Map& map)
{
    std::string names;
    for (const auto& entry : map)
        names += (names.empty() ? "" : ", ") + entry.first;
    return names;
}

} // namespace

std::unique_ptr<SecretStore> makeSecretStore(const Settings& settings, HttpClient& http)
{
    std::vector<std::unique_ptr<SecretSource>> sources;
    for (const std::string& name : settings.secretSources)
    {
        auto factory = secretSources().find(name);
        if (factory == secretSources().end())
            throw ConfigError("secrets.sources: the source \"" + name +
                              "\" is not available in this build (available: " + namesOf(secretSources()) +
                              ")");
        sources.push_back(factory->second(settings, http));
    }
    auto store =
        std::make_unique<SecretStore>(std::move(sources), std::chrono::seconds(settings.secretCacheSeconds));
    store->setWarningHandler([](const std::string& line) { Poco::Logger::get("acd.secrets").warning(line); });
    return store;
}

std::unique_ptr<EmailProvider> makeEmailProvider(const Settings& settings, SecretStore& secrets,
                                                 HttpClient& http)
{
    auto factory = emailProviders().find(settings.provider);
    if (factory == emailProviders().end())
        throw ConfigError("notify.provider = \"" + settings.provider +
                          "\": not available in this build (available: " + namesOf(emailProviders()) + ")");
    return factory->second(settings, secrets, http);
}

bool providerMirrorsOptOuts(const Settings& settings)
{
    return optOutMirrors.contains(settings.provider);
}

} // namespace acd
