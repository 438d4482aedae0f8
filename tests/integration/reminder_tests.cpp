#define BOOST_TEST_MODULE reminder_tests
#include <boost/test/unit_test.hpp>

#include "Harness.h"
#include "MailReader.h"
#include "ReminderStore.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeParser.h>
#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <tuple>

// The outbox and SMTP providers run by the real binary against commerce-sim, with names that
// try to break out of HTML and mail headers (the same reminder in a browser: reminder_page_tests).

using namespace acd::test;
using namespace acd::test::reminders;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

std::string replaceAll(std::string text, const std::string& from, const std::string& to)
{
    Poco::replaceInPlace(text, from, to);
    return text;
}

// --- Reading the messages back: a deliberately small MIME reader, independent of Poco's ---

/// What every reminder, whatever carried it, must look like as an RFC 5322 / MIME message.
/// Returns the decoded text and HTML parts.
std::pair<std::string, std::string> checkMessage(const std::string& raw, const Person& person,
                                                 const std::string& triggerId, const std::string& subject)
{
    BOOST_TEST_CONTEXT("message to " << person.email)
    {
        // CRLF only, no line beyond RFC 5322's 998 characters, nothing but ASCII in the headers.
        for (std::size_t i = 0; i < raw.size(); ++i)
            if (raw[i] == '\n')
                BOOST_REQUIRE_MESSAGE(i > 0 && raw[i - 1] == '\r', "a bare LF at byte " << i);
        std::size_t lineStart = 0;
        for (std::size_t end = raw.find("\r\n"); end != std::string::npos; end = raw.find("\r\n", lineStart))
        {
            BOOST_TEST(end - lineStart <= 998u);
            lineStart = end + 2;
        }
        const Mail mail = parseMail(raw);
        for (const char c : mail.rawHeader)
        {
            const auto byte = static_cast<unsigned char>(c);
            BOOST_REQUIRE_MESSAGE(byte < 0x80, "a raw 8-bit byte in the headers:\n" << mail.rawHeader);
        }
        for (const char* name : {"Date", "From", "To", "Subject", "Message-ID", "MIME-Version",
                                 "Content-Type", "List-Unsubscribe", "List-Unsubscribe-Post"})
            BOOST_TEST(mail.count(name) == 1u, name);

        BOOST_TEST(mail["Message-ID"] == "<" + triggerId + "@abandoned-cartd>");
        Poco::DateTime date;
        int zone = 0;
        BOOST_REQUIRE_MESSAGE(Poco::DateTimeParser::tryParse(mail["Date"], date, zone),
                              "Date: " << mail["Date"]);
        const std::int64_t utc = date.timestamp().epochMicroseconds() - std::int64_t(zone) * 1000000;
        const double age = std::abs(static_cast<double>(Poco::Timestamp().epochMicroseconds() - utc)) / 1e6;
        BOOST_TEST(age < 600.0, "Date: " << mail["Date"] << " is " << age << " s off");
        BOOST_TEST(mail["From"] == From);
        BOOST_TEST(mail["MIME-Version"] == "1.0");

        // Display names and subjects: plain when ASCII-only and harmless, else RFC 2047.
        const std::string to = mail["To"];
        BOOST_TEST(to.ends_with(" <" + person.email + ">"), to);
        std::string name = person.first + " " + person.last;
        std::replace_if(
            name.begin(), name.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
        BOOST_TEST(decodeWords(to) == name + " <" + person.email + ">");
        BOOST_TEST(mail.count("Bcc") == 0u);
        BOOST_TEST(mail.rawHeader.find("intruder") == std::string::npos); // encoded, if anywhere
        BOOST_TEST(decodeWords(mail["Subject"]) == subject);
        const bool ascii = std::all_of(subject.begin(), subject.end(),
                                       [](char c) { return static_cast<unsigned char>(c) < 0x80; });
        if (ascii)
            BOOST_TEST(mail["Subject"] == subject);
        else
            BOOST_TEST(mail["Subject"].starts_with("=?UTF-8?"), mail["Subject"]);

        // RFC 8058 one-click unsubscribe, the address and a 64-hex token in the link.
        static const std::regex unsubscribe(
            R"(<https://shop\.example\.com/unsubscribe\?email=([^&]+)&token=([0-9a-f]{64})>)");
        std::smatch link;
        const std::string listUnsubscribe = mail["List-Unsubscribe"];
        BOOST_TEST(std::regex_match(listUnsubscribe, link, unsubscribe), listUnsubscribe);
        if (!link.empty())
            BOOST_TEST(link[1].str() == replaceAll(person.email, "@", "%40"));
        BOOST_TEST(mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click");

        BOOST_TEST(Poco::toLower(mail["Content-Type"]).starts_with("multipart/alternative;"),
                   mail["Content-Type"]);
        const std::vector<Mail> alternatives = parts(mail);
        BOOST_REQUIRE_EQUAL(alternatives.size(), 2u);
        BOOST_TEST(Poco::toLower(alternatives[0]["Content-Type"]) == "text/plain; charset=utf-8");
        BOOST_TEST(Poco::toLower(alternatives[1]["Content-Type"]) == "text/html; charset=utf-8");
        const std::string text = replaceAll(alternatives[0].body, "\r\n", "\n");
        const std::string html = replaceAll(alternatives[1].body, "\r\n", "\n");
        // The same link in both bodies, '&' escaped in the HTML attribute.
        const std::string url = listUnsubscribe.substr(1, listUnsubscribe.size() - 2);
        BOOST_TEST(text.find(url) != std::string::npos);
        BOOST_TEST(html.find("href=\"" + replaceAll(url, "&", "&amp;") + "\"") != std::string::npos);
        return {text, html};
    }
    return {};
}

/// What the HTML of each person's reminder must hold: every value escaped, prices in euros,
/// the way back to the cart.
void checkHtml(const std::string& html, const Person& person)
{
    BOOST_TEST_CONTEXT("HTML for " << person.email)
    {
        BOOST_TEST(Poco::toLower(html).find("<script") == std::string::npos);
        BOOST_TEST(html.find("<b>") == std::string::npos);
        BOOST_TEST(html.find("alert(1)</script>") == std::string::npos);
        BOOST_TEST(html.find("href=\"https://shop.example.com/cart?id=" + person.cart +
                             "&amp;c=" + person.account + "\"") != std::string::npos);
        BOOST_TEST(html.find("#2563eb") != std::string::npos);
        if (person.cart == Zoe.cart)
        {
            BOOST_TEST(html.find("<html lang=\"en\">") != std::string::npos);
            BOOST_TEST(html.find("Hello Zoë &lt;b&gt;&quot;Bold&quot;&lt;/b&gt;,") != std::string::npos);
            // Once as the product's name, once as its image's alt text.
            BOOST_TEST(occurrences(html, HostileEscaped) == 2u);
            BOOST_TEST(html.find("alt=\"" + HostileEscaped + "\"") != std::string::npos);
            BOOST_TEST(html.find(">" + HostileEscaped + "</div>") != std::string::npos);
            for (const char* price : {"€1,249.50", "€12.00", "€24.00", "€1,273.50"})
                BOOST_TEST(html.find(price) != std::string::npos, price);
            BOOST_TEST(occurrences(html, "<picture>") == 2u);
            BOOST_TEST(occurrences(html, "<source media=") == 6u); // three viewports per image
        }
        if (person.cart == Alan.cart)
        {
            BOOST_TEST(html.find("<html lang=\"fr\">") != std::string::npos);
            BOOST_TEST(html.find("€12.00") != std::string::npos);
        }
    }
}

std::string subjectFor(const Person& person)
{
    if (person.language.starts_with("fr"))
        return person.first + ", votre panier vous attend";
    return person.first + ", your cart is waiting for you";
}

struct FileState
{
    ino_t inode = 0;
    mode_t mode = 0;
    std::string content;
    bool operator==(const FileState&) const = default;
};

/// Every file of a folder, hidden ones included, with its inode: a file written again (a
/// temporary file renamed over it) has a new one.
std::map<std::string, FileState> snapshot(const std::string& dir)
{
    std::map<std::string, FileState> files;
    for (Poco::DirectoryIterator it(dir), end; it != end; ++it)
    {
        struct stat info
        {};
        BOOST_REQUIRE(::stat(it.path().toString().c_str(), &info) == 0);
        files[it.name()] = {info.st_ino, info.st_mode, readText(it.path().toString())};
    }
    return files;
}

} // namespace

BOOST_AUTO_TEST_CASE(outbox_writes_one_escaped_message_and_page_per_reminder_once)
{
    TempDir work;
    const std::string outbox = work.file("outbox"); // made by the daemon
    Store store({{"notify.provider", "outbox"}, {"outbox.dir", outbox}});
    const RunResult first = store.once();
    REQUIRE_SUCCESS(first);
    BOOST_TEST(first.err.find("3 sent") != std::string::npos, first.err);

    const auto ledger = store.ledger();
    BOOST_REQUIRE_EQUAL(ledger.size(), 3u);
    std::set<std::string> expected;
    for (const Person& person : Everyone)
    {
        const Notification& row = ledger.at(person.cart);
        BOOST_TEST(row.status == "sent", person.cart);
        BOOST_TEST(row.provider == "outbox", person.cart);
        BOOST_TEST(row.triggerId.starts_with("acd-"), row.triggerId);
        expected.insert(row.triggerId + ".eml");
        expected.insert(row.triggerId + ".html");
    }
    const auto files = snapshot(outbox);
    std::set<std::string> names;
    for (const auto& [name, state] : files)
    {
        names.insert(name);
        BOOST_TEST((state.mode & 077) == 0u, name << " is readable by others"); // names and addresses
    }
    BOOST_TEST(names == expected); // no temporary file left, nothing else

    for (const Person& person : Everyone)
    {
        const std::string trigger = ledger.at(person.cart).triggerId;
        const auto [text, html] =
            checkMessage(files.at(trigger + ".eml").content, person, trigger, subjectFor(person));
        BOOST_TEST(files.at(trigger + ".html").content == html); // the browser copy is the HTML part
        checkHtml(html, person);
        if (person.cart == Zoe.cart)
        {
            // Plain text is not HTML: the names stay as they are.
            BOOST_TEST(text.find("Hello " + Zoe.first + ",") != std::string::npos, text);
            BOOST_TEST(text.find("* " + HostileName + "\n") != std::string::npos, text);
            BOOST_TEST(text.find("https://shop.example.com/cart?id=cart-zoe&c=C1") != std::string::npos);
        }
    }

    // A second cycle finds nothing new and writes nothing.
    const RunResult second = store.once();
    REQUIRE_SUCCESS(second);
    BOOST_TEST((snapshot(outbox) == files));
    BOOST_TEST(store.ledger().size() == 3u);

    // Even a lost ledger (a fresh one finds the same carts again, under the same trigger_ids)
    // does not write a reminder twice.
    store.reconfigure({{"notify.provider", "outbox"},
                       {"outbox.dir", outbox},
                       {"ledger.path", store.dir.file("restored.sqlite")}});
    const RunResult restored = store.once();
    REQUIRE_SUCCESS(restored);
    BOOST_TEST(restored.err.find("3 sent") != std::string::npos, restored.err);
    BOOST_TEST((snapshot(outbox) == files));
}

BOOST_AUTO_TEST_CASE(smtp_sends_the_batch_over_one_authenticated_connection)
{
    TempDir mail;
    const std::string mailDir = mail.file("mail");
    PythonServer server(
        sourcePath("tests/integration/smtp_server.py"),
        {"--dir=" + mailDir, "--auth=" + SmtpUser + ":" + SmtpPassword, "--reject=" + Grace.email});
    Store store({{"notify.provider", "smtp"},
                 {"smtp.host", "127.0.0.1"},
                 {"smtp.port", std::to_string(server.port())},
                 {"smtp.tls", "none"},
                 {"smtp.userSecretName", "smtp-user"},
                 {"smtp.passwordSecretName", "smtp-password"}});
    const std::map<std::string, std::string> secrets{{"ACD_SECRET_SMTP_USER", SmtpUser},
                                                     {"ACD_SECRET_SMTP_PASSWORD", SmtpPassword}};
    const RunResult run = store.once(secrets);
    BOOST_TEST_INFO("smtp_server.py: " << server.log());
    REQUIRE_SUCCESS(run); // a refused recipient does not fail the cycle

    auto events = [&] {
        std::vector<std::string> lines;
        std::istringstream in(Poco::File(mailDir + "/events.log").exists() ? readText(mailDir + "/events.log")
                                                                           : "");
        for (std::string line; std::getline(in, line);)
            lines.push_back(line);
        return lines;
    };
    const std::vector<std::string> log = events();
    BOOST_TEST_INFO("events.log:\n" << Poco::cat(std::string("\n"), log.begin(), log.end()));
    auto count = [&](const std::string& prefix) {
        return std::count_if(log.begin(), log.end(),
                             [&](const std::string& l) { return l.starts_with(prefix); });
    };
    BOOST_TEST(count("connect") == 1);
    BOOST_TEST(count("auth ") == 1);
    BOOST_TEST((count("auth PLAIN ok") + count("auth LOGIN ok")) == 1);
    BOOST_TEST(count("rcpt-rejected " + Grace.email) == 1);
    BOOST_TEST(count("accepted ") == 2);

    const auto ledger = store.ledger();
    BOOST_REQUIRE_EQUAL(ledger.size(), 3u);
    for (const Person* person : {&Zoe, &Alan})
    {
        BOOST_TEST(ledger.at(person->cart).status == "sent", person->cart);
        BOOST_TEST(ledger.at(person->cart).provider == "smtp", person->cart);
    }
    const Notification& refused = ledger.at(Grace.cart);
    BOOST_TEST(refused.status == "failed");
    BOOST_TEST(refused.provider == "smtp");
    BOOST_TEST(refused.reason.find("550") != std::string::npos, refused.reason);
    BOOST_TEST(refused.reason.find(Grace.email) == std::string::npos, refused.reason); // no address kept

    // Each accepted message: its envelope, and the same message the outbox would hold.
    std::set<std::string> recipients;
    for (int number : {1, 2})
    {
        const std::string base = mailDir + "/000" + std::to_string(number);
        BOOST_REQUIRE(Poco::File(base + ".eml").exists());
        const Object::Ptr envelope = parseObject(readText(base + ".json"));
        BOOST_TEST(envelope->getValue<std::string>("from") == "shop@contoso.example");
        const Array::Ptr to = envelope->getArray("to");
        BOOST_REQUIRE_EQUAL(to->size(), 1u);
        const std::string recipient = to->getElement<std::string>(0);
        recipients.insert(recipient);
        const Person& person = recipient == Zoe.email ? Zoe : Alan;
        BOOST_REQUIRE(recipient == person.email);
        const std::string trigger = ledger.at(person.cart).triggerId;
        const auto [text, html] = checkMessage(readText(base + ".eml"), person, trigger, subjectFor(person));
        checkHtml(html, person);
    }
    BOOST_TEST((recipients == std::set<std::string>{Zoe.email, Alan.email}));

    // The password is nowhere but on the wire.
    BOOST_TEST(run.out.find(SmtpPassword) == std::string::npos);
    BOOST_TEST(run.err.find(SmtpPassword) == std::string::npos);
    BOOST_TEST(store.ledgerBytes().find(SmtpPassword) == std::string::npos);

    // Nothing is sent twice, and the refusal is final: the next cycle sends nothing.
    const RunResult again = store.once(secrets);
    REQUIRE_SUCCESS(again);
    const std::vector<std::string> after = events();
    BOOST_TEST(std::count_if(after.begin(), after.end(), [](const std::string& l) {
                   return l.starts_with("accepted ") || l.starts_with("rcpt-rejected ");
               }) == 3);
    BOOST_TEST(!Poco::File(mailDir + "/0003.eml").exists());
    BOOST_TEST(store.ledger().at(Grace.cart).status == "failed");
    BOOST_TEST(again.out.find(SmtpPassword) == std::string::npos);
    BOOST_TEST(again.err.find(SmtpPassword) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(smtp_refusing_the_credentials_sends_nothing_and_keeps_the_reminders)
{
    TempDir mail;
    PythonServer server(sourcePath("tests/integration/smtp_server.py"),
                        {"--dir=" + mail.file("mail"), "--auth=" + SmtpUser + ":" + SmtpPassword});
    Store store({{"notify.provider", "smtp"},
                 {"smtp.host", "127.0.0.1"},
                 {"smtp.port", std::to_string(server.port())},
                 {"smtp.tls", "none"},
                 {"smtp.userSecretName", "smtp-user"},
                 {"smtp.passwordSecretName", "smtp-password"}});
    const std::string wrong = "wr0ng-Pa55word-99213";
    const RunResult run =
        store.once({{"ACD_SECRET_SMTP_USER", SmtpUser}, {"ACD_SECRET_SMTP_PASSWORD", wrong}});
    BOOST_TEST_INFO("stdout: " << run.out << "\nstderr: " << run.err);
    BOOST_TEST(run.exitCode == 75); // the cycle could not complete
    BOOST_TEST(run.err.find("refused the credentials") != std::string::npos);
    // The summary counts what is left to send, though no batch got a result of its own.
    BOOST_TEST(run.err.find(" 0 sent, 0 refused, 3 pending") != std::string::npos, run.err);
    BOOST_TEST(!Poco::File(mail.file("mail") + "/0001.eml").exists());
    for (const auto& [cart, row] : store.ledger())
        BOOST_TEST(row.status == "pending", cart); // for the next cycle, once the password is right
    for (const std::string& secret : {wrong, SmtpPassword})
    {
        BOOST_TEST(run.out.find(secret) == std::string::npos);
        BOOST_TEST(run.err.find(secret) == std::string::npos);
        BOOST_TEST(store.ledgerBytes().find(secret) == std::string::npos);
    }

    // With the right password the next cycle sends what waited.
    const RunResult fixed =
        store.once({{"ACD_SECRET_SMTP_USER", SmtpUser}, {"ACD_SECRET_SMTP_PASSWORD", SmtpPassword}});
    REQUIRE_SUCCESS(fixed);
    for (const auto& [cart, row] : store.ledger())
        BOOST_TEST(row.status == "sent", cart);
    BOOST_TEST(Poco::File(mail.file("mail") + "/0003.eml").exists());
}
