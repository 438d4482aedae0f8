#define BOOST_TEST_MODULE ledger journal
#include <boost/test/unit_test.hpp>

// The journal a provider reports through (DESIGN §11), on a real ledger: what it records at
// each step, and how it holds a provider to the rule that a reminder answered as handed over
// was reported sending first.

#include "Harness.h" // TempDir
#include "cycle/LedgerJournal.h"
#include "ledger/LedgerStore.h"

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
        const std::int64_t cycle = ledger.beginCycle("128", t, t);
        std::vector<QueuedReminder> reminders;
        for (const char* cart : {"a", "b", "c"})
            reminders.push_back({cart, "2026-11-25T10:00:00.0000000Z", std::string("C") + cart,
                                 std::string("acd-") + cart, std::string(cart) + "@example.com", "{}"});
        ledger.queueReminders(cycle, "128", reminders, {});
        for (const OutboxItem& item : ledger.deliveries().pendingOutbox(0, 10))
            ids.push_back(item.notificationId);
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

BOOST_FIXTURE_TEST_CASE(each_step_is_recorded_when_it_happens_and_counted, Fixture)
{
    NamedProvider smtp("smtp", Idempotency::None);
    LedgerJournal journal(ledger.deliveries(), smtp);
    journal.sending({ids[0]});
    BOOST_TEST(statuses() == "sending pending pending");
    journal.answered({{ids[0], DeliveryStatus::Sent, ""}});
    journal.sending({ids[1]});
    journal.answered({{ids[1], DeliveryStatus::Rejected, "550 no such user"}});
    journal.answered({{ids[2], DeliveryStatus::Retry, "deadline reached before it was sent"}});
    BOOST_TEST(statuses() == "sent failed pending");
    const LedgerJournal::Counts counts = journal.takeCounts();
    BOOST_TEST(counts.sent == 1);
    BOOST_TEST(counts.failed == 1);
    BOOST_TEST(counts.uncertain == 0);
    BOOST_TEST(journal.takeCounts().sent == 0); // taken once
}

BOOST_FIXTURE_TEST_CASE(a_reminder_answered_sent_without_being_reported_sending_is_a_defect, Fixture)
{
    NamedProvider careless("careless", Idempotency::None);
    LedgerJournal journal(ledger.deliveries(), careless);
    const auto namesTheDefect = [&](const std::logic_error& e) {
        return std::string(e.what()).find("careless") != std::string::npos &&
               std::string(e.what()).find(std::to_string(ids[0])) != std::string::npos;
    };
    BOOST_CHECK_EXCEPTION(journal.answered({{ids[0], DeliveryStatus::Sent, ""}}), std::logic_error,
                          namesTheDefect);
    BOOST_CHECK_THROW(journal.answered({{ids[1], DeliveryStatus::Uncertain, "lost"}}), std::logic_error);
    BOOST_TEST(statuses() == "pending pending pending");
}

BOOST_FIXTURE_TEST_CASE(what_a_provider_left_unanswered_is_uncertain_unless_it_drops_repeats, Fixture)
{
    NamedProvider smtp("smtp", Idempotency::None);
    LedgerJournal smtpJournal(ledger.deliveries(), smtp);
    smtpJournal.sending({ids[0]});
    smtpJournal.settleUnanswered("no answer recorded: connection reset");
    BOOST_TEST(statuses() == "uncertain pending pending");
    BOOST_TEST(smtpJournal.takeCounts().uncertain == 1);

    NamedProvider emarsys("emarsys", Idempotency::DropsRepeats);
    LedgerJournal emarsysJournal(ledger.deliveries(), emarsys);
    emarsysJournal.sending({ids[1]});
    emarsysJournal.answered({{ids[1], DeliveryStatus::Uncertain, "reply lost"}}); // sent again, safely
    emarsysJournal.sending({ids[2]});
    emarsysJournal.settleUnanswered("no answer recorded");
    BOOST_TEST(statuses() == "uncertain pending pending");
    BOOST_TEST(emarsysJournal.takeCounts().uncertain == 0);
}
