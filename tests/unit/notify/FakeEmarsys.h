#pragma once

// A stand-in for the Emarsys trigger endpoint on 127.0.0.1 (a free port): it records every
// request and answers what the test's responder says.

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace fake {

struct Received
{
    std::string method;
    std::string uri;
    std::string wsse;
    std::string contentType;
    std::string accept;
    std::string body;
    std::string authorization;
};

struct Answer
{
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

struct Contact
{
    std::string externalId;
    std::string triggerId;
    Poco::JSON::Object::Ptr data; // null when "data" was not an object
};

inline std::vector<Contact> contactsOf(const std::string& body)
{
    Poco::JSON::Parser parser;
    const auto root = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    std::vector<Contact> contacts;
    const auto array = root->getArray("contacts");
    for (std::size_t i = 0; i < array->size(); ++i)
    {
        const auto c = array->getObject(static_cast<unsigned>(i));
        contacts.push_back(
            {c->getValue<std::string>("external_id"), c->getValue<std::string>("trigger_id"),
             c->get("data").type() == typeid(Poco::JSON::Object::Ptr) ? c->getObject("data") : nullptr});
    }
    return contacts;
}

/// Emarsys's success envelope; `errors` is the JSON text of data.errors.
inline Answer ok(const std::string& requestBody, const std::string& errors = "{}")
{
    std::string ids;
    const std::size_t count = contactsOf(requestBody).size();
    for (std::size_t i = 0; i < count; ++i)
        ids += (i ? "," : "") + std::to_string(1000 + i);
    return {200,
            {},
            R"({"replyCode":0,"replyText":"OK","data":{"ids":[)" + ids + R"(],"errors":)" + errors + "}}"};
}

using Responder = std::function<Answer(const Received& request, std::size_t index)>;

class Server
{
public:
    explicit Server(Responder responder)
        : _state(std::make_shared<State>(std::move(responder))),
          _socket(Poco::Net::SocketAddress("127.0.0.1", 0)),
          _server(new Factory(_state), _socket, new Poco::Net::HTTPServerParams)
    {
        _server.start();
    }
    ~Server() { _server.stopAll(true); }

    std::string url() const
    {
        return "http://127.0.0.1:" + std::to_string(_socket.address().port()) + "/api/v2/event/{0}/trigger";
    }

    std::vector<Received> received() const
    {
        std::lock_guard lock(_state->mutex);
        return _state->received;
    }

private:
    struct State
    {
        explicit State(Responder r) : responder(std::move(r)) {}
        Responder responder;
        mutable std::mutex mutex;
        std::vector<Received> received;
    };

    class Handler : public Poco::Net::HTTPRequestHandler
    {
    public:
        explicit Handler(std::shared_ptr<State> state) : _state(std::move(state)) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) override
        {
            Received r{request.getMethod(),
                       request.getURI(),
                       request.get("X-WSSE", ""),
                       request.get("Content-Type", ""),
                       request.get("Accept", ""),
                       {},
                       request.get("Authorization", "")};
            Poco::StreamCopier::copyToString(request.stream(), r.body);
            Answer answer;
            {
                std::lock_guard lock(_state->mutex);
                _state->received.push_back(r);
                answer = _state->responder(r, _state->received.size() - 1);
            }
            response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
            response.setContentType("application/json");
            for (const auto& [name, value] : answer.headers)
                response.set(name, value);
            response.sendBuffer(answer.body.data(), answer.body.size());
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
            return new Handler(_state);
        }

    private:
        std::shared_ptr<State> _state;
    };

    std::shared_ptr<State> _state;
    Poco::Net::ServerSocket _socket;
    Poco::Net::HTTPServer _server;
};

} // namespace fake
