#define BOOST_TEST_MODULE LibsecretSource
#include <boost/test/unit_test.hpp>

// Runs against a real gnome-keyring: CTest starts it in a private D-Bus session (see
// CMakeLists.txt). Without a reachable, unlocked keyring these tests fail, on purpose.

#include "SecretsTestSupport.h"
#include "secrets/LibsecretSource.h"
#include "secrets/SecretStore.h"
#include "secrets/Sources.h"

#include <cstdio>
#include <random>

using namespace acd;

namespace {

const std::string StoredValue = "keyring-value-3e9f";
const std::string SealedValue = "sealed-keyring-value-8a1d";
const std::string ToolValue = "secret-tool-value-6b7c";
const std::vector<std::string> AllValues = {StoredValue, SealedValue, ToolValue};

/// Names unique to this run, so a keyring left over from an earlier run cannot answer.
std::string uniqueName(const std::string& stem)
{
    static const std::string run = std::to_string(std::random_device{}());
    return stem + "-" + run;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_session_bus_is_there)
{
    BOOST_REQUIRE_MESSAGE(std::getenv("DBUS_SESSION_BUS_ADDRESS") != nullptr,
                          "no D-Bus session: run this test through ctest (dbus-run-session + gnome-keyring)");
}

BOOST_AUTO_TEST_CASE(store_then_lookup_round_trips)
{
    LibsecretSource source;
    BOOST_CHECK_EQUAL(source.name(), "libsecret");
    const std::string name = uniqueName("emarsys-secret");
    BOOST_CHECK(!source.lookup(name));
    source.store(name, StoredValue);
    BOOST_CHECK(source.lookup(name) == StoredValue);
    source.store(name, StoredValue + "-new");
    BOOST_CHECK(source.lookup(name) == StoredValue + "-new");
}

BOOST_AUTO_TEST_CASE(items_written_by_secret_tool_are_found)
{
    // What the operator's documentation tells them to run.
    const std::string name = uniqueName("tool-secret");
    const std::string command =
        "printf '%s' '" + ToolValue +
        "' | secret-tool store --label=acd xdg:schema org.abandoned-cartd.Secret name " + name;
    BOOST_REQUIRE_EQUAL(std::system(command.c_str()), 0);
    BOOST_CHECK(LibsecretSource().lookup(name) == ToolValue);
}

BOOST_AUTO_TEST_CASE(sealed_copies_are_kept_apart_from_the_source)
{
    const std::string name = uniqueName("sealed-secret");
    LibsecretSealedStore sealed;
    BOOST_CHECK_EQUAL(sealed.kind(), "libsecret");
    BOOST_CHECK(!sealed.unseal(name));
    sealed.seal(name, SealedValue);
    BOOST_CHECK(sealed.unseal(name) == SealedValue);
    BOOST_CHECK(!LibsecretSource().lookup(name)); // a sealed Key Vault copy is not a libsecret secret

    // The keyring item's modification time is when the copy was sealed.
    const auto sealedAt = sealed.sealedAt(name);
    BOOST_REQUIRE(sealedAt.has_value());
    const std::int64_t age = Timestamp::now().unixSeconds() - sealedAt->unixSeconds();
    BOOST_CHECK(age >= -2 && age <= 60);
    BOOST_CHECK(!sealed.sealedAt(uniqueName("never-sealed")));

    BOOST_CHECK_EQUAL(makeSealedStore("/nonexistent")->kind(), "libsecret");
}

BOOST_AUTO_TEST_CASE(the_store_reads_through_the_factory)
{
    const std::string name = uniqueName("via-store");
    LibsecretSource().store(name, StoredValue);
    std::vector<std::unique_ptr<SecretSource>> sources;
    sources.push_back(makeLibsecretSource());
    SecretStore store(std::move(sources));
    BOOST_CHECK(store.get(name) == StoredValue);
    BOOST_CHECK_EQUAL(store.sourceOf(name), "libsecret");
    try
    {
        store.get(uniqueName("absent"));
        BOOST_ERROR("an absent secret was found");
    }
    catch (const SecretError& e)
    {
        BOOST_CHECK(std::string(e.what()).find("not found in any of: libsecret") != std::string::npos);
        BOOST_CHECK(test::leaksNone(e.what(), AllValues));
    }
}
