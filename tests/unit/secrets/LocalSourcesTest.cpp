#define BOOST_TEST_MODULE LocalSecretSources
#include <boost/test/unit_test.hpp>

#include "SecretsTestSupport.h"
#include "secrets/EncryptedFileSealedStore.h"
#include "secrets/EnvSecretSource.h"
#include "secrets/SecretFileName.h"
#include "secrets/Sources.h"
#include "secrets/SystemdCredsSource.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sys/stat.h>

using namespace acd;
using test::ScopedEnv;
using test::TempDir;

namespace {

const std::string EnvValue = "env-secret-value-7f3a";
const std::string CredValue = "cred-secret-value-91bc";
const std::string SealedValue = "sealed-secret-value-5d20";
const std::vector<std::string> AllValues = {EnvValue, CredValue, SealedValue};

void writeFile(const std::filesystem::path& path, const std::string& content)
{
    std::ofstream out(path, std::ios::binary);
    out << content;
}

std::string readFile(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

template <typename F> std::string errorOf(F&& action)
{
    try
    {
        action();
    }
    catch (const SecretError& e)
    {
        BOOST_CHECK(test::leaksNone(e.what(), AllValues));
        return e.what();
    }
    return "(no error)";
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

const std::string Key32 = "0123456789abcdef0123456789ABCDEF";

} // namespace

BOOST_AUTO_TEST_CASE(env_variable_names_follow_the_design)
{
    BOOST_CHECK_EQUAL(envVariableFor("emarsys-user"), "ACD_SECRET_EMARSYS_USER");
    BOOST_CHECK_EQUAL(envVariableFor("retail.app-Secret2"), "ACD_SECRET_RETAIL_APP_SECRET2");
    BOOST_CHECK_EQUAL(envVariableFor("ä"), "ACD_SECRET___"); // two UTF-8 bytes, two underscores
}

BOOST_AUTO_TEST_CASE(env_source_reads_the_mapped_variable)
{
    ScopedEnv set("ACD_SECRET_EMARSYS_USER", EnvValue);
    ScopedEnv empty("ACD_SECRET_BLANK", "");
    ScopedEnv unset("ACD_SECRET_ABSENT", std::nullopt);
    auto source = makeEnvSource();
    BOOST_CHECK_EQUAL(source->name(), "env");
    BOOST_CHECK(source->lookup("emarsys-user") == EnvValue);
    BOOST_CHECK(!source->lookup("blank"));
    BOOST_CHECK(!source->lookup("absent"));
}

BOOST_AUTO_TEST_CASE(systemd_creds_reads_the_credentials_directory)
{
    TempDir dir;
    writeFile(dir.path() / "emarsys-user", CredValue + "\n\n");
    writeFile(dir.path() / "no-newline", CredValue);
    ScopedEnv credentials("CREDENTIALS_DIRECTORY", dir.str());
    auto source = makeSystemdCredsSource();
    BOOST_CHECK_EQUAL(source->name(), "systemd-creds");

    BOOST_CHECK(source->lookup("emarsys-user") == CredValue + "\n"); // one newline dropped, not all
    BOOST_CHECK(source->lookup("no-newline") == CredValue);
    BOOST_CHECK(!source->lookup("missing"));
    // Names that are not plain file names never reach outside the directory.
    writeFile(dir.path().parent_path() / "acd-outside-cred", CredValue);
    BOOST_CHECK(!source->lookup("../acd-outside-cred"));
    BOOST_CHECK(!source->lookup(".."));
    std::filesystem::remove(dir.path().parent_path() / "acd-outside-cred");
}

BOOST_AUTO_TEST_CASE(systemd_creds_without_credentials_directory_holds_nothing)
{
    TempDir dir;
    writeFile(dir.path() / "emarsys-user", CredValue);
    ScopedEnv credentials("CREDENTIALS_DIRECTORY", std::nullopt);
    BOOST_CHECK(!makeSystemdCredsSource()->lookup("emarsys-user"));
}

BOOST_AUTO_TEST_CASE(systemd_creds_that_is_not_a_file_is_an_error)
{
    TempDir dir;
    std::filesystem::create_directory(dir.path() / "weird");
    ScopedEnv credentials("CREDENTIALS_DIRECTORY", dir.str());
    const auto message = errorOf([] { makeSystemdCredsSource()->lookup("weird"); });
    BOOST_CHECK(contains(message, "weird"));
    BOOST_CHECK(contains(message, "not a regular file"));
}

BOOST_AUTO_TEST_CASE(secret_file_names_cannot_escape)
{
    BOOST_CHECK_EQUAL(secretFileName("emarsys-user_1"), "emarsys-user_1");
    BOOST_CHECK_EQUAL(secretFileName("../x"), "%2E%2E%2Fx");
    BOOST_CHECK_EQUAL(secretFileName("a b"), "a%20b");
}

BOOST_AUTO_TEST_CASE(encrypted_file_store_round_trips_with_owner_only_files)
{
    TempDir credentials;
    TempDir sealedRoot;
    writeFile(credentials.path() / "acd-seal-key", Key32);
    ScopedEnv env("CREDENTIALS_DIRECTORY", credentials.str());
    const auto directory = sealedRoot.path() / "sealed";

    EncryptedFileSealedStore store(directory.string());
    BOOST_CHECK_EQUAL(store.kind(), "encrypted-file");
    BOOST_CHECK(!store.unseal("emarsys-secret"));
    store.seal("emarsys-secret", SealedValue);
    BOOST_CHECK(store.unseal("emarsys-secret") == SealedValue);
    store.seal("emarsys-secret", SealedValue + "-2");
    BOOST_CHECK(store.unseal("emarsys-secret") == SealedValue + "-2");

    const auto file = directory / "emarsys-secret.sealed";
    BOOST_REQUIRE(std::filesystem::exists(file));
    BOOST_CHECK(test::leaksNone(readFile(file), AllValues)); // encrypted, not merely stored
    struct stat info
    {};
    BOOST_REQUIRE_EQUAL(::stat(file.c_str(), &info), 0);
    BOOST_CHECK_EQUAL(info.st_mode & 0777, 0600u);
    BOOST_REQUIRE_EQUAL(::stat(directory.c_str(), &info), 0);
    BOOST_CHECK_EQUAL(info.st_mode & 0777, 0700u);
    std::set<std::string> names; // no temporary file left beside it
    for (const auto& entry : std::filesystem::directory_iterator(directory))
        names.insert(entry.path().filename().string());
    BOOST_CHECK(names == std::set<std::string>{"emarsys-secret.sealed"});
}

BOOST_AUTO_TEST_CASE(encrypted_file_store_knows_when_a_copy_was_sealed)
{
    TempDir credentials;
    TempDir sealedRoot;
    writeFile(credentials.path() / "acd-seal-key", Key32);
    ScopedEnv env("CREDENTIALS_DIRECTORY", credentials.str());
    EncryptedFileSealedStore store(sealedRoot.str());

    BOOST_CHECK(!store.sealedAt("emarsys-secret"));
    const Timestamp before = Timestamp::now().plusSeconds(-2); // file times may be coarser
    store.seal("emarsys-secret", SealedValue);
    const auto sealedAt = store.sealedAt("emarsys-secret");
    BOOST_REQUIRE(sealedAt.has_value());
    BOOST_CHECK(*sealedAt >= before);
    BOOST_CHECK(*sealedAt <= Timestamp::now().plusSeconds(2));

    // It is the file's time: a copy sealed a day ago says so.
    const auto dayOld = std::filesystem::file_time_type::clock::now() - std::chrono::hours(24);
    std::filesystem::last_write_time(sealedRoot.path() / "emarsys-secret.sealed", dayOld);
    const auto aged = store.sealedAt("emarsys-secret");
    BOOST_REQUIRE(aged.has_value());
    const std::int64_t age = Timestamp::now().unixSeconds() - aged->unixSeconds();
    BOOST_CHECK(age >= 86400 - 5 && age <= 86400 + 5);
}

BOOST_AUTO_TEST_CASE(encrypted_file_store_accepts_a_hex_key)
{
    TempDir credentials;
    TempDir sealed;
    writeFile(credentials.path() / "acd-seal-key",
              "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n");
    ScopedEnv env("CREDENTIALS_DIRECTORY", credentials.str());
    EncryptedFileSealedStore store(sealed.str());
    store.seal("a", SealedValue);
    BOOST_CHECK(store.unseal("a") == SealedValue);
}

BOOST_AUTO_TEST_CASE(encrypted_file_store_refuses_without_its_key)
{
    TempDir credentials;
    TempDir sealed;
    writeFile(credentials.path() / "acd-seal-key", Key32);
    {
        ScopedEnv env("CREDENTIALS_DIRECTORY", credentials.str());
        EncryptedFileSealedStore(sealed.str()).seal("a", SealedValue);
    }

    std::filesystem::remove(credentials.path() / "acd-seal-key");
    ScopedEnv env("CREDENTIALS_DIRECTORY", credentials.str());
    EncryptedFileSealedStore store(sealed.str());
    auto message = errorOf([&] { store.unseal("a"); });
    BOOST_CHECK(contains(message, "acd-seal-key is missing"));
    message = errorOf([&] { store.seal("b", SealedValue); });
    BOOST_CHECK(contains(message, "acd-seal-key is missing"));
    BOOST_CHECK(!std::filesystem::exists(sealed.path() / "b.sealed"));

    ScopedEnv noDirectory("CREDENTIALS_DIRECTORY", std::nullopt);
    message = errorOf([&] { store.unseal("a"); });
    BOOST_CHECK(contains(message, "acd-seal-key is missing"));
}

BOOST_AUTO_TEST_CASE(encrypted_file_store_detects_a_wrong_key_a_bad_key_and_a_swapped_file)
{
    TempDir credentials;
    TempDir sealed;
    ScopedEnv env("CREDENTIALS_DIRECTORY", credentials.str());
    writeFile(credentials.path() / "acd-seal-key", Key32);
    EncryptedFileSealedStore store(sealed.str());
    store.seal("a", SealedValue);
    store.seal("b", SealedValue + "-b");

    std::filesystem::copy_file(sealed.path() / "a.sealed", sealed.path() / "b.sealed",
                               std::filesystem::copy_options::overwrite_existing);
    BOOST_CHECK(contains(errorOf([&] { store.unseal("b"); }), "belongs to another secret"));

    writeFile(credentials.path() / "acd-seal-key", "ZYXWVUTSRQPONMLKJIHGFEDCBA987654");
    BOOST_CHECK(contains(errorOf([&] { store.unseal("a"); }), "does not decrypt"));

    writeFile(credentials.path() / "acd-seal-key", "too short");
    BOOST_CHECK(contains(errorOf([&] { store.unseal("a"); }), "must hold 32 bytes or 64 hex digits"));

    writeFile(sealed.path() / "c.sealed", "garbage");
    BOOST_CHECK(contains(errorOf([&] { store.unseal("c"); }), "not a sealed file"));
}

BOOST_AUTO_TEST_CASE(sealed_store_without_session_bus_is_the_encrypted_file_store)
{
    TempDir sealed;
    ScopedEnv bus("DBUS_SESSION_BUS_ADDRESS", std::nullopt);
    BOOST_CHECK_EQUAL(makeSealedStore(sealed.str())->kind(), "encrypted-file");
}

BOOST_AUTO_TEST_CASE(sources_missing_from_this_platform_say_so)
{
    BOOST_CHECK(contains(errorOf([] { makeDpapiSource("/tmp"); }), "only on Windows"));
}
