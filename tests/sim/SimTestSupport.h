// Shared by the self-test's files: one commerce-sim process per test, plain HTTP calls to it,
// and the Emarsys request helpers. Expected values are computed here, never taken from the sim.
#pragma once

#include <boost/test/unit_test.hpp>

#include <Poco/Base64Encoder.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Process.h>
#include <Poco/SHA1Engine.h>
#include <Poco/StreamCopier.h>
#include <Poco/TemporaryFile.h>
#include <Poco/Thread.h>
#include <Poco/Timespan.h>
#include <Poco/Timestamp.h>

#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace simtest {

using Poco::JSON::Array;
using Poco::JSON::Object;

inline const std::string SimBinary = std::string(ACD_BINARY_DIR) + "/bin/commerce-sim";
inline const std::string BasicScenario = std::string(ACD_SOURCE_DIR) + "/tests/sim/scenarios/basic.json";
inline const std::string CommerceScope = "https://commerce.dynamics.com/.default";
inline const std::string VaultScope = "https://vault.azure.net/.default";

struct HttpResult
{
    int status = 0;
    std::string body;
    Poco::Net::NameValueCollection headers;

    Object::Ptr json() const { return Poco::JSON::Parser().parse(body).extract<Object::Ptr>(); }
    Array::Ptr jsonArray() const { return Poco::JSON::Parser().parse(body).extract<Array::Ptr>(); }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

inline std::string isoSeconds(Poco::Timestamp::TimeDiff offsetSeconds)
{
    return Poco::DateTimeFormatter::format(Poco::Timestamp() + offsetSeconds * Poco::Timestamp::resolution(),
                                           "%Y-%m-%dT%H:%M:%SZ");
}

/// DESIGN §4, computed independently of the simulator: base64 of the lowercase hex SHA1.
inline std::string wsseHeader(const std::string& user, const std::string& secret, const std::string& nonce,
                              const std::string& created)
{
    Poco::SHA1Engine sha1;
    sha1.update(nonce + created + secret);
    std::ostringstream digest;
    Poco::Base64Encoder encoder(digest);
    encoder << Poco::DigestEngine::digestToHex(sha1.digest());
    encoder.close();
    return "UsernameToken Username=\"" + user + "\", PasswordDigest=\"" + digest.str() + "\", Nonce=\"" +
           nonce + "\", Created=\"" + created + "\"";
}

/// One commerce-sim process on a free loopback port, stopped with SIGINT at the end.
class SimProcess
{
public:
    explicit SimProcess(std::vector<std::string> args)
    {
        _portFile = Poco::TemporaryFile::tempName();
        Poco::TemporaryFile::registerForDeletion(_portFile);
        args.push_back("--port-file=" + _portFile);
        _handle.emplace(Poco::Process::launch(SimBinary, args));
        for (int i = 0; i < 400 && port == 0; ++i)
        {
            if (Poco::File(_portFile).exists())
            {
                Poco::FileInputStream in(_portFile);
                in >> port;
            }
            else
            {
                BOOST_REQUIRE_MESSAGE(Poco::Process::isRunning(*_handle), "commerce-sim exited at start");
                Poco::Thread::sleep(25);
            }
        }
        BOOST_REQUIRE_MESSAGE(port > 0, "commerce-sim did not write its port file");
    }

    ~SimProcess()
    {
        if (_handle)
            stop();
    }

    /// The exit code after SIGINT (killed after 10 s).
    int stop()
    {
        Poco::Process::requestTermination(_handle->id());
        int code = -1;
        for (int i = 0; i < 100 && (code = _handle->tryWait()) == -1; ++i)
            Poco::Thread::sleep(100);
        if (code == -1)
        {
            Poco::Process::kill(*_handle);
            code = _handle->wait();
        }
        _handle.reset();
        return code;
    }

    std::string base() const { return "http://127.0.0.1:" + std::to_string(port); }

    HttpResult call(const std::string& method, const std::string& uri, const std::string& body = "",
                    const Headers& headers = {}, const std::string& contentType = "application/json") const
    {
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
        session.setTimeout(Poco::Timespan(30, 0));
        Poco::Net::HTTPRequest request(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
        for (const auto& [name, value] : headers)
            request.set(name, value);
        if (method == "POST" || method == "PUT")
        {
            request.setContentType(contentType);
            request.setContentLength(static_cast<std::streamsize>(body.size()));
        }
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        HttpResult result;
        result.status = response.getStatus();
        Poco::StreamCopier::copyToString(in, result.body);
        for (const auto& [name, value] : response)
            result.headers.add(name, value);
        return result;
    }

    HttpResult token(const std::string& scope, const std::string& secret = "app-secret") const
    {
        return call("POST", "/tenant-1/oauth2/v2.0/token",
                    "grant_type=client_credentials&client_id=app-id&client_secret=" + secret +
                        "&scope=" + scope,
                    {}, "application/x-www-form-urlencoded");
    }

    std::string accessToken(const std::string& scope) const
    {
        const HttpResult reply = token(scope);
        BOOST_REQUIRE_EQUAL(reply.status, 200);
        return reply.json()->getValue<std::string>("access_token");
    }

    HttpResult retail(const std::string& method, const std::string& uri, const std::string& token,
                      const std::string& body = "") const
    {
        return call(method, uri, body, {{"Authorization", "id_token " + token}, {"OUN", "128"}});
    }

    HttpResult control(const std::string& method, const std::string& path, const std::string& body = "") const
    {
        return call(method, "/_sim" + path, body);
    }

    int port = 0;

private:
    std::string _portFile;
    std::optional<Poco::ProcessHandle> _handle;
};

struct BasicSim
{
    SimProcess sim{{"--scenario=" + BasicScenario}};
};

inline std::string triggerBody(const std::vector<std::pair<std::string, std::string>>& contacts)
{
    std::string body = R"({"key_id":"3","contacts":[)";
    for (std::size_t i = 0; i < contacts.size(); ++i)
        body += std::string(i > 0 ? "," : "") + R"({"external_id":")" + contacts[i].first +
                R"(","trigger_id":")" + contacts[i].second + R"(","data":{"firstName":"A"}})";
    return body + "]}";
}

inline HttpResult trigger(const SimProcess& sim, const std::string& nonce, const std::string& body,
                          const std::string& secret = "emarsys-secret",
                          const std::string& created = isoSeconds(0))
{
    return sim.call("POST", "/api/v2/event/42/trigger", body,
                    {{"X-WSSE", wsseHeader("emarsys-user", secret, nonce, created)}});
}

} // namespace simtest
