#pragma once

#include "secrets/AzureCredential.h"
#include "secrets/SealedStore.h"
#include "secrets/SecretSource.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace acd {

class HttpClient;

struct KeyVaultOptions
{
    /// 429 answers retried (waiting what Retry-After says) before Key Vault counts as unreachable:
    /// the RetryPolicy's maxAttempts less one.
    int throttleRetries = 2;
    /// A longer Retry-After is not waited for: Key Vault counts as unreachable at once (the
    /// RetryPolicy's longestWait).
    std::chrono::milliseconds maxThrottleWait{30000};
    std::function<void(std::chrono::milliseconds)> sleep; // default: this thread sleeps
    std::function<void(const std::string&)> warn;         // e.g. a sealed copy could not be written
    std::function<Timestamp()> clock = &Timestamp::now;   // for HTTP-date Retry-After values
};

/// "keyvault": `GET {vaultUrl}/secrets/{name}?api-version=7.4` with a bearer token from an
/// AzureCredential. Each value read is sealed into `sealed` (which may be null); while Key
/// Vault cannot be reached (no answer, 5xx, 429 past the retries, or no token for the same
/// reasons) the sealed copy is given instead and servedSealedCopy() says so. 401, 403 and
/// other refusals are errors, never a reason to use a sealed copy. 404, like a name Key Vault
/// cannot hold (only letters, digits and '-', 1 to 127 of them), answers nothing, so the next
/// source is tried. Not thread-safe (SecretStore serialises its calls).
class KeyVaultSource : public SecretSource
{
public:
    /// Throws SecretError when vaultUrl is not https:// (http:// only on loopback, for tests)
    /// or credential is null.
    KeyVaultSource(HttpClient& http, std::string vaultUrl, std::unique_ptr<AzureCredential> credential,
                   std::unique_ptr<SealedStore> sealed, KeyVaultOptions options = {});

    std::string name() const override { return "keyvault"; }
    std::optional<std::string> lookup(const std::string& secretName) override;
    bool servedSealedCopy() const override { return _servedSealed; }
    std::optional<Timestamp> sealedAt() const override { return _sealedAt; }
    std::string sealedCopyCause() const override { return _sealedCause; }

private:
    struct Unreachable
    {
        std::string cause;
    };

    std::optional<std::string> read(const std::string& secretName);
    std::string fromSealedCopy(const std::string& secretName, const std::string& cause);

    HttpClient& _http;
    std::string _vaultUrl;
    std::unique_ptr<AzureCredential> _credential;
    std::unique_ptr<SealedStore> _sealed;
    KeyVaultOptions _options;
    bool _servedSealed = false;
    std::optional<Timestamp> _sealedAt;
    std::string _sealedCause;
};

/// What a Key Vault 401 asks for: `WWW-Authenticate: Bearer authorization="<authority>/<tenant>",
/// resource="https://vault.azure.net"` (newer vaults may name a `scope` instead of the resource).
struct BearerChallenge
{
    std::string authorization; // where the vault expects tokens from; "" when not said
    std::string resource;      // the audience it expects, without "/.default"; "" when not said
};

/// Reads a WWW-Authenticate header; an empty challenge for anything that is not Bearer.
BearerChallenge parseBearerChallenge(const std::string& header);

/// The secret of a 200 reply, `{"value":"…",…}`; nothing when there is not exactly one string
/// value, and then `problem` says what is wrong without quoting the text.
std::optional<std::string> keyVaultSecretValue(const std::string& body, std::string& problem);

/// Key Vault's `{"error":{"code":…,"message":…}}`, as " (code: message)" on one short line;
/// "" when absent.
std::string keyVaultErrorDetail(const std::string& body);

} // namespace acd
