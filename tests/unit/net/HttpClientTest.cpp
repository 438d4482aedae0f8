#define BOOST_TEST_MODULE HttpClient
#include <boost/test/unit_test.hpp>

#include "FakeHttpServer.h"
#include "net/HttpClient.h"

#include <Poco/DeflatingStream.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <atomic>
#include <sstream>
#include <thread>

using namespace acd;
using namespace acd::test;
using namespace std::chrono_literals;

namespace {

FakeReply ok(std::string body)
{
    FakeReply reply;
    reply.body = std::move(body);
    return reply;
}

HttpRequest get(const std::string& url)
{
    HttpRequest request;
    request.url = url;
    return request;
}

long long elapsedMs(std::chrono::steady_clock::time_point since)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since)
        .count();
}

template <typename F> std::string transportErrorOf(F&& f, bool* timedOut = nullptr)
{
    try
    {
        f();
    }
    catch (const HttpTransportError& e)
    {
        if (timedOut != nullptr)
            *timedOut = e.timedOut();
        return e.what();
    }
    return "";
}

/// A server that FakeHttpServer cannot be: it answers one connection with a head that may lie
/// about the body's length, then sends the body a chunk at a time, `pause` apart.
class RawServer
{
public:
    RawServer(std::string head, std::vector<std::string> chunks, std::chrono::milliseconds pause)
        : _socket(Poco::Net::SocketAddress("127.0.0.1", 0))
    {
        _thread = std::thread([this, head = std::move(head), chunks = std::move(chunks), pause] {
            try
            {
                Poco::Net::StreamSocket client = _socket.acceptConnection();
                char buffer[4096];
                client.receiveBytes(buffer, sizeof buffer); // the request; its content does not matter
                client.sendBytes(head.data(), static_cast<int>(head.size()));
                for (const std::string& chunk : chunks)
                {
                    if (_stop)
                        break;
                    std::this_thread::sleep_for(pause);
                    client.sendBytes(chunk.data(), static_cast<int>(chunk.size()));
                    ++_chunksSent;
                }
            }
            catch (const Poco::Exception&)
            {
                // the client hung up: what the tests expect
            }
        });
    }
    ~RawServer()
    {
        _stop = true;
        _thread.join();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(_socket.address().port()); }
    int chunksSent() const { return _chunksSent; }

private:
    Poco::Net::ServerSocket _socket;
    std::thread _thread;
    std::atomic<bool> _stop{false};
    std::atomic<int> _chunksSent{0};
};

} // namespace

BOOST_AUTO_TEST_CASE(get_and_post_carry_headers_and_body)
{
    FakeHttpServer server([](const FakeRequest& r) {
        FakeReply reply = ok("echo:" + r.method + ":" + r.body);
        reply.headers = {{"X-Answer", "42"}};
        return reply;
    });
    HttpClient client;

    HttpRequest request = get(server.url() + "/things?a=1&b=x%20y");
    request.headers = {{"X-Test", "abc"}, {"X-Empty", ""}};
    HttpResponse response = client.send(request);
    BOOST_TEST(response.status == 200);
    BOOST_TEST(response.body == "echo:GET:");
    BOOST_TEST(response.header("X-Answer") == "42");

    const std::string body = "{\"name\":\"Zoë \\\"quoted\\\" 😀\"}\n\x01 binary";
    HttpRequest post;
    post.method = "POST";
    post.url = server.url() + "/submit";
    post.headers = {{"Content-Type", "application/json"}};
    post.body = body;
    response = client.send(post);
    BOOST_TEST(response.body == "echo:POST:" + body);

    HttpRequest del;
    del.method = "DELETE";
    del.url = server.url() + "/things/1";
    BOOST_TEST(client.send(del).body == "echo:DELETE:");

    const auto requests = server.requests();
    BOOST_REQUIRE(requests.size() == 3);
    BOOST_TEST(requests[0].method == "GET");
    BOOST_TEST(requests[0].uri == "/things?a=1&b=x%20y");
    BOOST_TEST(requests[0].header("X-Test") == "abc");
    BOOST_TEST(requests[0].hasHeader("X-Empty"));
    BOOST_TEST(requests[0].header("X-Empty") == "");
    BOOST_TEST(requests[1].method == "POST");
    BOOST_TEST(requests[1].header("Content-Type") == "application/json");
    BOOST_TEST(requests[1].header("Content-Length") == std::to_string(body.size()));
    BOOST_TEST(!requests[1].hasHeader("Expect"));
    BOOST_TEST(requests[2].method == "DELETE");
}

BOOST_AUTO_TEST_CASE(status_codes_are_passed_through_and_redirects_not_followed)
{
    FakeHttpServer server([](const FakeRequest& r) {
        FakeReply reply;
        if (r.path() == "/missing")
            reply.status = 404;
        else if (r.path() == "/broken")
            reply.status = 503;
        else if (r.path() == "/moved")
        {
            reply.status = 302;
            reply.headers = {{"Location", "/elsewhere"}};
        }
        reply.body = "status body";
        return reply;
    });
    HttpClient client;
    BOOST_TEST(client.send(get(server.url() + "/missing")).status == 404);
    const HttpResponse broken = client.send(get(server.url() + "/broken"));
    BOOST_TEST(broken.status == 503);
    BOOST_TEST(broken.body == "status body");
    const HttpResponse moved = client.send(get(server.url() + "/moved"));
    BOOST_TEST(moved.status == 302);
    BOOST_TEST(moved.header("Location") == "/elsewhere");
    BOOST_TEST(server.requestCount() == 3u); // /elsewhere never asked for
}

BOOST_AUTO_TEST_CASE(header_lookup_ignores_case)
{
    FakeHttpServer server([](const FakeRequest&) {
        FakeReply reply;
        reply.headers = {{"X-Mixed-Case", "value"}, {"Retry-After", "7"}};
        return reply;
    });
    HttpClient client;
    const HttpResponse response = client.send(get(server.url() + "/"));
    BOOST_TEST(response.header("x-mixed-case") == "value");
    BOOST_TEST(response.header("X-MIXED-CASE") == "value");
    BOOST_TEST(response.header("retry-after") == "7");
    BOOST_TEST(response.header("X-Absent") == "");
}

BOOST_AUTO_TEST_CASE(sequential_calls_reuse_one_connection)
{
    FakeHttpServer server([](const FakeRequest&) { return ok("fine"); });
    HttpClient client;
    for (int i = 0; i < 5; ++i)
        BOOST_TEST(client.send(get(server.url() + "/n/" + std::to_string(i))).status == 200);
    BOOST_TEST(server.requestCount() == 5u);
    BOOST_TEST(server.clientSockets() == 1u);

    // sendAll() draws on the same pool: two rounds of two need no more than two sockets.
    for (int round = 0; round < 2; ++round)
    {
        const auto outcomes = client.sendAll({get(server.url() + "/a"), get(server.url() + "/b")});
        for (const auto& outcome : outcomes)
            BOOST_TEST(outcome.response.status == 200);
    }
    client.send(get(server.url() + "/last"));
    BOOST_TEST(server.requestCount() == 10u);
    BOOST_TEST(server.clientSockets() <= 2u);
}

BOOST_AUTO_TEST_CASE(slow_answer_times_out)
{
    FakeHttpServer server([](const FakeRequest&) {
        FakeReply reply = ok("late");
        reply.delay = 3s;
        return reply;
    });
    HttpClientOptions options;
    options.timeout = 300ms;
    HttpClient client(options);
    bool timedOut = false;
    const auto started = std::chrono::steady_clock::now();
    const std::string message =
        transportErrorOf([&] { client.send(get(server.url() + "/slow?key=hunter2")); }, &timedOut);
    BOOST_TEST(elapsedMs(started) < 2000);
    BOOST_TEST(timedOut);
    BOOST_TEST(message.find("GET " + server.url() + "/slow") != std::string::npos, message);
    BOOST_TEST(message.find("hunter2") == std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(refused_connection_is_a_transport_error_without_secrets)
{
    HttpClient client;
    const std::string url =
        "http://user:pa55word@127.0.0.1:" + std::to_string(closedPort()) + "/p?token=hunter2#frag";
    bool timedOut = true;
    const std::string message = transportErrorOf([&] { client.send(get(url)); }, &timedOut);
    BOOST_TEST(!message.empty());
    BOOST_TEST(!timedOut);
    BOOST_TEST(message.find("127.0.0.1") != std::string::npos, message);
    BOOST_TEST(message.find("/p") != std::string::npos, message);
    BOOST_TEST(message.find("hunter2") == std::string::npos, message);
    BOOST_TEST(message.find("pa55word") == std::string::npos, message);
    BOOST_TEST((message.find("refused") != std::string::npos || message.find("connect") != std::string::npos),
               message);
}

BOOST_AUTO_TEST_CASE(send_all_keeps_order_and_overlaps)
{
    FakeHttpServer server([](const FakeRequest& r) {
        const int index = std::stoi(r.path().substr(3));
        FakeReply reply = ok("answer " + std::to_string(index));
        // Later requests answer sooner, so arrival order differs from request order.
        reply.delay = std::chrono::milliseconds(60 * (8 - index));
        return reply;
    });
    HttpClientOptions options;
    options.maxConcurrent = 4;
    HttpClient client(options);
    std::vector<HttpRequest> requests;
    for (int i = 0; i < 8; ++i)
        requests.push_back(get(server.url() + "/r/" + std::to_string(i)));
    const auto outcomes = client.sendAll(requests);
    BOOST_REQUIRE(outcomes.size() == 8u);
    for (int i = 0; i < 8; ++i)
    {
        BOOST_TEST(outcomes[i].transportError == "");
        BOOST_TEST(outcomes[i].response.status == 200);
        BOOST_TEST(outcomes[i].response.body == "answer " + std::to_string(i));
    }
    BOOST_TEST(server.maxInFlight() > 1);
    BOOST_TEST(server.maxInFlight() <= 4);
    BOOST_TEST(client.sendAll({}).empty());
}

BOOST_AUTO_TEST_CASE(send_all_reports_failures_per_request)
{
    FakeHttpServer server([](const FakeRequest&) { return ok("fine"); });
    HttpClient client;
    const auto outcomes = client.sendAll(
        {get(server.url() + "/one"), get("http://127.0.0.1:" + std::to_string(closedPort()) + "/refused"),
         get("http://10.1.2.3/plain"), get(server.url() + "/two")});
    BOOST_REQUIRE(outcomes.size() == 4u);
    BOOST_TEST(outcomes[0].response.body == "fine");
    BOOST_TEST(outcomes[1].transportError.find("/refused") != std::string::npos, outcomes[1].transportError);
    BOOST_TEST(outcomes[2].transportError.find("10.1.2.3") != std::string::npos, outcomes[2].transportError);
    BOOST_TEST(outcomes[3].response.body == "fine");
    BOOST_TEST(server.requestCount() == 2u);
}

BOOST_AUTO_TEST_CASE(plain_http_to_a_remote_host_is_refused_before_sending)
{
    HttpClientOptions options;
    options.connectTimeout = 100ms; // would show up as a timeout if a connection were attempted
    HttpClient client(options);
    const auto started = std::chrono::steady_clock::now();
    bool timedOut = true;
    const std::string message = transportErrorOf(
        [&] { client.send(get("http://10.1.2.3:8080/Commerce?secret=hunter2")); }, &timedOut);
    BOOST_TEST(elapsedMs(started) < 50);
    BOOST_TEST(!timedOut);
    BOOST_TEST(message.find("http://10.1.2.3:8080/Commerce") != std::string::npos, message);
    BOOST_TEST(message.find("https://") != std::string::npos, message);
    BOOST_TEST(message.find("hunter2") == std::string::npos, message);

    BOOST_TEST(transportErrorOf([&] { client.send(get("ftp://127.0.0.1/file")); }).find("only http") !=
               std::string::npos);
    BOOST_TEST(transportErrorOf([&] {
                   client.send(get("http://127.0.0.1.example.com/"));
               }).find("non-loopback") != std::string::npos);
    // Loopback in any spelling is allowed (and refused here only because nothing listens).
    const std::string port = std::to_string(closedPort());
    for (const std::string host : {"127.0.0.1", "localhost", "LOCALHOST", "[::1]", "127.8.9.10"})
    {
        const std::string error =
            transportErrorOf([&] { client.send(get("http://" + host + ":" + port + "/")); });
        BOOST_TEST(error.find("non-loopback") == std::string::npos, error);
    }
    BOOST_TEST(transportErrorOf([&] { client.send(get("not a url")); }).find("not a valid URL") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(header_with_line_break_is_refused_without_echoing_it)
{
    FakeHttpServer server([](const FakeRequest&) { return ok("fine"); });
    HttpClient client;
    HttpRequest request = get(server.url() + "/");
    request.headers = {{"Authorization", "Bearer s3cret\r\nX-Injected: 1"}};
    const std::string message = transportErrorOf([&] { client.send(request); });
    BOOST_TEST(message.find("Authorization") != std::string::npos, message);
    BOOST_TEST(message.find("s3cret") == std::string::npos, message);
    BOOST_TEST(server.requestCount() == 0u);
}

BOOST_AUTO_TEST_CASE(gzip_replies_are_accepted_and_decoded)
{
    const std::string text(5000, 'z');
    FakeHttpServer server([&](const FakeRequest& r) {
        FakeReply reply;
        if (r.header("Accept-Encoding").find("gzip") == std::string::npos)
        {
            reply.body = "gzip not offered";
            return reply;
        }
        std::ostringstream compressed;
        Poco::DeflatingOutputStream deflater(compressed, Poco::DeflatingStreamBuf::STREAM_GZIP);
        deflater << text;
        deflater.close();
        reply.body = compressed.str();
        reply.headers = {{"Content-Encoding", "gzip"}};
        return reply;
    });
    HttpClient client;
    const HttpResponse response = client.send(get(server.url() + "/zipped"));
    BOOST_TEST(response.body == text);
}

BOOST_AUTO_TEST_CASE(oversized_reply_is_a_transport_error)
{
    FakeHttpServer server([](const FakeRequest&) { return ok(std::string(5000, 'x')); });
    HttpClientOptions options;
    options.maxResponseBytes = 1000;
    HttpClient client(options);
    const std::string message = transportErrorOf([&] { client.send(get(server.url() + "/big")); });
    BOOST_TEST(message.find("larger than 1000 bytes") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(announced_oversized_reply_is_refused_before_its_body_is_read)
{
    // 100 MB announced, 20 bytes sent every 100 ms: reading it all would take days.
    RawServer server("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n",
                     std::vector<std::string>(50, std::string(20, 'x')), 100ms);
    HttpClientOptions options;
    options.maxResponseBytes = 1000;
    HttpClient client(options);
    const auto started = std::chrono::steady_clock::now();
    const std::string message = transportErrorOf([&] { client.send(get(server.url() + "/huge")); });
    BOOST_TEST(elapsedMs(started) < 1000);
    BOOST_TEST(message.find("larger than 1000 bytes (its Content-Length says so") != std::string::npos,
               message);
    BOOST_TEST(server.chunksSent() < 5);
}

BOOST_AUTO_TEST_CASE(small_replies_have_their_own_limit)
{
    FakeHttpServer server([](const FakeRequest&) { return ok(std::string(5000, 'x')); });
    HttpClientOptions options; // 64 MB for pages
    options.maxSmallResponseBytes = 4096;
    HttpClient client(options);
    HttpRequest small = get(server.url() + "/token");
    small.smallReply = true;
    const std::string message = transportErrorOf([&] { client.send(small); });
    BOOST_TEST(message.find("larger than 4096 bytes") != std::string::npos, message);
    // The client's own limit holds for the next request on the same handle.
    BOOST_TEST(client.send(get(server.url() + "/page")).body.size() == 5000u);
    const auto outcomes = client.sendAll({small, get(server.url() + "/page")});
    BOOST_TEST(outcomes[0].transportError.find("larger than 4096 bytes") != std::string::npos);
    BOOST_TEST(outcomes[1].response.body.size() == 5000u);
}

BOOST_AUTO_TEST_CASE(unannounced_oversized_reply_stops_at_the_limit)
{
    // No Content-Length: the body ends when the connection closes, so only the count can stop it.
    RawServer server("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
                     std::vector<std::string>(200, std::string(100, 'x')), 5ms);
    HttpClientOptions options;
    options.maxResponseBytes = 1000;
    HttpClient client(options);
    const std::string message = transportErrorOf([&] { client.send(get(server.url() + "/endless")); });
    BOOST_TEST(message.find("larger than 1000 bytes") != std::string::npos, message);
    BOOST_TEST(server.chunksSent() < 100);
}

BOOST_AUTO_TEST_CASE(trickling_reply_ends_at_the_stall_limit)
{
    // One byte every 200 ms: 5 bytes a second, under the floor of 100.
    RawServer server("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n",
                     std::vector<std::string>(60, "x"), 200ms);
    HttpClientOptions options;
    options.timeout = 30s;
    options.stallBytesPerSecond = 100;
    options.stallTime = 1s;
    HttpClient client(options);
    bool timedOut = false;
    const auto started = std::chrono::steady_clock::now();
    const std::string message =
        transportErrorOf([&] { client.send(get(server.url() + "/trickle")); }, &timedOut);
    BOOST_TEST(elapsedMs(started) < 5000);
    BOOST_TEST(timedOut);
    BOOST_TEST(message.find("GET " + server.url() + "/trickle") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(bad_options_are_refused)
{
    HttpClientOptions options;
    options.maxConcurrent = 0;
    BOOST_CHECK_THROW(HttpClient{options}, std::invalid_argument);
    HttpClientOptions stall;
    stall.stallBytesPerSecond = -1;
    BOOST_CHECK_THROW(HttpClient{stall}, std::invalid_argument);
    stall.stallBytesPerSecond = 10;
    stall.stallTime = 0s;
    BOOST_CHECK_THROW(HttpClient{stall}, std::invalid_argument);
}
