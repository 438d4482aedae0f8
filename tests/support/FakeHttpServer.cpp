#include "FakeHttpServer.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <set>
#include <thread>

namespace acd::test {

namespace {

bool sameName(const std::string& a, const std::string& b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

} // namespace

std::string FakeRequest::header(const std::string& name) const
{
    const auto it =
        std::find_if(headers.begin(), headers.end(), [&](const auto& h) { return sameName(h.first, name); });
    return it == headers.end() ? "" : it->second;
}

bool FakeRequest::hasHeader(const std::string& name) const
{
    return std::any_of(headers.begin(), headers.end(),
                       [&](const auto& h) { return sameName(h.first, name); });
}

std::string FakeRequest::path() const
{
    return Poco::URI(uri).getPath();
}

std::string FakeRequest::query(const std::string& name) const
{
    for (const auto& [key, value] : Poco::URI(uri).getQueryParameters())
    {
        if (key == name)
            return value;
    }
    return {};
}

namespace {

struct State
{
    FakeHttpServer::Handler handler;
    std::mutex handling; // one handler call at a time
    mutable std::mutex mutex;
    std::vector<FakeRequest> requests;
    std::set<std::string> clients;
    std::atomic<int> inFlight{0};
    std::atomic<int> maxInFlight{0};
    std::atomic<bool> stopping{false};
};

class RequestHandler : public Poco::Net::HTTPRequestHandler
{
public:
    explicit RequestHandler(std::shared_ptr<State> state) : _state(std::move(state)) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override
    {
        const int now = ++_state->inFlight;
        for (int seen = _state->maxInFlight;
             now > seen && !_state->maxInFlight.compare_exchange_weak(seen, now);)
        {}

        FakeRequest received;
        received.method = request.getMethod();
        received.uri = request.getURI();
        for (const auto& [name, value] : request)
            received.headers.emplace_back(name, value);
        Poco::StreamCopier::copyToString(request.stream(), received.body);
        received.client = request.clientAddress().toString();

        FakeReply reply;
        try
        {
            // Recording and answering under one lock keeps `index` in the order the handler sees.
            std::lock_guard handling(_state->handling);
            {
                std::lock_guard lock(_state->mutex);
                received.index = _state->requests.size();
                _state->requests.push_back(received);
                _state->clients.insert(received.client);
            }
            reply = _state->handler(received);
        }
        catch (...)
        {
            --_state->inFlight;
            throw;
        }

        // In small steps, so that a server being destroyed does not wait out a long delay.
        const auto until = std::chrono::steady_clock::now() + reply.delay;
        while (std::chrono::steady_clock::now() < until && !_state->stopping)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        // Before the reply goes out: a client that has it may send its next request at once,
        // and that one must not count as overlapping this one.
        --_state->inFlight;

        response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
        for (const auto& [name, value] : reply.headers)
            response.set(name, value);
        response.setContentLength(static_cast<std::streamsize>(reply.body.size()));
        response.sendBuffer(reply.body.data(), reply.body.size());
    }

private:
    std::shared_ptr<State> _state;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory
{
public:
    explicit Factory(std::shared_ptr<State> state) : _state(std::move(state)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override
    {
        return new RequestHandler(_state);
    }

private:
    std::shared_ptr<State> _state;
};

} // namespace

struct FakeHttpServer::Impl
{
    // Members are destroyed bottom up: the server stops before its pool and socket go.
    std::shared_ptr<State> state = std::make_shared<State>();
    Poco::Net::ServerSocket socket{Poco::Net::SocketAddress("127.0.0.1", 0)};
    // Room for the most concurrent requests a test makes (sendAll, pages, batches in flight).
    Poco::ThreadPool pool{2, 32};
    std::unique_ptr<Poco::Net::HTTPServer> server;
};

FakeHttpServer::FakeHttpServer(Handler handler) : _impl(std::make_unique<Impl>())
{
    _impl->state->handler = std::move(handler);
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(32);
    params->setMaxQueued(128);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(30, 0));
    _impl->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(_impl->state), _impl->pool,
                                                            _impl->socket, params);
    _impl->server->start();
}

FakeHttpServer::~FakeHttpServer()
{
    _impl->state->stopping = true;
    _impl->server->stopAll(true);
    _impl->pool.joinAll();
}

std::string FakeHttpServer::url() const
{
    return "http://127.0.0.1:" + std::to_string(_impl->socket.address().port());
}

std::vector<FakeRequest> FakeHttpServer::requests() const
{
    std::lock_guard lock(_impl->state->mutex);
    return _impl->state->requests;
}

std::vector<FakeRequest> FakeHttpServer::requestsTo(const std::string& path) const
{
    std::vector<FakeRequest> matching;
    for (auto& request : requests())
    {
        if (request.path() == path)
            matching.push_back(std::move(request));
    }
    return matching;
}

std::size_t FakeHttpServer::requestCount() const
{
    std::lock_guard lock(_impl->state->mutex);
    return _impl->state->requests.size();
}

std::size_t FakeHttpServer::clientSockets() const
{
    std::lock_guard lock(_impl->state->mutex);
    return _impl->state->clients.size();
}

int FakeHttpServer::maxInFlight() const
{
    return _impl->state->maxInFlight;
}

std::map<std::string, std::string> formFields(const std::string& body)
{
    std::map<std::string, std::string> fields;
    for (const auto& [name, value] : Poco::URI("/?" + body).getQueryParameters())
        fields[name] = value;
    return fields;
}

std::uint16_t closedPort()
{
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    const std::uint16_t port = socket.address().port();
    socket.close();
    return port;
}

std::string closedPortUrl()
{
    return "http://127.0.0.1:" + std::to_string(closedPort());
}

} // namespace acd::test
