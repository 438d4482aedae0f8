#define BOOST_TEST_MODULE core_text_tests
#include <boost/test/unit_test.hpp>

#include "core/Decimal.h"
#include "core/Email.h"
#include "core/TriggerId.h"
#include "core/Types.h"
#include "core/Urls.h"
#include "core/Utf8.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>

using namespace acd;

namespace {

double readBack(const std::string& text)
{
    double value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

bool isTriggerIdShape(const std::string& id)
{
    return id.size() == 44 && id.rfind("acd-", 0) == 0 &&
           id.find_first_not_of("0123456789abcdef", 4) == std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(decimal)

BOOST_AUTO_TEST_CASE(cut_with_ellipsis_keeps_whole_characters)
{
    const std::string ellipsis = "\xE2\x80\xA6";
    BOOST_TEST(cutWithEllipsis("short", 10) == "short");
    BOOST_TEST(cutWithEllipsis("exactly10!", 10) == "exactly10!");
    BOOST_TEST(cutWithEllipsis("abcdefghijk", 10) == "abcdefg" + ellipsis);
    // "ë" is 2 bytes, "李" 3, "😀" 4: a cut inside one backs off to its start.
    BOOST_TEST(cutWithEllipsis("abcdeëfghij", 9) == "abcde" + ellipsis);
    BOOST_TEST(cutWithEllipsis("ab李cdefghij", 7) == "ab" + ellipsis);
    BOOST_TEST(cutWithEllipsis("a😀bcdefghij", 7) == "a" + ellipsis);
    BOOST_TEST(cutWithEllipsis("a😀bcdefghij", 8) == "a😀" + ellipsis);
    for (std::size_t limit = 3; limit < 40; ++limit)
    {
        const std::string cut = cutWithEllipsis("Zoë Ångström 李小龙 😀😀 O'Brien", limit);
        BOOST_TEST(cut.size() <= limit);
        BOOST_TEST(isValidUtf8(cut), cut);
    }
    BOOST_TEST(cutWithEllipsis("abcdef", 2) == "");
    // Stray continuation bytes are not backed through without end.
    BOOST_TEST(cutWithEllipsis(std::string(20, '\x80'), 10).size() == 10u);
}

BOOST_AUTO_TEST_CASE(normalises_decimal_text)
{
    const std::pair<const char*, const char*> cases[] = {
        {"12.50", "12.5"},
        {"-3", "-3"},
        {"+4.0", "4"},
        {"0.000", "0"},
        {"-0.000", "0"},
        {"0", "0"},
        {"1e3", "1000"},
        {"1E+3", "1000"},
        {"1.5E-2", "0.015"},
        {"-1.23e1", "-12.3"},
        {"123.456e-5", "0.00123456"},
        {"12.5e1", "125"},
        {"0012.5000", "12.5"},
        {"100", "100"},
        {"100.0100", "100.01"},
        {".5", "0.5"},
        {"5.", "5"},
        {"0e7", "0"},
        {"0.1", "0.1"},
        {"19.99", "19.99"},
        // Far beyond a double's 17 digits: the text is kept exactly.
        {"79228162514264337593543950335.0000", "79228162514264337593543950335"},
        {"0.1234567890123456789012345678", "0.1234567890123456789012345678"},
    };
    for (const auto& [input, expected] : cases)
    {
        const auto result = normalizeDecimal(input);
        BOOST_TEST_REQUIRE(result.has_value(), "rejected: " << input);
        BOOST_TEST(*result == expected, input);
    }
}

BOOST_AUTO_TEST_CASE(rejects_what_is_not_a_decimal)
{
    for (const char* bad : {"",   "abc", "1.2.3", "NaN",   "nan",   "Infinity", "-inf",  "+",
                            "-",  ".",   "e3",    "1e",    "1e+",   "--1",      "+-1",   " 1",
                            "1 ", "1,5", "0x10",  "1e1.5", "1_000", "١٢٣",      "1e401", "1e-401"})
    {
        BOOST_TEST(!normalizeDecimal(bad).has_value(), "accepted: \"" << bad << "\"");
    }
}

BOOST_AUTO_TEST_CASE(large_exponents_within_the_bound)
{
    const auto big = normalizeDecimal("1e400");
    BOOST_TEST_REQUIRE(big.has_value());
    BOOST_TEST(big->size() == 401u);
    BOOST_TEST(big->front() == '1');
}

BOOST_AUTO_TEST_CASE(from_double_is_shortest_round_trip)
{
    BOOST_TEST(decimalFromDouble(19.99) == "19.99");
    BOOST_TEST(decimalFromDouble(2.0) == "2");
    BOOST_TEST(decimalFromDouble(0.1) == "0.1");
    BOOST_TEST(decimalFromDouble(-0.0) == "0");
    BOOST_TEST(decimalFromDouble(-12.5) == "-12.5");
    BOOST_TEST(decimalFromDouble(1e21) == "1000000000000000000000");
    BOOST_TEST(decimalFromDouble(1.5e-7) == "0.00000015");
    BOOST_TEST(decimalFromDouble(123456789.125) == "123456789.125");
    BOOST_TEST(decimalFromDouble(0.1 + 0.2) == "0.30000000000000004");
    BOOST_TEST(readBack(decimalFromDouble(std::numeric_limits<double>::max())) ==
               std::numeric_limits<double>::max());
    BOOST_TEST(readBack(decimalFromDouble(std::numeric_limits<double>::denorm_min())) ==
               std::numeric_limits<double>::denorm_min());
}

BOOST_AUTO_TEST_CASE(from_double_refuses_non_finite)
{
    BOOST_CHECK_THROW(decimalFromDouble(std::nan("")), std::invalid_argument);
    BOOST_CHECK_THROW(decimalFromDouble(std::numeric_limits<double>::infinity()), std::invalid_argument);
    BOOST_CHECK_THROW(decimalFromDouble(-std::numeric_limits<double>::infinity()), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(urls)

BOOST_AUTO_TEST_CASE(percent_encode)
{
    BOOST_TEST(percentEncode("AZaz09-._~", false) == "AZaz09-._~");
    BOOST_TEST(percentEncode("a b/c", true) == "a%20b/c");
    BOOST_TEST(percentEncode("a b/c", false) == "a%20b%2Fc");
    BOOST_TEST(percentEncode("Zoë", false) == "Zo%C3%AB");
    BOOST_TEST(percentEncode("李", false) == "%E6%9D%8E");
    BOOST_TEST(percentEncode("100%?&=#+:@{}", false) == "100%25%3F%26%3D%23%2B%3A%40%7B%7D");
    BOOST_TEST(percentEncode(std::string("\0\x7f\xff", 3), false) == "%00%7F%FF");
    BOOST_TEST(percentEncode("", true) == "");
}

BOOST_AUTO_TEST_CASE(return_to_cart_url_replaces_every_placeholder)
{
    BOOST_TEST(expandReturnToCartUrl("https://shop.example/cart?id={cartId}&c={customerId}&again={cartId}",
                                     "c-42",
                                     "004011") == "https://shop.example/cart?id=c-42&c=004011&again=c-42");
    BOOST_TEST(expandReturnToCartUrl("https://shop.example/cart/{cartId}", "a b&c=d/é", "x") ==
               "https://shop.example/cart/a%20b%26c%3Dd%2F%C3%A9");
    BOOST_TEST(expandReturnToCartUrl("https://shop.example/cart", "c", "x") == "https://shop.example/cart");
    BOOST_TEST(expandReturnToCartUrl("{cartId}{customerId}", "1", "2") == "12");
    BOOST_TEST(expandReturnToCartUrl("", "1", "2") == "");
}

BOOST_AUTO_TEST_CASE(return_to_cart_url_leaves_other_braces_and_does_not_reexpand)
{
    BOOST_TEST(expandReturnToCartUrl("/{other}/{cartId/{cartid}", "1", "2") == "/{other}/{cartId/{cartid}");
    // A value that looks like a placeholder stays a value.
    BOOST_TEST(expandReturnToCartUrl("/{cartId}/{customerId}", "{customerId}", "{cartId}") ==
               "/%7BcustomerId%7D/%7BcartId%7D");
}

BOOST_AUTO_TEST_CASE(loopback_hosts_in_every_spelling_a_url_or_a_setting_uses)
{
    for (const char* host :
         {"localhost", "LOCALHOST", "LocalHost", "127.0.0.1", "127.8.9.10", "127.255.255.255", "127.0.0.0",
          "::1", "[::1]", "0:0:0:0:0:0:0:1", "[0:0:0:0:0:0:0:1]", "0::1", "0000:0000::0001", "::0:1"})
    {
        BOOST_TEST_CONTEXT(host)
        {
            BOOST_TEST(isLoopbackHost(host));
        }
    }
}

BOOST_AUTO_TEST_CASE(look_alikes_and_other_addresses_are_not_loopback)
{
    for (const char* host : {"",
                             "127.0.0.1.evil.com",
                             "localhost.example.com",
                             "evil-localhost",
                             "localhost.",
                             "127.0.0.1.",
                             "127.0.0",
                             "127.0.0.1.5",
                             "127.0.0.256",
                             "127.1",
                             "0177.0.0.1",
                             "127.0.0.01",
                             "0x7f.0.0.1",
                             "128.0.0.1",
                             "10.0.0.1",
                             "0.0.0.0",
                             "::",
                             "[::]",
                             "::2",
                             "1::1",
                             "::ffff:127.0.0.1",
                             "[::ffff:127.0.0.1]",
                             "::ffff:7f00:1",
                             "::127.0.0.1",
                             "[::1",
                             "::1]",
                             "[[::1]]",
                             "[127.0.0.1]",
                             "[localhost]",
                             "::1%lo",
                             ":::1",
                             "::1::",
                             "0:0:0:0:0:0:0:0:1",
                             "0:0:0:0:0:0:0::1",
                             "00000::1",
                             "example.com"})
    {
        BOOST_TEST_CONTEXT(host)
        {
            BOOST_TEST(!isLoopbackHost(host));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(email)

BOOST_AUTO_TEST_CASE(normalise)
{
    BOOST_TEST(normalizeEmail("  John.Doe@Example.COM\t\r\n") == "john.doe@example.com");
    BOOST_TEST(normalizeEmail("\v\fa@b.c ") == "a@b.c");
    BOOST_TEST(normalizeEmail("ZOË@X.COM") == "zoË@x.com"); // only ASCII is folded
    BOOST_TEST(normalizeEmail("   ") == "");
    BOOST_TEST(normalizeEmail("") == "");
    BOOST_TEST(normalizeEmail("a b@c.d") == "a b@c.d"); // inner whitespace is not trimmed
}

BOOST_AUTO_TEST_CASE(usable)
{
    BOOST_TEST(isUsableEmail("ann@example.com"));
    BOOST_TEST(isUsableEmail("  Ann@Example.com "));
    BOOST_TEST(isUsableEmail("zoë@exämple.com"));
    for (const char* bad : {"", "   ", "ann", "@example.com", "ann@", "an n@example.com", "ann@exa\tmple.com",
                            "ann@\x01example.com", "ann@example.com\x7f"})
    {
        BOOST_TEST(!isUsableEmail(bad), "usable: \"" << bad << "\"");
    }
    const std::string longest = std::string(242, 'a') + "@example.com";
    BOOST_TEST(isUsableEmail(longest));
    BOOST_TEST(!isUsableEmail("a" + longest));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(trigger_id)

BOOST_AUTO_TEST_CASE(format_and_golden_value)
{
    const std::string id = makeTriggerId("0123", "cart-42", "2026-11-25T14:03:11.1234567Z", 1);
    BOOST_TEST(isTriggerIdShape(id));
    BOOST_TEST(id.size() <= 64u);
    // Computed independently (Python hashlib) from the documented construction. A change
    // here would make a retry after an upgrade look like a new reminder to Emarsys.
    BOOST_TEST(id == "acd-60f7e45bb129551f67c142f48d2eb65ce94b64fd");
}

BOOST_AUTO_TEST_CASE(deterministic_and_distinct)
{
    const std::string base = makeTriggerId("0123", "cart-42", "2026-11-25T14:03:11.1234567Z", 1);
    BOOST_TEST(makeTriggerId("0123", "cart-42", "2026-11-25T14:03:11.1234567Z", 1) == base);
    std::set<std::string> ids{
        base,
        makeTriggerId("0124", "cart-42", "2026-11-25T14:03:11.1234567Z", 1),
        makeTriggerId("0123", "cart-43", "2026-11-25T14:03:11.1234567Z", 1),
        makeTriggerId("0123", "cart-42", "2026-11-25T14:03:11.1234568Z", 1),
        makeTriggerId("0123", "cart-42", "2026-11-25T14:03:11.1234567Z", 2),
    };
    BOOST_TEST(ids.size() == 5u);
}

BOOST_AUTO_TEST_CASE(field_boundaries_are_unambiguous)
{
    BOOST_TEST(makeTriggerId("a|b", "c", "t", 1) != makeTriggerId("a", "b|c", "t", 1));
    BOOST_TEST(makeTriggerId("ab", "c", "t", 1) != makeTriggerId("a", "bc", "t", 1));
    BOOST_TEST(makeTriggerId("1:a", "", "t", 1) != makeTriggerId("1", "a", "t", 1));
    BOOST_TEST(makeTriggerId("", "", "", 0) != makeTriggerId("", "", "0", 0));
}

BOOST_AUTO_TEST_CASE(hostile_input_still_gives_a_safe_id)
{
    const std::string id = makeTriggerId("\"; DROP", std::string(5000, '\xff'), "李小龙\n", -7);
    BOOST_TEST(isTriggerIdShape(id));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(skip_reason)

BOOST_AUTO_TEST_CASE(exact_ledger_strings)
{
    const std::pair<SkipReason, const char*> cases[] = {
        {SkipReason::Anonymous, "anonymous"},
        {SkipReason::Empty, "empty"},
        {SkipReason::Untimed, "untimed"},
        {SkipReason::Superseded, "superseded"},
        {SkipReason::CustomerUnknown, "customer_unknown"},
        {SkipReason::NoEmail, "no_email"},
        {SkipReason::NoProductFound, "no_product_found"},
        {SkipReason::OptedOut, "opted_out"},
        {SkipReason::Cooldown, "cooldown"},
        {SkipReason::NoConsent, "no_consent"},
    };
    for (const auto& [reason, text] : cases)
    {
        BOOST_TEST(std::string(toString(reason)) == text);
        const auto back = skipReasonFromString(text);
        BOOST_TEST_REQUIRE(back.has_value(), text);
        BOOST_TEST((*back == reason), text);
    }
}

BOOST_AUTO_TEST_CASE(unknown_strings)
{
    for (const char* bad : {"", "Anonymous", "no-email", "opted_out ", "unknown"})
        BOOST_TEST(!skipReasonFromString(bad).has_value(), bad);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(utf8)

BOOST_AUTO_TEST_CASE(valid_text_is_unchanged)
{
    const std::string texts[] = {"",
                                 "plain",
                                 "Zoë",
                                 "李小龙",
                                 "\xF0\x9F\x9B\x92 cart",
                                 "\xE2\x80\xA8",
                                 std::string("nul\0inside", 10),
                                 "\xF4\x8F\xBF\xBF"};
    for (const std::string& text : texts)
    {
        BOOST_TEST(toValidUtf8(text) == text);
        BOOST_TEST(isValidUtf8(text));
    }
}

BOOST_AUTO_TEST_CASE(ill_formed_sequences_become_replacement_characters)
{
    const std::string R = "\xEF\xBF\xBD";
    BOOST_TEST(toValidUtf8("a\xFF"
                           "b") == "a" + R + "b");
    BOOST_TEST(toValidUtf8("\x80") == R); // stray continuation byte
    BOOST_TEST(toValidUtf8("\xC3") == R); // truncated at the end
    BOOST_TEST(toValidUtf8("\xC3"
                           "A") == R + "A");                      // truncated before ASCII
    BOOST_TEST(toValidUtf8("\xC0\xAF") == R + R);                 // overlong '/'
    BOOST_TEST(toValidUtf8("\xE0\x80\xAF") == R + R + R);         // overlong, 3 bytes
    BOOST_TEST(toValidUtf8("\xED\xA0\x80") == R + R + R);         // UTF-16 surrogate
    BOOST_TEST(toValidUtf8("\xF4\x90\x80\x80") == R + R + R + R); // above U+10FFFF
    BOOST_TEST(toValidUtf8("\xE6\x9D") == R);                     // one maximal subpart, one U+FFFD
    BOOST_TEST(toValidUtf8("\xF0\x9F\x9B"
                           "x") == R + "x");
    BOOST_TEST(toValidUtf8("ok \xC3\xA9\xFF\xE2\x82\xAC end\x80") ==
               "ok \xC3\xA9" + R + "\xE2\x82\xAC end" + R);
    for (const char* text : {"a\xFF", "\x80", "\xC3", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80",
                             "\xF4\x90\x80\x80", "\xE6\x9D", "caf\xC3\xA9\xC3"})
        BOOST_TEST(!isValidUtf8(text), text);
}

BOOST_AUTO_TEST_SUITE_END()
