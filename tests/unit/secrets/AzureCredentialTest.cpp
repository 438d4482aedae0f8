#define BOOST_TEST_MODULE AzureCredential
#include <boost/test/unit_test.hpp>

#include "FakeHttpServer.h"
#include "SecretsTestSupport.h"
#include "net/HttpClient.h"
#include "secrets/AzureCredential.h"
#include "secrets/KeyVaultSource.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/RSADigestEngine.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/Crypto/X509Certificate.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/SHA1Engine.h>

#include <fstream>
#include <iterator>
#include <sstream>

using namespace acd;
using test::FakeHttpServer;
using test::FakeReply;
using test::FakeRequest;
using test::ScopedEnv;
using test::TempDir;

namespace {

const std::string ArcKey = "arc-challenge-key-c0ffee";
const std::string ArcToken = "arc-token-bbb222";
const std::string ImdsToken = "imds-token-ccc333";
const std::string CertToken = "cert-token-ddd444";
const std::string VaultValue = "kv-value-from-mi-55";
const std::vector<std::string> AllSecrets = {ArcKey, ArcToken, ImdsToken, CertToken, VaultValue};

const std::string Tenant = "tenant-1";
const std::string ClientId = "client-app-1";

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

template <typename F> std::string errorOf(F&& action)
{
    try
    {
        action();
    }
    // A SecretError from the environment's configuration, a TokenError from the token service.
    catch (const std::runtime_error& e)
    {
        BOOST_CHECK_MESSAGE(test::leaksNone(e.what(), AllSecrets), "a message holds a secret value");
        return e.what();
    }
    return "(no error)";
}

/// Every credential variable unset, so each test sets just what it means.
struct CleanCredentialEnv
{
    ScopedEnv vars[10] = {{"AZURE_AUTHORITY_HOST", std::nullopt},
                          {"AZURE_TENANT_ID", std::nullopt},
                          {"AZURE_CLIENT_ID", std::nullopt},
                          {"AZURE_CLIENT_SECRET", std::nullopt},
                          {"AZURE_CLIENT_CERTIFICATE_PATH", std::nullopt},
                          {"AZURE_CLIENT_CERTIFICATE_PASSWORD", std::nullopt},
                          {"IDENTITY_ENDPOINT", std::nullopt},
                          {"IMDS_ENDPOINT", std::nullopt},
                          {"ACD_IMDS_ENDPOINT", std::nullopt},
                          {"CREDENTIALS_DIRECTORY", std::nullopt}};
};

std::string readFile(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeFile(const std::filesystem::path& path, const std::string& content)
{
    std::ofstream(path, std::ios::binary) << content;
}

std::string base64UrlDecode(std::string text)
{
    while (text.size() % 4 != 0)
        text += '=';
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in, Poco::BASE64_URL_ENCODING);
    return std::string((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
}

std::string base64UrlEncode(const std::string& bytes)
{
    std::ostringstream out;
    Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return out.str();
}

Poco::JSON::Object::Ptr jsonObject(const std::string& text)
{
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

FakeReply vaultAnswer(const FakeRequest& request, const std::string& token)
{
    if (request.header("Authorization") != "Bearer " + token)
        return {401, "{}"};
    return {200, R"({"value":")" + VaultValue + R"("})"};
}

struct ManualClock
{
    Timestamp now = Timestamp::fromUnixSeconds(1'800'000'000);
    std::function<Timestamp()> clock()
    {
        return [this] { return now; };
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(client_certificate_assertion_is_a_valid_rs256_jwt)
{
    CleanCredentialEnv clean;
    TempDir dir;
    const auto key = dir.path() / "key.pem";
    const auto cert = dir.path() / "cert.pem";
    const auto der = dir.path() / "cert.der";
    const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key.string() +
                                " -out " + cert.string() +
                                " -subj /CN=acd-test -days 2 >/dev/null 2>&1 && openssl x509 -in " +
                                cert.string() + " -outform DER -out " + der.string();
    BOOST_REQUIRE_EQUAL(std::system(command.c_str()), 0);
    // The private key first, then the certificate: both orders occur in the wild.
    const auto combined = dir.path() / "client.pem";
    writeFile(combined, readFile(key) + readFile(cert));

    Poco::SHA1Engine sha1;
    sha1.update(readFile(der));
    const auto digest = sha1.digest();
    const std::string expectedX5t = base64UrlEncode(std::string(digest.begin(), digest.end()));

    std::string tokenUrl;
    std::vector<std::string> problems;
    FakeHttpServer fake([&](const FakeRequest& request) -> FakeReply {
        if (request.path() != "/" + Tenant + "/oauth2/v2.0/token")
            return vaultAnswer(request, CertToken);

        auto form = test::formFields(request.body);
        auto expect = [&](bool ok, const std::string& what) {
            if (!ok)
                problems.push_back(what);
        };
        expect(form["grant_type"] == "client_credentials", "grant_type");
        expect(form["client_id"] == ClientId, "client_id");
        expect(form["scope"] == "https://vault.azure.net/.default", "scope");
        expect(form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
               "client_assertion_type");
        expect(!form.count("client_secret"), "no client_secret");

        const std::string jwt = form["client_assertion"];
        const auto firstDot = jwt.find('.');
        const auto secondDot = jwt.find('.', firstDot + 1);
        if (firstDot == std::string::npos || secondDot == std::string::npos)
            return {400, R"({"error":"invalid_client"})"};

        Poco::Crypto::RSAKey publicKey(Poco::Crypto::X509Certificate(cert.string()));
        Poco::Crypto::RSADigestEngine verifier(publicKey, "SHA256");
        verifier.update(jwt.substr(0, secondDot));
        const std::string signature = base64UrlDecode(jwt.substr(secondDot + 1));
        expect(verifier.verify(Poco::DigestEngine::Digest(signature.begin(), signature.end())), "signature");

        const auto header = jsonObject(base64UrlDecode(jwt.substr(0, firstDot)));
        expect(header->getValue<std::string>("alg") == "RS256", "alg");
        expect(header->getValue<std::string>("x5t") == expectedX5t, "x5t");
        const auto claims = jsonObject(base64UrlDecode(jwt.substr(firstDot + 1, secondDot - firstDot - 1)));
        expect(claims->getValue<std::string>("aud") == tokenUrl, "aud");
        expect(claims->getValue<std::string>("iss") == ClientId, "iss");
        expect(claims->getValue<std::string>("sub") == ClientId, "sub");
        expect(!claims->getValue<std::string>("jti").empty(), "jti");
        const auto nbf = claims->getValue<std::int64_t>("nbf");
        const auto exp = claims->getValue<std::int64_t>("exp");
        const auto now = Timestamp::now().unixSeconds();
        expect(nbf <= now + 5 && exp > now && exp - nbf <= 3600, "nbf/exp");
        if (!problems.empty())
            return {401, R"({"error":"invalid_client"})"};
        return {200, R"({"token_type":"Bearer","expires_in":3599,"access_token":")" + CertToken + R"("})"};
    });
    tokenUrl = fake.url() + "/" + Tenant + "/oauth2/v2.0/token";

    ScopedEnv authority("AZURE_AUTHORITY_HOST", fake.url());
    ScopedEnv tenant("AZURE_TENANT_ID", Tenant);
    ScopedEnv client("AZURE_CLIENT_ID", ClientId);
    ScopedEnv certificate("AZURE_CLIENT_CERTIFICATE_PATH", combined.string());
    HttpClient http;
    auto credential = makeDefaultAzureCredential(http);
    BOOST_CHECK_EQUAL(credential->name(), "environment (client certificate)");
    KeyVaultSource vault(http, fake.url(), std::move(credential), nullptr);
    BOOST_CHECK(vault.lookup("emarsys-secret") == VaultValue);
    for (const auto& problem : problems)
        BOOST_ERROR("the fake token endpoint found a wrong " + problem);
    BOOST_CHECK_EQUAL(fake.requestsTo("/" + Tenant + "/oauth2/v2.0/token").size(), 1u);
}

BOOST_AUTO_TEST_CASE(client_certificate_file_problems_are_named)
{
    CleanCredentialEnv clean;
    TempDir dir;
    ScopedEnv tenant("AZURE_TENANT_ID", Tenant);
    ScopedEnv client("AZURE_CLIENT_ID", ClientId);
    HttpClient http;
    {
        ScopedEnv certificate("AZURE_CLIENT_CERTIFICATE_PATH", (dir.path() / "absent.pem").string());
        BOOST_CHECK(contains(errorOf([&] { makeDefaultAzureCredential(http); }), "absent.pem"));
    }
    {
        const auto onlyKey = dir.path() / "only-key.pem";
        const std::string command = "openssl genrsa -out " + onlyKey.string() + " 2048 >/dev/null 2>&1";
        BOOST_REQUIRE_EQUAL(std::system(command.c_str()), 0);
        ScopedEnv certificate("AZURE_CLIENT_CERTIFICATE_PATH", onlyKey.string());
        BOOST_CHECK(contains(errorOf([&] { makeDefaultAzureCredential(http); }), "no PEM certificate"));
    }
    {
        const auto certOnly = dir.path() / "cert-only.pem";
        const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null -out " +
                                    certOnly.string() + " -subj /CN=acd-test -days 2 >/dev/null 2>&1";
        BOOST_REQUIRE_EQUAL(std::system(command.c_str()), 0);
        ScopedEnv certificate("AZURE_CLIENT_CERTIFICATE_PATH", certOnly.string());
        BOOST_CHECK(contains(errorOf([&] { makeDefaultAzureCredential(http); }), "RSA private key"));
    }
}

BOOST_AUTO_TEST_CASE(azure_arc_answers_the_challenge_with_the_key_file)
{
    CleanCredentialEnv clean;
    TempDir agent;
    const auto tokens = agent.path() / "tokens";
    std::filesystem::create_directories(tokens);

    FakeHttpServer fake([&](const FakeRequest& request) -> FakeReply {
        if (request.path() != "/arc/token")
            return vaultAnswer(request, ArcToken);
        if (request.query("api-version") != "2019-11-01" ||
            request.query("resource") != "https://vault.azure.net" || request.header("Metadata") != "true")
            return {400, R"({"error":"invalid_request"})"};
        if (request.header("Authorization").empty())
        {
            // As the agent does: a fresh file, named in the challenge.
            writeFile(tokens / "4f2c.key", ArcKey);
            return {401, "", {{"WWW-Authenticate", "Basic realm=" + (tokens / "4f2c.key").string()}}};
        }
        if (request.header("Authorization") != "Basic " + ArcKey)
            return {401, "{}"};
        return {200, R"({"access_token":")" + ArcToken + R"(","expires_in":"3600","token_type":"Bearer"})"};
    });
    ScopedEnv identity("IDENTITY_ENDPOINT", fake.url() + "/arc/token");
    ScopedEnv imds("IMDS_ENDPOINT", "http://127.0.0.1:1"); // only its presence counts

    HttpClient http;
    auto credential =
        makeDefaultAzureCredential(http, AzureCredentialOptions{tokens.string(), "", &Timestamp::now});
    BOOST_CHECK_EQUAL(credential->name(), "managed identity (Azure Arc)");
    KeyVaultSource vault(http, fake.url(), std::move(credential), nullptr);
    BOOST_CHECK(vault.lookup("emarsys-secret") == VaultValue);
    BOOST_CHECK(vault.lookup("emarsys-secret") == VaultValue);
    BOOST_CHECK_EQUAL(fake.requestsTo("/arc/token").size(), 2u); // challenge, answer; then cached
}

BOOST_AUTO_TEST_CASE(azure_arc_refuses_challenge_files_outside_its_directory)
{
    CleanCredentialEnv clean;
    TempDir agent;
    const auto tokens = agent.path() / "tokens";
    const auto elsewhere = agent.path() / "elsewhere";
    std::filesystem::create_directories(tokens);
    std::filesystem::create_directories(elsewhere);
    writeFile(elsewhere / "evil.key", "not-for-the-agent");
    writeFile(tokens / "wrong.txt", "not-a-key-file");
    writeFile(tokens / "huge.key", std::string(5000, 'k'));
    std::filesystem::create_symlink(elsewhere / "evil.key", tokens / "link.key");

    std::string realm;
    FakeHttpServer fake([&](const FakeRequest& request) -> FakeReply {
        if (!request.header("Authorization").empty())
            return {200, R"({"access_token":"should-not-happen","expires_in":"3600"})"};
        return {401, "", {{"WWW-Authenticate", "Basic realm=" + realm}}};
    });
    ScopedEnv identity("IDENTITY_ENDPOINT", fake.url() + "/arc/token");
    ScopedEnv imds("IMDS_ENDPOINT", "http://127.0.0.1:1");
    HttpClient http;

    const std::vector<std::pair<std::filesystem::path, std::string>> cases = {
        {elsewhere / "evil.key", "must be a .key file in"},
        {tokens / ".." / "elsewhere" / "evil.key", "must be a .key file in"},
        {tokens / "link.key", "must be a .key file in"},
        {tokens / "wrong.txt", "must be a .key file in"},
        {tokens / "absent.key", "must be a .key file in"},
        {tokens / "huge.key", "larger than 4096 bytes"},
    };
    for (const auto& [path, expected] : cases)
    {
        realm = path.string();
        auto credential =
            makeDefaultAzureCredential(http, AzureCredentialOptions{tokens.string(), "", &Timestamp::now});
        const auto message = errorOf([&] { credential->token(); });
        BOOST_CHECK_MESSAGE(contains(message, "refused the challenge file") && contains(message, expected),
                            path.string() + ": " + message);
    }
    for (const auto& request : fake.requests())
        BOOST_CHECK(request.header("Authorization").empty()); // no file content ever went out
}

BOOST_AUTO_TEST_CASE(imds_token_from_the_injected_endpoint_cached_until_five_minutes_before_expiry)
{
    CleanCredentialEnv clean;
    FakeHttpServer fake([](const FakeRequest& request) -> FakeReply {
        if (request.path() != "/metadata/identity/oauth2/token")
            return vaultAnswer(request, ImdsToken);
        if (request.method != "GET" || request.query("api-version") != "2018-02-01" ||
            request.query("resource") != "https://vault.azure.net" || request.header("Metadata") != "true")
            return {400, R"({"error":"invalid_request","error_description":"bad IMDS request"})"};
        return {
            200,
            R"({"access_token":")" + ImdsToken +
                R"(","expires_in":"3600","expires_on":"1800003600","resource":"https://vault.azure.net","token_type":"Bearer"})"};
    });
    ScopedEnv imds("ACD_IMDS_ENDPOINT", fake.url() + "/metadata/identity/oauth2/token");
    ManualClock clock;
    HttpClient http;
    auto credential = makeDefaultAzureCredential(http, AzureCredentialOptions{"", "", clock.clock()});
    BOOST_CHECK_EQUAL(credential->name(), "managed identity (IMDS)");
    AzureCredential& tokens = *credential;
    KeyVaultSource vault(http, fake.url(), std::move(credential), nullptr);

    BOOST_CHECK(vault.lookup("emarsys-secret") == VaultValue);
    clock.now = clock.now.plusSeconds(3600 - 300 - 1);
    BOOST_CHECK(tokens.token() == ImdsToken);
    BOOST_CHECK_EQUAL(fake.requestsTo("/metadata/identity/oauth2/token").size(), 1u);
    clock.now = clock.now.plusSeconds(1);
    BOOST_CHECK(tokens.token() == ImdsToken);
    BOOST_CHECK_EQUAL(fake.requestsTo("/metadata/identity/oauth2/token").size(), 2u);
    BOOST_CHECK(fake.requestsTo("/metadata/identity/oauth2/token")[0].query("client_id").empty());
}

BOOST_AUTO_TEST_CASE(imds_asks_for_a_user_assigned_identity_and_reports_refusals)
{
    CleanCredentialEnv clean;
    FakeHttpServer fake([](const FakeRequest&) -> FakeReply {
        return {400, R"({"error":"invalid_request","error_description":"Identity not found"})"};
    });
    ScopedEnv imds("ACD_IMDS_ENDPOINT", fake.url() + "/metadata/identity/oauth2/token");
    ScopedEnv client("AZURE_CLIENT_ID", ClientId);
    HttpClient http;
    auto credential = makeDefaultAzureCredential(http);
    bool unreachable = true;
    try
    {
        credential->token();
    }
    catch (const TokenError& e)
    {
        unreachable = e.transient();
        BOOST_CHECK(contains(e.what(), "HTTP 400 invalid_request: Identity not found"));
        BOOST_CHECK(contains(e.what(), "managed identity (IMDS)"));
    }
    BOOST_CHECK(!unreachable);
    BOOST_REQUIRE_EQUAL(fake.requests().size(), 1u);
    BOOST_CHECK_EQUAL(fake.requests()[0].query("client_id"), ClientId);
}

BOOST_AUTO_TEST_CASE(imds_unreachable_is_an_outage)
{
    CleanCredentialEnv clean;
    ScopedEnv imds("ACD_IMDS_ENDPOINT", test::closedPortUrl() + "/metadata/identity/oauth2/token");
    HttpClient http;
    auto credential = makeDefaultAzureCredential(http);
    bool unreachable = false;
    try
    {
        credential->token();
    }
    catch (const TokenError& e)
    {
        unreachable = e.transient();
    }
    BOOST_CHECK(unreachable);
}
