#include "secrets/AzureCredential.h"

#include "net/EntraTokenClient.h"
#include "net/HttpClient.h"
#include "net/OAuthClientCredentials.h"
#include "net/UrlEncode.h"
#include "secrets/ClientCertificateCredential.h"

#include <Poco/Environment.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace fs = std::filesystem;

namespace acd {

namespace {

std::string env(const char* name)
{
    return Poco::Environment::get(name, "");
}

std::string withQuery(const std::string& url, const std::string& query)
{
    return url + (url.find('?') == std::string::npos ? "?" : "&") + query;
}

/// Managed identity tokens live in this process only: the endpoint is local and has no fetch limit.
TokenKeeperOptions keeperOptions(const std::string& name, std::function<Timestamp()> clock)
{
    TokenKeeperOptions options;
    options.what = "Key Vault token from " + name;
    options.clock = std::move(clock);
    return options;
}

/// Entra client credentials, with a secret or a certificate: OAuthClientCredentials, the one
/// implementation Retail Server's tokens use too.
class ClientCredential : public AzureCredential
{
public:
    ClientCredential(HttpClient& http, std::string name, OAuthClientCredentialsOptions options)
        : _name(std::move(name)), _tokens(http, named(std::move(options), _name))
    {}

    std::string name() const override { return _name; }
    std::string token() override { return _tokens.token(); }
    void invalidate() override { _tokens.invalidate(); }

private:
    static OAuthClientCredentialsOptions named(OAuthClientCredentialsOptions options, const std::string& name)
    {
        options.what = "Key Vault token from " + name + " at " + options.tokenUrl;
        return options;
    }

    std::string _name;
    OAuthClientCredentials _tokens;
};

class ImdsCredential : public AzureCredential
{
public:
    ImdsCredential(std::string endpoint, std::string clientId, std::function<Timestamp()> clock)
        : _endpoint(std::move(endpoint)), _clientId(std::move(clientId)),
          _keeper(keeperOptions(name(), clock)),
          // IMDS is plain http on a link-local address, which the shared client refuses;
          // it answers at once or not at all.
          _http(HttpClientOptions{std::chrono::seconds(10), std::chrono::seconds(2), 1, false})
    {}

    std::string name() const override { return "managed identity (IMDS)"; }
    std::string token() override
    {
        return _keeper.token([this](Timestamp now) { return fetch(now); });
    }
    void invalidate() override { _keeper.invalidate(); }

private:
    IssuedToken fetch(Timestamp now)
    {
        HttpRequest request;
        request.url =
            withQuery(_endpoint, "api-version=2018-02-01&resource=" + percentEncode(KeyVaultResource));
        if (!_clientId.empty())
            request.url += "&client_id=" + percentEncode(_clientId);
        request.headers = {{"Metadata", "true"}, {"Accept", "application/json"}};
        request.smallReply = true;
        return requestToken(_http, request, "Key Vault token from " + name() + " at " + _endpoint, now);
    }

    std::string _endpoint;
    std::string _clientId;
    TokenKeeper _keeper;
    HttpClient _http;
};

/// Learn's "Authenticate against Azure resources with Azure Arc-enabled servers", and the Azure
/// SDKs' Azure Arc credential, use this version; IMDS's 2018-02-01 or 2020-06-01 are not it.
constexpr const char* ArcApiVersion = "2019-11-01";

/// Azure Arc's agent answers a first request with 401 and the path of a file only a local
/// administrator (or the agent's group) can read; sending the file's content back proves
/// the caller runs on this machine with that right.
class ArcCredential : public AzureCredential
{
public:
    ArcCredential(HttpClient& http, std::string endpoint, std::string tokensDirectory,
                  std::function<Timestamp()> clock)
        : _http(http), _endpoint(std::move(endpoint)), _tokensDirectory(std::move(tokensDirectory)),
          _keeper(keeperOptions(name(), std::move(clock)))
    {}

    std::string name() const override { return "managed identity (Azure Arc)"; }
    std::string token() override
    {
        return _keeper.token([this](Timestamp now) { return fetch(now); });
    }
    void invalidate() override { _keeper.invalidate(); }

private:
    IssuedToken fetch(Timestamp now)
    {
        const std::string what = "Key Vault token from " + name() + " at " + _endpoint;
        HttpRequest request;
        // The api-version Azure Arc's agent (himds) documents for its token endpoint.
        request.url = withQuery(_endpoint, std::string("api-version=") + ArcApiVersion +
                                               "&resource=" + percentEncode(KeyVaultResource));
        request.headers = {{"Metadata", "true"}, {"Accept", "application/json"}};
        request.smallReply = true;

        HttpResponse challenge;
        try
        {
            challenge = _http.send(request);
        }
        catch (const HttpTransportError& e)
        {
            throw TokenError(RemoteFailure::Unreachable, what + " failed: no answer: " + e.what());
        }
        if (challenge.status != 401)
        {
            // An outage or throttling reads as it would from the token request itself.
            if (challenge.status >= 500 || challenge.status == 429)
                readTokenReply(challenge, what, now);
            throw TokenError(RemoteFailure::Rejected, what + " failed: expected a 401 challenge, got HTTP " +
                                                          std::to_string(challenge.status));
        }

        const std::string key = readChallengeFile(challenge.header("WWW-Authenticate"), what);
        request.headers.emplace_back("Authorization", "Basic " + key);
        return requestToken(_http, request, what, now, {key});
    }

    std::string readChallengeFile(const std::string& authenticate, const std::string& what) const
    {
        const std::string realm = "realm=";
        const auto at = authenticate.find(realm);
        if (authenticate.rfind("Basic ", 0) != 0 || at == std::string::npos)
            throw TokenError(
                RemoteFailure::Rejected,
                what + " failed: the 401 challenge has no 'Basic realm=<file>' WWW-Authenticate header");
        const fs::path path = authenticate.substr(at + realm.size());

        // The path comes from whatever answered on the endpoint: only a small .key file
        // directly in the agent's own directory is read, never any other file.
        std::error_code ec;
        const fs::path file = fs::canonical(path, ec);
        const bool inDirectory = !ec && fs::equivalent(file.parent_path(), _tokensDirectory, ec) && !ec;
        if (!inDirectory || file.extension() != ".key" || !fs::is_regular_file(file, ec))
            throw TokenError(RemoteFailure::Rejected, what + " failed: refused the challenge file " +
                                                          path.string() + ": it must be a .key file in " +
                                                          _tokensDirectory);
        const auto size = fs::file_size(file, ec);
        if (ec || size > 4096)
            throw TokenError(RemoteFailure::Rejected, what + " failed: refused the challenge file " +
                                                          path.string() + ": larger than 4096 bytes");

        std::ifstream in(file, std::ios::binary);
        std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!in.good() && !in.eof())
            throw TokenError(RemoteFailure::Rejected,
                             what + " failed: cannot read the challenge file " + file.string() +
                                 " (the service account needs the agent's group, himds)");
        return key;
    }

    HttpClient& _http;
    std::string _endpoint;
    std::string _tokensDirectory;
    TokenKeeper _keeper;
};

std::string defaultArcTokensDirectory()
{
    if (Poco::Environment::isWindows())
        return (fs::path(env("ProgramData")) / "AzureConnectedMachineAgent" / "Tokens").string();
    return "/var/opt/azcmagent/tokens";
}

} // namespace

std::unique_ptr<AzureCredential> makeDefaultAzureCredential(HttpClient& http, AzureCredentialOptions options)
{
    if (!options.clock)
        throw SecretError("no clock given for the Key Vault credential");
    const std::string tenantId = env("AZURE_TENANT_ID");
    const std::string clientId = env("AZURE_CLIENT_ID");
    const std::string clientSecret = env("AZURE_CLIENT_SECRET");
    const std::string certificatePath = env("AZURE_CLIENT_CERTIFICATE_PATH");
    std::string authority = env("AZURE_AUTHORITY_HOST");
    if (authority.empty())
        authority = "https://login.microsoftonline.com";

    if (!clientSecret.empty() || !certificatePath.empty())
    {
        const char* given = clientSecret.empty() ? "AZURE_CLIENT_CERTIFICATE_PATH" : "AZURE_CLIENT_SECRET";
        if (tenantId.empty() || clientId.empty())
            throw SecretError(std::string(given) + " is set but " +
                              (tenantId.empty() ? "AZURE_TENANT_ID" : "AZURE_CLIENT_ID") +
                              " is not: set both, or neither to use a managed identity");
        OAuthClientCredentialsOptions entra =
            entraClientCredentials(authority, tenantId, clientId, KeyVaultScope);
        entra.clock = options.clock;
        if (!clientSecret.empty())
        {
            entra.clientSecret = clientSecret;
            return std::make_unique<ClientCredential>(http, "environment (client secret)", std::move(entra));
        }
#ifdef ACD_HAVE_POCO_CRYPTO
        entra.clientAssertion = clientCertificateAssertion(
            certificatePath, env("AZURE_CLIENT_CERTIFICATE_PASSWORD"), clientId, entra.tokenUrl);
        return std::make_unique<ClientCredential>(http, "environment (client certificate)", std::move(entra));
#else
        throw SecretError("AZURE_CLIENT_CERTIFICATE_PATH is set but this build has no certificate support "
                          "(built without Poco::Crypto): use AZURE_CLIENT_SECRET or a managed identity");
#endif
    }

    const std::string identityEndpoint = env("IDENTITY_ENDPOINT");
    if (!identityEndpoint.empty() && !env("IMDS_ENDPOINT").empty())
    {
        if (options.arcTokensDirectory.empty())
            options.arcTokensDirectory = defaultArcTokensDirectory();
        return std::make_unique<ArcCredential>(http, identityEndpoint, options.arcTokensDirectory,
                                               options.clock);
    }

    if (options.imdsEndpoint.empty())
        options.imdsEndpoint = env("ACD_IMDS_ENDPOINT");
    if (options.imdsEndpoint.empty())
        options.imdsEndpoint = "http://169.254.169.254/metadata/identity/oauth2/token";
    return std::make_unique<ImdsCredential>(options.imdsEndpoint, clientId, options.clock);
}

} // namespace acd
