#define BOOST_TEST_MODULE keyed hash
#include <boost/test/unit_test.hpp>

#include "core/KeyedHash.h"

using namespace acd;

BOOST_AUTO_TEST_CASE(hmac_sha256_matches_rfc_4231)
{
    // RFC 4231 test case 2.
    BOOST_TEST(KeyedHash("Jefe").hex("what do ya want for nothing?") ==
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 6: a key longer than the block is hashed first.
    BOOST_TEST(
        KeyedHash(std::string(131, '\xaa')).hex("Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

BOOST_AUTO_TEST_CASE(sha256_matches_fips_180)
{
    BOOST_TEST(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    BOOST_TEST(sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

BOOST_AUTO_TEST_CASE(addresses_and_accounts_hash_apart)
{
    const KeyedHash hash("installation key");
    BOOST_TEST(hash.email("c001") != hash.customer("c001"));
    BOOST_TEST(hash.email("a@b.c") == hash.hex("email:a@b.c"));
    BOOST_TEST(hash.customer("C001") == hash.hex("customer:C001"));
    BOOST_CHECK_THROW(KeyedHash(""), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(constant_time_equality_is_equality)
{
    BOOST_TEST(constantTimeEquals("token-1", "token-1"));
    BOOST_TEST(!constantTimeEquals("token-1", "token-2"));
    BOOST_TEST(!constantTimeEquals("token-1", "token-10"));
    BOOST_TEST(!constantTimeEquals("", "x"));
    BOOST_TEST(constantTimeEquals("", ""));
}
