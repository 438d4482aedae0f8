#define BOOST_TEST_MODULE KeyVaultSource
#include <boost/test/unit_test.hpp>

#include "FakeHttpServer.h"
#include "SecretsTestSupport.h"
#include "net/HttpClient.h"
#include "secrets/EncryptedFileSealedStore.h"
#include "secrets/KeyVaultSource.h"
#include "secrets/SecretStore.h"
#include "secrets/Sources.h"

#include <fstream>

using namespace acd;
using test::FakeHttpServer;
using test::FakeReply;
using test::FakeRequest;
using test::ScopedEnv;
using test::TempDir;

namespace {

const std::string ClientSecret = "cl1ent-S3cret+/=&x";
const std::string VaultToken = "vault-token-aaa111";
const std::string VaultValue = "kv-value-Emarsys-42";
const std::string OtherValue = "kv-value-second-77";
const std::vector<std::string> AllSecrets = {ClientSecret, VaultToken, VaultValue, OtherValue};

const std::string Tenant = "tenant-1";
const std::string ClientId = "client-app-1";
const std::string TokenPath = "/" + Tenant + "/oauth2/v2.0/token";

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

/// Every message a test sees goes through here: it must never hold a secret value.
std::string checked(const std::string& message)
{
    BOOST_CHECK_MESSAGE(test::leaksNone(message, AllSecrets), "a message holds a secret value");
    return message;
}

template <typename F> std::string errorOf(F&& action)
{
    try
    {
        action();
    }
    catch (const SecretError& e)
    {
        return checked(e.what());
    }
    return "(no error)";
}

/// Entra's client-credentials endpoint as Key Vault needs it: checks the form, answers a token.
FakeReply entraToken(const FakeRequest& request)
{
    const auto form = test::formFields(request.body);
    auto field = [&](const std::string& name) { return form.count(name) ? form.at(name) : std::string(); };
    if (request.method != "POST" || field("grant_type") != "client_credentials" ||
        field("client_id") != ClientId || field("client_secret") != ClientSecret ||
        field("scope") != "https://vault.azure.net/.default")
        return {401,
                R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret."})"};
    return {200, R"({"token_type":"Bearer","expires_in":3599,"access_token":")" + VaultToken + R"("})"};
}

FakeReply vaultValue(const std::string& value)
{
    return {200,
            R"({"value":")" + value + R"(","id":"https://vault/secrets/x/1","attributes":{"enabled":true}})"};
}

bool hasVaultToken(const FakeRequest& request)
{
    return request.header("Authorization") == "Bearer " + VaultToken;
}

/// The environment of the client-secret credential pointed at `authority`; every other
/// credential variable unset.
struct CredentialEnv
{
    explicit CredentialEnv(const std::optional<std::string>& authority,
                           const std::optional<std::string>& secret = ClientSecret)
        : authorityHost("AZURE_AUTHORITY_HOST", authority), tenant("AZURE_TENANT_ID", Tenant),
          client("AZURE_CLIENT_ID", ClientId), clientSecret("AZURE_CLIENT_SECRET", secret)
    {}
    ScopedEnv authorityHost, tenant, client, clientSecret;
    ScopedEnv certificate{"AZURE_CLIENT_CERTIFICATE_PATH", std::nullopt};
    ScopedEnv identity{"IDENTITY_ENDPOINT", std::nullopt};
    ScopedEnv imds{"IMDS_ENDPOINT", std::nullopt};
    ScopedEnv acdImds{"ACD_IMDS_ENDPOINT", std::nullopt};
};

/// Sealed copies in AES-GCM files whose key is a systemd credential in a temporary directory.
struct SealedFiles
{
    SealedFiles()
    {
        std::ofstream(credentials.path() / "acd-seal-key") << "0123456789abcdef0123456789abcdef";
    }
    std::unique_ptr<SealedStore> store() const
    {
        return std::make_unique<EncryptedFileSealedStore>(files.str());
    }

    TempDir credentials;
    TempDir files;
    ScopedEnv env{"CREDENTIALS_DIRECTORY", credentials.str()};
};

struct Recorder
{
    std::vector<std::chrono::milliseconds> sleeps;
    std::vector<std::string> warnings;

    KeyVaultOptions options()
    {
        KeyVaultOptions options;
        options.sleep = [this](std::chrono::milliseconds delay) { sleeps.push_back(delay); };
        options.warn = [this](const std::string& line) { warnings.push_back(checked(line)); };
        return options;
    }
};

std::unique_ptr<KeyVaultSource> vaultAt(HttpClient& http, const std::string& url,
                                        std::unique_ptr<SealedStore> sealed, Recorder& recorder)
{
    return std::make_unique<KeyVaultSource>(http, url, makeDefaultAzureCredential(http), std::move(sealed),
                                            recorder.options());
}

} // namespace

BOOST_AUTO_TEST_CASE(reads_a_secret_with_a_client_secret_token)
{
    FakeHttpServer fake([](const FakeRequest& request) -> FakeReply {
        if (request.path() == TokenPath)
            return entraToken(request);
        if (request.path() == "/secrets/emarsys-secret" && hasVaultToken(request))
            return vaultValue(VaultValue);
        return {500, "{}"};
    });
    CredentialEnv env(fake.url() + "/");
    SealedFiles sealed;
    HttpClient http;
    Recorder recorder;
    auto vault = vaultAt(http, fake.url() + "/", sealed.store(), recorder);

    BOOST_CHECK_EQUAL(vault->name(), "keyvault");
    BOOST_CHECK(vault->lookup("emarsys-secret") == VaultValue);
    BOOST_CHECK(!vault->servedSealedCopy());
    BOOST_CHECK(vault->lookup("emarsys-secret") == VaultValue);

    BOOST_CHECK_EQUAL(fake.requestsTo(TokenPath).size(), 1u); // the token is cached
    const auto reads = fake.requestsTo("/secrets/emarsys-secret");
    BOOST_REQUIRE_EQUAL(reads.size(), 2u);
    BOOST_CHECK_EQUAL(reads[0].method, "GET");
    BOOST_CHECK_EQUAL(reads[0].query("api-version"), "7.4");
    BOOST_CHECK(recorder.warnings.empty());

    // The value was sealed on the way.
    BOOST_CHECK(sealed.store()->unseal("emarsys-secret") == VaultValue);
}

BOOST_AUTO_TEST_CASE(names_key_vault_cannot_hold_are_not_there)
{
    FakeHttpServer fake([](const FakeRequest&) { return FakeReply{500, "{}"}; });
    CredentialEnv env(fake.url());
    HttpClient http;
    Recorder recorder;
    auto vault = vaultAt(http, fake.url(), nullptr, recorder);
    BOOST_CHECK(!vault->lookup("emarsys_user"));
    BOOST_CHECK(!vault->lookup("a/../b"));
    BOOST_CHECK(fake.requests().empty());
}

BOOST_AUTO_TEST_CASE(not_found_404_falls_to_the_next_source_and_is_named)
{
    FakeHttpServer fake([](const FakeRequest& request) -> FakeReply {
        if (request.path() == TokenPath)
            return entraToken(request);
        return {
            404,
            R"({"error":{"code":"SecretNotFound","message":"A secret with (name/id) missing was not found"}})"};
    });
    CredentialEnv env(fake.url());
    HttpClient http;
    Recorder recorder;
    BOOST_CHECK(!vaultAt(http, fake.url(), nullptr, recorder)->lookup("missing"));

    std::vector<std::unique_ptr<SecretSource>> sources;
    sources.push_back(vaultAt(http, fake.url(), nullptr, recorder));
    SecretStore store(std::move(sources));
    BOOST_CHECK_EQUAL(errorOf([&] { store.get("missing"); }),
                      "secret 'missing' not found in any of: keyvault");

    ScopedEnv inEnv("ACD_SECRET_MISSING", OtherValue);
    sources.clear();
    sources.push_back(vaultAt(http, fake.url(), nullptr, recorder));
    sources.push_back(makeEnvSource());
    SecretStore chained(std::move(sources));
    BOOST_CHECK(chained.get("missing") == OtherValue);
    BOOST_CHECK_EQUAL(chained.sourceOf("missing"), "env");
}

BOOST_AUTO_TEST_CASE(unauthenticated_401_is_an_error_after_one_fresh_token)
{
    SealedFiles sealed;
    sealed.store()->seal("emarsys-secret", OtherValue); // must not be used for a refusal
    FakeHttpServer fake([](const FakeRequest& request) -> FakeReply {
        if (request.path() == TokenPath)
            return entraToken(request);
        return {
            401,
            R"({"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer token."}})"};
    });
    CredentialEnv env(fake.url());
    HttpClient http;
    Recorder recorder;
    auto vault = vaultAt(http, fake.url(), sealed.store(), recorder);

    const auto message = errorOf([&] { vault->lookup("emarsys-secret"); });
    BOOST_CHECK(contains(message, "'emarsys-secret'"));
    BOOST_CHECK(contains(message, "unauthenticated (401)"));
    BOOST_CHECK(contains(message, "AKV10000"));
    BOOST_CHECK_EQUAL(fake.requestsTo(TokenPath).size(), 2u);
    BOOST_CHECK_EQUAL(fake.requestsTo("/secrets/emarsys-secret").size(), 2u);
}

BOOST_AUTO_TEST_CASE(a_401_challenge_gets_a_fresh_token_then_the_read_goes_on)
{
    int vaultCalls = 0;
    FakeHttpServer fake([&vaultCalls](const FakeRequest& request) -> FakeReply {
        if (request.path() == TokenPath)
            return entraToken(request);
        if (++vaultCalls == 1) // as Key Vault answers a token it no longer takes
            return {401,
                    R"({"error":{"code":"Unauthorized","message":"AKV10032: Invalid issuer."}})",
                    {{"WWW-Authenticate", "Bearer authorization=\"https://login.microsoftonline.com/" +
                                              Tenant + "\", resource=\"https://vault.azure.net\""}}};
        return hasVaultToken(request) ? vaultValue(VaultValue) : FakeReply{401, "{}"};
    });
    CredentialEnv env(fake.url());
    HttpClient http;
    Recorder recorder;
    auto vault = vaultAt(http, fake.url(), nullptr, recorder);
    BOOST_CHECK(vault->lookup("emarsys-secret") == VaultValue);
    BOOST_CHECK_EQUAL(fake.requestsTo(TokenPath).size(), 2u); // the cached token was dropped
    BOOST_CHECK_EQUAL(fake.requestsTo("/secrets/emarsys-secret").size(), 2u);
    BOOST_CHECK(!vault->servedSealedCopy());
}

BOOST_AUTO_TEST_CASE(a_401_challenge_names_the_authority_the_vault_expects)
{
    SealedFiles sealed;
    sealed.store()->seal("emarsys-secret", OtherValue); // must not be used for a refusal
    FakeHttpServer fake([](const FakeRequest& request) -> FakeReply {
        if (request.path() == TokenPath)
            return entraToken(request);
        return {
            401,
            "{}",
            {{"WWW-Authenticate", "Bearer authorization=\"https://login.microsoftonline.com/other-tenant\", "
                                  "scope=\"https://vault.azure.net/.default\""}}};
    });
    CredentialEnv env(fake.url());
    HttpClient http;
    Recorder recorder;
    auto vault = vaultAt(http, fake.url(), sealed.store(), recorder);
    const auto message = errorOf([&] { vault->lookup("emarsys-secret"); });
    BOOST_CHECK(contains(message, "unauthenticated (401)"));
    BOOST_CHECK(contains(message, "expects a token from https://login.microsoftonline.com/other-tenant"));
    // Its scope is Key Vault's own: one fresh token was worth a try.
    BOOST_CHECK_EQUAL(fake.requestsTo(TokenPath).size(), 2u);
    BOOST_CHECK(!vault->servedSealedCopy());
}

BOOST_AUTO_TEST_CASE(a_401_challenge_for_another_cloud_is_named_without_asking_again)
{
    FakeHttpServer fake([](const FakeRequest& request) -> FakeReply {
        if (request.path() == TokenPath)
            return entraToken(request);
        return {401,
                "{}",
                {{"WWW-Authenticate", "Bearer authorization=\"https://login.chinacloudapi.cn/" + Tenant +
                                          "\", resource=\"https://vault.azure.cn\""}}};
    });
    CredentialEnv env(fake.url());
    HttpClient http;
    Recorder recorder;
    auto vault = vaultAt(http, fake.url(), nullptr, recorder);
    const auto message = errorOf([&] { vault->lookup("emarsys-secret"); });
    BOOST_CHECK(contains(message, "asks for a token for https://vault.azure.cn"));
    BOOST_CHECK(contains(message, "'emarsys-secret'"));
    BOOST_CHECK_EQUAL(fake.requestsTo(TokenPath).size(), 1u);
    BOOST_CHECK_EQUAL(fake.requestsTo("/secrets/emarsys-secret").size(), 1u);
}

BOOST_AUTO_TEST_CASE(forbidden_403_is_an_error_not_an_outage)
{
    SealedFiles sealed;
    sealed.store()->seal("emarsys-secret", OtherValue);
    FakeHttpServer fake([](const FakeRequest& request) -> FakeReply {
        if (request.path() == TokenPath)
            return entraToken(request);
        return {
            403,
            R"({"error":{"code":"Forbidden","message":"The user does not have secrets get permission"}})"};
    });
    CredentialEnv env(fake.url());
    HttpClient http;
    Recorder recorder;
    auto vault = vaultAt(http, fake.url(), sealed.store(), recorder);
    const auto message = errorOf([&] { vault->lookup("emarsys-secret"); });
    BOOST_CHECK(contains(message, "'emarsys-secret'"));
    BOOST_CHECK(contains(message, "forbidden (403)"));
    BOOST_CHECK(!vault->servedSealedCopy());
}

BOOST_AUTO_TEST_CASE(throttled_429_waits_retry_after_then_reads)
{
    int calls = 0;
    FakeHttpServer fake([&calls](const FakeRequest& request) -> FakeReply {
        if (request.path() == TokenPath)
            return entraToken(request);
        if (++calls == 1)
            return {429, R"({"error":{"code":"Throttled"}})", {{"Retry-After", "2"}}};
        return vaultValue(VaultValue);
    });
    CredentialEnv env(fake.url());
    HttpClient http;
    Recorder recorder;
    auto vault = vaultAt(http, fake.url(), nullptr, recorder);
    BOOST_CHECK(vault->lookup("emarsys-secret") == VaultValue);
    BOOST_REQUIRE_EQUAL(recorder.sleeps.size(), 1u);
    BOOST_CHECK_EQUAL(recorder.sleeps[0].count(), 2000);
}

BOOST_AUTO_TEST_CASE(throttled_past_the_retries_is_an_outage)
{
    SealedFiles sealed;
    sealed.store()->seal("emarsys-secret", OtherValue);
    FakeHttpServer fake([](const FakeRequest& request) -> FakeReply {
        if (request.path() == TokenPath)
            return entraToken(request);
        return {429, "{}", {{"Retry-After", "1"}}};
    });
    CredentialEnv env(fake.url());
    HttpClient http;
    Recorder recorder;
    auto vault = vaultAt(http, fake.url(), sealed.store(), recorder);
    BOOST_CHECK(vault->lookup("emarsys-secret") == OtherValue);
    BOOST_CHECK(vault->servedSealedCopy());
    BOOST_CHECK_EQUAL(recorder.sleeps.size(), 2u);
    BOOST_CHECK_EQUAL(fake.requestsTo("/secrets/emarsys-secret").size(), 3u);

    // A Retry-After longer than we may wait is an outage at once.
    recorder.sleeps.clear();
    KeyVaultOptions impatient = recorder.options();
    impatient.maxThrottleWait = std::chrono::milliseconds(500);
    KeyVaultSource quick(http, fake.url(), makeDefaultAzureCredential(http), sealed.store(), impatient);
    BOOST_CHECK(quick.lookup("emarsys-secret") == OtherValue);
    BOOST_CHECK(recorder.sleeps.empty());
}

BOOST_AUTO_TEST_CASE(unreachable_vault_gives_the_sealed_copy_and_the_store_says_so)
{
    SealedFiles sealed;
    FakeHttpServer fake([](const FakeRequest& request) -> FakeReply {
        if (request.path() == TokenPath)
            return entraToken(request);
        return vaultValue(VaultValue);
    });
    CredentialEnv env(fake.url());
    HttpClient http;
    Recorder recorder;
    BOOST_REQUIRE(vaultAt(http, fake.url(), sealed.store(), recorder)->lookup("emarsys-secret") ==
                  VaultValue);

    std::vector<std::unique_ptr<SecretSource>> sources;
    sources.push_back(vaultAt(http, test::closedPortUrl(), sealed.store(), recorder));
    SecretStore store(std::move(sources));
    std::vector<std::string> warnings;
    store.setWarningHandler([&](const std::string& line) { warnings.push_back(checked(line)); });

    BOOST_CHECK(store.get("emarsys-secret") == VaultValue);
    BOOST_CHECK_EQUAL(store.sourceOf("emarsys-secret"), "keyvault");
    BOOST_CHECK(store.usedSealedCopy());
    // When it was sealed: by the read above, moments ago.
    const SecretStatus status = store.status("emarsys-secret");
    BOOST_CHECK(status.sealed);
    BOOST_REQUIRE(status.sealedAt.has_value());
    BOOST_CHECK(Timestamp::now().unixSeconds() - status.sealedAt->unixSeconds() < 60);
    BOOST_REQUIRE_EQUAL(warnings.size(), 1u);
    BOOST_CHECK(contains(warnings[0], "sealed local copy of secret 'emarsys-secret'"));
}

BOOST_AUTO_TEST_CASE(server_errors_5xx_count_as_unreachable)
{
    SealedFiles sealed;
    sealed.store()->seal("emarsys-secret", OtherValue);
    FakeHttpServer fake([](const FakeRequest& request) -> FakeReply {
        if (request.path() == TokenPath)
            return entraToken(request);
        return {503, R"({"error":{"code":"ServiceUnavailable"}})"};
    });
    CredentialEnv env(fake.url());
    HttpClient http;
    Recorder recorder;
    auto vault = vaultAt(http, fake.url(), sealed.store(), recorder);
    BOOST_CHECK(vault->lookup("emarsys-secret") == OtherValue);
    BOOST_CHECK(vault->servedSealedCopy());
}

BOOST_AUTO_TEST_CASE(unreachable_without_a_sealed_copy_is_a_clear_error)
{
    FakeHttpServer entra([](const FakeRequest& request) { return entraToken(request); });
    CredentialEnv env(entra.url());
    SealedFiles sealed;
    HttpClient http;
    Recorder recorder;
    const std::string closed = test::closedPortUrl();

    auto vault = vaultAt(http, closed, sealed.store(), recorder);
    auto message = errorOf([&] { vault->lookup("never-sealed"); });
    BOOST_CHECK(contains(message, "Key Vault unreachable and no sealed copy of 'never-sealed'"));
    BOOST_CHECK(contains(message, closed));

    auto withoutStore = vaultAt(http, closed, nullptr, recorder);
    message = errorOf([&] { withoutStore->lookup("never-sealed"); });
    BOOST_CHECK(contains(message, "Key Vault unreachable and no sealed copy of 'never-sealed'"));
}

BOOST_AUTO_TEST_CASE(entra_unreachable_is_an_outage_entra_refusing_is_not)
{
    SealedFiles sealed;
    sealed.store()->seal("emarsys-secret", OtherValue);
    FakeHttpServer vaultServer([](const FakeRequest&) { return vaultValue(VaultValue); });
    HttpClient http;
    Recorder recorder;
    {
        CredentialEnv env(test::closedPortUrl());
        auto vault = vaultAt(http, vaultServer.url(), sealed.store(), recorder);
        BOOST_CHECK(vault->lookup("emarsys-secret") == OtherValue);
        BOOST_CHECK(vault->servedSealedCopy());
    }
    {
        FakeHttpServer entra([](const FakeRequest& request) { return entraToken(request); });
        CredentialEnv env(entra.url(), std::string("wrong-client-secret"));
        auto vault = vaultAt(http, vaultServer.url(), sealed.store(), recorder);
        const auto message = errorOf([&] { vault->lookup("emarsys-secret"); });
        BOOST_CHECK(contains(message, "invalid_client"));
        BOOST_CHECK(contains(message, "'emarsys-secret'"));
        BOOST_CHECK(!contains(message, "wrong-client-secret"));
    }
    BOOST_CHECK(vaultServer.requests().empty());
}

BOOST_AUTO_TEST_CASE(half_a_credential_configuration_is_refused)
{
    CredentialEnv env(std::nullopt);
    ScopedEnv noTenant("AZURE_TENANT_ID", std::nullopt);
    HttpClient http;
    const auto message = errorOf([&] { makeDefaultAzureCredential(http); });
    BOOST_CHECK(contains(message, "AZURE_CLIENT_SECRET is set but AZURE_TENANT_ID is not"));
}

BOOST_AUTO_TEST_CASE(no_message_or_warning_holds_a_secret_even_when_a_server_echoes_it)
{
    // A token endpoint that echoes the form it got (client secret included) in its error.
    FakeHttpServer fake([](const FakeRequest& request) -> FakeReply {
        if (request.path() == TokenPath)
            return {400, R"({"error":"invalid_request","error_description":"bad request: )" + request.body +
                             R"("})"};
        return vaultValue(VaultValue);
    });
    CredentialEnv env(fake.url());
    HttpClient http;
    Recorder recorder;
    auto vault = vaultAt(http, fake.url(), nullptr, recorder);
    const auto message = errorOf([&] { vault->lookup("emarsys-secret"); });
    BOOST_CHECK(contains(message, "invalid_request"));
    BOOST_CHECK(contains(message, "***"));

    // A seal that fails is a warning without the value.
    FakeHttpServer good([](const FakeRequest& request) -> FakeReply {
        if (request.path() == TokenPath)
            return entraToken(request);
        return vaultValue(VaultValue);
    });
    CredentialEnv goodEnv(good.url());
    TempDir credentialsWithoutKey;
    TempDir files;
    ScopedEnv noKey("CREDENTIALS_DIRECTORY", credentialsWithoutKey.str());
    auto sealing =
        vaultAt(http, good.url(), std::make_unique<EncryptedFileSealedStore>(files.str()), recorder);
    BOOST_CHECK(sealing->lookup("emarsys-secret") == VaultValue);
    BOOST_REQUIRE_EQUAL(recorder.warnings.size(), 1u);
    BOOST_CHECK(contains(recorder.warnings[0], "no sealed copy kept"));
    BOOST_CHECK(contains(recorder.warnings[0], "acd-seal-key"));
}

BOOST_AUTO_TEST_CASE(a_vault_url_that_is_not_https_is_refused_at_once)
{
    CredentialEnv env(std::string("https://login.example.test"));
    HttpClient http;
    for (const std::string url : {"http://myvault.vault.azure.net", "ftp://myvault",
                                  "myvault.vault.azure.net", "", "http://127.0.0.1.evil.com"})
    {
        const auto message =
            errorOf([&] { KeyVaultSource(http, url, makeDefaultAzureCredential(http), nullptr); });
        BOOST_CHECK_MESSAGE(
            contains(message, "keyVault.url = \"" + url + "\": expected the vault's https:// URL"), message);
    }
    for (const std::string url : {"https://myvault.vault.azure.net/", "http://127.0.0.1:8443",
                                  "http://localhost:1", "http://[::1]:8443"})
        BOOST_CHECK_NO_THROW(KeyVaultSource(http, url, makeDefaultAzureCredential(http), nullptr));
}
