#define BOOST_TEST_MODULE SecretStore
#include <boost/test/unit_test.hpp>

#include "SecretsTestSupport.h"
#include "secrets/SecretStore.h"

#include <map>

using namespace acd;

namespace {

/// A source with fixed values that counts its lookups; it can pretend a value is a sealed copy.
class FakeSource : public SecretSource
{
public:
    FakeSource(std::string name, std::map<std::string, std::string> values, int* lookups = nullptr)
        : _name(std::move(name)), _values(std::move(values)), _lookups(lookups)
    {}
    std::string name() const override { return _name; }
    std::optional<std::string> lookup(const std::string& secretName) override
    {
        if (_lookups)
            ++*_lookups;
        if (_failWith)
            throw SecretError(*_failWith);
        const auto it = _values.find(secretName);
        if (it == _values.end())
            return std::nullopt;
        return it->second;
    }
    bool servedSealedCopy() const override { return _sealed; }
    std::optional<Timestamp> sealedAt() const override { return _sealed ? _sealedAt : std::nullopt; }

    bool _sealed = false;
    std::optional<Timestamp> _sealedAt;
    std::optional<std::string> _failWith;

private:
    std::string _name;
    std::map<std::string, std::string> _values;
    int* _lookups;
};

std::string errorOf(SecretStore& store, const std::string& name)
{
    try
    {
        store.get(name);
    }
    catch (const SecretError& e)
    {
        return e.what();
    }
    return "(no error)";
}

struct ManualClock
{
    Timestamp now = Timestamp::fromUnixSeconds(1'700'000'000);
    SecretStore::Clock clock()
    {
        return [this] { return now; };
    }
};

const std::vector<std::string> Values = {"value-from-first", "value-from-second", "only-in-second",
                                         "sealed-value"};

} // namespace

BOOST_AUTO_TEST_CASE(sources_are_tried_in_order)
{
    std::vector<std::unique_ptr<SecretSource>> sources;
    sources.push_back(
        std::make_unique<FakeSource>("keyvault", std::map<std::string, std::string>{{"a", Values[0]}}));
    sources.push_back(std::make_unique<FakeSource>(
        "env", std::map<std::string, std::string>{{"a", Values[1]}, {"b", Values[2]}}));
    SecretStore store(std::move(sources));

    BOOST_CHECK(store.get("a") == Values[0]);
    BOOST_CHECK_EQUAL(store.sourceOf("a"), "keyvault");
    BOOST_CHECK(store.get("b") == Values[2]);
    BOOST_CHECK_EQUAL(store.sourceOf("b"), "env");
    BOOST_CHECK(!store.usedSealedCopy());
    BOOST_CHECK((store.sourceNames() == std::vector<std::string>{"keyvault", "env"}));
}

BOOST_AUTO_TEST_CASE(not_found_lists_every_source)
{
    std::vector<std::unique_ptr<SecretSource>> sources;
    sources.push_back(std::make_unique<FakeSource>("keyvault", std::map<std::string, std::string>{}));
    sources.push_back(std::make_unique<FakeSource>("env", std::map<std::string, std::string>{}));
    SecretStore store(std::move(sources));

    BOOST_CHECK_EQUAL(errorOf(store, "emarsys-user"),
                      "secret 'emarsys-user' not found in any of: keyvault, env");
}

BOOST_AUTO_TEST_CASE(values_are_cached_for_the_ttl_then_read_again)
{
    int lookups = 0;
    ManualClock clock;
    std::vector<std::unique_ptr<SecretSource>> sources;
    sources.push_back(
        std::make_unique<FakeSource>("env", std::map<std::string, std::string>{{"a", Values[0]}}, &lookups));
    SecretStore store(std::move(sources), std::chrono::seconds(60), clock.clock());

    store.get("a");
    clock.now = clock.now.plusSeconds(59);
    store.get("a");
    BOOST_CHECK_EQUAL(lookups, 1);

    clock.now = clock.now.plusSeconds(1);
    store.get("a");
    BOOST_CHECK_EQUAL(lookups, 2);

    store.invalidate();
    store.get("a");
    BOOST_CHECK_EQUAL(lookups, 3);

    // A clock set back must not make a cached value live for ever.
    clock.now = clock.now.plusSeconds(-3600);
    store.get("a");
    BOOST_CHECK_EQUAL(lookups, 4);
}

BOOST_AUTO_TEST_CASE(ttl_zero_disables_the_cache)
{
    int lookups = 0;
    std::vector<std::unique_ptr<SecretSource>> sources;
    sources.push_back(
        std::make_unique<FakeSource>("env", std::map<std::string, std::string>{{"a", Values[0]}}, &lookups));
    SecretStore store(std::move(sources), std::chrono::seconds(0));
    store.get("a");
    store.get("a");
    BOOST_CHECK_EQUAL(lookups, 2);
}

BOOST_AUTO_TEST_CASE(errors_stop_the_search_and_name_the_cause)
{
    auto failing = std::make_unique<FakeSource>("keyvault", std::map<std::string, std::string>{});
    failing->_failWith = "access to secret 'a' is forbidden (403)";
    std::vector<std::unique_ptr<SecretSource>> sources;
    sources.push_back(std::move(failing));
    sources.push_back(
        std::make_unique<FakeSource>("env", std::map<std::string, std::string>{{"a", Values[1]}}));
    SecretStore store(std::move(sources));

    BOOST_CHECK_EQUAL(errorOf(store, "a"), "access to secret 'a' is forbidden (403)");
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_clearly)
{
    BOOST_CHECK_EXCEPTION(SecretStore(std::vector<std::unique_ptr<SecretSource>>{}), SecretError,
                          [](const SecretError& e) {
                              return std::string(e.what()).find("secrets.sources") != std::string::npos;
                          });

    std::vector<std::unique_ptr<SecretSource>> sources;
    sources.push_back(std::make_unique<FakeSource>("env", std::map<std::string, std::string>{{"blank", ""}}));
    SecretStore store(std::move(sources));
    BOOST_CHECK_EQUAL(errorOf(store, "blank"), "secret 'blank' from env is empty");
    BOOST_CHECK(errorOf(store, "").find("empty") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_sealed_copy_sets_the_offline_state_and_warns_once)
{
    auto vault = std::make_unique<FakeSource>(
        "keyvault", std::map<std::string, std::string>{{"a", Values[3]}, {"b", Values[3]}});
    FakeSource& vaultRef = *vault;
    vaultRef._sealed = true;
    std::vector<std::unique_ptr<SecretSource>> sources;
    sources.push_back(std::move(vault));
    SecretStore store(std::move(sources));
    std::vector<std::string> warnings;
    store.setWarningHandler([&](const std::string& line) { warnings.push_back(line); });

    BOOST_CHECK(store.get("a") == Values[3]);
    BOOST_CHECK(store.get("b") == Values[3]);
    BOOST_CHECK(store.usedSealedCopy());
    BOOST_REQUIRE_EQUAL(warnings.size(), 1u);
    BOOST_CHECK(warnings[0].find("keyvault unreachable") != std::string::npos);
    BOOST_CHECK(warnings[0].find("'a'") != std::string::npos);
    for (const auto& line : warnings)
        BOOST_CHECK(test::leaksNone(line, Values));

    // Back online: fresh values replace the sealed ones and the state clears.
    vaultRef._sealed = false;
    store.invalidate();
    store.get("a");
    BOOST_CHECK(!store.usedSealedCopy());

    // A new outage warns again.
    vaultRef._sealed = true;
    store.invalidate();
    store.get("a");
    BOOST_CHECK_EQUAL(warnings.size(), 2u);
}

BOOST_AUTO_TEST_CASE(a_sealed_copy_is_kept_for_a_shorter_while)
{
    int lookups = 0;
    ManualClock clock;
    auto vault = std::make_unique<FakeSource>("keyvault",
                                              std::map<std::string, std::string>{{"a", Values[3]}}, &lookups);
    FakeSource& vaultRef = *vault;
    vaultRef._sealed = true;
    std::vector<std::unique_ptr<SecretSource>> sources;
    sources.push_back(std::move(vault));
    SecretStore store(std::move(sources), std::chrono::seconds(3600), clock.clock());

    store.get("a");
    clock.now = clock.now.plusSeconds(SecretStore::SealedCopyTtl.count() - 1);
    store.get("a");
    BOOST_CHECK_EQUAL(lookups, 1);

    vaultRef._sealed = false; // Key Vault is back
    clock.now = clock.now.plusSeconds(1);
    store.get("a");
    BOOST_CHECK_EQUAL(lookups, 2);
    BOOST_CHECK(!store.usedSealedCopy());
}

BOOST_AUTO_TEST_CASE(status_tells_the_source_when_the_value_was_read_and_when_a_sealed_copy_was_sealed)
{
    ManualClock clock;
    const Timestamp start = clock.now;
    auto vault = std::make_unique<FakeSource>(
        "keyvault", std::map<std::string, std::string>{{"a", Values[3]}, {"b", Values[3]}});
    FakeSource& vaultRef = *vault;
    std::vector<std::unique_ptr<SecretSource>> sources;
    sources.push_back(std::move(vault));
    sources.push_back(
        std::make_unique<FakeSource>("env", std::map<std::string, std::string>{{"c", Values[0]}}));
    SecretStore store(std::move(sources), std::chrono::seconds(3600), clock.clock());

    const SecretStatus live = store.status("c");
    BOOST_CHECK_EQUAL(live.source, "env");
    BOOST_CHECK(live.readAt == start);
    BOOST_CHECK(!live.sealed);
    BOOST_CHECK(!live.sealedAt);
    // A cached value keeps the time it was read.
    clock.now = clock.now.plusSeconds(90);
    BOOST_CHECK(store.status("c").readAt == start);

    vaultRef._sealed = true;
    vaultRef._sealedAt = Timestamp::fromUnixSeconds(1'600'000'000);
    const SecretStatus sealed = store.status("a");
    BOOST_CHECK_EQUAL(sealed.source, "keyvault");
    BOOST_CHECK(sealed.sealed);
    BOOST_REQUIRE(sealed.sealedAt.has_value());
    BOOST_CHECK(*sealed.sealedAt == Timestamp::fromUnixSeconds(1'600'000'000));
    BOOST_CHECK(sealed.readAt == start.plusSeconds(90));

    // A sealed copy whose sealing time the store does not know says so.
    vaultRef._sealedAt.reset();
    BOOST_CHECK(store.status("b").sealed);
    BOOST_CHECK(!store.status("b").sealedAt);
}
