#pragma once

#include "notify/EmailProvider.h"

#include <boost/test/unit_test.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace acd::test {

/// A DeliveryJournal that keeps what a provider reported, in order, and holds the provider to
/// the journal's rules: every reminder answered exactly once, and none answered sent or
/// uncertain without having been reported sending before.
class RecordingJournal : public DeliveryJournal
{
public:
    struct Event
    {
        bool sending = false; // else an answer
        std::vector<std::int64_t> ids;
    };

    void sending(const std::vector<std::int64_t>& ids) override
    {
        events.push_back({true, ids});
        inFlight.insert(ids.begin(), ids.end());
    }

    void answered(const std::vector<DeliveryResult>& results) override
    {
        Event event;
        for (const DeliveryResult& result : results)
        {
            event.ids.push_back(result.notificationId);
            const bool handedOver =
                result.status == DeliveryStatus::Sent || result.status == DeliveryStatus::Uncertain;
            if (handedOver && !inFlight.contains(result.notificationId))
                violations.push_back("notification " + std::to_string(result.notificationId) +
                                     " answered as handed over without being reported sending first");
            if (!answers.emplace(result.notificationId, result).second)
                violations.push_back("notification " + std::to_string(result.notificationId) +
                                     " answered twice");
            inFlight.erase(result.notificationId);
        }
        events.push_back(std::move(event));
    }

    /// The answers in the order of `reminders`; a reminder without one fails the test.
    std::vector<DeliveryResult> resultsFor(const std::vector<Reminder>& reminders) const
    {
        std::vector<DeliveryResult> results;
        for (const Reminder& reminder : reminders)
        {
            const auto answer = answers.find(reminder.notificationId);
            BOOST_TEST_REQUIRE((answer != answers.end()),
                               "notification " << reminder.notificationId << " got no answer");
            results.push_back(answer->second);
        }
        return results;
    }

    /// How many sending() calls were made: one per request (or round of requests).
    std::size_t sendingCalls() const
    {
        std::size_t count = 0;
        for (const Event& event : events)
            count += event.sending ? 1 : 0;
        return count;
    }

    std::vector<Event> events;
    std::map<std::int64_t, DeliveryResult> answers;
    std::set<std::int64_t> inFlight; // reported sending, not answered yet
    std::vector<std::string> violations;
};

/// Runs deliver() with a RecordingJournal and returns the results in the order of the
/// reminders, after checking the journal's rules. An exception from deliver() propagates.
template <typename Provider>
std::vector<DeliveryResult> deliverAll(Provider&& provider, const std::vector<Reminder>& reminders,
                                       Timestamp deadline, RecordingJournal& journal)
{
    provider.deliver(reminders, deadline, journal);
    BOOST_TEST(journal.violations.empty(), (journal.violations.empty() ? "" : journal.violations.front()));
    BOOST_TEST(journal.inFlight.empty(), "a reminder reported sending got no answer");
    return journal.resultsFor(reminders);
}

template <typename Provider>
std::vector<DeliveryResult> deliverAll(Provider&& provider, const std::vector<Reminder>& reminders,
                                       Timestamp deadline)
{
    RecordingJournal journal;
    return deliverAll(provider, reminders, deadline, journal);
}

} // namespace acd::test
