#define BOOST_TEST_MODULE ledger journal
#include <boost/test/unit_test.hpp>

// The journals a provider reports through (DESIGN §11), on a real ledger: what they record at
// each step, and how they hold a provider to the rule that a reminder answered as handed over
// was reported sending first.

#include "Harness.h" // TempDir
#include "cycle/LedgerJournal.h"
#include "ledger/LedgerStore.h"

#include <memory>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

using namespace acd;

namespace {

class NamedProvider : public EmailProvider
{
public:
    NamedProvider(std::string name, Idempotency idempotency)
        : _name(std::move(name)), _idempotency(idempotency)
    {}
    std::string name() const override { return _name; }
    Idempotency idempotency() const override { return _idempotency; }
    void deliver(const std::vector<Reminder>&, Timestamp, DeliveryJournal&) override {}
    void forget(const std::string&) override {}

private:
    std::string _name;
    Idempotency _idempotency;
};

struct Fixture
{
    Fixture() : ledger(dir.file("ledger.db"))
    {
        ledger.setHashKey(std::string(64, 'k'));
        const Timestamp t = Timestamp::now();
        const std::int64_t cycle = ledger.cycles().begin("128", t, t);
        std::vector<QueuedReminder> reminders;
        for (const char* cart : {"a", "b", "c"})
            reminders.push_back({cart, "2026-11-25T10:00:00.0000000Z", std::string("C") + cart,
                                 std::string("acd-") + cart, std::string(cart) + "@example.com", "{}"});
        ledger.deliveries().queueReminders(cycle, "128", reminders, {});
        for (const OutboxItem& item : ledger.deliveries().pendingOutbox(0, 10))
            ids.push_back(item.notificationId);
    }

    std::int64_t inFlight()
    {
        return ledger.database().execAndGet("SELECT count(*) FROM deliveries_in_flight").getInt64();
    }

    std::string statuses()
    {
        return ledger.database()
            .execAndGet(
                "SELECT group_concat(status, ' ') FROM (SELECT status FROM notifications ORDER BY id)")
            .getString();
    }

    test::TempDir dir;
    LedgerStore ledger;
    std::vector<std::int64_t> ids;
};

} // namespace

BOOST_FIXTURE_TEST_CASE(each_step_is_written_when_it_happens_and_counted, Fixture)
{
    NamedProvider smtp("smtp", Idempotency::None);
    ImmediateJournal journal(ledger.deliveries(), smtp);
    journal.sending({ids[0]});
    BOOST_TEST(inFlight() == 1);
    journal.answered({{ids[0], DeliveryStatus::Sent, ""}});
    BOOST_TEST(inFlight() == 0);
    journal.sending({ids[1]});
    journal.answered({{ids[1], DeliveryStatus::Rejected, "550 no such user"}});
    journal.answered({{ids[2], DeliveryStatus::Retry, "deadline reached before it was sent"}});
    BOOST_TEST(statuses() == "sent failed pending");
    const JournalCounts counts = journal.takeCounts();
    BOOST_TEST(counts.sent == 1);
    BOOST_TEST(counts.failed == 1);
    BOOST_TEST(counts.uncertain == 0);
    BOOST_TEST(journal.takeCounts().sent == 0); // taken once
}

BOOST_FIXTURE_TEST_CASE(a_reminder_answered_sent_without_being_reported_sending_is_a_defect, Fixture)
{
    NamedProvider careless("careless", Idempotency::None);
    ImmediateJournal journal(ledger.deliveries(), careless);
    const auto namesTheDefect = [&](const std::logic_error& e) {
        return std::string(e.what()).find("careless") != std::string::npos &&
               std::string(e.what()).find(std::to_string(ids[0])) != std::string::npos;
    };
    BOOST_CHECK_EXCEPTION(journal.answered({{ids[0], DeliveryStatus::Sent, ""}}), std::logic_error,
                          namesTheDefect);
    BOOST_CHECK_THROW(journal.answered({{ids[1], DeliveryStatus::Uncertain, "lost"}}), std::logic_error);

    NamedProvider grouped("grouped", Idempotency::DropsRepeats);
    GroupJournal group(grouped);
    group.begin(ledger.deliveries().markSending({ids[0]}, "grouped"), {ids[0]});
    BOOST_CHECK_THROW(group.answered({{ids[0], DeliveryStatus::Sent, ""}}), std::logic_error);
    BOOST_CHECK_THROW(group.sending({ids[1]}), std::logic_error); // not given to it
    BOOST_TEST(statuses() == "pending pending pending");
}

BOOST_FIXTURE_TEST_CASE(what_a_provider_left_unanswered_is_uncertain_unless_it_drops_repeats, Fixture)
{
    NamedProvider smtp("smtp", Idempotency::None);
    ImmediateJournal journal(ledger.deliveries(), smtp);
    journal.sending({ids[0]});
    journal.settleUnanswered("no answer recorded: connection reset");
    BOOST_TEST(statuses() == "uncertain pending pending");
    BOOST_TEST(journal.takeCounts().uncertain == 1);
    BOOST_TEST(inFlight() == 0);

    NamedProvider emarsys("emarsys", Idempotency::DropsRepeats);
    GroupJournal group(emarsys);
    group.begin(ledger.deliveries().markSending({ids[1], ids[2]}, "emarsys"), {ids[1], ids[2]});
    group.sending({ids[1], ids[2]});
    group.answered({{ids[1], DeliveryStatus::Uncertain, "reply lost"}}); // sent again, safely
    JournalCounts counts;
    const std::vector<DeliveryOutcome> outcomes = group.takeOutcomes("no answer recorded", counts);
    BOOST_REQUIRE(outcomes.size() == 2u);
    BOOST_TEST((outcomes[0].state == DeliveryState::Deferred));
    BOOST_TEST((outcomes[1].state == DeliveryState::Deferred));
    BOOST_TEST(outcomes[1].detail == "no answer recorded");
    BOOST_TEST(counts.uncertain == 0);
}

BOOST_FIXTURE_TEST_CASE(a_retried_request_gets_a_row_of_its_own_and_rows_go_once_answered, Fixture)
{
    NamedProvider smtp("smtp", Idempotency::None);
    ImmediateJournal journal(ledger.deliveries(), smtp);
    journal.sending({ids[0], ids[1], ids[2]});
    journal.answered({{ids[0], DeliveryStatus::Sent, ""}});
    BOOST_TEST(inFlight() == 1);
    journal.sending({ids[1]}); // a retry: a row of its own
    BOOST_TEST(inFlight() == 2);
    journal.answered({{ids[2], DeliveryStatus::Sent, ""}});
    BOOST_TEST(inFlight() == 1); // the first row names nothing unanswered any more
    journal.answered({{ids[1], DeliveryStatus::Sent, ""}});
    BOOST_TEST(inFlight() == 0);
    BOOST_TEST(statuses() == "sent sent sent");
}

BOOST_FIXTURE_TEST_CASE(a_group_answered_is_recorded_with_the_removal_of_its_row, Fixture)
{
    NamedProvider emarsys("emarsys", Idempotency::DropsRepeats);
    GroupJournal group(emarsys);
    const std::int64_t request = ledger.deliveries().markSending({ids[0], ids[1], ids[2]}, "emarsys");
    group.begin(request, {ids[0], ids[1], ids[2]});
    group.sending({ids[0], ids[1]});
    group.answered({{ids[0], DeliveryStatus::Sent, ""}, {ids[1], DeliveryStatus::Rejected, "2008"}});
    group.answered({{ids[2], DeliveryStatus::Retry, "deadline reached before it was sent"}});
    BOOST_TEST(statuses() == "pending pending pending"); // kept until the cycle records them
    JournalCounts counts;
    ledger.deliveries().recordDeliveries(group.takeOutcomes("", counts), {group.request()});
    BOOST_TEST(statuses() == "sent failed pending");
    BOOST_TEST(inFlight() == 0);
    BOOST_TEST(counts.sent == 1);
    BOOST_TEST(counts.failed == 1);
}
