#pragma once

// A small HTTP server for unit tests: binds 127.0.0.1 on a free port, answers with whatever
// the test's handler returns, and records what it received, which client sockets it saw
// and how many requests were in progress at once.

#include "net/HttpClient.h"

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
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace acd::test {

struct FakeRequest
{
    std::string method;
    std::string uri; // path and query as sent
    HttpHeaders headers;
    std::string body;
    std::string client; // the client socket's address and port

    std::string header(const std::string& name) const
    {
        HttpResponse lookup;
        lookup.headers = headers;
        return lookup.header(name);
    }
    bool hasHeader(const std::string& name) const
    {
        return std::any_of(headers.begin(), headers.end(), [&](const auto& h) {
            return std::equal(h.first.begin(), h.first.end(), name.begin(), name.end(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) ==
                       std::tolower(static_cast<unsigned char>(b));
            });
        });
    }
    std::string path() const { return Poco::URI(uri).getPath(); }
    /// A query parameter, decoded; "" when absent.
    std::string query(const std::string& name) const
    {
        for (const auto& [key, value] : Poco::URI(uri).getQueryParameters())
        {
            if (key == name)
                return value;
        }
        return {};
    }
};

struct FakeReply
{
    int status = 200;
    HttpHeaders headers;
    std::string body;
    std::chrono::milliseconds delay{0}; // before answering
};

class FakeHttpServer
{
public:
    using Handler = std::function<FakeReply(const FakeRequest&)>;

    explicit FakeHttpServer(Handler handler)
        : _state(std::make_shared<State>()), _socket(Poco::Net::SocketAddress("127.0.0.1", 0)), _pool(2, 32)
    {
        _state->handler = std::move(handler);
        auto* params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(32);
        params->setMaxQueued(128);
        params->setKeepAlive(true);
        params->setKeepAliveTimeout(Poco::Timespan(30, 0));
        _server = std::make_unique<Poco::Net::HTTPServer>(new Factory(_state), _pool, _socket, params);
        _server->start();
    }

    ~FakeHttpServer()
    {
        _state->stopping = true;
        _server->stopAll(true);
        _pool.joinAll();
    }

    FakeHttpServer(const FakeHttpServer&) = delete;
    FakeHttpServer& operator=(const FakeHttpServer&) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(_socket.address().port()); }

    std::vector<FakeRequest> requests() const
    {
        std::lock_guard lock(_state->mutex);
        return _state->requests;
    }
    std::size_t requestCount() const
    {
        std::lock_guard lock(_state->mutex);
        return _state->requests.size();
    }
    std::size_t clientSockets() const
    {
        std::lock_guard lock(_state->mutex);
        return _state->clients.size();
    }
    int maxInFlight() const { return _state->maxInFlight; }

private:
    struct State
    {
        Handler handler;
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
            {
                std::lock_guard lock(_state->mutex);
                _state->requests.push_back(received);
                _state->clients.insert(received.client);
            }

            const FakeReply reply = _state->handler(received);
            const auto until = std::chrono::steady_clock::now() + reply.delay;
            while (std::chrono::steady_clock::now() < until && !_state->stopping)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
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

    std::shared_ptr<State> _state;
    Poco::Net::ServerSocket _socket;
    Poco::ThreadPool _pool;
    std::unique_ptr<Poco::Net::HTTPServer> _server;
};

/// A loopback port nothing listens on: bound, read, and closed again.
inline std::uint16_t closedPort()
{
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    const std::uint16_t port = socket.address().port();
    socket.close();
    return port;
}

} // namespace acd::test
