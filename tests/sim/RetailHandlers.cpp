#include "Handlers.h"
#include "Json.h"
#include "SimTime.h"

#include <Poco/NumberParser.h>
#include <Poco/String.h>

#include <algorithm>
#include <unordered_set>

namespace acd::sim {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr std::size_t MaxPageSize = 1000;
constexpr const char* ModelNamespace = "Microsoft.Dynamics.Commerce.Runtime.DataModel";

/// An optional non-negative OData query option such as $top or $skip.
std::optional<std::size_t> countOption(const SimRequest& request, const std::string& name)
{
    const auto text = request.queryParam(name);
    if (!text)
        return std::nullopt;
    Poco::UInt64 value;
    if (!Poco::NumberParser::tryParseUnsigned64(*text, value))
        throw SimError("query option " + name + "='" + *text + "' must be a non-negative integer");
    return static_cast<std::size_t>(value);
}

std::string collection(const std::string& context, const std::string& type, const std::string& values)
{
    return R"({"@odata.context":)" +
           jsonQuote(context + "/Commerce/$metadata#Collection(" + ModelNamespace + "." + type + ")") +
           R"(,"value":[)" + values + "]}";
}

/// Inserts @odata.context in front of an entity's own fields.
std::string entity(const std::string& context, const std::string& fragment, const std::string& json)
{
    return R"({"@odata.context":)" + jsonQuote(context + "/Commerce/$metadata#" + fragment) + "," +
           json.substr(1);
}

std::int64_t boundary(const Object::Ptr& criteria, const std::string& name)
{
    const std::string path = "cartSearchCriteria." + name;
    const std::string text = required(optString(criteria, name, "cartSearchCriteria"), path);
    const auto ticks = parseIsoTicks(text);
    if (!ticks)
        throw SimError(path + " '" + text +
                       "' is not an ISO 8601 DateTimeOffset (Z or ±hh:mm, 0-7 fraction digits)");
    return *ticks;
}

std::string searchCarts(const Scenario& scenario, const SimRequest& request, const std::string& base)
{
    const std::size_t top = countOption(request, "$top").value_or(0);
    if (top == 0)
        throw SimError("query option $top is required and must be at least 1: the server pages its results");
    if (const auto orderBy = request.queryParam("$orderby"))
    {
        if (Poco::remove(*orderBy, ' ') != "ModifiedDateTime,Id")
            throw SimError("$orderby '" + *orderBy + "' is not supported (expected ModifiedDateTime,Id)");
    }

    const Object::Ptr body = parseJsonObject(request.body, "request body");
    const Object::Ptr criteria = requiredObject(body, "cartSearchCriteria", "");
    if (const auto type = optInt(criteria, "CartTypeValue", "cartSearchCriteria"); type && *type != 1)
        throw SimError("cartSearchCriteria.CartTypeValue " + std::to_string(*type) +
                       " is not simulated (only 1, shopping carts)");
    CartQuery query;
    query.from = boundary(criteria, "LastModifiedDateTimeFrom");
    query.to = boundary(criteria, "LastModifiedDateTimeTo");
    query.includeAnonymous = optBool(criteria, "IncludeAnonymous", "cartSearchCriteria").value_or(false);
    query.skip = countOption(request, "$skip").value_or(0);
    query.top = std::min(top, MaxPageSize);

    std::string values;
    scenario.appendCarts(query, values);
    return collection(base, "Cart", values);
}

std::string customersByAccount(const Scenario& scenario, const SimRequest& request, const std::string& base)
{
    const Object::Ptr body = parseJsonObject(request.body, "request body");
    const Array::Ptr accounts = optArray(body, "accountNumbers", "");
    if (!accounts)
        throw SimError("accountNumbers is required");
    const std::size_t top = countOption(request, "$top").value_or(accounts->size());

    std::string values;
    std::unordered_set<std::string> seen;
    std::size_t served = 0;
    for (std::size_t i = 0; i < accounts->size() && served < top; ++i)
    {
        const Poco::Dynamic::Var account = accounts->get(static_cast<unsigned>(i));
        if (!account.isString())
            throw SimError("accountNumbers[" + std::to_string(i) + "] must be a string");
        const std::string number = account.extract<std::string>();
        if (!seen.insert(number).second)
            continue;
        if (const auto customer = scenario.customerJson(number))
        {
            values += (served++ > 0 ? "," : "") + *customer;
        }
    }
    return collection(base, "Customer", values);
}

std::string searchProducts(const Scenario& scenario, const SimRequest& request, const std::string& base)
{
    const Object::Ptr body = parseJsonObject(request.body, "request body");
    const Object::Ptr criteria = requiredObject(body, "productSearchCriteria", "");
    const Array::Ptr ids = optArray(criteria, "Ids", "productSearchCriteria");
    if (!ids)
        throw SimError("productSearchCriteria.Ids is required");
    const Object::Ptr context = requiredObject(criteria, "Context", "productSearchCriteria");
    if (!context->has("ChannelId") || context->get("ChannelId").isEmpty())
        throw SimError("productSearchCriteria.Context.ChannelId is required");
    const std::int64_t channelId =
        intElement(context->get("ChannelId"), "productSearchCriteria.Context.ChannelId");
    if (channelId != scenario.settings().channelRecordId)
        throw SimError("productSearchCriteria.Context.ChannelId " + std::to_string(channelId) +
                       " is not the channel's RecordId " +
                       std::to_string(scenario.settings().channelRecordId));
    const std::size_t top = countOption(request, "$top").value_or(ids->size());

    std::string values;
    std::unordered_set<std::int64_t> seen;
    std::size_t served = 0;
    for (std::size_t i = 0; i < ids->size() && served < top; ++i)
    {
        const std::int64_t id = intElement(ids->get(static_cast<unsigned>(i)),
                                           "productSearchCriteria.Ids[" + std::to_string(i) + "]");
        if (!seen.insert(id).second)
            continue;
        if (const auto product = scenario.productJson(id))
            values += (served++ > 0 ? "," : "") + *product;
    }
    return collection(base, "SimpleProduct", values);
}

std::string orderHistory(const Scenario& scenario, const SimRequest& request, const std::string& account,
                         const std::string& base)
{
    const std::vector<std::string>& orders = scenario.orders(account);
    const std::size_t skip = std::min(countOption(request, "$skip").value_or(0), orders.size());
    const std::size_t top = countOption(request, "$top").value_or(orders.size());
    std::string values;
    for (std::size_t i = skip; i < orders.size() && i - skip < top; ++i)
        values += (i > skip ? "," : "") + orders[i];
    return collection(base, "SalesOrder", values);
}

std::optional<std::string> authorizationProblem(SimContext& context, const SimRequest& request)
{
    const auto authorization = request.header("Authorization");
    if (!authorization)
        return "the Authorization header is missing";
    const std::string scheme = "id_token ";
    if (authorization->compare(0, scheme.size(), scheme) != 0)
        return "the Authorization header must be 'id_token <access token>'";
    if (!context.tokens.isValid(authorization->substr(scheme.size()), Audience::Retail))
        return "the access token is unknown, revoked, expired or not for Retail Server";
    return std::nullopt;
}

} // namespace

SimReply handleRetail(SimContext& context, const SimRequest& request, const Route& route)
{
    if (const auto problem = authorizationProblem(context, request))
        return odataError(401, "Unauthorized", *problem);
    const std::string base = context.baseUrl();
    return context.scenario.read([&](const Scenario& scenario) {
        const std::string& oun = scenario.settings().operatingUnitNumber;
        const auto sentOun = request.header("OUN");
        if (!sentOun)
            return odataError(400, "MissingOperatingUnitNumber", "the OUN header is missing");
        if (*sentOun != oun)
            return odataError(400, "InvalidOperatingUnitNumber",
                              "OUN '" + *sentOun + "' is not this channel's operating unit number");
        const auto apiVersion = request.queryParam("api-version");
        if (!apiVersion)
            return odataError(400, "MissingApiVersion", "the api-version query parameter is missing");
        if (*apiVersion != "7.3")
            return odataError(400, "UnsupportedApiVersion", "api-version '" + *apiVersion + "' is not 7.3");
        try
        {
            if (route.kind == "channel")
                return jsonReply(200, entity(base, "ChannelConfigurations/$entity", scenario.channelJson()));
            if (route.kind == "cartSearch")
                return jsonReply(200, searchCarts(scenario, request, base));
            if (route.kind == "customers")
                return jsonReply(200, customersByAccount(scenario, request, base));
            if (route.kind == "products")
                return jsonReply(200, searchProducts(scenario, request, base));
            if (route.kind == "orders")
                return jsonReply(200, orderHistory(scenario, request, route.param, base));
            const auto cart = scenario.cartJson(route.param);
            if (!cart)
                return odataError(404, "NotFound", "Cart '" + route.param + "' was not found");
            return jsonReply(200, entity(base, "Carts/$entity", *cart));
        }
        catch (const SimError& e)
        {
            return odataError(400, "BadRequest", e.what());
        }
    });
}

} // namespace acd::sim
