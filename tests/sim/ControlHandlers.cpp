#include "Handlers.h"
#include "Json.h"
#include "SimTime.h"

namespace acd::sim {

namespace {

SimReply ok()
{
    return jsonReply(200, R"({"ok":true})");
}

SimReply controlError(int status, const std::string& message)
{
    return jsonReply(status, R"({"error":)" + jsonQuote(message) + "}");
}

SimReply replaceScenario(SimContext& context, const SimRequest& request)
{
    auto scenario = Scenario::load(parseJsonObject(request.body, "scenario"), std::nullopt, nowTicks());
    context.scenario.replace(std::move(scenario));
    context.emarsys.forget();
    context.sendgrid.forget();
    context.mandrill.forget();
    context.mailchimp.forget();
    return ok();
}

SimReply upsertCarts(SimContext& context, const SimRequest& request)
{
    const auto carts = optArray(parseJsonObject(request.body, "request body"), "carts", "");
    if (!carts)
        throw SimError("carts is required");
    context.scenario.write([&](Scenario& scenario) { scenario.upsertCarts(carts, nowTicks()); });
    return ok();
}

SimReply setTokenExpiry(SimContext& context, const SimRequest& request)
{
    const std::int64_t seconds =
        required(optInt(parseJsonObject(request.body, "request body"), "seconds", ""), "seconds");
    if (seconds < 0 || seconds > 10'000'000)
        throw SimError("seconds must be between 0 and 10000000");
    context.tokens.setLifetime(static_cast<int>(seconds));
    return ok();
}

} // namespace

SimReply handleControl(SimContext& context, const SimRequest& request)
{
    const std::string path = request.path.substr(std::string("/_sim").size());
    const std::string& method = request.method;
    try
    {
        if (method == "GET" && path == "/requests")
            return jsonReply(200, context.log.requestsJson(request.queryParam("kind").value_or("")));
        if (method == "GET" && path == "/stats")
            return jsonReply(200, context.log.statsJson());
        if (method == "GET" && path == "/emarsys/deliveries")
            return jsonReply(200, context.emarsys.deliveriesJson());
        if (method == "GET" && path == "/emarsys/deletes")
            return jsonReply(200, context.emarsys.deletesJson());
        if (method == "GET" && path == "/sendgrid/deliveries")
            return jsonReply(200, context.sendgrid.deliveriesJson());
        if (method == "GET" && path == "/sendgrid/deletes")
            return jsonReply(200, context.sendgrid.deletesJson());
        if (method == "GET" && path == "/sendgrid/suppressions")
            return jsonReply(200, context.sendgrid.suppressionsJson());
        if (method == "GET" && path == "/mandrill/messages")
            return jsonReply(200, context.mandrill.messagesJson());
        if (method == "GET" && path == "/mandrill/rejects")
            return jsonReply(200, context.mandrill.rejectsJson());
        if (method == "GET" && path == "/mailchimp/carts")
            return jsonReply(200, context.mailchimp.cartsJson());
        if (method == "GET" && path == "/mailchimp/customers")
            return jsonReply(200, context.mailchimp.customersJson());
        if (method == "GET" && path == "/mailchimp/products")
            return jsonReply(200, context.mailchimp.productsJson());
        if (method == "GET" && path == "/mailchimp/deletes")
            return jsonReply(200, context.mailchimp.deletesJson());
        if (path == "/faults")
        {
            if (method == "POST")
                context.faults.add(Fault::fromJson(parseJsonObject(request.body, "fault")));
            else if (method == "DELETE")
                context.faults.clear();
            else if (method != "GET")
                return controlError(405, "/_sim/faults takes GET, POST or DELETE");
            return jsonReply(200, context.faults.json());
        }
        if (method == "POST" && path == "/scenario")
            return replaceScenario(context, request);
        if (method == "POST" && path == "/carts")
            return upsertCarts(context, request);
        if (method == "DELETE" && path.rfind("/carts/", 0) == 0)
        {
            const std::string id = path.substr(std::string("/carts/").size());
            if (!context.scenario.write([&](Scenario& scenario) { return scenario.removeCart(id); }))
                return controlError(404, "no cart with Id '" + id + "'");
            return ok();
        }
        if (method == "POST" && path == "/token-expiry")
            return setTokenExpiry(context, request);
        if (method == "POST" && path == "/revoke-tokens")
        {
            context.tokens.revokeAll();
            return ok();
        }
        if (method == "POST" && path == "/reset-log")
        {
            context.log.reset();
            context.emarsys.clearRecords();
            context.sendgrid.clearRecords();
            context.mandrill.clearRecords();
            context.mailchimp.clearRecords();
            return ok();
        }
    }
    catch (const SimError& e)
    {
        return controlError(400, e.what());
    }
    return controlError(404, "no control endpoint " + method + " " + request.path);
}

} // namespace acd::sim
