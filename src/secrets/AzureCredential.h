#pragma once

#include "core/Timestamp.h"
#include "net/TokenSource.h"
#include "secrets/SecretSource.h"

#include <functional>
#include <memory>
#include <string>

namespace acd {

class HttpClient;

/// The scope (Entra v2) and resource (managed identity) of Key Vault tokens.
inline constexpr const char* KeyVaultScope = "https://vault.azure.net/.default";
inline constexpr const char* KeyVaultResource = "https://vault.azure.net";

/// Bearer tokens for Key Vault (scope https://vault.azure.net/.default), cached until
/// 5 minutes before they expire. token() throws TokenError: transient() for an outage (no
/// answer, 5xx, 429), which alone may fall back to the sealed copies; otherwise a refusal (bad
/// credentials, bad configuration). The message names the credential and the cause, never a
/// secret or token. Not thread-safe, like HttpClient.
class AzureCredential : public TokenSource
{
public:
    /// Which credential this is, for messages: "environment (client secret)",
    /// "environment (client certificate)", "managed identity (Azure Arc)", "managed identity (IMDS)".
    virtual std::string name() const = 0;
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
/// credential; IMDS gets a client of its own (plain http to a link-local address). Client
/// secret and certificate are OAuthClientCredentials at Entra's token URL, the same code as
/// Retail Server's tokens; every credential reads its replies with readTokenReply().
std::unique_ptr<AzureCredential> makeDefaultAzureCredential(HttpClient& http,
                                                            AzureCredentialOptions options = {});

} // namespace acd
