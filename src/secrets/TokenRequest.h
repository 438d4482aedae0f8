#pragma once

#include "core/Timestamp.h"
#include "net/HttpClient.h"
#include "secrets/AzureCredential.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace acd {

/// The scope (Entra v2) and resource (managed identity) of Key Vault tokens.
inline constexpr const char* KeyVaultScope = "https://vault.azure.net/.default";
inline constexpr const char* KeyVaultResource = "https://vault.azure.net";

struct AccessToken
{
    std::string value;
    std::int64_t lifetimeSeconds = 0;
};

/// Sends a token request and reads `access_token` with `expires_in` (number or string) or
/// `expires_on` (Unix seconds). Throws CredentialError starting with `what`: unreachable for
/// no answer, 429 and 5xx. `secrets` are blanked out of any message.
AccessToken requestToken(HttpClient& http, const HttpRequest& request, const std::string& what, Timestamp now,
                         const std::vector<std::string>& secrets = {});

/// Throws the CredentialError for a reply that is not a token (status, Entra's `error`,
/// one line of `error_description`).
[[noreturn]] void failTokenReply(const HttpResponse& response, const std::string& what,
                                 const std::vector<std::string>& secrets);

/// A credential whose token is fetched by fetch() and handed out until 5 minutes before it
/// expires (half its life when it lives less than 10 minutes).
class CachingCredential : public AzureCredential
{
public:
    explicit CachingCredential(std::function<Timestamp()> clock) : _clock(std::move(clock)) {}

    std::string token() override;
    void invalidate() override { _token.clear(); }

protected:
    virtual AccessToken fetch(Timestamp now) = 0;

private:
    std::function<Timestamp()> _clock;
    std::string _token;
    Timestamp _refreshAt;
};

/// Entra's token endpoint for a tenant: `{authority}/{tenant}/oauth2/v2.0/token`.
std::string entraTokenUrl(const std::string& authority, const std::string& tenantId);

std::unique_ptr<AzureCredential>
makeClientCertificateCredential(HttpClient& http, const std::string& authority, const std::string& tenantId,
                                const std::string& clientId, const std::string& certificatePath,
                                const std::string& password, std::function<Timestamp()> clock);

} // namespace acd
