#define BOOST_TEST_MODULE MimeMessage
#include <boost/test/unit_test.hpp>

#include "core/Utf8.h"
#include "notify/MimeMessage.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Net/MailMessage.h>
#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/PartHandler.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>

#include <map>

#include <regex>
#include <sstream>

using namespace acd;

namespace {

MimeInput sample()
{
    MimeInput input;
    input.messageId = "acd-0123456789abcdef@abandoned-cartd";
    input.from = "Contoso Shop <shop@example.com>";
    input.to = "zoe@example.com";
    input.toName = "Zoë Ångström";
    input.subject = "Zoë, votre panier vous attend";
    input.text = "Bonjour Zoë,\nLine = two\n";
    input.html = "<p>Bonjour Zo&euml; — é</p>\n";
    input.unsubscribeUrl = "https://shop.example.com/unsub?e=zoe%40example.com&t=abc";
    return input;
}

/// The header fields as written, unfolded (RFC 5322: only the CRLF goes), names in lower
/// case. Poco's MessageHeader would decode encoded words itself, hiding what was written.
std::map<std::string, std::string> headersOf(const std::string& message)
{
    std::map<std::string, std::string> fields;
    std::string last;
    std::istringstream in(message);
    for (std::string line; std::getline(in, line);)
    {
        BOOST_REQUIRE(!line.empty() && line.back() == '\r');
        line.pop_back();
        if (line.empty())
            break;
        if (line.front() == ' ' || line.front() == '\t')
        {
            fields[last] += line;
            continue;
        }
        const auto colon = line.find(':');
        BOOST_REQUIRE(colon != std::string::npos);
        last = Poco::toLower(line.substr(0, colon));
        BOOST_REQUIRE(!fields.contains(last));
        fields[last] = Poco::trim(line.substr(colon + 1));
    }
    return fields;
}

/// RFC 2047 decoding of what encodeHeaderText writes (B encoding, UTF-8). Each word must hold
/// whole characters on its own.
std::string decodeWords(const std::string& value)
{
    static const std::regex word(R"(=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=)");
    std::string result;
    auto begin = std::sregex_iterator(value.begin(), value.end(), word);
    if (begin == std::sregex_iterator())
        return value;
    for (auto it = begin; it != std::sregex_iterator(); ++it)
    {
        BOOST_TEST((*it)[0].length() <= 75);
        std::istringstream in((*it)[1].str());
        Poco::Base64Decoder decoder(in);
        std::string bytes;
        Poco::StreamCopier::copyToString(decoder, bytes);
        BOOST_TEST(toValidUtf8(bytes) == bytes);
        result += bytes;
    }
    return result;
}

struct Parts : Poco::Net::PartHandler
{
    std::vector<std::pair<std::string, std::string>> parts; // content type, decoded body
    void handlePart(const Poco::Net::MessageHeader& header, std::istream& stream) override
    {
        std::string body;
        Poco::StreamCopier::copyToString(stream, body);
        parts.emplace_back(header.get("Content-Type", ""), body);
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(a_reminder_is_multipart_alternative_text_then_html)
{
    const std::string message = buildMimeMessage(sample());
    const auto header = headersOf(message);
    BOOST_TEST(header.at("content-type").starts_with("multipart/alternative; boundary="));
    BOOST_TEST(header.at("mime-version") == "1.0");
    BOOST_TEST(header.at("message-id") == "<acd-0123456789abcdef@abandoned-cartd>");
    BOOST_TEST(header.at("from") == "Contoso Shop <shop@example.com>");
    BOOST_TEST(header.contains("date"));

    std::istringstream in(message);
    Poco::Net::MailMessage parsed;
    Parts parts;
    parsed.read(in, parts);
    BOOST_REQUIRE(parts.parts.size() == 2u);
    BOOST_TEST(parts.parts[0].first == "text/plain; charset=UTF-8");
    BOOST_TEST(parts.parts[1].first == "text/html; charset=UTF-8");
    BOOST_TEST(parts.parts[0].second == "Bonjour Zoë,\r\nLine = two\r\n");
    BOOST_TEST(parts.parts[1].second == "<p>Bonjour Zo&euml; — é</p>\r\n");
}

BOOST_AUTO_TEST_CASE(every_line_ends_in_crlf_and_fits_the_line_limit)
{
    MimeInput input = sample();
    input.html = std::string(500, 'x') + "\n" + std::string(300, 'e') + "é\n";
    const std::string message = buildMimeMessage(input);
    std::size_t start = 0;
    while (start < message.size())
    {
        const auto end = message.find('\n', start);
        BOOST_REQUIRE(end != std::string::npos);
        BOOST_TEST(end > start);
        BOOST_TEST(message[end - 1] == '\r');
        BOOST_TEST(end - start - 1 <= 998u);
        start = end + 1;
    }
    for (char c : message)
        BOOST_TEST(static_cast<unsigned char>(c) < 0x80); // 7-bit on the wire: QP and encoded words
}

BOOST_AUTO_TEST_CASE(non_ascii_subject_and_names_are_rfc2047_encoded)
{
    const auto header = headersOf(buildMimeMessage(sample()));
    const std::string subject = header.at("subject");
    BOOST_TEST(subject.starts_with("=?UTF-8?B?"));
    BOOST_TEST(decodeWords(subject) == "Zoë, votre panier vous attend");
    const std::string to = header.at("to");
    BOOST_TEST(to.ends_with(" <zoe@example.com>"));
    BOOST_TEST(decodeWords(to.substr(0, to.rfind(" <"))) == "Zoë Ångström");

    MimeInput input = sample();
    input.subject = "Plain ASCII subject";
    input.toName = "Ann Lee";
    const auto plain = headersOf(buildMimeMessage(input));
    BOOST_TEST(plain.at("subject") == "Plain ASCII subject");
    BOOST_TEST(plain.at("to") == "Ann Lee <zoe@example.com>");
}

BOOST_AUTO_TEST_CASE(header_lines_with_encoded_words_fit_76_characters_and_the_date_has_a_numeric_zone)
{
    MimeInput input = sample();
    input.subject = "Zoë, " + std::string(200, 'a') + " — votre panier vous attend toujours, à bientôt";
    input.toName = "Zoë Ångström-Kristiansdóttir de la Montagne Très Longue";
    input.to = "zoe.angstrom-kristiansdottir@a-very-long-domain-name.example.com";
    input.date = Timestamp::fromUnixSeconds(1795960800); // 2026-11-29T14:00:00Z, a Sunday
    const std::string message = buildMimeMessage(input);
    const std::string head = message.substr(0, message.find("\r\n\r\n"));
    std::istringstream in(head);
    for (std::string line; std::getline(in, line);)
        if (line.find("=?") != std::string::npos)
            BOOST_TEST(line.size() - 1 <= 76u, line); // without its '\r'
    const auto header = headersOf(message);
    BOOST_TEST(decodeWords(header.at("subject")) == input.subject);
    BOOST_TEST(header.at("date") == "Sun, 29 Nov 2026 14:00:00 +0000");
}

BOOST_AUTO_TEST_CASE(hostile_names_cannot_break_out_of_their_header)
{
    MimeInput input = sample();
    input.toName = "<script>alert(\"x\")</script> & \"Quotes\" O'Hara, Evil <evil@example.com>";
    input.subject = "Hi\r\nBcc: victim@example.com";
    const std::string message = buildMimeMessage(input);
    const auto header = headersOf(message);
    BOOST_TEST(!header.contains("bcc"));
    BOOST_TEST(header.at("subject") == "Hi  Bcc: victim@example.com");
    const std::string to = header.at("to");
    BOOST_TEST(to.ends_with(" <zoe@example.com>"));
    BOOST_TEST(to.find("evil@") == std::string::npos); // only inside the encoded words
    BOOST_TEST(decodeWords(to.substr(0, to.rfind(" <"))) == input.toName);
    BOOST_TEST(headerAddress(to) == "zoe@example.com");

    input.toName = "Zoë " + std::string(200, 'e') + "é";
    const std::string longTo = headersOf(buildMimeMessage(input)).at("to");
    BOOST_TEST(decodeWords(longTo.substr(0, longTo.rfind(" <"))) == input.toName);
}

BOOST_AUTO_TEST_CASE(unsubscribe_headers_follow_rfc_8058_only_when_there_is_a_link)
{
    const auto header = headersOf(buildMimeMessage(sample()));
    BOOST_TEST(header.at("list-unsubscribe") == "<https://shop.example.com/unsub?e=zoe%40example.com&t=abc>");
    BOOST_TEST(header.at("list-unsubscribe-post") == "List-Unsubscribe=One-Click");
    MimeInput input = sample();
    input.unsubscribeUrl.clear();
    const auto without = headersOf(buildMimeMessage(input));
    BOOST_TEST(!without.contains("list-unsubscribe"));
    BOOST_TEST(!without.contains("list-unsubscribe-post"));
}

BOOST_AUTO_TEST_CASE(addresses_and_ids_that_would_inject_header_text_are_refused)
{
    for (const std::string to : {"a@b.c\r\nBcc: x@y.z", "a@b.c, x@y.z", "<a@b.c>", "", "no-at-sign"})
    {
        MimeInput input = sample();
        input.to = to;
        BOOST_CHECK_THROW(buildMimeMessage(input), std::invalid_argument);
    }
    MimeInput input = sample();
    input.messageId = "x>\r\nBcc: y";
    BOOST_CHECK_THROW(buildMimeMessage(input), std::invalid_argument);
    input = sample();
    input.from = "Shop <shop@example.com>\r\nBcc: y@z.c";
    BOOST_CHECK_THROW(buildMimeMessage(input), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(an_unsubscribe_url_must_be_ascii_and_fit_its_header_line)
{
    // Found by fuzz_mime: a URL of 1277 bytes, not ASCII, made a List-Unsubscribe line of 1297.
    MimeInput input = sample();
    input.unsubscribeUrl = "https://shop.example.com/u?t=" + std::string(978 - 29, 'a');
    BOOST_TEST(input.unsubscribeUrl.size() == 978u);
    BOOST_CHECK_NO_THROW(buildMimeMessage(input));
    input.unsubscribeUrl += "a";
    BOOST_CHECK_EXCEPTION(buildMimeMessage(input), std::invalid_argument, [](const std::invalid_argument& e) {
        return std::string(e.what()).find("979 bytes long") != std::string::npos;
    });
    input.unsubscribeUrl = "https://shop.example.com/d\xc3\xa9sabonnement";
    BOOST_CHECK_EXCEPTION(buildMimeMessage(input), std::invalid_argument, [](const std::invalid_argument& e) {
        return std::string(e.what()).find("not ASCII") != std::string::npos;
    });
}

BOOST_AUTO_TEST_CASE(an_address_longer_than_any_server_takes_is_refused)
{
    // Found by fuzz_reminder: 700 bytes of address made a List-Unsubscribe line of 1201 characters.
    MimeInput input = sample();
    input.to = std::string(242, 'a') + "@example.com"; // 254 bytes: the most RFC 5321 allows
    BOOST_CHECK_NO_THROW(buildMimeMessage(input));
    input.to = "a" + input.to;
    BOOST_CHECK_THROW(buildMimeMessage(input), std::invalid_argument);
}
