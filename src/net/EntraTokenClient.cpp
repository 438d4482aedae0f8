#include "net/EntraTokenClient.h"

#include "net/HttpClient.h"
#include "net/UrlEncode.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <charconv>

namespace acd {

namespace {

// Entra's error_description runs to several lines (trace and correlation ids); a message is one line.
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

/// expires_in is a number from Entra v2 but a string from some other token services.
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

std::string withoutTrailingSlashes(std::string text)
{
    while (!text.empty() && text.back() == '/')
        text.pop_back();
    return text;
}

} // namespace

EntraTokenClient::EntraTokenClient(HttpClient& http, std::string authority, std::string tenantId,
                                   std::string clientId, std::string clientSecret, std::string scope,
                                   Clock clock)
    : _http(http), _authority(withoutTrailingSlashes(std::move(authority))), _tenantId(std::move(tenantId)),
      _clientId(std::move(clientId)), _clientSecret(std::move(clientSecret)), _scope(std::move(scope)),
      _clock(std::move(clock))
{
    const std::pair<const char*, const std::string*> required[] = {{"authority", &_authority},
                                                                   {"tenant id", &_tenantId},
                                                                   {"client id", &_clientId},
                                                                   {"client secret", &_clientSecret},
                                                                   {"scope", &_scope}};
    for (const auto& [what, value] : required)
    {
        if (value->empty())
            throw std::invalid_argument(std::string("EntraTokenClient: the ") + what + " is empty");
    }
    if (!_clock)
        throw std::invalid_argument("EntraTokenClient: no clock given");
}

std::string EntraTokenClient::token()
{
    const Timestamp requestedAt = _clock();
    if (!_token.empty() && requestedAt < _refreshAt)
        return _token;

    HttpRequest request;
    request.method = "POST";
    request.url = _authority + "/" + percentEncode(_tenantId) + "/oauth2/v2.0/token";
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    request.body = "grant_type=client_credentials&client_id=" + percentEncode(_clientId) +
                   "&client_secret=" + percentEncode(_clientSecret) + "&scope=" + percentEncode(_scope);

    HttpResponse response;
    try
    {
        response = _http.send(request);
    }
    catch (const HttpTransportError& e)
    {
        fail(e.what());
    }

    Poco::JSON::Object::Ptr reply;
    try
    {
        reply = Poco::JSON::Parser().parse(response.body).extract<Poco::JSON::Object::Ptr>();
    }
    catch (const std::exception&) // Poco's parse and cast errors: handled just below as "not JSON"
    {}
    const std::string status = "HTTP " + std::to_string(response.status);
    if (!reply)
        fail(status + ", and the reply is not a JSON object: " + oneLine(response.body));

    if (response.status != 200)
    {
        const std::string error = stringField(*reply, "error");
        const std::string description = stringField(*reply, "error_description");
        fail(status + (error.empty() ? "" : " " + error) +
             (description.empty() ? "" : ": " + oneLine(description)));
    }

    std::string accessToken = stringField(*reply, "access_token");
    const std::int64_t lifetime = secondsField(*reply, "expires_in");
    if (accessToken.empty())
        fail("the reply has no access_token");
    if (lifetime <= 0)
        fail("the reply has no positive expires_in");

    // Refresh 5 minutes ahead; a token that lives less than 10 minutes is kept for half its life.
    const std::int64_t margin = std::min<std::int64_t>(300, lifetime / 2);
    _token = std::move(accessToken);
    _refreshAt = requestedAt.plusSeconds(lifetime - margin);
    return _token;
}

void EntraTokenClient::invalidate()
{
    _token.clear();
}

void EntraTokenClient::fail(const std::string& reason) const
{
    std::string message =
        "Entra token request to " + _authority + " (tenant " + _tenantId + ") failed: " + reason;
    // Whatever the server echoed, the secret does not leave this object.
    for (const std::string& secret : {_clientSecret, percentEncode(_clientSecret)})
    {
        for (auto at = message.find(secret); at != std::string::npos; at = message.find(secret, at))
            message.replace(at, secret.size(), "***");
    }
    // Cut only now, so that no fragment of a secret survives the replacement above.
    constexpr std::size_t MaxLength = 500;
    if (message.size() > MaxLength)
        message = message.substr(0, MaxLength) + "…";
    throw TokenError(message);
}

} // namespace acd
