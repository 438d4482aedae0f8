#define BOOST_TEST_MODULE OutboxProvider
#include <boost/test/unit_test.hpp>

#include "RecordingJournal.h"
#include "ReminderData.h"

#include "notify/MimeMessage.h"
#include "notify/OutboxProvider.h"
#include "platform/Files.h"

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/Net/MessageHeader.h>
#include <Poco/StreamCopier.h>
#include <Poco/TemporaryFile.h>

#include <set>

using namespace acd;
using namespace acd::test;

namespace {

const Timestamp Later = Timestamp::now().plusSeconds(3600);

struct Fixture
{
    Poco::TemporaryFile root;
    std::string dir = root.path() + "/outbox";

    OutboxProvider provider(const std::string& from = "") const
    {
        OutboxOptions options;
        options.dir = dir;
        if (!from.empty())
            options.from = from;
        options.rendering = {templatesDir(), "https://shop.example.com/unsub?e={email}", {}};
        return OutboxProvider(options);
    }

    std::set<std::string> files() const
    {
        std::set<std::string> names;
        for (Poco::DirectoryIterator it(dir), end; it != end; ++it)
            names.insert(it.name());
        return names;
    }

    std::string read(const std::string& name) const
    {
        Poco::FileInputStream in(dir + "/" + name);
        std::string text;
        Poco::StreamCopier::copyToString(in, text);
        return text;
    }
};

Reminder reminder(std::int64_t id, const std::string& trigger, const std::string& email,
                  const std::string& first = "Ada")
{
    return {id, trigger, email,
            reminderData(first, "Lovelace", "en", "EUR", {{"Wool Socks", "2", "6", "", ""}})};
}

} // namespace

BOOST_FIXTURE_TEST_CASE(each_reminder_becomes_an_eml_and_an_html_file, Fixture)
{
    auto outbox = provider();
    const auto results = test::deliverAll(
        outbox, {reminder(1, "acd-aaa", "ada@example.com"), reminder(2, "acd-bbb", "bob@example.com", "Bob")},
        Later);
    BOOST_REQUIRE(results.size() == 2u);
    for (const DeliveryResult& r : results)
        BOOST_TEST((r.status == DeliveryStatus::Sent));
    BOOST_TEST(results[1].notificationId == 2);
    const std::set<std::string> expected{"acd-aaa.eml", "acd-aaa.html", "acd-bbb.eml", "acd-bbb.html"};
    BOOST_TEST(files() == expected, boost::test_tools::per_element());

    const std::string eml = read("acd-aaa.eml");
    std::istringstream in(eml);
    Poco::Net::MessageHeader header;
    header.read(in);
    BOOST_TEST(header.get("Message-ID") == "<acd-aaa@abandoned-cartd>");
    BOOST_TEST(header.get("From") == "abandoned-cartd@localhost");
    BOOST_TEST(header.get("To") == "Ada Lovelace <ada@example.com>");
    BOOST_TEST(header.get("Subject") == "Ada, your cart is waiting for you");
    BOOST_TEST(header.get("List-Unsubscribe") == "<https://shop.example.com/unsub?e=ada%40example.com>");
    const std::string html = read("acd-aaa.html");
    BOOST_TEST(html.starts_with("<!DOCTYPE html>"));
    BOOST_TEST(html.find("Wool Socks") != std::string::npos);
    BOOST_TEST(html.find("€12.00") != std::string::npos);
    // Personal data: readable by the owner only.
    BOOST_TEST(isOwnerOnly(dir + "/acd-aaa.eml"));
    BOOST_TEST(isOwnerOnly(dir + "/acd-aaa.html"));
}

BOOST_FIXTURE_TEST_CASE(a_trigger_id_already_written_is_sent_without_writing_it_again, Fixture)
{
    auto outbox = provider("Contoso <shop@example.com>");
    test::deliverAll(outbox, {reminder(1, "acd-aaa", "ada@example.com")}, Later);
    const std::string first = read("acd-aaa.eml"); // its MIME boundary is random: a rewrite would differ
    BOOST_TEST(first.find("From: Contoso <shop@example.com>") != std::string::npos);

    const auto again =
        test::deliverAll(provider(), {reminder(1, "acd-aaa", "ada@example.com", "Changed")}, Later);
    BOOST_TEST((again[0].status == DeliveryStatus::Sent));
    BOOST_TEST(again[0].detail.find("already in the outbox") != std::string::npos);
    BOOST_TEST(read("acd-aaa.eml") == first);

    // The browser copy alone is written again when it went missing; the message is not.
    Poco::File(dir + "/acd-aaa.html").remove();
    test::deliverAll(provider(), {reminder(1, "acd-aaa", "ada@example.com")}, Later);
    BOOST_TEST(read("acd-aaa.eml") == first);
    BOOST_TEST(Poco::File(dir + "/acd-aaa.html").exists());
    const std::set<std::string> expected{"acd-aaa.eml", "acd-aaa.html"}; // no temporary file left
    BOOST_TEST(files() == expected, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(a_file_that_cannot_be_written_is_retried_and_completed_the_next_time, Fixture)
{
    auto outbox = provider();
    Poco::File(dir + "/acd-aaa.html/in-the-way").createDirectories(); // the .html cannot take its name
    const auto failed = test::deliverAll(outbox, {reminder(1, "acd-aaa", "ada@example.com")}, Later);
    BOOST_TEST((failed[0].status == DeliveryStatus::Retry));
    BOOST_TEST(failed[0].detail.find("cannot write " + dir + "/acd-aaa.html") != std::string::npos,
               failed[0].detail);
    const std::string eml = read("acd-aaa.eml");
    const std::set<std::string> halfway{"acd-aaa.eml", "acd-aaa.html"}; // no temporary file left
    BOOST_TEST(files() == halfway, boost::test_tools::per_element());

    // Every .eml gets its .html: the retry writes the browser copy, not the message again.
    Poco::File(dir + "/acd-aaa.html").remove(true);
    const auto retried = test::deliverAll(outbox, {reminder(1, "acd-aaa", "ada@example.com")}, Later);
    BOOST_TEST((retried[0].status == DeliveryStatus::Sent));
    BOOST_TEST(read("acd-aaa.eml") == eml);
    BOOST_TEST(read("acd-aaa.html").starts_with("<!DOCTYPE html>"));
    BOOST_TEST(isOwnerOnly(dir + "/acd-aaa.html"));
    BOOST_TEST(files() == halfway, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(bad_reminders_are_refused_with_a_reason_and_the_others_written, Fixture)
{
    auto outbox = provider();
    const auto results = test::deliverAll(
        outbox,
        {{1, "../escape", "a@example.com", reminderData("A", "", "en", "USD", {})},
         {2, "acd-ok2", "b@example.com", "{not json"},
         {3, "acd-ok3", "c@example.com\r\nBcc: x@y.z", reminderData("C", "", "en", "USD", {})},
         reminder(4, "acd-ok4", "d@example.com")},
        Later);
    BOOST_TEST((results[0].status == DeliveryStatus::Rejected));
    BOOST_TEST(results[0].detail.find("file name") != std::string::npos);
    BOOST_TEST((results[1].status == DeliveryStatus::Rejected));
    BOOST_TEST(results[1].detail.find("not valid JSON") != std::string::npos);
    BOOST_TEST((results[2].status == DeliveryStatus::Rejected));
    BOOST_TEST(results[2].detail.find("recipient address") != std::string::npos);
    BOOST_TEST((results[3].status == DeliveryStatus::Sent));
    const std::set<std::string> expected{"acd-ok4.eml", "acd-ok4.html"};
    BOOST_TEST(files() == expected, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(past_the_deadline_reminders_stay_pending, Fixture)
{
    auto outbox = provider();
    const auto results = test::deliverAll(outbox, {reminder(1, "acd-aaa", "ada@example.com")},
                                          Timestamp::now().plusSeconds(-1));
    BOOST_TEST((results[0].status == DeliveryStatus::Retry));
    BOOST_TEST(files().empty());
}

BOOST_FIXTURE_TEST_CASE(forget_deletes_the_files_of_that_address_only, Fixture)
{
    auto outbox = provider();
    test::deliverAll(outbox,
                     {reminder(1, "acd-a1", "ada@example.com"), reminder(2, "acd-a2", "ada@example.com"),
                      reminder(3, "acd-b1", "bob@example.com", "Zoë \"<x>\"")},
                     Later);
    outbox.forget("  ADA@example.com ");
    const std::set<std::string> expected{"acd-b1.eml", "acd-b1.html"};
    BOOST_TEST(files() == expected, boost::test_tools::per_element());
    outbox.forget("bob@example.com");
    BOOST_TEST(files().empty());
    outbox.forget("nobody@example.com"); // nothing of that address: nothing to do, no error
    BOOST_TEST(files().empty());
}

BOOST_FIXTURE_TEST_CASE(expire_deletes_the_files_written_before_the_cutoff_only, Fixture)
{
    auto outbox = provider();
    test::deliverAll(outbox,
                     {reminder(1, "acd-old", "ada@example.com"), reminder(2, "acd-new", "bob@example.com")},
                     Later);
    const Poco::Timestamp fortyDaysAgo = Poco::Timestamp() - Poco::Timespan(40, 0, 0, 0, 0);
    for (const char* name : {"acd-old.eml", "acd-old.html"})
        Poco::File(dir + "/" + std::string(name)).setLastModified(fortyDaysAgo);
    outbox.expire(Timestamp::now().plusSeconds(-30 * 86400));
    const std::set<std::string> expected{"acd-new.eml", "acd-new.html"};
    BOOST_TEST(files() == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_unusable_folder_is_named_at_construction)
{
    Poco::TemporaryFile file;
    Poco::FileOutputStream(file.path()) << "x";
    OutboxOptions options;
    options.dir = file.path() + "/outbox";
    options.rendering = {templatesDir(), "", {}};
    try
    {
        OutboxProvider outbox(options);
        BOOST_FAIL("expected an error");
    }
    catch (const std::invalid_argument& e)
    {
        BOOST_TEST(std::string(e.what()).find(options.dir) != std::string::npos);
    }
}
