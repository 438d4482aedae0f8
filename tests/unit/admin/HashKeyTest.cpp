#define BOOST_TEST_MODULE hash key
#include <boost/test/unit_test.hpp>

#include "../ledger/LedgerTestSupport.h"
#include "AdminTestSupport.h"
#include "admin/HashKey.h"
#include "platform/Files.h"
#include "secrets/EnvSecretSource.h"
#include "secrets/SecretStore.h"

#include <Poco/Environment.h>
#include <Poco/File.h>

#include <vector>

using namespace acd;
using namespace acd::test;

namespace {

struct KeyFixture
{
    KeyFixture()
    {
        settings.ledgerPath = dir.file("ledger.sqlite");
        Poco::Environment::set("ACD_SECRET_ACD_HASH_KEY", ""); // empty counts as unset
    }
    ~KeyFixture() { Poco::Environment::set("ACD_SECRET_ACD_HASH_KEY", ""); }

    std::unique_ptr<SecretStore> store(bool writable = false, bool broken = false)
    {
        std::vector<std::unique_ptr<SecretSource>> sources;
        sources.push_back(
            std::make_unique<MapSource>(writable ? "keyring" : "vault", values, writable, broken));
        sources.push_back(std::make_unique<EnvSecretSource>());
        return std::make_unique<SecretStore>(std::move(sources));
    }

    std::string key(SecretStore& secrets)
    {
        return installationHashKey(settings, secrets,
                                   [this](const std::string& line) { notes.push_back(line); });
    }

    TempDir dir;
    Settings settings;
    MapSource::Values values = std::make_shared<std::map<std::string, std::string>>();
    std::vector<std::string> notes;
};

bool isHex64(const std::string& text)
{
    return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(hash_key, KeyFixture)

BOOST_AUTO_TEST_CASE(the_env_source_value_is_used_as_it_is)
{
    Poco::Environment::set("ACD_SECRET_ACD_HASH_KEY", "key-from-the-environment");
    BOOST_TEST(key(*store()) == "key-from-the-environment");
    BOOST_TEST(!Poco::File(hashKeyFilePath(settings)).exists());
    BOOST_TEST(notes.empty());
}

BOOST_AUTO_TEST_CASE(without_a_writable_source_it_is_kept_in_an_owner_only_file_and_found_again)
{
    const std::string first = key(*store());
    BOOST_TEST(isHex64(first), first);
    const std::string file = hashKeyFilePath(settings);
    BOOST_TEST(file == dir.file("hash.key"));
    BOOST_TEST(isOwnerOnly(file));
    BOOST_REQUIRE(notes.size() == 1u);
    BOOST_TEST(notes[0].find(file) != std::string::npos, notes[0]);
    BOOST_TEST(notes[0].find(first) == std::string::npos); // the log never shows the key

    notes.clear();
    BOOST_TEST(key(*store()) == first); // a later run, with a new store
    BOOST_TEST(notes.empty());
}

BOOST_AUTO_TEST_CASE(a_writable_source_stores_it_and_gives_it_back)
{
    const std::string first = key(*store(true));
    BOOST_TEST(isHex64(first));
    BOOST_TEST(values->at("acd-hash-key") == first);
    BOOST_TEST(!Poco::File(hashKeyFilePath(settings)).exists());
    BOOST_REQUIRE(notes.size() == 1u);
    BOOST_TEST(notes[0].find("keyring") != std::string::npos, notes[0]);
    BOOST_TEST(key(*store(true)) == first);
}

BOOST_AUTO_TEST_CASE(the_secret_name_comes_from_the_settings)
{
    settings.hashKeySecretName = "shop-7-hash";
    (*values)["shop-7-hash"] = "configured";
    BOOST_TEST(key(*store()) == "configured");
}

BOOST_AUTO_TEST_CASE(a_source_that_has_it_but_cannot_give_it_stops_rather_than_making_a_new_one)
{
    BOOST_CHECK_THROW(key(*store(false, true)), SecretError);
    BOOST_TEST(!Poco::File(hashKeyFilePath(settings)).exists());
}

BOOST_AUTO_TEST_SUITE_END()
