#define BOOST_TEST_MODULE DpapiSource
#include <boost/test/unit_test.hpp>

// Windows only (DPAPI); the Windows build runs it, under Wine when cross-built.

#include "SecretsTestSupport.h"
#include "secrets/DpapiSource.h"
#include "secrets/Sources.h"

#include <fstream>
#include <iterator>

using namespace acd;

namespace {

const std::string Value = "dpapi-secret-value-4c1e";

std::string readFile(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

} // namespace

BOOST_AUTO_TEST_CASE(store_then_lookup_round_trips_through_an_encrypted_file)
{
    test::TempDir dir;
    DpapiSource source(dir.str());
    BOOST_CHECK_EQUAL(source.name(), "dpapi");
    BOOST_CHECK(!source.lookup("emarsys-secret"));
    source.store("emarsys-secret", Value);
    BOOST_CHECK(source.lookup("emarsys-secret") == Value);

    const auto file = dir.path() / "emarsys-secret.dpapi";
    BOOST_REQUIRE(std::filesystem::exists(file));
    BOOST_CHECK(test::leaksNone(readFile(file), {Value}));
}

BOOST_AUTO_TEST_CASE(a_damaged_blob_is_an_error_naming_the_secret)
{
    test::TempDir dir;
    std::ofstream(dir.path() / "broken.dpapi", std::ios::binary) << "not a DPAPI blob";
    DpapiSource source(dir.str());
    try
    {
        source.lookup("broken");
        BOOST_ERROR("a damaged blob was accepted");
    }
    catch (const SecretError& e)
    {
        BOOST_CHECK(std::string(e.what()).find("'broken'") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(sealed_copies_live_apart_from_the_source)
{
    test::TempDir sources;
    test::TempDir sealedDir;
    auto sealed = makeSealedStore(sealedDir.str());
    BOOST_CHECK_EQUAL(sealed->kind(), "dpapi");
    sealed->seal("emarsys-secret", Value);
    BOOST_CHECK(sealed->unseal("emarsys-secret") == Value);
    BOOST_CHECK(!makeDpapiSource(sources.str())->lookup("emarsys-secret"));
}
