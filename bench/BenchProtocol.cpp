#include "BenchProtocol.h"

#include "net/UrlEncode.h"
#include "notify/Wsse.h"

#include <Poco/Base64Encoder.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Timespan.h>
#include <Poco/Timestamp.h>

#include <sstream>
#include <stdexcept>

namespace acd::bench {

std::string retailToken(HttpClient& http, const SimAccount& account)
{
    HttpRequest request;
    request.method = "POST";
    request.url = account.url + "/" + account.tenantId + "/oauth2/v2.0/token";
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    request.body = "grant_type=client_credentials&client_id=" + percentEncode(account.clientId) +
                   "&client_secret=" + percentEncode(account.clientSecret) +
                   "&scope=" + percentEncode("https://commerce.dynamics.com/.default");
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
    const std::string created = Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%SZ");
    HttpRequest request;
    request.method = "POST";
    request.url = account.url + "/api/v2/event/" + account.externalEventId + "/trigger";
    request.headers = {
        {"X-WSSE", makeWsseHeader(account.emarsysUser, account.emarsysSecret, makeNonce(), created)},
        {"Content-Type", "application/json"},
        {"Accept", "application/json"}};
    request.body = body;
    return request;
}

std::string emarsysToken(HttpClient& http, const SimAccount& account)
{
    std::ostringstream basic;
    Poco::Base64Encoder encoder(basic);
    encoder.rdbuf()->setLineLength(0);
    encoder << account.emarsysClientId << ':' << account.emarsysClientSecret;
    encoder.close();
    HttpRequest request;
    request.method = "POST";
    request.url = account.url + "/oauth2/token";
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                       {"Authorization", "Basic " + basic.str()}};
    request.body = "grant_type=client_credentials";
    const HttpResponse response = http.send(request);
    expectOk("Emarsys token", response);
    Poco::JSON::Parser parser;
    return parser.parse(response.body)
        .extract<Poco::JSON::Object::Ptr>()
        ->getValue<std::string>("access_token");
}

HttpRequest emarsysTriggerV3(const SimAccount& account, const std::string& token, const std::string& body)
{
    HttpRequest request;
    request.method = "POST";
    request.url = account.url + "/api/v3/event/" + account.externalEventId + "/trigger";
    request.headers = {{"Authorization", "Bearer " + token},
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
