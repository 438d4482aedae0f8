#pragma once

// A tiny HTTP server on 127.0.0.1 (free port) that stands in for Key Vault, Entra, IMDS and
// the Azure Arc agent in these tests, and records what it received.

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace acd::test {

struct Received
{
    std::string method;
    std::string path;
    std::map<std::string, std::string> query; // decoded
    std::map<std::string, std::string> headers;
    std::string body;

    std::string header(const std::string& name) const
    {
        const auto it = headers.find(name);
        return it == headers.end() ? "" : it->second;
    }
    std::string param(const std::string& name) const
    {
        const auto it = query.find(name);
        return it == query.end() ? "" : it->second;
    }
};

struct Reply
{
    Reply(int status = 200, std::string body = "",
          std::vector<std::pair<std::string, std::string>> headers = {})
        : status(status), body(std::move(body)), headers(std::move(headers))
    {}
    int status;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

/// application/x-www-form-urlencoded body as a map, decoded.
inline std::map<std::string, std::string> formFields(const std::string& body)
{
    Poco::URI uri("http://x/?" + body);
    std::map<std::string, std::string> fields;
    for (const auto& [name, value] : uri.getQueryParameters())
        fields[name] = value;
    return fields;
}

class FakeHttpServer
{
public:
    using Handler = std::function<Reply(const Received&)>;

    explicit FakeHttpServer(Handler handler) : _state(std::make_shared<State>())
    {
        _state->handler = std::move(handler);
        Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
        _port = socket.address().port();
        auto params = Poco::AutoPtr<Poco::Net::HTTPServerParams>(new Poco::Net::HTTPServerParams);
        params->setKeepAlive(true);
        _server = std::make_unique<Poco::Net::HTTPServer>(new Factory(_state), socket, params);
        _server->start();
    }
    ~FakeHttpServer() { _server->stopAll(true); }

    std::string url() const { return "http://127.0.0.1:" + std::to_string(_port); }

    std::vector<Received> received() const
    {
        std::lock_guard lock(_state->mutex);
        return _state->received;
    }
    std::vector<Received> receivedOn(const std::string& path) const
    {
        std::vector<Received> matching;
        for (auto& request : received())
        {
            if (request.path == path)
                matching.push_back(request);
        }
        return matching;
    }

private:
    struct State
    {
        Handler handler;
        std::vector<Received> received;
        std::mutex mutex;
    };

    class RequestHandler : public Poco::Net::HTTPRequestHandler
    {
    public:
        explicit RequestHandler(std::shared_ptr<State> state) : _state(std::move(state)) {}

        void handleRequest(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) override
        {
            Received in;
            in.method = request.getMethod();
            Poco::URI uri(request.getURI());
            in.path = uri.getPath();
            for (const auto& [name, value] : uri.getQueryParameters())
                in.query[name] = value;
            for (const auto& [name, value] : request)
                in.headers[name] = value;
            Poco::StreamCopier::copyToString(request.stream(), in.body);

            Reply out;
            {
                std::lock_guard lock(_state->mutex);
                _state->received.push_back(in);
                out = _state->handler(in);
            }
            response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(out.status));
            for (const auto& [name, value] : out.headers)
                response.set(name, value);
            response.setContentType("application/json");
            response.setContentLength(static_cast<std::streamsize>(out.body.size()));
            response.send() << out.body;
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
    std::unique_ptr<Poco::Net::HTTPServer> _server;
    Poco::UInt16 _port = 0;
};

/// A loopback port nothing listens on (bound, then released).
inline std::string closedPortUrl()
{
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    const auto port = socket.address().port();
    socket.close();
    return "http://127.0.0.1:" + std::to_string(port);
}

} // namespace acd::test
