#define BOOST_TEST_MODULE Wsse
#include <boost/test/unit_test.hpp>

#include "notify/Wsse.h"

#include <Poco/Base64Encoder.h>
#include <Poco/DigestEngine.h>
#include <Poco/SHA1Engine.h>

#include <regex>
#include <set>
#include <sstream>

using namespace acd;

namespace {

const std::string Nonce = "d36e316282959a9ed4c89851497a717f";
const std::string Created = "2026-11-25T14:03:11Z";
const std::string Secret = "s3cr3t-Emarsys";

} // namespace

BOOST_AUTO_TEST_CASE(digest_matches_a_vector_computed_with_sha1sum)
{
    // printf '%s' "$nonce$created$secret" | sha1sum  -> c4fef5108744289cd5045e03171af79988f17c28
    // printf '%s' c4fef5108744289cd5045e03171af79988f17c28 | base64 -w0
    BOOST_TEST(wssePasswordDigest(Nonce, Created, Secret) ==
               "YzRmZWY1MTA4NzQ0Mjg5Y2Q1MDQ1ZTAzMTcxYWY3OTk4OGYxN2MyOA==");
}

BOOST_AUTO_TEST_CASE(digest_is_base64_of_the_hex_text_not_of_the_raw_bytes)
{
    // Standard WSSE would give base64 of the 20 raw bytes:
    // printf '%s' "$nonce$created$secret" | openssl dgst -sha1 -binary | base64
    BOOST_TEST(wssePasswordDigest(Nonce, Created, Secret) != "xP71EIdEKJzVBF4DFxr3mYjxfCg=");

    Poco::SHA1Engine sha1;
    sha1.update(Nonce + Created + Secret);
    const std::string hex = Poco::DigestEngine::digestToHex(sha1.digest());
    BOOST_TEST(hex == "c4fef5108744289cd5045e03171af79988f17c28");
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder << hex;
    encoder.close();
    BOOST_TEST(wssePasswordDigest(Nonce, Created, Secret) == out.str());
}

BOOST_AUTO_TEST_CASE(digest_depends_on_every_input)
{
    const std::string digest = wssePasswordDigest(Nonce, Created, Secret);
    BOOST_TEST(wssePasswordDigest(Nonce, Created, Secret + "x") != digest);
    BOOST_TEST(wssePasswordDigest(Nonce, "2026-11-25T14:03:12Z", Secret) != digest);
    BOOST_TEST(wssePasswordDigest("e" + Nonce.substr(1), Created, Secret) != digest);
}

BOOST_AUTO_TEST_CASE(header_has_the_emarsys_format)
{
    BOOST_TEST(makeWsseHeader("acd-user", Secret, Nonce, Created) ==
               "UsernameToken Username=\"acd-user\", "
               "PasswordDigest=\"YzRmZWY1MTA4NzQ0Mjg5Y2Q1MDQ1ZTAzMTcxYWY3OTk4OGYxN2MyOA==\", "
               "Nonce=\"d36e316282959a9ed4c89851497a717f\", Created=\"2026-11-25T14:03:11Z\"");
    BOOST_TEST(makeWsseHeader("acd-user", Secret, Nonce, Created).find(Secret) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(nonce_is_32_lowercase_hex_characters_and_never_repeats)
{
    const std::regex hex32("[0-9a-f]{32}");
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i)
    {
        const std::string nonce = makeNonce();
        BOOST_TEST_REQUIRE(std::regex_match(nonce, hex32), nonce);
        seen.insert(nonce);
    }
    BOOST_TEST(seen.size() == 1000u);
}
