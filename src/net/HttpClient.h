#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace acd {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest
{
    std::string method = "GET";
    std::string url;
    HttpHeaders headers;
    std::string body;
};

struct HttpResponse
{
    long status = 0;
    HttpHeaders headers;
    std::string body;

    /// First header of that name, compared without regard to case; "" when absent.
    std::string header(const std::string& name) const;
};

/// The request never got an HTTP answer: refused, reset, timed out, TLS failure, bad URL.
/// The message names the URL (without its query) and libcurl's reason.
class HttpTransportError : public std::runtime_error
{
public:
    HttpTransportError(const std::string& message, bool timedOut, bool requestSent = false)
        : std::runtime_error(message), _timedOut(timedOut), _requestSent(requestSent)
    {}
    bool timedOut() const { return _timedOut; }
    /// The whole request had left: the server may have acted on it.
    bool requestSent() const { return _requestSent; }

private:
    bool _timedOut;
    bool _requestSent;
};

struct HttpClientOptions
{
    std::chrono::milliseconds timeout{30000};
    std::chrono::milliseconds connectTimeout{10000};
    int maxConcurrent = 4; // transfers in flight in sendAll()
    /// Plain http:// is refused except for loopback hosts (tests, the simulator).
    bool allowPlainHttpOnLoopbackOnly = true;
    /// A larger response body fails as a transport error instead of exhausting memory.
    std::size_t maxResponseBytes = 64 * 1024 * 1024;
};

/// libcurl behind a small interface: keep-alive connections are reused across calls,
/// TLS certificates are verified. One client per thread.
class HttpClient
{
public:
    explicit HttpClient(HttpClientOptions options = {});
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    /// Throws HttpTransportError when no HTTP answer came; any HTTP status is returned.
    HttpResponse send(const HttpRequest& request);

    struct Outcome
    {
        HttpResponse response;
        std::string transportError; // "" when an HTTP answer came
        bool timedOut = false;
        /// With a transport error: the whole request had left before it, so the server may have
        /// acted on it (what a provider that cannot tell a repeat must not send again).
        bool requestSent = false;
    };
    /// Sends the requests concurrently, at most maxConcurrent in flight; the outcomes are in
    /// the order of the requests.
    std::vector<Outcome> sendAll(const std::vector<HttpRequest>& requests);

private:
    struct Impl;
    std::unique_ptr<Impl> _impl;
};

} // namespace acd
