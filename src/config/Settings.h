#pragma once

#include "core/Types.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace Poco::Util {
class AbstractConfiguration;
}

namespace acd {

/// A configuration value that is wrong: the message is one line naming the key, the value
/// and what was expected, e.g.
/// `retailServer.pageSize = "abc": expected a whole number from 1 to 1000`.
class ConfigError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

struct Settings
{
    // keyVault.*
    std::string keyVaultUrl;

    // retailServer.*
    std::string retailServerUrl;
    std::string tenantId;
    std::string audienceId = "https://commerce.dynamics.com";
    std::string authority = "https://login.microsoftonline.com";
    std::string appIdSecretName;
    std::string appSecretSecretName;
    std::string operatingUnitNumber;
    std::string apiVersion = "7.3";
    int pageSize = 100;             // 1..1000
    int requestTimeoutSeconds = 30; // retailServer.timeoutSeconds, 1..600
    int concurrency = 4;            // retailServer.concurrency, 1..32: requests in flight

    // http.*: bounds on what any server's reply may cost (DESIGN §12)
    int maxReplyMegabytes = 64;      // http.maxReplyMegabytes, 1..1024: Retail pages, provider replies
    int maxTokenReplyKilobytes = 64; // http.maxTokenReplyKilobytes, 1..65536: tokens, Key Vault secrets
    int stallSeconds = 30;           // http.stallSeconds, 1..600
    int stallBytesPerSecond = 100;   // http.stallBytesPerSecond, 0 (off)..1000000000

    // detection.*
    int includeModifiedSinceLastMinutes = 500;
    int excludeModifiedSinceLastMinutes = 10;
    std::string returnToCartUrl; // may hold {cartId} and {customerId}
    int intervalMinutes = 15;    // 1..1440
    int customerCooldownHours = 24;
    bool requireConsent = false;

    // ledger.*
    std::string ledgerPath;
    int retentionDays = 30;

    // notify.*
    std::string provider = "emarsys"; // emarsys | sendgrid | mandrill | mailchimp | outbox | smtp
    std::string templatesDir = "conf/templates";
    std::string unsubscribeUrl;
    int retryBudgetSeconds = 120; // notify.retryBudgetSeconds: time a cycle may spend retrying deliveries
    // DESIGN §11: a reminder left `sending` by a crash, with a provider that cannot drop a copy,
    // may already have gone out; sending it again risks a double, so only on request.
    bool resendUncertain = false;

    // emarsys.*
    // WSSE goes at the end of 2026; an old configuration without emarsys.auth but with only the
    // WSSE keys still loads as wsse (with warnings), so that an upgrade does not stop reminders.
    std::string emarsysAuth = "oauth2"; // oauth2 | wsse
    std::string emarsysTokenUrl = "https://auth.emarsys.net/oauth2/token";
    std::string emarsysClientIdSecretName;     // oauth2
    std::string emarsysClientSecretSecretName; // oauth2
    // Unless set, these follow emarsys.auth: v3 for oauth2, v2 for wsse (v2 takes WSSE only).
    std::string emarsysApiUrl = "https://api.emarsys.net/api/v3/event/{0}/trigger";
    std::string emarsysContactDeleteUrl = "https://api.emarsys.net/api/v3/contact/delete";
    std::string emarsysExternalEventId;
    std::string emarsysUserSecretName;   // emarsys.apiUserNameSecretName, wsse
    std::string emarsysSecretSecretName; // emarsys.apiSecretSecretName, wsse
    std::string emarsysContactKeyId = "3";

    // sendgrid.* (DESIGN §4.2)
    std::string sendgridApiUrl = "https://api.sendgrid.com/v3/mail/send";
    std::string sendgridApiKeySecretName;
    std::string sendgridTemplateId;
    std::string sendgridFrom;
    int sendgridUnsubscribeGroupId = 0; // 0 = none: no asm in the request
    // A crash leaves at most one request uncertain (DESIGN §11): fewer requests or fewer unknowns.
    int sendgridPersonalizationsPerRequest = 100;
    // mandrill.* (Mailchimp Transactional)
    std::string mandrillApiUrl = "https://mandrillapp.com/api/1.0";
    std::string mandrillApiKeySecretName;
    std::string mandrillTemplateName;
    // mailchimp.* (Mailchimp Marketing e-commerce, DESIGN §4.4)
    std::string mailchimpApiUrl; // "" = from the API key's data centre
    std::string mailchimpApiKeySecretName;
    std::string mailchimpStoreId;
    std::string mailchimpListId;

    // outbox.*
    std::string outboxDir;

    // smtp.*
    std::string smtpHost;
    int smtpPort = 25;
    std::string smtpTls = "starttls"; // none | starttls | implicit
    std::string smtpFrom;
    std::string smtpUserSecretName;
    std::string smtpPasswordSecretName;

    // media.*
    std::string imageServerUrl;
    int mediaQuality = 80;
    int mediaMode = 6;
    std::string mediaFormat = "jpg";
    std::vector<Viewport> viewports; // the three DESIGN §4 defaults when none is configured

    // secrets.*
    std::vector<std::string> secretSources = {"env"};
    int secretCacheSeconds = 3600;

    // privacy.*: the per-installation key of the keyed hashes (opt-outs, audit log)
    std::string hashKeySecretName = "acd-hash-key";

    // admin.*
    std::string adminBindAddress = "127.0.0.1";
    int adminPort = 0; // 0 = off
    std::string adminTokenSecretName;

    /// Reads and validates every key; throws ConfigError on the first wrong value.
    /// `warnings` receives one line per unknown key under our prefixes (a likely typo), with
    /// the closest known key when one is near, and for emarsys: the auth inferred for an old
    /// configuration, WSSE's retirement, a v2 URL with oauth2. All but the last are given
    /// before any value is checked, so that they can explain a "<key> is required" error too.
    /// keyVault.url, retailServer.url and retailServer.authority come back without a trailing
    /// '/', ready to have paths appended.
    static Settings load(const Poco::Util::AbstractConfiguration& config, std::vector<std::string>& warnings);

    /// A stable text of the effective configuration (secret names, never values), for the
    /// audit log's configuration hash.
    std::string canonicalText() const;
};

} // namespace acd
