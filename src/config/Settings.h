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
    std::string provider = "emarsys"; // emarsys | outbox | smtp
    std::string templatesDir = "conf/templates";
    std::string unsubscribeUrl;
    int retryBudgetSeconds = 120; // notify.retryBudgetSeconds: time a cycle may spend retrying deliveries

    // emarsys.*
    std::string emarsysApiUrl = "https://api.emarsys.net/api/v2/event/{0}/trigger";
    std::string emarsysContactDeleteUrl = "https://api.emarsys.net/api/v2/contact/delete";
    std::string emarsysExternalEventId;
    std::string emarsysUserSecretName;
    std::string emarsysSecretSecretName;
    std::string emarsysContactKeyId = "3";

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
    /// the closest known key when one is near; it is filled first, so that it can explain a
    /// "<key> is required" error too. keyVault.url, retailServer.url and retailServer.authority
    /// come back without a trailing '/', ready to have paths appended.
    static Settings load(const Poco::Util::AbstractConfiguration& config, std::vector<std::string>& warnings);

    /// A stable text of the effective configuration (secret names, never values), for the
    /// audit log's configuration hash.
    std::string canonicalText() const;
};

} // namespace acd
