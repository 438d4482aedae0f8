#include "retail/RetailClient.h"

#include "net/HttpClient.h"
#include "net/RetryLoop.h"
#include "net/TokenSource.h"
#include "net/UrlEncode.h"
#include "retail/RetailJson.h"

#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <random>
#include <sstream>

namespace acd {

namespace {

// Retail Server's own limit for $top on these calls.
constexpr std::size_t MaxBatch = 1000;

const std::string CartsSearch = "Carts/Search";

bool endsWithIgnoreCase(const std::string& text, const std::string& suffix)
{
    return text.size() >= suffix.size() &&
           std::equal(suffix.rbegin(), suffix.rend(), text.rbegin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

std::string excerpt(const std::string& body)
{
    if (body.empty())
        return "";
    std::string text = body.substr(0, 200);
    for (char& c : text)
    {
        if (static_cast<unsigned char>(c) < 0x20)
            c = ' ';
    }
    return ": " + text + (body.size() > text.size() ? "…" : "");
}

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void writeString(JsonWriter& json, const std::string& text)
{
    json.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

/// What a reply that is not JSON says it is, e.g. " (Content-Type text/html)": a proxy's or a
/// load balancer's error page served with 200 is told apart from a cut JSON reply at a glance.
std::string contentTypeNote(const HttpResponse& response)
{
    std::string type = response.header("Content-Type");
    if (type.find("json") != std::string::npos)
        return "";
    if (type.empty())
        return " (no Content-Type)";
    if (type.size() > 80)
        type = type.substr(0, 80) + "…";
    for (char& c : type)
    {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F)
            c = '?';
    }
    return " (Content-Type " + type + ")";
}

/// Runs a reply parser, turning any shape problem into the RetailError callers expect.
template <typename Parse> auto parsedReply(const std::string& call, const HttpResponse& response, Parse parse)
{
    try
    {
        return parse();
    }
    catch (const RetailJsonError& e)
    {
        throw RetailError(RemoteFailure::Malformed,
                          "malformed reply from " + call + ": " + e.what() + contentTypeNote(response));
    }
    catch (const Poco::Exception& e)
    {
        throw RetailError(RemoteFailure::Malformed, "malformed reply from " + call + ": " + e.displayText());
    }
}

/// The reply's `value` entries; more than the `$top` asked for is a server that ignored it
/// (reading on would count pages wrong and hold whatever it sent).
std::vector<const JsonValue*> pageValues(const JsonValue& reply, std::size_t top)
{
    auto values = replyValues(reply);
    if (values.size() > top)
        throw RetailJsonError("the reply holds " + std::to_string(values.size()) + " entries where $top=" +
                              std::to_string(top) + " asked for at most " + std::to_string(top));
    return values;
}

template <typename T>
std::vector<std::vector<T>> batches(const std::vector<T>& items, std::size_t size = MaxBatch)
{
    size = std::clamp<std::size_t>(size, 1, MaxBatch);
    std::vector<std::vector<T>> result;
    for (std::size_t first = 0; first < items.size(); first += size)
        result.emplace_back(items.begin() + first, items.begin() + std::min(items.size(), first + size));
    return result;
}

} // namespace

struct RetailClient::Impl
{
    Impl(HttpClient& httpClient, TokenSource& tokenClient, RetailClientOptions opts)
        : http(httpClient), tokens(tokenClient), options(std::move(opts)), random(std::random_device{}())
    {
        std::string base = options.baseUrl;
        while (!base.empty() && base.back() == '/')
            base.pop_back();
        if (!base.starts_with("https://") && !base.starts_with("http://"))
            throw std::invalid_argument("RetailClient: baseUrl \"" + options.baseUrl +
                                        "\" is not an http:// or https:// URL");
        commerceUrl = endsWithIgnoreCase(base, "/Commerce") ? base : base + "/Commerce";
        if (options.operatingUnitNumber.empty())
            throw std::invalid_argument("RetailClient: operatingUnitNumber is empty");
        if (options.apiVersion.empty())
            throw std::invalid_argument("RetailClient: apiVersion is empty");
        if (options.pageSize < 1 || options.pageSize > static_cast<int>(MaxBatch))
            throw std::invalid_argument("RetailClient: pageSize " + std::to_string(options.pageSize) +
                                        " is not from 1 to 1000");
        if (options.maxAttempts < 1)
            throw std::invalid_argument("RetailClient: maxAttempts " + std::to_string(options.maxAttempts) +
                                        " is less than 1");
        if (!options.note)
            options.note = [](const std::string& text) { Poco::Logger::get("acd.retail").warning(text); };
    }

    /// `query` holds the call's own parameters, already encoded; api-version is added here.
    HttpRequest request(const std::string& method, const std::string& path, const std::string& query,
                        std::string body = {}) const
    {
        HttpRequest request;
        request.method = method;
        request.url = commerceUrl + "/" + path + "?" + (query.empty() ? "" : query + "&") +
                      "api-version=" + percentEncode(options.apiVersion);
        request.headers = {{"Accept", "application/json"}, {"OUN", options.operatingUnitNumber}};
        if (method == "POST")
            request.headers.emplace_back("Content-Type", "application/json");
        request.body = std::move(body);
        return request;
    }

    /// Sends the requests of one call (concurrently when there are several) until each has
    /// an answer to keep: a 2xx, or a 404 when `notFoundIsAnswer`. Responses are in order.
    std::vector<HttpResponse> exchange(const std::string& call, const std::vector<HttpRequest>& requests,
                                       bool notFoundIsAnswer = false)
    {
        const auto failed = [&](long status, const std::string& body, const char* note) {
            return RetailError(status == 401 || status == 403 ? RemoteFailure::Refused
                                                              : RemoteFailure::Rejected,
                               call + " failed: HTTP " + std::to_string(status) + note + excerpt(body));
        };
        RetryCall retry;
        retry.policy.maxAttempts = options.maxAttempts;
        retry.authorize = [this] {
            return std::make_pair(std::string("Authorization"), "id_token " + tokens.token());
        };
        retry.refreshToken = [this] { tokens.invalidate(); };
        // An answer no try can change ends the call at once, whatever the other requests do.
        retry.verdict = [&](const HttpClient::Outcome& outcome) {
            const Verdict verdict = usualVerdict(outcome);
            const long status = outcome.response.status;
            if (verdict == Verdict::Answer && !(status >= 200 && status < 300) &&
                !(status == 404 && notFoundIsAnswer))
                throw failed(status, outcome.response.body, "");
            return verdict;
        };
        RetryEnvironment environment{options.sleep, {}, [this] { return uniform(random); }};

        std::vector<HttpResponse> responses;
        responses.reserve(requests.size());
        for (RetryResult& result : sendWithRetries(http, requests, retry, environment))
        {
            HttpClient::Outcome& outcome = result.outcome;
            const long status = outcome.response.status;
            if (!result.gaveUp.empty())
            {
                const bool throttled = outcome.transportError.empty() && status == 429;
                throw RetailError(throttled ? RemoteFailure::Throttled : RemoteFailure::Unreachable,
                                  call + " failed " + result.gaveUp + ": " +
                                      (outcome.transportError.empty()
                                           ? "HTTP " + std::to_string(status) + excerpt(outcome.response.body)
                                           : outcome.transportError));
            }
            if (status == 401)
                throw failed(status, outcome.response.body, " even with a fresh token");
            responses.push_back(std::move(outcome.response));
        }
        return responses;
    }

    HttpRequest cartSearchRequest(Timestamp from, Timestamp to, int skip) const
    {
        if (skip < 0)
            throw std::invalid_argument("RetailClient: skip " + std::to_string(skip) + " is negative");
        if (to < from)
            throw std::invalid_argument("RetailClient: cart search window ends (" + to.toIso() +
                                        ") before it starts (" + from.toIso() + ")");
        rapidjson::StringBuffer body;
        JsonWriter json(body);
        json.StartObject();
        json.Key("cartSearchCriteria");
        json.StartObject();
        json.Key("CartTypeValue");
        json.Int(1);
        json.Key("IncludeAnonymous");
        json.Bool(false);
        json.Key("LastModifiedDateTimeFrom");
        writeString(json, from.toIso());
        json.Key("LastModifiedDateTimeTo");
        writeString(json, to.toIso());
        json.EndObject();
        json.EndObject();
        return request("POST", CartsSearch,
                       "$top=" + std::to_string(options.pageSize) + "&$skip=" + std::to_string(skip) +
                           "&$orderby=ModifiedDateTime,Id",
                       body.GetString());
    }

    std::vector<Cart> cartPage(const HttpResponse& response, int skip)
    {
        std::vector<std::string> notes;
        auto carts = parsedReply(CartsSearch, response, [&] {
            const auto reply = parseReplyObject(response.body);
            const auto values = pageValues(*reply, static_cast<std::size_t>(options.pageSize));
            std::vector<Cart> page;
            for (std::size_t i = 0; i < values.size(); ++i)
                page.push_back(parseCart(*values[i], notes, "value[" + std::to_string(i) + "]"));
            return page;
        });
        for (const std::string& text : notes)
            options.note(CartsSearch + " ($skip=" + std::to_string(skip) + "): " + text);
        return carts;
    }

    HttpClient& http;
    TokenSource& tokens;
    RetailClientOptions options;
    std::string commerceUrl;
    std::mt19937_64 random;
    std::uniform_real_distribution<double> uniform{0.0, 1.0};
};

RetailClient::RetailClient(HttpClient& http, TokenSource& tokens, RetailClientOptions options)
    : _impl(std::make_unique<Impl>(http, tokens, std::move(options)))
{}

RetailClient::~RetailClient() = default;

int RetailClient::pageSize() const
{
    return _impl->options.pageSize;
}

Channel RetailClient::channel()
{
    const std::string call = "OrgUnits/GetOrgUnitConfiguration";
    const auto responses = _impl->exchange(call, {_impl->request("GET", call + "()", "")});
    return parsedReply(call, responses[0],
                       [&] { return parseChannel(*parseReplyObject(responses[0].body)); });
}

std::vector<Cart> RetailClient::searchCarts(Timestamp from, Timestamp to, int skip)
{
    const auto responses = _impl->exchange(CartsSearch, {_impl->cartSearchRequest(from, to, skip)});
    return _impl->cartPage(responses[0], skip);
}

std::vector<std::vector<Cart>> RetailClient::searchCartPages(Timestamp from, Timestamp to, int firstSkip,
                                                             int pageCount,
                                                             const std::function<void(bool full)>& onLastPage)
{
    if (pageCount < 0)
        throw std::invalid_argument("RetailClient: pageCount " + std::to_string(pageCount) + " is negative");
    std::vector<HttpRequest> requests;
    for (int page = 0; page < pageCount; ++page)
        requests.push_back(_impl->cartSearchRequest(from, to, firstSkip + page * _impl->options.pageSize));
    const auto responses = _impl->exchange(CartsSearch, requests);
    std::vector<std::vector<Cart>> pages(static_cast<std::size_t>(pageCount));
    const auto read = [&](int page) {
        pages[page] = _impl->cartPage(responses[page], firstSkip + page * _impl->options.pageSize);
    };
    if (pageCount == 0)
        return pages;
    read(pageCount - 1);
    if (onLastPage)
        onLastPage(static_cast<int>(pages.back().size()) == _impl->options.pageSize);
    for (int page = 0; page + 1 < pageCount; ++page)
        read(page);
    return pages;
}

std::vector<Customer> RetailClient::customers(const std::vector<std::string>& accountNumbers,
                                              std::size_t perRequest)
{
    const std::string call = "Customers/GetByAccountNumbers";
    std::vector<HttpRequest> requests;
    const auto accountBatches = batches(accountNumbers, perRequest);
    for (const auto& batch : accountBatches)
    {
        rapidjson::StringBuffer body;
        JsonWriter json(body);
        json.StartObject();
        json.Key("accountNumbers");
        json.StartArray();
        for (const std::string& number : batch)
            writeString(json, number);
        json.EndArray();
        json.Key("searchLocationValue");
        json.Int(1);
        json.EndObject();
        requests.push_back(
            _impl->request("POST", call, "$top=" + std::to_string(batch.size()), body.GetString()));
    }
    std::vector<Customer> result;
    const auto responses = _impl->exchange(call, requests);
    for (std::size_t r = 0; r < responses.size(); ++r)
    {
        const HttpResponse& response = responses[r];
        parsedReply(call, response, [&] {
            const auto reply = parseReplyObject(response.body);
            const auto values = pageValues(*reply, accountBatches[r].size());
            for (std::size_t i = 0; i < values.size(); ++i)
                result.push_back(parseCustomer(*values[i], "value[" + std::to_string(i) + "]"));
            return true;
        });
    }
    return result;
}

std::vector<Product> RetailClient::products(std::int64_t channelId, const std::vector<std::int64_t>& ids)
{
    const std::string call = "Products/Search";
    std::vector<HttpRequest> requests;
    const auto idBatches = batches(ids);
    for (const auto& batch : idBatches)
    {
        rapidjson::StringBuffer body;
        JsonWriter json(body);
        json.StartObject();
        json.Key("productSearchCriteria");
        json.StartObject();
        json.Key("Ids");
        json.StartArray();
        for (const std::int64_t id : batch)
            json.Int64(id);
        json.EndArray();
        json.Key("Context");
        json.StartObject();
        json.Key("ChannelId");
        json.Int64(channelId);
        json.Key("CatalogId");
        json.Int(0);
        json.EndObject();
        json.Key("DataLevelValue");
        json.Int(1);
        json.Key("SkipVariantExpansion");
        json.Bool(true);
        json.Key("IncludeAttributes");
        json.Bool(false);
        json.Key("IncludeProductsFromDescendantCategories");
        json.Bool(false);
        json.EndObject();
        json.EndObject();
        requests.push_back(
            _impl->request("POST", call, "$top=" + std::to_string(batch.size()), body.GetString()));
    }
    std::vector<Product> result;
    const auto responses = _impl->exchange(call, requests);
    for (std::size_t r = 0; r < responses.size(); ++r)
    {
        const HttpResponse& response = responses[r];
        parsedReply(call, response, [&] {
            const auto reply = parseReplyObject(response.body);
            const auto values = pageValues(*reply, idBatches[r].size());
            for (std::size_t i = 0; i < values.size(); ++i)
                result.push_back(parseProduct(*values[i], "value[" + std::to_string(i) + "]"));
            return true;
        });
    }
    return result;
}

std::optional<Cart> RetailClient::cart(const std::string& id)
{
    if (id.empty())
        throw std::invalid_argument("RetailClient: the cart id is empty");
    const std::string call = "Carts('{id}')";
    std::string quoted;
    for (const char c : id)
        quoted += c == '\'' ? std::string("''") : std::string(1, c);
    const auto responses =
        _impl->exchange(call, {_impl->request("GET", "Carts('" + percentEncode(quoted) + "')", "")}, true);
    if (responses[0].status == 404)
        return std::nullopt;
    std::vector<std::string> notes;
    Cart cart = parsedReply(call, responses[0],
                            [&] { return parseCart(*parseReplyObject(responses[0].body), notes); });
    for (const std::string& text : notes)
        _impl->options.note("Carts('" + id + "'): " + text);
    return cart;
}

} // namespace acd
