#include "net/OAuthClientCredentials.h"

#include "core/Decimal.h"
#include "core/Json.h"
#include "core/Utf8.h"
#include "net/HttpClient.h"
#include "net/UrlEncode.h"
#include "platform/Sha256.h"

#include <Poco/Base64Encoder.h>

#include <algorithm>
#include <charconv>
#include <sstream>
#include <stdexcept>

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

std::string stringField(const JsonValue& object, std::string_view name)
{
    return jsonStringOr(object, name);
}

/// expires_in is a number from Entra v2 and Emarsys, but a string from some other services.
std::int64_t secondsField(const JsonValue& object, std::string_view name)
{
    const JsonValue* value = jsonMember(object, name);
    if (!value)
        return 0;
    if (const auto seconds = jsonInteger(*value))
        return *seconds;
    // A number with a fraction counts its whole seconds.
    if (const auto decimal = jsonIsNumber(*value) ? normalizeDecimal(jsonText(*value)) : std::nullopt)
    {
        const std::string whole = decimal->substr(0, decimal->find('.'));
        std::int64_t seconds = 0;
        const auto [end, error] = std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
        return error == std::errc() && end == whole.data() + whole.size() ? seconds : 0;
    }
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

/// `message` with every form of each secret blanked out, cut to one log line's length.
std::string redacted(std::string message, const std::vector<std::string>& secrets)
{
    for (const std::string& secret : secrets)
    {
        if (secret.empty())
            continue;
        for (const std::string& form : {secret, percentEncode(secret)})
        {
            for (auto at = message.find(form); at != std::string::npos; at = message.find(form, at + 3))
                message.replace(at, form.size(), "***");
        }
    }
    // Cut only now, so that no fragment of a secret survives the replacement above.
    constexpr std::size_t MaxLength = 500;
    if (message.size() > MaxLength)
        message = message.substr(0, MaxLength) + "…";
    return message;
}

/// OAuth's error codes for credentials or a grant the service turned down.
bool isRefusal(long status, const std::string& error)
{
    return status == 401 || status == 403 || error == "invalid_client" || error == "unauthorized_client" ||
           error == "invalid_grant" || error == "invalid_scope";
}

} // namespace

OAuthClientCredentials::OAuthClientCredentials(HttpClient& http, OAuthClientCredentialsOptions options)
    : _http(http), _options(std::move(options)),
      _keeper({_options.what, hex(platform::sha256(_options.tokenUrl + "\n" + _options.clientId)),
               std::move(_options.cache), _options.clock, _options.warn})
{
    const std::pair<const char*, const std::string*> required[] = {{"token URL", &_options.tokenUrl},
                                                                   {"client id", &_options.clientId}};
    for (const auto& [what, value] : required)
    {
        if (value->empty())
            throw std::invalid_argument(_options.what + ": the " + what + " is empty");
    }
    if (_options.clientSecret.empty() && !_options.clientAssertion)
        throw std::invalid_argument(_options.what + ": the client secret is empty");
    if (_options.clientAssertion && _options.credentialsInBasicHeader)
        throw std::invalid_argument(_options.what +
                                    ": a client assertion goes in the form body, not a header");
}

std::string OAuthClientCredentials::token()
{
    return _keeper.token([this](Timestamp requestedAt) { return fetch(requestedAt); });
}

void OAuthClientCredentials::invalidate()
{
    _keeper.invalidate();
}

IssuedToken OAuthClientCredentials::fetch(Timestamp requestedAt)
{
    HttpRequest request;
    request.method = "POST";
    request.url = _options.tokenUrl;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    request.body = "grant_type=client_credentials";
    request.smallReply = true;
    // Whatever the server echoes, the secret does not leave this object, in any of its forms.
    std::vector<std::string> secrets;
    if (_options.clientAssertion)
    {
        const std::string assertion = _options.clientAssertion(requestedAt);
        request.body += "&client_id=" + percentEncode(_options.clientId) + "&client_assertion_type=" +
                        percentEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
                        "&client_assertion=" + percentEncode(assertion);
        secrets.push_back(assertion);
    }
    else if (_options.credentialsInBasicHeader)
    {
        const std::string basic = base64(_options.clientId + ":" + _options.clientSecret);
        request.headers.emplace_back("Authorization", "Basic " + basic);
        secrets = {_options.clientSecret, basic};
    }
    else
    {
        request.body += "&client_id=" + percentEncode(_options.clientId) +
                        "&client_secret=" + percentEncode(_options.clientSecret);
        secrets.push_back(_options.clientSecret);
    }
    if (!_options.scope.empty())
        request.body += "&scope=" + percentEncode(_options.scope);
    return requestToken(_http, request, _options.what, requestedAt, secrets);
}

IssuedToken requestToken(HttpClient& http, const HttpRequest& request, const std::string& what, Timestamp now,
                         const std::vector<std::string>& secrets)
{
    HttpResponse response;
    try
    {
        response = http.send(request);
    }
    catch (const HttpTransportError& e)
    {
        throw TokenError(RemoteFailure::Unreachable,
                         redacted(what + " failed: no answer: " + e.what(), secrets));
    }
    return readTokenReply(response, what, now, secrets);
}

IssuedToken readTokenReply(const HttpResponse& response, const std::string& what, Timestamp now,
                           const std::vector<std::string>& secrets)
{
    const auto fail = [&](RemoteFailure kind, const std::string& reason) {
        // Cut after the secrets are taken out, so that no part of one can be left: a hostile error
        // page of 64 KB is not a log line.
        throw TokenError(kind, cutWithEllipsis(redacted(what + " failed: " + reason, secrets), 1000));
    };
    const auto parsed = parseJsonObject(response.body); // not JSON: handled just below
    const JsonValue* reply = parsed ? &parsed->root() : nullptr;
    const std::string status = "HTTP " + std::to_string(response.status);
    if (response.status == 429)
        fail(RemoteFailure::Throttled,
             status + ": the token service limits how often a token may be fetched (Emarsys: 2 a minute, "
                      "10 an hour); the token is kept between runs, so this passes");
    const RemoteFailure failure = response.status >= 500 ? RemoteFailure::Unreachable
                                  : response.status == 401 || response.status == 403
                                      ? RemoteFailure::Refused
                                      : RemoteFailure::Rejected;
    // A 200 may hold a token, cut short by a proxy: its text is not quoted.
    if (!reply && response.status == 200)
    {
        // What is wrong and where, and what the server says it sent, but none of the text.
        std::string why = "empty";
        if (!response.body.empty())
            isJsonObjectText(response.body, why);
        const std::string type = cutWithEllipsis(oneLine(response.header("Content-Type")), 80);
        fail(RemoteFailure::Malformed, status + ", and the reply is not a JSON object (" +
                                           std::to_string(response.body.size()) + " bytes, " + why +
                                           (type.empty() ? "" : ", Content-Type " + type) + ")");
    }
    if (!reply)
        fail(failure, status + ", and the reply is not a JSON object: " + oneLine(response.body));
    if (response.status != 200)
    {
        const std::string error = stringField(*reply, "error");
        const std::string description = stringField(*reply, "error_description");
        fail(response.status < 500 && isRefusal(response.status, error) ? RemoteFailure::Refused : failure,
             status + (error.empty() ? "" : " " + oneLine(error)) +
                 (description.empty() ? "" : ": " + oneLine(description)));
    }

    if (jsonMemberCount(*reply, "access_token") > 1)
        fail(RemoteFailure::Malformed, "the reply has access_token more than once");
    IssuedToken token{stringField(*reply, "access_token"), secondsField(*reply, "expires_in")};
    // Managed identity endpoints may give only the Unix time the token expires at.
    if (token.lifetimeSeconds <= 0)
    {
        if (const std::int64_t expiresOn = secondsField(*reply, "expires_on"); expiresOn > 0)
            token.lifetimeSeconds = expiresOn - now.unixSeconds();
    }
    // No service issues tokens for longer than a day; a larger claim is kept for a day, so
    // that no number a reply holds can overflow the expiry computed from it.
    constexpr std::int64_t LongestLifetime = 24 * 3600;
    token.lifetimeSeconds = std::min(token.lifetimeSeconds, LongestLifetime);
    if (token.value.empty())
        fail(RemoteFailure::Malformed, "the reply has no access_token");
    if (token.lifetimeSeconds <= 0)
        fail(RemoteFailure::Malformed, "the reply has no positive expires_in (nor a future expires_on)");
    return token;
}

} // namespace acd
