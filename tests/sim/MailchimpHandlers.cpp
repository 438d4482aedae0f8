// Mailchimp Marketing's e-commerce API, DESIGN §4.4: customers and products upserted with PUT,
// carts added with POST (a second cart of the same id is refused: "already exists"), and the
// purge's permanent deletion of the audience member and deletion of the customer. Every error
// is application/problem+json, as Mailchimp answers.

#include "Handlers.h"
#include "Json.h"
#include "SimTime.h"

#include <Poco/Base64Decoder.h>
#include <Poco/String.h>

#include <cmath>
#include <set>
#include <sstream>

namespace acd::sim {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

const std::string Base = "/3.0";
const std::string Stores = Base + "/ecommerce/stores/";

SimReply problem(int status, const std::string& title, const std::string& detail,
                 const std::string& errorsJson = "")
{
    SimReply reply =
        jsonReply(status, R"({"type":"https://mailchimp.com/developer/marketing/docs/errors/","title":)" +
                              jsonQuote(title) + R"(,"status":)" + std::to_string(status) + R"(,"detail":)" +
                              jsonQuote(detail) + R"(,"instance":"sim-)" + std::to_string(nowTicks()) + "\"" +
                              (errorsJson.empty() ? "" : R"(,"errors":)" + errorsJson) + "}");
    reply.contentType = "application/problem+json; charset=utf-8";
    return reply;
}

SimReply invalid(const std::string& field, const std::string& message)
{
    return problem(400, "Invalid Resource",
                   "The resource submitted could not be validated. For field-specific "
                   "details, see the 'errors' array.",
                   R"([{"field":)" + jsonQuote(field) + R"(,"message":)" + jsonQuote(message) + "}]");
}

SimReply notFound()
{
    return problem(404, "Resource Not Found", "The requested resource could not be found.");
}

/// HTTP Basic with any user name and the scenario's key as the password; else 401.
std::optional<SimReply> authProblem(const SimRequest& request, const ScenarioSettings& settings)
{
    const auto header = request.header("Authorization");
    std::string credentials;
    if (header && header->starts_with("Basic "))
    {
        std::istringstream in(header->substr(6));
        Poco::Base64Decoder decoder(in);
        std::getline(decoder, credentials, '\0');
    }
    const auto colon = credentials.find(':');
    if (colon != std::string::npos && credentials.substr(colon + 1) == settings.mailchimpApiKey)
        return std::nullopt;
    SimReply reply =
        problem(401, "API Key Invalid",
                "Your API key may be invalid, or you've attempted to access the wrong datacenter.");
    reply.headers.emplace_back("X-Sim-Reason", header ? "not Basic with the scenario's mailchimp.apiKey"
                                                      : "no Authorization header");
    return reply;
}

/// `/3.0/ecommerce/stores/{store}/<collection>[/{id}]` split: store, collection, id.
std::vector<std::string> segments(const std::string& path)
{
    std::vector<std::string> parts;
    std::string rest = path.substr(Stores.size());
    for (std::size_t slash; (slash = rest.find('/')) != std::string::npos; rest = rest.substr(slash + 1))
        parts.push_back(rest.substr(0, slash));
    parts.push_back(rest);
    return parts;
}

bool isWebUrl(const std::string& url)
{
    return (url.starts_with("https://") || url.starts_with("http://")) && url.find(' ') == std::string::npos;
}

SimReply putCustomer(SimContext& context, const std::string& id, const Object::Ptr& body)
{
    if (required(optString(body, "id", ""), "id") != id)
        return invalid("id", "The id in the body must be the customer id of the URL.");
    const std::string email = required(optString(body, "email_address", ""), "email_address");
    if (email.find('@') == std::string::npos || email.find(' ') != std::string::npos)
        return invalid("email_address", "This value should be a valid email.");
    const auto optIn = optBool(body, "opt_in_status", "");
    if (!optIn || *optIn)
        return invalid("opt_in_status",
                       "The contract sends opt_in_status false: reminders subscribe nobody.");
    context.mailchimp.putCustomer(id, {email, optString(body, "first_name", "").value_or(""),
                                       optString(body, "last_name", "").value_or("")});
    return jsonReply(200, toJson(body));
}

SimReply putProduct(SimContext& context, const std::string& id, const Object::Ptr& body)
{
    if (required(optString(body, "id", ""), "id") != id)
        return invalid("id", "The id in the body must be the product id of the URL.");
    if (optString(body, "title", "").value_or("").empty())
        return invalid("title", "This value should not be blank.");
    const Array::Ptr variants = optArray(body, "variants", "");
    if (!variants || variants->size() != 1)
        return invalid("variants", "The contract sends exactly one variant.");
    const Object::Ptr variant = variants->getObject(0);
    if (!variant)
        throw SimError("variants[0] must be an object");
    MailchimpState::Product product;
    product.title = required(optString(variant, "title", "variants[0]"), "variants[0].title");
    product.price = toJson(variant->get("price"));
    required(optNumber(variant, "price", "variants[0]"), "variants[0].price");
    if (required(optString(variant, "id", "variants[0]"), "variants[0].id") != id)
        return invalid("variants[0].id", "The contract's variant id is the product id.");
    product.imageUrl = optString(variant, "image_url", "variants[0]").value_or("");
    if (!product.imageUrl.empty() && !isWebUrl(product.imageUrl))
        return invalid("variants[0].image_url", "This value should be a valid URL.");
    context.mailchimp.putProduct(id, std::move(product));
    return jsonReply(200, toJson(body));
}

SimReply postCart(SimContext& context, const SimRequest& request, const Object::Ptr& body)
{
    MailchimpState::Cart cart;
    cart.id = required(optString(body, "id", ""), "id");
    cart.customerId =
        required(optString(requiredObject(body, "customer", ""), "id", "customer"), "customer.id");
    const auto customer = context.mailchimp.customer(cart.customerId);
    if (!customer)
        return invalid("customer.id", "The customer must be PUT before its cart (the contract's order).");
    if (!isWebUrl(optString(body, "checkout_url", "").value_or("")))
        return invalid("checkout_url", "This value should be a valid URL.");
    const std::string currency = required(optString(body, "currency_code", ""), "currency_code");
    if (currency.size() != 3 || Poco::toUpper(currency) != currency)
        return invalid("currency_code", "This value should be a valid ISO 4217 currency code.");
    const double total = required(optNumber(body, "order_total", ""), "order_total");
    const Array::Ptr lines = optArray(body, "lines", "");
    if (!lines || lines->size() == 0)
        return invalid("lines", "A cart needs at least one line.");
    double sum = 0;
    std::set<std::string> lineIds;
    for (std::size_t i = 0; i < lines->size(); ++i)
    {
        const std::string where = "lines[" + std::to_string(i) + "]";
        const Object::Ptr line = lines->getObject(static_cast<unsigned>(i));
        if (!line)
            throw SimError(where + " must be an object");
        if (!lineIds.insert(required(optString(line, "id", where), where + ".id")).second)
            return invalid(where + ".id", "Line ids must be unique within a cart.");
        const std::string product = required(optString(line, "product_id", where), where + ".product_id");
        const std::string variant =
            required(optString(line, "product_variant_id", where), where + ".product_variant_id");
        if (!context.mailchimp.hasVariant(product, variant))
            return invalid(where + ".product_variant_id", "A product with the provided ID does not exist.");
        if (required(optInt(line, "quantity", where), where + ".quantity") < 1)
            return invalid(where + ".quantity", "The quantity must be a whole number of at least 1.");
        sum += required(optNumber(line, "price", where), where + ".price");
    }
    // The contract's line price is the line's (quantity × unit price): the lines add up to the total.
    if (std::fabs(sum - total) > 0.005)
        return invalid("order_total", "order_total " + std::to_string(total) +
                                          " is not the sum of the lines' prices " + std::to_string(sum) +
                                          ".");
    cart.email = customer->email;
    cart.json = request.body;
    cart.ticks = nowTicks();
    if (!context.mailchimp.addCart(cart))
    {
        context.log.count("mailchimpCartRepeats", 1);
        return problem(400, "Invalid Resource", "A cart with the provided ID already exists in the account.");
    }
    context.log.count("mailchimpCarts", 1);
    return jsonReply(200, request.body);
}

} // namespace

std::optional<Route> mailchimpRoute(const std::string& method, const std::string& path)
{
    if (path.starts_with(Base + "/lists/") && path.ends_with("/actions/delete-permanent"))
        return Route{"mailchimpMemberDelete", "POST", ""};
    if (!path.starts_with(Stores))
        return std::nullopt;
    const std::vector<std::string> parts = segments(path);
    if (parts.size() == 3 && parts[1] == "customers")
        return method == "DELETE" ? Route{"mailchimpCustomerDelete", "DELETE", ""}
                                  : Route{"mailchimpCustomer", "PUT", ""};
    if (parts.size() == 3 && parts[1] == "products")
        return Route{"mailchimpProduct", "PUT", ""};
    if (parts.size() == 2 && parts[1] == "carts")
        return Route{"mailchimpCart", "POST", ""};
    return std::nullopt;
}

SimReply handleMailchimp(SimContext& context, const SimRequest& request, const Route& route)
{
    const ScenarioSettings settings = context.settings();
    if (auto refused = authProblem(request, settings))
        return *refused;
    try
    {
        if (route.kind == "mailchimpMemberDelete")
        {
            const std::string rest = request.path.substr(Base.size() + std::string("/lists/").size());
            const auto slash = rest.find('/');
            const std::string list = rest.substr(0, slash);
            const std::string hash = rest.substr(slash + std::string("/members/").size(), 32);
            if (list != settings.mailchimpListId || !context.mailchimp.deleteMember(hash))
                return notFound();
            return jsonReply(204, "");
        }
        const std::vector<std::string> parts = segments(request.path);
        if (parts[0] != settings.mailchimpStoreId)
            return notFound();
        if (route.kind == "mailchimpCustomerDelete")
            return context.mailchimp.deleteCustomer(parts[2]) ? jsonReply(204, "") : notFound();
        const Object::Ptr body = parseJsonObject(request.body, "request body");
        if (route.kind == "mailchimpCustomer")
            return putCustomer(context, parts[2], body);
        if (route.kind == "mailchimpProduct")
            return putProduct(context, parts[2], body);
        return postCart(context, request, body);
    }
    catch (const SimError& e)
    {
        return invalid("", e.what());
    }
}

SimReply mailchimpFault(int status)
{
    return problem(status, status == 429 ? "Too Many Requests" : "Simulated Fault",
                   "simulated fault (HTTP " + std::to_string(status) + ")");
}

} // namespace acd::sim
