#include "admin/AdminServer.h"

#include "core/Email.h"
#include "core/Json.h"
#include "core/KeyedHash.h"
#include "core/Timestamp.h"
#include "ledger/LedgerFigures.h"
#include "ledger/LedgerStore.h"
#include "secrets/SecretStore.h"

#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/String.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <memory>
#include <mutex>
#include <optional>
#include <sstream>

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

namespace acd {

namespace {

const std::string OptOutsPrefix = "/v1/opt-outs/";

/// A request that cannot be served; becomes {"error": {"code", "message"}} with `status`.
struct HttpError
{
    HTTPResponse::HTTPStatus status;
    std::string code;
    std::string message;
    std::string allow = {}; // for 405
};

void send(HTTPServerResponse& response, HTTPResponse::HTTPStatus status, const std::string& contentType,
          const std::string& body)
{
    response.setStatus(status);
    response.setContentType(contentType);
    response.setContentLength64(static_cast<Poco::UInt64>(body.size()));
    response.set("Cache-Control", "no-store");
    response.send() << body;
}

void sendJson(HTTPServerResponse& response, HTTPResponse::HTTPStatus status, const JsonObjectWriter& json)
{
    send(response, status, "application/json", json.str());
}

JsonObjectWriter errorJson(const std::string& code, const std::string& message)
{
    JsonObjectWriter error;
    error.text("code", code).text("message", message);
    JsonObjectWriter body;
    body.object("error", error);
    return body;
}

/// Prometheus label values escape backslash, quote and line feed.
std::string label(const std::string& value)
{
    std::string escaped;
    for (char c : value)
    {
        if (c == '\\' || c == '"')
            escaped += '\\';
        if (c == '\n')
        {
            escaped += "\\n";
            continue;
        }
        escaped += c;
    }
    return escaped;
}

void metricHeader(std::ostream& out, const std::string& name, const std::string& type,
                  const std::string& help)
{
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

} // namespace

struct AdminServer::Impl
{
    Impl(AdminServerOptions options, SecretStore& secrets, PrivacyStore::Forget forget)
        : options(std::move(options)), secrets(secrets), forget(std::move(forget)),
          pool(1, this->options.threads)
    {
        ledger = std::make_unique<LedgerStore>(this->options.ledgerPath);
        ledger->setHashKey(this->options.hashKey);
        privacy = std::make_unique<PrivacyStore>(*ledger);
    }

    void handle(HTTPServerRequest& request, HTTPServerResponse& response);
    void route(HTTPServerRequest& request, HTTPServerResponse& response);
    void authorize(const HTTPServerRequest& request, bool openWithoutToken);
    std::string readBody(HTTPServerRequest& request) const;
    std::string emailFrom(const std::string& body, bool* keepSubscribed, std::string* token = nullptr) const;
    std::string actor(const HTTPServerRequest& request) const;
    /// The opt-out mirrored to the provider: nothing when done (or nothing to do), else why not.
    std::optional<std::string> mirrorOptOut(const std::string& email) const
    {
        if (!options.mirrorOptOut)
            return std::nullopt;
        try
        {
            options.mirrorOptOut(normalizeEmail(email));
            return std::nullopt;
        }
        catch (const std::exception& e)
        {
            return std::string(e.what());
        }
    }
    void health(HTTPServerResponse& response);
    void metrics(HTTPServerResponse& response);

    AdminServerOptions options;
    SecretStore& secrets;
    PrivacyStore::Forget forget;
    std::mutex ledgerMutex; // one request at a time on the server's own connection
    std::unique_ptr<LedgerStore> ledger;
    std::unique_ptr<PrivacyStore> privacy;
    Poco::ThreadPool pool;
    std::unique_ptr<Poco::Net::HTTPServer> server;
    int boundPort = 0;
};

namespace {

class Handler : public Poco::Net::HTTPRequestHandler
{
public:
    explicit Handler(AdminServer::Impl& impl) : _impl(impl) {}
    void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override
    {
        _impl.handle(request, response);
    }

private:
    AdminServer::Impl& _impl;
};

class HandlerFactory : public Poco::Net::HTTPRequestHandlerFactory
{
public:
    explicit HandlerFactory(AdminServer::Impl& impl) : _impl(impl) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override
    {
        return new Handler(_impl);
    }

private:
    AdminServer::Impl& _impl;
};

void requireMethod(const HTTPServerRequest& request, const std::string& method)
{
    if (request.getMethod() != method)
        throw HttpError{HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                        request.getMethod() + " is not allowed here; use " + method, method};
}

} // namespace

void AdminServer::Impl::handle(HTTPServerRequest& request, HTTPServerResponse& response)
{
    try
    {
        route(request, response);
    }
    catch (const HttpError& e)
    {
        if (e.status == HTTPResponse::HTTP_UNAUTHORIZED)
            response.set("WWW-Authenticate", "Bearer realm=\"abandoned-cartd\"");
        if (!e.allow.empty())
            response.set("Allow", e.allow);
        sendJson(response, e.status, errorJson(e.code, e.message));
    }
    catch (const InvalidAddress& e)
    {
        sendJson(response, HTTPResponse::HTTP_BAD_REQUEST, errorJson("invalid_email", e.what()));
    }
    catch (const Poco::Exception& e)
    {
        sendJson(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, errorJson("internal", e.displayText()));
    }
    catch (const std::exception& e)
    {
        sendJson(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, errorJson("internal", e.what()));
    }
}

void AdminServer::Impl::route(HTTPServerRequest& request, HTTPServerResponse& response)
{
    const std::string path = Poco::URI(request.getURI()).getPath();
    if (path == "/healthz")
    {
        requireMethod(request, "GET");
        health(response);
        return;
    }
    if (path == "/metrics")
    {
        requireMethod(request, "GET");
        authorize(request, true);
        metrics(response);
        return;
    }
    JsonObjectWriter reply;
    if (path == "/v1/opt-outs")
    {
        requireMethod(request, "POST");
        authorize(request, false);
        const std::string email = emailFrom(readBody(request), nullptr);
        {
            std::lock_guard lock(ledgerMutex);
            reply.text("result", "opted_out");
            reply.boolean("changed", privacy->optOut(email, actor(request)));
        }
        if (const auto failed = mirrorOptOut(email))
        {
            // The ledger's opt-out is what stops our reminders; the caller retries for the provider.
            JsonObjectWriter body =
                errorJson("provider_failed", "the address is opted out here, but " + options.providerName +
                                                 " could not add it to its own list: " + *failed +
                                                 "; send the request again to retry");
            body.object("optOut", reply);
            sendJson(response, HTTPResponse::HTTP_BAD_GATEWAY, body);
            return;
        }
    }
    else if (path.starts_with(OptOutsPrefix) && path.size() > OptOutsPrefix.size())
    {
        requireMethod(request, "DELETE");
        authorize(request, false);
        std::lock_guard lock(ledgerMutex);
        reply.text("result", "opt_out_removed");
        reply.boolean("changed", privacy->removeOptOut(path.substr(OptOutsPrefix.size()), actor(request)));
    }
    else if (path == "/v1/unsubscribe")
    {
        // The shop's unsubscribe page forwards the link's email and token: the token, the keyed
        // hash of the address, is the authorisation, so no bearer token is asked for.
        requireMethod(request, "POST");
        std::string token;
        const std::string email = emailFrom(readBody(request), nullptr, &token);
        if (!constantTimeEquals(token, KeyedHash(options.hashKey).unsubscribeToken(normalizeEmail(email))))
            throw HttpError{HTTPResponse::HTTP_FORBIDDEN, "invalid_token",
                            "the token does not belong to this address: use the link of the reminder"};
        {
            std::lock_guard lock(ledgerMutex);
            reply.text("result", "opted_out");
            reply.boolean("changed", privacy->optOut(email, "unsubscribe-link:" +
                                                                request.clientAddress().host().toString()));
        }
        // The customer is opted out whatever the provider says: its failure is for the operator.
        if (const auto failed = mirrorOptOut(email))
            Poco::Logger::get("acd.admin")
                .warning("unsubscribe: the opt-out is in the ledger, but " + options.providerName +
                         " could not add it to its own list: " + *failed);
    }
    else if (path == "/v1/opt-ins")
    {
        requireMethod(request, "POST");
        authorize(request, false);
        const std::string email = emailFrom(readBody(request), nullptr);
        std::lock_guard lock(ledgerMutex);
        reply.text("result", "opted_in");
        reply.boolean("changed", privacy->optIn(email, actor(request)));
    }
    else if (path == "/v1/purge")
    {
        requireMethod(request, "POST");
        authorize(request, false);
        bool keepSubscribed = false;
        const std::string email = emailFrom(readBody(request), &keepSubscribed);
        std::lock_guard lock(ledgerMutex);
        const PurgeResult purged =
            privacy->purge(email, actor(request), keepSubscribed, forget, options.providerName);
        reply.text("result", "purged");
        reply.number("outboxRows", purged.outboxRows);
        reply.number("notifications", purged.notifications);
        reply.number("withdrawn", purged.withdrawn);
        reply.boolean("optedOut", purged.optedOut);
        reply.boolean("walCleared", purged.walCleared);
        reply.text("provider", options.providerName);
        if (!purged.providerError.empty())
        {
            // The ledger part is done; the caller retries to reach the provider.
            JsonObjectWriter body =
                errorJson("provider_failed", "the ledger is purged, but " + options.providerName +
                                                 " could not forget the contact: " + purged.providerError +
                                                 "; send the request again to retry");
            body.object("purge", reply);
            sendJson(response, HTTPResponse::HTTP_BAD_GATEWAY, body);
            return;
        }
    }
    else
        throw HttpError{HTTPResponse::HTTP_NOT_FOUND, "not_found",
                        "no such endpoint: " + path +
                            " (GET /healthz, GET /metrics, POST /v1/opt-outs, DELETE /v1/opt-outs/{email}, "
                            "POST /v1/opt-ins, POST /v1/purge, POST /v1/unsubscribe)"};
    sendJson(response, HTTPResponse::HTTP_OK, reply);
}

void AdminServer::Impl::authorize(const HTTPServerRequest& request, bool openWithoutToken)
{
    if (options.tokenSecretName.empty())
    {
        if (openWithoutToken)
            return;
        throw HttpError{HTTPResponse::HTTP_FORBIDDEN, "disabled",
                        "the admin API's write endpoints are disabled: set admin.tokenSecretName"};
    }
    std::string token;
    try
    {
        token = secrets.get(options.tokenSecretName);
    }
    catch (const SecretError& e)
    {
        throw HttpError{HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "token_unavailable", e.what()};
    }
    const std::string header = request.get("Authorization", "");
    if (header.empty())
        throw HttpError{HTTPResponse::HTTP_UNAUTHORIZED, "unauthorized",
                        "missing Authorization: Bearer <token> (admin.tokenSecretName)"};
    const std::string::size_type space = header.find(' ');
    if (space == std::string::npos || Poco::icompare(header.substr(0, space), "Bearer") != 0)
        throw HttpError{HTTPResponse::HTTP_UNAUTHORIZED, "unauthorized",
                        "the Authorization header must be: Bearer <token>"};
    if (!constantTimeEquals(Poco::trim(header.substr(space + 1)), token))
        throw HttpError{HTTPResponse::HTTP_UNAUTHORIZED, "unauthorized", "the bearer token is not valid"};
}

std::string AdminServer::Impl::readBody(HTTPServerRequest& request) const
{
    const std::string tooLarge = "the body is larger than " + std::to_string(options.maxBodyBytes) + " bytes";
    if (request.hasContentLength() &&
        request.getContentLength64() > static_cast<Poco::Int64>(options.maxBodyBytes))
        throw HttpError{HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE, "too_large", tooLarge};
    std::string body;
    std::istream& in = request.stream();
    char buffer[4096];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
    {
        body.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (body.size() > options.maxBodyBytes)
            throw HttpError{HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE, "too_large", tooLarge};
    }
    return body;
}

std::string AdminServer::Impl::emailFrom(const std::string& body, bool* keepSubscribed,
                                         std::string* token) const
{
    const std::string expected =
        std::string("the body must be a JSON object with \"email\": a string") +
        (keepSubscribed ? " (and optionally \"keepSubscribed\": true or false)" : "") +
        (token ? " and \"token\": the {token} of the reminder's unsubscribe link" : "");
    std::unique_ptr<JsonDocument> parsed;
    try
    {
        parsed = std::make_unique<JsonDocument>(body);
    }
    catch (const JsonSyntaxError& e)
    {
        throw HttpError{HTTPResponse::HTTP_BAD_REQUEST, "bad_request",
                        expected + "; it is not (" + e.what() + ")"};
    }
    const JsonValue& json = parsed->root();
    const JsonValue* email = jsonMember(json, "email");
    if (!email || !jsonIsString(*email))
        throw HttpError{HTTPResponse::HTTP_BAD_REQUEST, "bad_request", expected};
    if (const JsonValue* keep = keepSubscribed ? jsonMember(json, "keepSubscribed") : nullptr)
    {
        if (!keep->IsBool())
            throw HttpError{HTTPResponse::HTTP_BAD_REQUEST, "bad_request",
                            "\"keepSubscribed\" must be true or false"};
        *keepSubscribed = keep->GetBool();
    }
    if (token)
    {
        const JsonValue* given = jsonMember(json, "token");
        if (!given || !jsonIsString(*given))
            throw HttpError{HTTPResponse::HTTP_BAD_REQUEST, "bad_request", expected};
        *token = jsonText(*given);
    }
    return std::string(jsonText(*email));
}

std::string AdminServer::Impl::actor(const HTTPServerRequest& request) const
{
    return "admin-api:" + request.clientAddress().host().toString();
}

void AdminServer::Impl::health(HTTPServerResponse& response)
{
    JsonObjectWriter reply;
    bool degraded = false;
    {
        std::lock_guard lock(ledgerMutex);
        if (const std::optional<CycleSummary> last = lastCycle(*ledger))
        {
            JsonObjectWriter cycle;
            cycle.number("id", last->id);
            cycle.text("status", last->status);
            cycle.text("startedAt", last->startedAt);
            cycle.textOrNull("endedAt", last->endedAt);
            cycle.textOrNull("error", last->error);
            cycle.number("cartsSeen", last->cartsSeen);
            cycle.number("remindersSent", last->remindersSent);
            degraded = last->status == "failed";
            reply.object("lastCycle", cycle);
        }
        else
            reply.null("lastCycle");
        reply.textOrNull("lastSuccessAt", lastSuccessAt(*ledger));
    }
    const bool sealed = secrets.usedSealedCopy();
    JsonObjectWriter secretState;
    secretState.boolean("sealedCopyInUse", sealed).boolean("fresh", !sealed);
    reply.object("secrets", secretState);
    reply.text("status", degraded || sealed ? "degraded" : "ok");
    sendJson(response, HTTPResponse::HTTP_OK, reply);
}

void AdminServer::Impl::metrics(HTTPServerResponse& response)
{
    std::ostringstream out;
    LedgerFigures figures;
    {
        std::lock_guard lock(ledgerMutex);
        figures = ledgerFigures(*ledger);
    }
    metricHeader(out, "acd_cycles_total", "counter", "Cycles recorded in the ledger, by result.");
    for (const LabelledCount& cycles : figures.cyclesByStatus)
        out << "acd_cycles_total{status=\"" << label(cycles.label) << "\"} " << cycles.count << '\n';

    metricHeader(out, "acd_carts_seen_total", "counter", "Carts read from Retail Server, over all cycles.");
    out << "acd_carts_seen_total " << figures.cartsSeen << '\n';

    metricHeader(out, "acd_reminders_total", "counter",
                 "Reminders by provider and result (pending ones have no provider yet).");
    for (const LabelledCount& reminders : figures.remindersByResult)
        out << "acd_reminders_total{provider=\"" << label(reminders.label) << "\",result=\""
            << label(reminders.secondLabel) << "\"} " << reminders.count << '\n';

    metricHeader(out, "acd_reminders_uncertain_total", "counter",
                 "Reminders a crash or a lost connection left possibly sent (DESIGN 11), over all cycles; "
                 "those sent again by notify.resendUncertain included.");
    out << "acd_reminders_uncertain_total " << figures.remindersUncertain << '\n';

    metricHeader(out, "acd_skips_total", "counter", "Carts not reminded, by reason.");
    for (const LabelledCount& skips : figures.skipsByReason)
        out << "acd_skips_total{reason=\"" << label(skips.label) << "\"} " << skips.count << '\n';

    metricHeader(out, "acd_last_success_timestamp_seconds", "gauge",
                 "End of the last completed cycle, Unix time (0: none yet).");
    const std::optional<Timestamp> at = Timestamp::parse(figures.lastSuccessAt.value_or(""));
    out << "acd_last_success_timestamp_seconds " << (at ? at->unixSeconds() : 0) << '\n';

    metricHeader(out, "acd_opt_outs", "gauge", "Addresses on the opt-out list.");
    out << "acd_opt_outs " << figures.optOuts << '\n';
    metricHeader(out, "acd_consents", "gauge", "Addresses on the opt-in list (detection.requireConsent).");
    out << "acd_consents " << figures.consents << '\n';
    metricHeader(out, "acd_outbox_rows", "gauge", "Reminders holding personal data (not yet final).");
    out << "acd_outbox_rows " << figures.outboxRows << '\n';
    metricHeader(out, "acd_secrets_sealed_copy_in_use", "gauge",
                 "1 when Key Vault was unreachable and a sealed local copy is in use.");
    out << "acd_secrets_sealed_copy_in_use " << (secrets.usedSealedCopy() ? 1 : 0) << '\n';
    send(response, HTTPResponse::HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", out.str());
}

AdminServer::AdminServer(AdminServerOptions options, SecretStore& secrets, PrivacyStore::Forget forget)
    : _impl(std::make_unique<Impl>(std::move(options), secrets, std::move(forget)))
{}

AdminServer::~AdminServer()
{
    stop();
}

void AdminServer::start()
{
    Poco::Net::ServerSocket socket;
    try
    {
        socket.bind(Poco::Net::SocketAddress(_impl->options.bindAddress,
                                             static_cast<Poco::UInt16>(_impl->options.port)),
                    true);
        socket.listen(64);
    }
    catch (const Poco::Exception& e)
    {
        throw std::runtime_error("admin API cannot listen on " + _impl->options.bindAddress + ":" +
                                 std::to_string(_impl->options.port) + ": " + e.displayText());
    }
    _impl->boundPort = socket.address().port();
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(_impl->options.threads);
    params->setMaxQueued(32);
    params->setTimeout(Poco::Timespan(10, 0));
    // One request per connection: stop() then never waits for an idle keep-alive connection.
    params->setKeepAlive(false);
    params->setServerName("abandoned-cartd");
    _impl->server =
        std::make_unique<Poco::Net::HTTPServer>(new HandlerFactory(*_impl), _impl->pool, socket, params);
    _impl->server->start();
}

void AdminServer::stop()
{
    if (!_impl->server)
        return;
    _impl->server->stopAll(false);
    _impl->pool.joinAll();
    _impl->server.reset();
}

int AdminServer::port() const
{
    return _impl->boundPort;
}

} // namespace acd
