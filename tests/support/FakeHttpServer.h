#pragma once

// The one HTTP server the unit tests put in place of Retail Server, Entra, Key Vault, IMDS, the
// Azure Arc agent and Emarsys. It binds 127.0.0.1 on a free port, answers with whatever the
// test's handler returns, and records what it received.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace acd::test {

/// The same shape as acd::HttpHeaders, so that a test can hand one to the other; spelled out
/// here because the fake does not depend on the product's code.
using FakeHeaders = std::vector<std::pair<std::string, std::string>>;

struct FakeRequest
{
    std::string method;
    std::string uri;     // path and query as sent
    FakeHeaders headers; // every header, as sent
    std::string body;
    std::string client;    // the client socket's address and port
    std::size_t index = 0; // its place among the requests this server received, from 0

    /// The first header of that name in any case; "" when absent.
    std::string header(const std::string& name) const;
    bool hasHeader(const std::string& name) const;
    std::string path() const;
    /// A query parameter, decoded; "" when absent.
    std::string query(const std::string& name) const;
};

struct FakeReply
{
    int status = 200;
    std::string body;
    FakeHeaders headers;
    // Waited after the handler returned, so a slow reply holds up no other request.
    std::chrono::milliseconds delay{0};
};

class FakeHttpServer
{
public:
    /// Called for one request at a time, so that a handler may count and collect in plain
    /// variables; a reply's delay runs outside that, so slow replies still overlap.
    using Handler = std::function<FakeReply(const FakeRequest&)>;

    explicit FakeHttpServer(Handler handler);
    ~FakeHttpServer();
    FakeHttpServer(const FakeHttpServer&) = delete;
    FakeHttpServer& operator=(const FakeHttpServer&) = delete;

    /// http://127.0.0.1:<port>, without a trailing slash.
    std::string url() const;

    std::vector<FakeRequest> requests() const;
    /// The requests whose path (the query left out) is `path`.
    std::vector<FakeRequest> requestsTo(const std::string& path) const;
    std::size_t requestCount() const;
    /// How many client sockets the requests came over.
    std::size_t clientSockets() const;
    /// The most requests that were being answered at once.
    int maxInFlight() const;

private:
    struct Impl;
    std::unique_ptr<Impl> _impl;
};

/// An application/x-www-form-urlencoded body as a map, decoded.
std::map<std::string, std::string> formFields(const std::string& body);

/// A loopback port nothing listens on: bound, read, and closed again.
std::uint16_t closedPort();
/// http://127.0.0.1:<closedPort()>.
std::string closedPortUrl();

} // namespace acd::test
