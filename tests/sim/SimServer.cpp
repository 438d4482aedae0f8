#include "SimServer.h"

#include "Handlers.h"
#include "HostileReply.h"
#include "Json.h"
#include "SimTime.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>

#include <algorithm>
#include <iostream>

namespace acd::sim {

namespace {

constexpr std::streamsize MaxRequestBytes = 64 * 1024 * 1024;

/// `prefix` + key + `suffix` with an OData string key ('' stands for ').
std::optional<std::string> odataKey(const std::string& path, const std::string& prefix,
                                    const std::string& suffix)
{
    if (path.size() < prefix.size() + suffix.size() || path.compare(0, prefix.size(), prefix) != 0 ||
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0)
        return std::nullopt;
    std::string key = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    for (std::size_t pos = key.find("''"); pos != std::string::npos; pos = key.find("''", pos + 1))
        key.erase(pos, 1);
    return key;
}

Route routeOf(const std::string& method, const std::string& path)
{
    if (auto route = mailchimpRoute(method, path))
        return *route;
    if (path == "/Commerce/OrgUnits/GetOrgUnitConfiguration()")
        return {"channel", "GET", ""};
    if (path == "/Commerce/Carts/Search")
        return {"cartSearch", "POST", ""};
    if (path == "/Commerce/Customers/GetByAccountNumbers")
        return {"customers", "POST", ""};
    if (path == "/Commerce/Products/Search")
        return {"products", "POST", ""};
    if (auto id = odataKey(path, "/Commerce/Carts('", "')"))
        return {"cart", "GET", std::move(*id)};
    if (auto account = odataKey(path, "/Commerce/Customers('", "')/GetOrderHistory"))
        return {"orders", "POST", std::move(*account)};
    if (path == "/api/v2/contact/delete" || path == "/api/v3/contact/delete")
        return {"contactDelete", "POST", ""};
    if (path == "/v3/mail/send")
        return {"sendgridMail", "POST", ""};
    if (path == "/v3/marketing/contacts/search/emails")
        return {"sendgridContacts", "POST", ""};
    if (path == "/v3/marketing/contacts")
        return {"sendgridContacts", "DELETE", ""};
    if (path == "/v3/asm/suppressions/global")
        return {"sendgridSuppression", "POST", ""};
    if (path == "/api/1.0/messages/send-template" || path == "/api/1.0/messages/send-template.json")
        return {"mandrillSend", "POST", ""};
    if (path == "/api/1.0/rejects/add" || path == "/api/1.0/rejects/add.json")
        return {"mandrillRejectsAdd", "POST", ""};
    if (path == "/oauth2/token")
        return {"emarsysToken", "POST", ""};
    if (path == "/metadata/identity/oauth2/token")
        return {"imds", "GET", ""};
    for (const char* prefix : {"/api/v2/event/", "/api/v3/event/"})
    {
        if (auto eventId = odataKey(path, prefix, "/trigger"); eventId && !eventId->empty())
            return {"emarsysTrigger", "POST", std::move(*eventId)};
    }
    if (path.rfind("/secrets/", 0) == 0 && path.size() > 9)
        return {"keyVault", "GET", path.substr(9)};
    const std::string tokenSuffix = "/oauth2/v2.0/token";
    if (path.size() > tokenSuffix.size() + 1 &&
        path.compare(path.size() - tokenSuffix.size(), tokenSuffix.size(), tokenSuffix) == 0 &&
        path.find('/', 1) == path.size() - tokenSuffix.size())
        return {"token", "POST", path.substr(1, path.size() - tokenSuffix.size() - 1)};
    return {"unknown", "", ""};
}

bool isEmarsysApi(const std::string& kind)
{
    return kind == "emarsysTrigger" || kind == "contactDelete";
}

bool isSendGrid(const std::string& kind)
{
    return kind.rfind("sendgrid", 0) == 0;
}

bool isMailchimp(const std::string& kind)
{
    return kind.starts_with("mailchimp");
}

/// The reply a `status` fault gives, in the error shape of the service it imitates.
SimReply faultReply(const std::string& kind, const Fault& fault)
{
    const int status = *fault.status;
    const std::string text = "simulated fault (HTTP " + std::to_string(status) + ")";
    if (isEmarsysApi(kind))
        return jsonReply(
            status, R"({"replyCode":)" + std::to_string(fault.replyCode.value_or(status == 429 ? 6000 : 1)) +
                        R"(,"replyText":)" + jsonQuote(fault.replyText.value_or(text)) + R"(,"data":""})");
    if (isSendGrid(kind))
        return jsonReply(status, R"({"errors":[{"field":null,"message":)" + jsonQuote(text) + "}]}");
    if (kind == "mandrillSend" || kind == "mandrillRejectsAdd")
        return mandrillFault(status);
    if (isMailchimp(kind))
        return mailchimpFault(status);
    if (kind == "token" || kind == "imds" || kind == "emarsysToken")
        return jsonReply(status, R"({"error":"temporarily_unavailable","error_description":)" +
                                     jsonQuote(text) + "}");
    return odataError(status, "SimulatedFault", text);
}

/// The headers a fault adds to its reply. Emarsys never sends Retry-After, only X-RateLimit-*:
/// a fault that asks for Retry-After on an Emarsys kind must not teach a client to rely on it.
HeaderList faultHeaders(const std::string& kind, const Fault& fault)
{
    HeaderList headers = fault.headers;
    // Mailchimp says nothing about when to come back: no Retry-After, no rate-limit headers.
    if (isMailchimp(kind))
    {
        std::erase_if(headers, [](const auto& header) {
            return Poco::icompare(header.first, "Retry-After") == 0 ||
                   Poco::toLower(header.first).starts_with("x-ratelimit");
        });
        return headers;
    }
    if (kind != "emarsysToken" && !isEmarsysApi(kind) && !isSendGrid(kind))
        return headers;
    // SendGrid, like Emarsys, says when to come back with X-RateLimit-Reset (Unix seconds) only.
    std::erase_if(headers,
                  [](const auto& header) { return Poco::icompare(header.first, "Retry-After") == 0; });
    if (fault.status != 429 || (!isEmarsysApi(kind) && !isSendGrid(kind)))
        return headers;
    const HeaderList defaults = {{"X-RateLimit-Limit", isSendGrid(kind) ? "600" : "1000"},
                                 {"X-RateLimit-Remaining", "0"},
                                 {"X-RateLimit-Reset", std::to_string(nowTicks() / TicksPerSecond + 1)}};
    for (const auto& header : defaults)
    {
        // Not a structured binding: clang before 16 cannot capture one in a lambda.
        const std::string& name = header.first;
        const bool given = std::any_of(headers.begin(), headers.end(), [&](const auto& present) {
            return Poco::icompare(present.first, name) == 0;
        });
        if (!given)
            headers.push_back(header);
    }
    return headers;
}

SimRequest readRequest(Poco::Net::HTTPServerRequest& request)
{
    SimRequest simRequest;
    simRequest.method = request.getMethod();
    const Poco::URI uri(request.getURI());
    simRequest.path = uri.getPath();
    simRequest.rawQuery = uri.getRawQuery();
    simRequest.query = uri.getQueryParameters();
    for (const auto& [name, value] : request)
        simRequest.headers.emplace_back(name, value);
    if (request.getContentLength() > MaxRequestBytes)
        throw SimError("request body over 64 MiB");
    Poco::StreamCopier::copyToString(request.stream(), simRequest.body);
    return simRequest;
}

SimReply dispatch(SimContext& context, const SimRequest& request, const Route& route)
{
    if (route.kind == "unknown")
        return odataError(404, "NotFound", "the simulator has no endpoint " + request.path);
    if (request.method != route.method)
        return odataError(405, "MethodNotAllowed", request.path + " takes " + route.method);
    if (route.kind == "token")
        return handleToken(context, request, route.param);
    if (route.kind == "imds")
        return handleManagedIdentity(context, request);
    if (route.kind == "emarsysToken")
        return handleEmarsysToken(context, request);
    if (route.kind == "emarsysTrigger")
        return handleEmarsysTrigger(context, request, route.param);
    if (route.kind == "contactDelete")
        return handleContactDelete(context, request);
    if (route.kind == "mandrillSend")
        return handleMandrillSend(context, request);
    if (route.kind == "mandrillRejectsAdd")
        return handleMandrillRejectsAdd(context, request);
    if (isMailchimp(route.kind))
        return handleMailchimp(context, request, route);
    if (route.kind == "keyVault")
        return handleKeyVault(context, request, route.param);
    if (route.kind == "sendgridMail")
        return handleSendGridMail(context, request);
    if (route.kind == "sendgridContacts")
        return handleSendGridContacts(context, request);
    if (route.kind == "sendgridSuppression")
        return handleSendGridSuppression(context, request);
    return handleRetail(context, request, route);
}

void send(Poco::Net::HTTPServerResponse& response, const SimReply& reply,
          SimContext* trickleContext = nullptr)
{
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
    for (const auto& [name, value] : reply.headers)
        response.set(name, value);
    response.setContentType(reply.contentType);
    response.setContentLength(static_cast<std::streamsize>(reply.body.size()));
    std::ostream& out = response.send();
    if (reply.trickleMs <= 0 || trickleContext == nullptr)
    {
        out << reply.body;
        return;
    }
    // One byte at a time until the client gives up (the write fails) or the simulator stops.
    for (const char c : reply.body)
    {
        out.put(c).flush();
        if (!out || trickleContext->stopping.tryWait(reply.trickleMs))
            return;
    }
}

/// Closes the connection without writing a byte of the reply.
void drop(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
    response.setKeepAlive(false);
    if (auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request))
    {
        try
        {
            impl->socket().shutdown();
        }
        catch (const Poco::Exception&)
        {
            // The peer is already gone: dropped either way.
        }
    }
}

class SimRequestHandler : public Poco::Net::HTTPRequestHandler
{
public:
    explicit SimRequestHandler(SimContext& context) : _context(context) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override
    {
        SimRequest simRequest;
        try
        {
            simRequest = readRequest(request);
        }
        catch (const std::exception& e)
        {
            send(response, odataError(400, "BadRequest", std::string("unreadable request: ") + e.what()));
            return;
        }
        if (simRequest.path.rfind("/_sim/", 0) == 0)
        {
            send(response, handleControl(_context, simRequest));
            return;
        }
        simulate(simRequest, request, response);
    }

private:
    void simulate(SimRequest& simRequest, Poco::Net::HTTPServerRequest& request,
                  Poco::Net::HTTPServerResponse& response)
    {
        const Route route = routeOf(simRequest.method, simRequest.path);
        // Counted on arrival, before any latency or slow fault: a test can see that a request
        // is in flight (and, say, kill the client) while its reply is still being held back.
        _context.log.count(route.kind + "Received", 1);
        _context.pause(_context.latencyMs);
        const std::optional<Fault> fault = _context.faults.take(route.kind);
        if (fault)
            _context.pause(fault->delayMs);

        SimReply reply;
        if (fault && fault->status)
        {
            reply = faultReply(route.kind, *fault);
            // Key Vault never answers 401 without its challenge: clients read the authority
            // and resource from it.
            if (route.kind == "keyVault" && *fault->status == 401)
                reply.headers.emplace_back("WWW-Authenticate", keyVaultChallenge(_context));
        }
        else
        {
            try
            {
                reply = dispatch(_context, simRequest, route);
            }
            catch (const std::exception& e)
            {
                std::cerr << "commerce-sim: " << simRequest.method << " " << simRequest.path << ": "
                          << e.what() << std::endl;
                reply = odataError(500, "SimulatorError", e.what());
            }
        }
        if (fault)
        {
            const HeaderList headers = faultHeaders(route.kind, *fault);
            reply.headers.insert(reply.headers.end(), headers.begin(), headers.end());
            if (fault->action == Fault::Action::Malformed)
            {
                reply.status = 200;
                reply.body = reply.body.size() > 1 ? reply.body.substr(0, reply.body.size() / 2) : "{";
            }
            else if (fault->action == Fault::Action::Hostile)
            {
                try
                {
                    makeHostile(reply, *fault, simRequest);
                }
                catch (const std::exception& e)
                {
                    // The work's own reply was not JSON (an error page): served as it was.
                    std::cerr << "commerce-sim: hostile " << fault->mode << " on " << simRequest.path
                              << " left the reply as it was: " << e.what() << std::endl;
                }
            }
        }

        if (route.kind.starts_with("mandrill"))
            simRequest.body = redactMandrillKey(simRequest.body);
        // Basic credentials are the key itself, merely encoded.
        if (isMailchimp(route.kind))
            for (auto& [name, value] : simRequest.headers)
                if (Poco::icompare(name, "Authorization") == 0)
                    value = "(redacted)";
        const bool dropped = fault && fault->action == Fault::Action::Drop;
        _context.log.record({route.kind, simRequest.method, simRequest.path, simRequest.rawQuery,
                             std::move(simRequest.headers), std::move(simRequest.body), nowTicks(),
                             dropped ? 0 : reply.status});
        if (dropped)
            drop(request, response);
        else
        {
            try
            {
                send(response, reply, &_context);
            }
            catch (const Poco::Exception&)
            {
                // A trickle the client hung up on: nothing left to do.
            }
        }
    }

    SimContext& _context;
};

} // namespace

Poco::Net::HTTPRequestHandler* SimHandlerFactory::createRequestHandler(const Poco::Net::HTTPServerRequest&)
{
    return new SimRequestHandler(_context);
}

} // namespace acd::sim
