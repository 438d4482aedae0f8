#include "BenchProtocol.h"

#include <Poco/Base64Encoder.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DigestEngine.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/SHA1Engine.h>
#include <Poco/Timespan.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

#include <random>
#include <sstream>
#include <stdexcept>

namespace acd::bench {

namespace {

std::string formEncode(const std::string& text)
{
    std::string encoded;
    Poco::URI::encode(text, "!#$&'()*+,/:;=?@[]", encoded);
    return encoded;
}

std::string randomHex(std::size_t length)
{
    static thread_local std::mt19937_64 engine{std::random_device{}()};
    static const char* const digits = "0123456789abcdef";
    std::string text;
    for (std::size_t i = 0; i < length; ++i)
        text += digits[engine() % 16];
    return text;
}

std::string base64(const std::string& bytes)
{
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return out.str();
}

} // namespace

std::string retailToken(HttpClient& http, const SimAccount& account)
{
    HttpRequest request;
    request.method = "POST";
    request.url = account.url + "/" + account.tenantId + "/oauth2/v2.0/token";
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    request.body = "grant_type=client_credentials&client_id=" + formEncode(account.clientId) +
                   "&client_secret=" + formEncode(account.clientSecret) +
                   "&scope=" + formEncode("https://commerce.dynamics.com/.default");
    const HttpResponse response = http.send(request);
    expectOk("token", response);
    Poco::JSON::Parser parser;
    return parser.parse(response.body)
        .extract<Poco::JSON::Object::Ptr>()
        ->getValue<std::string>("access_token");
}

HttpRequest retailRequest(const SimAccount& account, const std::string& token, const std::string& method,
                          const std::string& pathAndQuery, std::string body)
{
    HttpRequest request;
    request.method = method;
    request.url = account.url + "/Commerce/" + pathAndQuery +
                  (pathAndQuery.find('?') == std::string::npos ? "?" : "&") + "api-version=7.3";
    request.headers = {{"Authorization", "id_token " + token},
                       {"OUN", account.operatingUnitNumber},
                       {"Accept", "application/json"}};
    if (method == "POST")
        request.headers.emplace_back("Content-Type", "application/json");
    request.body = std::move(body);
    return request;
}

std::string cartSearchBody(const std::string& from, const std::string& to)
{
    return R"({"cartSearchCriteria":{"CartTypeValue":1,"IncludeAnonymous":false,"LastModifiedDateTimeFrom":")" +
           from + R"(","LastModifiedDateTimeTo":")" + to + R"("}})";
}

HttpRequest emarsysTrigger(const SimAccount& account, const std::string& body)
{
    const std::string nonce = randomHex(32);
    const std::string created = Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%SZ");
    Poco::SHA1Engine sha1;
    sha1.update(nonce + created + account.emarsysSecret);
    const std::string digest = base64(Poco::DigestEngine::digestToHex(sha1.digest()));
    HttpRequest request;
    request.method = "POST";
    request.url = account.url + "/api/v2/event/" + account.externalEventId + "/trigger";
    request.headers = {{"X-WSSE", "UsernameToken Username=\"" + account.emarsysUser +
                                      "\", PasswordDigest=\"" + digest + "\", Nonce=\"" + nonce +
                                      "\", Created=\"" + created + "\""},
                       {"Content-Type", "application/json"},
                       {"Accept", "application/json"}};
    request.body = body;
    return request;
}

std::string triggerBodyPrefix(const SimAccount& account)
{
    return R"({"key_id":")" + account.contactKeyId + R"(","contacts":[)";
}

void expectOk(const std::string& call, const HttpResponse& response)
{
    if (response.status != 200)
        throw std::runtime_error(call + " answered HTTP " + std::to_string(response.status) + ": " +
                                 response.body.substr(0, 200));
}

std::string isoMinutesAgo(int minutesAgo)
{
    const Poco::Timestamp at = Poco::Timestamp() - Poco::Timespan(0, 0, minutesAgo, 0, 0);
    return Poco::DateTimeFormatter::format(at, "%Y-%m-%dT%H:%M:%S.%F") + "0Z";
}

} // namespace acd::bench
