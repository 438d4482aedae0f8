#include "secrets/KeyVaultSource.h"

#include "core/Json.h"
#include "core/Urls.h"
#include "core/Utf8.h"
#include "net/HttpClient.h"
#include "net/RetryLoop.h"

#include <Poco/Exception.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>

namespace acd {

namespace {

bool isKeyVaultName(const std::string& name)
{
    return !name.empty() && name.size() <= 127 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    });
}

bool isHttpsOrLoopbackHttp(const std::string& url)
{
    try
    {
        const Poco::URI uri(url);
        const std::string& host = uri.getHost();
        if (host.empty())
            return false;
        if (uri.getScheme() == "https")
            return true;
        return uri.getScheme() == "http" && isLoopbackHost(host);
    }
    catch (const Poco::Exception&) // not a URL
    {
        return false;
    }
}

} // namespace

BearerChallenge parseBearerChallenge(const std::string& header)
{
    BearerChallenge challenge;
    if (Poco::icompare(header.substr(0, 7), "Bearer ") != 0)
        return challenge;
    // name="value" or name=value pairs, separated by commas and spaces.
    std::size_t at = 7;
    while (at < header.size())
    {
        while (at < header.size() && (header[at] == ' ' || header[at] == ','))
            ++at;
        const auto equals = header.find('=', at);
        if (equals == std::string::npos)
            break;
        std::string name = Poco::toLower(Poco::trim(header.substr(at, equals - at)));
        std::string value;
        at = equals + 1;
        if (at < header.size() && header[at] == '"')
        {
            const auto close = header.find('"', at + 1);
            value = header.substr(at + 1, (close == std::string::npos ? header.size() : close) - at - 1);
            at = close == std::string::npos ? header.size() : close + 1;
        }
        else
        {
            const auto comma = header.find(',', at);
            value = Poco::trim(header.substr(at, (comma == std::string::npos ? header.size() : comma) - at));
            at = comma == std::string::npos ? header.size() : comma;
        }
        if (name == "authorization" || name == "authorization_uri")
            challenge.authorization = value;
        else if (name == "resource")
            challenge.resource = value;
        else if (name == "scope" && challenge.resource.empty())
            challenge.resource =
                value.size() > 9 && value.ends_with("/.default") ? value.substr(0, value.size() - 9) : value;
    }
    while (!challenge.resource.empty() && challenge.resource.back() == '/')
        challenge.resource.pop_back();
    return challenge;
}

std::string keyVaultErrorDetail(const std::string& body)
{
    const auto reply = parseJsonObject(body);
    const JsonValue* error = reply ? jsonMember(reply->root(), "error") : nullptr;
    if (!error || !error->IsObject())
        return "";
    std::string text = jsonStringOr(*error, "code");
    std::string message = jsonStringOr(*error, "message");
    // The code too: a line break in either would forge a log line (fuzz_keyvault_reply).
    for (std::string* part : {&text, &message})
        std::replace_if(
            part->begin(), part->end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
    if (text.size() > 60)
        text = text.substr(0, 60) + "...";
    if (message.size() > 300)
        message = message.substr(0, 300) + "...";
    if (!message.empty())
        text += (text.empty() ? "" : ": ") + message;
    return text.empty() ? "" : " (" + text + ")";
}

std::optional<std::string> keyVaultSecretValue(const std::string& body, std::string& problem)
{
    const auto reply = parseJsonObject(body);
    if (!reply)
    {
        problem = "empty";
        if (!body.empty())
            isJsonObjectText(body, problem);
        problem = "is " + problem;
        return std::nullopt;
    }
    // Which of two values a parser keeps differs: neither is trusted.
    if (jsonMemberCount(reply->root(), "value") > 1)
    {
        problem = "has \"value\" more than once";
        return std::nullopt;
    }
    const JsonValue* value = jsonMember(reply->root(), "value");
    if (!value || !jsonIsString(*value))
    {
        problem = "has no string \"value\"";
        return std::nullopt;
    }
    return std::string(jsonText(*value));
}

KeyVaultSource::KeyVaultSource(HttpClient& http, std::string vaultUrl,
                               std::unique_ptr<AzureCredential> credential,
                               std::unique_ptr<SealedStore> sealed, KeyVaultOptions options)
    : _http(http), _vaultUrl(std::move(vaultUrl)), _credential(std::move(credential)),
      _sealed(std::move(sealed)), _options(std::move(options))
{
    while (!_vaultUrl.empty() && _vaultUrl.back() == '/')
        _vaultUrl.pop_back();
    // Checked here, not left to the HTTP client: a refused URL would look like an outage
    // and quietly turn into sealed copies.
    if (!isHttpsOrLoopbackHttp(_vaultUrl))
        throw SecretError("keyVault.url = \"" + _vaultUrl +
                          "\": expected the vault's https:// URL (http:// only on loopback)");
    if (!_credential)
        throw SecretError("no credential given for Key Vault " + _vaultUrl);
    if (!_options.clock)
        _options.clock = &Timestamp::now;
}

std::optional<std::string> KeyVaultSource::lookup(const std::string& secretName)
{
    _servedSealed = false;
    _sealedAt.reset();
    if (!isKeyVaultName(secretName))
        return std::nullopt;
    try
    {
        return read(secretName);
    }
    catch (const Unreachable& outage)
    {
        return fromSealedCopy(secretName, outage.cause);
    }
}

std::optional<std::string> KeyVaultSource::read(const std::string& secretName)
{
    const std::string what = "secret '" + secretName + "' in Key Vault " + _vaultUrl;
    HttpRequest request;
    request.url = _vaultUrl + "/secrets/" + secretName + "?api-version=7.4";
    request.headers = {{"Accept", "application/json"}};
    request.smallReply = true; // a secret is at most 25 KB

    // Throttling passes in seconds and is waited for; an outage is not, since the sealed copy
    // serves at once. A token refused once is fetched anew once.
    RetryCall call;
    call.policy.maxAttempts = std::max(0, _options.throttleRetries) + 1;
    call.policy.longestWait = _options.maxThrottleWait;
    call.authorize = [this] {
        return std::make_pair(std::string("Authorization"), "Bearer " + _credential->token());
    };
    call.refreshToken = [this] { _credential->invalidate(); };
    call.verdict = [](const HttpClient::Outcome& outcome) {
        const HttpResponse& response = outcome.response;
        if (!outcome.transportError.empty())
            return Verdict::Answer;
        if (response.status == 429)
            return Verdict::Transient;
        // Key Vault's challenge says which token it wants, as Azure SDKs read it. A token
        // for another audience (a vault in another cloud) cannot be had by asking again.
        if (response.status == 401)
        {
            const BearerChallenge challenge = parseBearerChallenge(response.header("WWW-Authenticate"));
            if (challenge.resource.empty() || Poco::icompare(challenge.resource, KeyVaultResource) == 0)
                return Verdict::Unauthorized;
        }
        return Verdict::Answer;
    };

    RetryResult result;
    try
    {
        result =
            std::move(sendWithRetries(_http, {request}, call, {_options.sleep, _options.clock, {}}).front());
    }
    catch (const TokenError& e)
    {
        if (e.transient())
            throw Unreachable{e.what()};
        throw SecretError("cannot read " + what + ": " + e.what());
    }
    if (!result.outcome.transportError.empty())
        throw Unreachable{"no answer: " + result.outcome.transportError};
    const HttpResponse& response = result.outcome.response;
    if (!result.gaveUp.empty())
        throw Unreachable{"throttled (429) " + result.gaveUp};

    switch (response.status)
    {
    case 200:
    {
        std::string problem;
        std::optional<std::string> secret = keyVaultSecretValue(response.body, problem);
        if (!secret)
        {
            // What is wrong and where, and what the server says it sent, never the text.
            const std::string type = response.header("Content-Type");
            throw SecretError("Key Vault's reply for " + what + " " + problem + " (" +
                              std::to_string(response.body.size()) + " bytes" +
                              (type.empty() ? "" : ", Content-Type " + cutWithEllipsis(type, 80)) + ")");
        }
        if (_sealed)
        {
            try
            {
                _sealed->seal(secretName, *secret);
            }
            catch (const SecretError& e)
            {
                // The value itself was read: only the offline fallback is weakened.
                if (_options.warn)
                    _options.warn(std::string("no sealed copy kept for offline use: ") + e.what());
            }
        }
        return secret;
    }
    case 404:
        return std::nullopt;
    case 401:
    {
        const BearerChallenge challenge = parseBearerChallenge(response.header("WWW-Authenticate"));
        if (!challenge.resource.empty() && Poco::icompare(challenge.resource, KeyVaultResource) != 0)
            throw SecretError("Key Vault " + _vaultUrl + " asks for a token for " + challenge.resource +
                              " (401) to read " + what + ", but abandoned-cartd gets tokens for " +
                              KeyVaultResource + " only (Azure public cloud)");
        // The token it refused was one it no longer takes (revoked, expired early, clock skew),
        // and a fresh one did no better.
        throw SecretError("Key Vault refused the token of " + _credential->name() + " for " + what +
                          ": unauthenticated (401)" + keyVaultErrorDetail(response.body) +
                          (challenge.authorization.empty()
                               ? ""
                               : "; it expects a token from " + challenge.authorization +
                                     " (check AZURE_TENANT_ID or the identity's tenant)"));
    }
    case 403:
        throw SecretError("access to " + what + " is forbidden (403) for " + _credential->name() +
                          ": grant it 'get' on secrets" + keyVaultErrorDetail(response.body));
    default:
        if (response.status >= 500)
            throw Unreachable{"HTTP " + std::to_string(response.status) + keyVaultErrorDetail(response.body)};
        throw SecretError("Key Vault answered HTTP " + std::to_string(response.status) + " for " + what +
                          keyVaultErrorDetail(response.body));
    }
}

std::string KeyVaultSource::fromSealedCopy(const std::string& secretName, const std::string& cause)
{
    const std::string reason = "(" + _vaultUrl + ": " + cause + ")";
    std::optional<std::string> value;
    if (_sealed)
    {
        try
        {
            value = _sealed->unseal(secretName);
        }
        catch (const SecretError& e)
        {
            throw SecretError("Key Vault unreachable " + reason + " and the sealed copy of '" + secretName +
                              "' cannot be used: " + e.what());
        }
    }
    if (!value)
        throw SecretError("Key Vault unreachable and no sealed copy of '" + secretName + "' " + reason);
    _servedSealed = true;
    _sealedAt = _sealed->sealedAt(secretName);
    _sealedCause = reason;
    return *value;
}

} // namespace acd
