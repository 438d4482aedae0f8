#pragma once

#include "core/Timestamp.h"
#include "secrets/SecretSource.h"

#include <functional>
#include <memory>
#include <string>

namespace acd {

class HttpClient;

/// No Key Vault token could be had. `unreachable()` tells an outage (no answer, 5xx, 429)
/// from a refusal (bad credentials, bad configuration): only an outage may fall back to the
/// sealed copies. The message names the credential and the cause, never a secret or token.
class CredentialError : public SecretError
{
public:
    CredentialError(const std::string& message, bool unreachable)
        : SecretError(message), _unreachable(unreachable)
    {}
    bool unreachable() const { return _unreachable; }

private:
    bool _unreachable;
};

/// Bearer tokens for Key Vault (scope https://vault.azure.net/.default), cached until
/// 5 minutes before they expire. Not thread-safe, like HttpClient.
class AzureCredential
{
public:
    virtual ~AzureCredential() = default;
    /// Which credential this is, for messages: "environment (client secret)",
    /// "environment (client certificate)", "managed identity (Azure Arc)", "managed identity (IMDS)".
    virtual std::string name() const = 0;
    /// Throws CredentialError.
    virtual std::string token() = 0;
    /// Forgets the cached token (Key Vault refused it).
    virtual void invalidate() = 0;
};

struct AzureCredentialOptions
{
    /// Where the Azure Arc agent writes its challenge files; "" = the platform's
    /// (/var/opt/azcmagent/tokens, %ProgramData%\AzureConnectedMachineAgent\Tokens).
    std::string arcTokensDirectory;
    /// The IMDS token URL; "" = $ACD_IMDS_ENDPOINT, else
    /// http://169.254.169.254/metadata/identity/oauth2/token.
    std::string imdsEndpoint;
    std::function<Timestamp()> clock = &Timestamp::now;
};

/// The credential DefaultAzureCredential would pick, from the environment, in this order:
/// AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET (client secret);
/// AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_CERTIFICATE_PATH (PEM holding the
/// certificate and its RSA private key, AZURE_CLIENT_CERTIFICATE_PASSWORD if encrypted);
/// IDENTITY_ENDPOINT + IMDS_ENDPOINT (Azure Arc managed identity); otherwise IMDS (managed
/// identity of an Azure VM; AZURE_CLIENT_ID then picks a user-assigned identity).
/// Entra is at AZURE_AUTHORITY_HOST (default https://login.microsoftonline.com).
/// Throws SecretError when the environment holds half a configuration (e.g. a client
/// secret without a tenant) or the certificate cannot be used. `http` must outlive the
/// credential; IMDS gets a client of its own (plain http to a link-local address).
std::unique_ptr<AzureCredential> makeDefaultAzureCredential(HttpClient& http,
                                                            AzureCredentialOptions options = {});

} // namespace acd
