#include "secrets/AzureCredential.h"

#include "net/UrlEncode.h"
#include "secrets/TokenRequest.h"

#include <Poco/Environment.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <charconv>
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

std::string withoutTrailingSlashes(std::string text)
{
    while (!text.empty() && text.back() == '/')
        text.pop_back();
    return text;
}

std::string scrubbed(std::string message, const std::vector<std::string>& secrets)
{
    for (const auto& secret : secrets)
    {
        if (secret.empty())
            continue;
        for (const std::string& form : {secret, percentEncode(secret)})
        {
            for (auto at = message.find(form); at != std::string::npos; at = message.find(form, at))
                message.replace(at, form.size(), "***");
        }
    }
    return message;
}

/// Error descriptions run to several lines (trace and correlation ids): one short line is
/// enough for a log.
std::string oneLine(std::string text, std::size_t limit = 300)
{
    std::replace_if(
        text.begin(), text.end(), [](char c) { return c == '\r' || c == '\n' || c == '\t'; }, ' ');
    if (text.size() > limit)
        text = text.substr(0, limit) + "...";
    return text;
}

Poco::JSON::Object::Ptr parseObject(const std::string& body)
{
    try
    {
        return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
    }
    catch (const std::exception&) // Poco's parse and cast errors alike mean "not a JSON object"
    {
        return nullptr;
    }
}

std::string stringField(const Poco::JSON::Object& object, const std::string& name)
{
    const Poco::Dynamic::Var value = object.get(name);
    return value.isString() ? value.extract<std::string>() : std::string();
}

/// Entra answers numbers, managed identity endpoints answer strings of digits.
std::int64_t integerField(const Poco::JSON::Object& object, const std::string& name)
{
    const Poco::Dynamic::Var value = object.get(name);
    if (value.isString())
    {
        const auto& text = value.extract<std::string>();
        std::int64_t number = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
        return error == std::errc() && end == text.data() + text.size() ? number : 0;
    }
    if (value.isNumeric() && value.type() != typeid(bool))
        return value.convert<std::int64_t>();
    return 0;
}

std::string withQuery(const std::string& url, const std::string& query)
{
    return url + (url.find('?') == std::string::npos ? "?" : "&") + query;
}

class ClientSecretCredential : public CachingCredential
{
public:
    ClientSecretCredential(HttpClient& http, const std::string& authority, std::string tenantId,
                           std::string clientId, std::string clientSecret, std::function<Timestamp()> clock)
        : CachingCredential(std::move(clock)), _http(http), _url(entraTokenUrl(authority, tenantId)),
          _clientId(std::move(clientId)), _clientSecret(std::move(clientSecret))
    {}

    std::string name() const override { return "environment (client secret)"; }

protected:
    AccessToken fetch(Timestamp now) override
    {
        HttpRequest request;
        request.method = "POST";
        request.url = _url;
        request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                           {"Accept", "application/json"}};
        request.body = "grant_type=client_credentials&client_id=" + percentEncode(_clientId) +
                       "&client_secret=" + percentEncode(_clientSecret) +
                       "&scope=" + percentEncode(KeyVaultScope);
        return requestToken(_http, request, "Key Vault token from " + name() + " at " + _url, now,
                            {_clientSecret});
    }

private:
    HttpClient& _http;
    std::string _url;
    std::string _clientId;
    std::string _clientSecret;
};

class ImdsCredential : public CachingCredential
{
public:
    ImdsCredential(std::string endpoint, std::string clientId, std::function<Timestamp()> clock)
        : CachingCredential(std::move(clock)), _endpoint(std::move(endpoint)), _clientId(std::move(clientId)),
          // IMDS is plain http on a link-local address, which the shared client refuses;
          // it answers at once or not at all.
          _http(HttpClientOptions{std::chrono::seconds(10), std::chrono::seconds(2), 1, false})
    {}

    std::string name() const override { return "managed identity (IMDS)"; }

protected:
    AccessToken fetch(Timestamp now) override
    {
        HttpRequest request;
        request.url =
            withQuery(_endpoint, "api-version=2018-02-01&resource=" + percentEncode(KeyVaultResource));
        if (!_clientId.empty())
            request.url += "&client_id=" + percentEncode(_clientId);
        request.headers = {{"Metadata", "true"}, {"Accept", "application/json"}};
        return requestToken(_http, request, "Key Vault token from " + name() + " at " + _endpoint, now);
    }

private:
    std::string _endpoint;
    std::string _clientId;
    HttpClient _http;
};

/// Learn's "Authenticate against Azure resources with Azure Arc-enabled servers", and the Azure
/// SDKs' Azure Arc credential, use this version; IMDS's 2018-02-01 or 2020-06-01 are not it.
constexpr const char* ArcApiVersion = "2019-11-01";

/// Azure Arc's agent answers a first request with 401 and the path of a file only a local
/// administrator (or the agent's group) can read; sending the file's content back proves
/// the caller runs on this machine with that right.
class ArcCredential : public CachingCredential
{
public:
    ArcCredential(HttpClient& http, std::string endpoint, std::string tokensDirectory,
                  std::function<Timestamp()> clock)
        : CachingCredential(std::move(clock)), _http(http), _endpoint(std::move(endpoint)),
          _tokensDirectory(std::move(tokensDirectory))
    {}

    std::string name() const override { return "managed identity (Azure Arc)"; }

protected:
    AccessToken fetch(Timestamp now) override
    {
        const std::string what = "Key Vault token from " + name() + " at " + _endpoint;
        HttpRequest request;
        // The api-version Azure Arc's agent (himds) documents for its token endpoint.
        request.url = withQuery(_endpoint, std::string("api-version=") + ArcApiVersion +
                                               "&resource=" + percentEncode(KeyVaultResource));
        request.headers = {{"Metadata", "true"}, {"Accept", "application/json"}};

        HttpResponse challenge;
        try
        {
            challenge = _http.send(request);
        }
        catch (const HttpTransportError& e)
        {
            throw CredentialError(what + ": no answer: " + e.what(), true);
        }
        if (challenge.status != 401)
        {
            if (challenge.status >= 500 || challenge.status == 429)
                failTokenReply(challenge, what, {});
            throw CredentialError(
                what + ": expected a 401 challenge, got HTTP " + std::to_string(challenge.status), false);
        }

        const std::string key = readChallengeFile(challenge.header("WWW-Authenticate"), what);
        request.headers.emplace_back("Authorization", "Basic " + key);
        return requestToken(_http, request, what, now, {key});
    }

private:
    std::string readChallengeFile(const std::string& authenticate, const std::string& what) const
    {
        const std::string realm = "realm=";
        const auto at = authenticate.find(realm);
        if (authenticate.rfind("Basic ", 0) != 0 || at == std::string::npos)
            throw CredentialError(
                what + ": the 401 challenge has no 'Basic realm=<file>' WWW-Authenticate header", false);
        const fs::path path = authenticate.substr(at + realm.size());

        // The path comes from whatever answered on the endpoint: only a small .key file
        // directly in the agent's own directory is read, never any other file.
        std::error_code ec;
        const fs::path file = fs::canonical(path, ec);
        const bool inDirectory = !ec && fs::equivalent(file.parent_path(), _tokensDirectory, ec) && !ec;
        if (!inDirectory || file.extension() != ".key" || !fs::is_regular_file(file, ec))
            throw CredentialError(what + ": refused the challenge file " + path.string() +
                                      ": it must be a .key file in " + _tokensDirectory,
                                  false);
        const auto size = fs::file_size(file, ec);
        if (ec || size > 4096)
            throw CredentialError(
                what + ": refused the challenge file " + path.string() + ": larger than 4096 bytes", false);

        std::ifstream in(file, std::ios::binary);
        std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!in.good() && !in.eof())
            throw CredentialError(what + ": cannot read the challenge file " + file.string() +
                                      " (the service account needs the agent's group, himds)",
                                  false);
        return key;
    }

    HttpClient& _http;
    std::string _endpoint;
    std::string _tokensDirectory;
};

std::string defaultArcTokensDirectory()
{
    if (Poco::Environment::isWindows())
        return (fs::path(env("ProgramData")) / "AzureConnectedMachineAgent" / "Tokens").string();
    return "/var/opt/azcmagent/tokens";
}

} // namespace

AccessToken requestToken(HttpClient& http, const HttpRequest& request, const std::string& what, Timestamp now,
                         const std::vector<std::string>& secrets)
{
    HttpResponse response;
    try
    {
        response = http.send(request);
    }
    catch (const HttpTransportError& e)
    {
        throw CredentialError(scrubbed(what + ": no answer: " + e.what(), secrets), true);
    }
    if (response.status != 200)
        failTokenReply(response, what, secrets);

    const auto reply = parseObject(response.body);
    if (!reply)
        throw CredentialError(what + ": the reply is not a JSON object", false);
    AccessToken token{stringField(*reply, "access_token"), integerField(*reply, "expires_in")};
    if (token.lifetimeSeconds <= 0)
    {
        if (const auto expiresOn = integerField(*reply, "expires_on"); expiresOn > 0)
            token.lifetimeSeconds = expiresOn - now.unixSeconds();
    }
    if (token.value.empty())
        throw CredentialError(what + ": the reply has no access_token", false);
    if (token.lifetimeSeconds <= 0)
        throw CredentialError(what + ": the reply has no future expires_in or expires_on", false);
    return token;
}

void failTokenReply(const HttpResponse& response, const std::string& what,
                    const std::vector<std::string>& secrets)
{
    std::string message = what + ": HTTP " + std::to_string(response.status);
    if (const auto reply = parseObject(response.body))
    {
        const std::string error = stringField(*reply, "error");
        const std::string description = stringField(*reply, "error_description");
        message +=
            (error.empty() ? "" : " " + error) + (description.empty() ? "" : ": " + oneLine(description));
    }
    const bool unreachable = response.status >= 500 || response.status == 429;
    throw CredentialError(scrubbed(message, secrets), unreachable);
}

std::string CachingCredential::token()
{
    const Timestamp now = _clock();
    if (!_token.empty() && now < _refreshAt)
        return _token;
    AccessToken fresh = fetch(now);
    const std::int64_t margin = std::min<std::int64_t>(300, fresh.lifetimeSeconds / 2);
    _token = std::move(fresh.value);
    _refreshAt = now.plusSeconds(fresh.lifetimeSeconds - margin);
    return _token;
}

std::string entraTokenUrl(const std::string& authority, const std::string& tenantId)
{
    return withoutTrailingSlashes(authority) + "/" + percentEncode(tenantId) + "/oauth2/v2.0/token";
}

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
        if (!clientSecret.empty())
            return std::make_unique<ClientSecretCredential>(http, authority, tenantId, clientId, clientSecret,
                                                            options.clock);
#ifdef ACD_HAVE_POCO_CRYPTO
        return makeClientCertificateCredential(http, authority, tenantId, clientId, certificatePath,
                                               env("AZURE_CLIENT_CERTIFICATE_PASSWORD"), options.clock);
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
