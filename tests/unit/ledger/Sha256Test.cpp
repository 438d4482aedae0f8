#define BOOST_TEST_MODULE platform sha256
#include <boost/test/unit_test.hpp>

#include "platform/Sha256.h"

#include <Poco/DigestEngine.h>

#include <string>
#include <thread>
#include <vector>

// Built twice: against the platform's implementation (OpenSSL here) and against Poco's, which
// the Windows build uses, so that both are held to the same vectors.

namespace {

std::string hex(const acd::platform::Sha256Digest& digest)
{
    return Poco::DigestEngine::digestToHex(Poco::DigestEngine::Digest(digest.begin(), digest.end()));
}

const std::string Rfc4231Case2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

} // namespace

BOOST_AUTO_TEST_CASE(sha256_matches_fips_180)
{
    using acd::platform::sha256;
    BOOST_TEST(hex(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    BOOST_TEST(hex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    BOOST_TEST(hex(sha256(std::string(1000000, 'a'))) ==
               "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

BOOST_AUTO_TEST_CASE(hmac_matches_rfc_4231_on_every_use)
{
    // The key is set once and the state reused: each digest must start afresh.
    const acd::platform::HmacSha256 jefe("Jefe");
    for (int i = 0; i < 3; ++i)
    {
        BOOST_TEST(hex(jefe.digest("what do ya want for nothing?")) == Rfc4231Case2);
        BOOST_TEST(hex(jefe.digest("")) != Rfc4231Case2);
    }
    // Test case 6: a key longer than the block is hashed first.
    const acd::platform::HmacSha256 longKey(std::string(131, '\xaa'));
    BOOST_TEST(hex(longKey.digest("Test Using Larger Than Block-Size Key - Hash Key First")) ==
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

BOOST_AUTO_TEST_CASE(hmac_is_safe_from_several_threads)
{
    const acd::platform::HmacSha256 jefe("Jefe");
    std::vector<std::thread> threads;
    std::vector<int> wrong(4, 0);
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i)
                if (hex(jefe.digest("what do ya want for nothing?")) != Rfc4231Case2)
                    ++wrong[t];
        });
    for (std::thread& thread : threads)
        thread.join();
    for (int t = 0; t < 4; ++t)
        BOOST_TEST(wrong[t] == 0);
}
