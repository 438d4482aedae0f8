#include "net/OAuthClientCredentials.h"

#include "net/HttpClient.h"
#include "net/UrlEncode.h"
#include "platform/Sha256.h"

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <charconv>
#include <sstream>

namespace acd {

namespace {

// A token service's error_description may run to several lines (Entra's trace and correlation
// ids); a message is one line.
std::string oneLine(std::string text)
{
    std::replace_if(
        text.begin(), text.end(), [](char c) { return c == '\r' || c == '\n' || c == '\t'; }, ' ');
    return text;
}

std::string stringField(const Poco::JSON::Object& object, const std::string& name)
{
    const Poco::Dynamic::Var value = object.get(name);
    return value.isString() ? value.extract<std::string>() : std::string();
}

/// expires_in is a number from Entra v2 and Emarsys, but a string from some other services.
std::int64_t secondsField(const Poco::JSON::Object& object, const std::string& name)
{
    const Poco::Dynamic::Var value = object.get(name);
    if (value.isString())
    {
        const auto& text = value.extract<std::string>();
        std::int64_t seconds = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
        return error == std::errc() && end == text.data() + text.size() ? seconds : 0;
    }
    if (value.isInteger() && value.type() != typeid(bool))
        return value.convert<std::int64_t>();
    if (value.isNumeric() && value.type() != typeid(bool))
        return static_cast<std::int64_t>(value.convert<double>());
    return 0;
}

std::string base64(const std::string& text)
{
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << text;
    encoder.close();
    return out.str();
}

std::string hex(const platform::Sha256Digest& digest)
{
    static const char* const Digits = "0123456789abcdef";
    std::string text;
    for (const unsigned char byte : digest)
    {
        text += Digits[byte >> 4];
        text += Digits[byte & 0x0f];
    }
    return text;
}

/// OAuth's error codes for credentials or a grant the service turned down.
bool isRefusal(long status, const std::string& error)
{
    return status == 401 || status == 403 || error == "invalid_client" || error == "unauthorized_client" ||
           error == "invalid_grant" || error == "invalid_scope";
}

} // namespace

OAuthClientCredentials::OAuthClientCredentials(HttpClient& http, OAuthClientCredentialsOptions options)
    : _http(http), _options(std::move(options))
{
    const std::pair<const char*, const std::string*> required[] = {{"token URL", &_options.tokenUrl},
                                                                   {"client id", &_options.clientId},
                                                                   {"client secret", &_options.clientSecret}};
    for (const auto& [what, value] : required)
    {
        if (value->empty())
            throw std::invalid_argument(_options.what + ": the " + what + " is empty");
    }
    if (!_options.clock)
        throw std::invalid_argument(_options.what + ": no clock given");
    _owner = hex(platform::sha256(_options.tokenUrl + "\n" + _options.clientId));
}

std::string OAuthClientCredentials::token()
{
    const Timestamp now = _options.clock();
    if (!_token.empty() && now < _refreshAt)
        return _token;
    if (_options.cache)
    {
        std::optional<CachedToken> kept;
        try
        {
            kept = _options.cache->load();
        }
        catch (const std::exception& e)
        {
            warnOnce(std::string("the kept token cannot be read, a new one is fetched: ") + e.what());
        }
        // A token the service refused stays refused even where the cache could not forget it.
        if (kept && kept->owner == _owner && !kept->value.empty() && kept->value != _refused &&
            now < kept->expiresAt)
        {
            _token = std::move(kept->value);
            _refreshAt = kept->expiresAt;
            return _token;
        }
    }
    return fetch(now);
}

void OAuthClientCredentials::invalidate()
{
    _refused = std::move(_token);
    _token.clear();
    if (!_options.cache)
        return;
    try
    {
        _options.cache->clear();
    }
    catch (const std::exception& e)
    {
        warnOnce(std::string("the refused token could not be removed from where it is kept: ") + e.what());
    }
}

std::string OAuthClientCredentials::fetch(Timestamp requestedAt)
{
    HttpRequest request;
    request.method = "POST";
    request.url = _options.tokenUrl;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    request.body = "grant_type=client_credentials";
    if (_options.credentialsInBasicHeader)
        request.headers.emplace_back("Authorization",
                                     "Basic " + base64(_options.clientId + ":" + _options.clientSecret));
    else
        request.body += "&client_id=" + percentEncode(_options.clientId) +
                        "&client_secret=" + percentEncode(_options.clientSecret);
    if (!_options.scope.empty())
        request.body += "&scope=" + percentEncode(_options.scope);

    HttpResponse response;
    try
    {
        response = _http.send(request);
    }
    catch (const HttpTransportError& e)
    {
        fail(e.what(), false);
    }

    Poco::JSON::Object::Ptr reply;
    try
    {
        reply = Poco::JSON::Parser().parse(response.body).extract<Poco::JSON::Object::Ptr>();
    }
    catch (const std::exception&) // Poco's parse and cast errors: handled just below as "not JSON"
    {}
    const std::string status = "HTTP " + std::to_string(response.status);
    if (response.status == 429)
        fail(status + ": the token service limits how often a token may be fetched (Emarsys: 2 a minute, "
                      "10 an hour); the token is kept between runs, so this passes",
             false);
    // A 200 may hold a token, cut short by a proxy: its text is not quoted.
    if (!reply)
        fail(status + ", and the reply is not a JSON object" +
                 (response.status == 200 ? " (" + std::to_string(response.body.size()) + " bytes)"
                                         : ": " + oneLine(response.body)),
             response.status == 401 || response.status == 403);
    if (response.status != 200)
    {
        const std::string error = stringField(*reply, "error");
        const std::string description = stringField(*reply, "error_description");
        fail(status + (error.empty() ? "" : " " + error) +
                 (description.empty() ? "" : ": " + oneLine(description)),
             response.status < 500 && isRefusal(response.status, error));
    }

    std::string accessToken = stringField(*reply, "access_token");
    const std::int64_t lifetime = secondsField(*reply, "expires_in");
    if (accessToken.empty())
        fail("the reply has no access_token", false);
    if (lifetime <= 0)
        fail("the reply has no positive expires_in", false);

    // Refresh 5 minutes ahead; a token that lives less than 10 minutes is kept for half its life.
    const std::int64_t margin = std::min<std::int64_t>(300, lifetime / 2);
    _token = std::move(accessToken);
    _refreshAt = requestedAt.plusSeconds(lifetime - margin);
    if (_options.cache)
    {
        try
        {
            _options.cache->store({_token, _refreshAt, _owner});
        }
        catch (const std::exception& e)
        {
            warnOnce(std::string("the token cannot be kept for the next run, which will fetch its own: ") +
                     e.what());
        }
    }
    return _token;
}

void OAuthClientCredentials::fail(const std::string& reason, bool refused) const
{
    std::string message = _options.what + " failed: " + reason;
    // Whatever the server echoed, the secret does not leave this object, in any of its forms.
    for (const std::string& secret : {_options.clientSecret, percentEncode(_options.clientSecret),
                                      base64(_options.clientId + ":" + _options.clientSecret)})
    {
        for (auto at = message.find(secret); at != std::string::npos; at = message.find(secret, at + 3))
            message.replace(at, secret.size(), "***");
    }
    // Cut only now, so that no fragment of a secret survives the replacement above.
    constexpr std::size_t MaxLength = 500;
    if (message.size() > MaxLength)
        message = message.substr(0, MaxLength) + "…";
    throw TokenError(message, refused);
}

void OAuthClientCredentials::warnOnce(const std::string& line)
{
    if (_warned || !_options.warn)
        return;
    _warned = true;
    _options.warn(_options.what + ": " + line);
}

} // namespace acd
