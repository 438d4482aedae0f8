#pragma once

#include "ledger/DeliveryStore.h"
#include "notify/EmailProvider.h"

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace acd {

/// What a journal recorded, or has kept for recording.
struct JournalCounts
{
    std::int64_t sent = 0;
    std::int64_t failed = 0;
    std::int64_t uncertain = 0;
    /// Reminders the provider did not take this time (they stay pending), by what it said: the
    /// cycle names each reason once, so that a provider that answers nonsense is seen.
    std::map<std::string, std::int64_t> deferred;
};

/// The DeliveryJournal of DESIGN §11 for a provider that cannot tell a repeat (SMTP): each
/// request's row of deliveries_in_flight is written before it leaves, and its answers the moment
/// they come, from the thread that runs deliver(), on a connection of its own (the ledger's
/// second). A process killed at any moment leaves at most the request on its way unrecorded:
/// for SMTP, one message. One deliver() at a time reports to it.
class ImmediateJournal : public DeliveryJournal
{
public:
    ImmediateJournal(DeliveryStore& store, const EmailProvider& provider);

    void sending(const std::vector<std::int64_t>& notificationIds) override;
    void answered(const std::vector<DeliveryResult>& results) override;

    /// After deliver() returned or threw: the reminders it reported sending without an answer
    /// get what a crash would give them (uncertain), `why` saying what happened.
    void settleUnanswered(const std::string& why);

    /// What was written since the last call.
    JournalCounts takeCounts();

private:
    /// One reminder of that in-flight row is answered (or sent again under another).
    void release(std::int64_t request);

    DeliveryStore& _store;
    std::string _provider;
    bool _dropsRepeats;
    std::unordered_map<std::int64_t, std::int64_t> _requestOf; // reported sending, not answered yet
    std::unordered_map<std::int64_t, std::size_t>
        _unanswered;                             // per in-flight row, its reminders not answered
    std::vector<std::int64_t> _answeredRequests; // rows to remove with the next answers
    JournalCounts _counts;
};

/// The DeliveryJournal of DESIGN §11 for a provider that drops repeats (Emarsys, the outbox):
/// the cycle marks the whole group in deliveries_in_flight before handing it over, and records
/// its answers when the group is back, while the next group is on its way; a process killed
/// before that only sends the group again, under the same trigger ids. Here the provider's
/// reports are checked and its answers kept until then.
class GroupJournal : public DeliveryJournal
{
public:
    explicit GroupJournal(const EmailProvider& provider);

    /// A new group: `notificationIds` were marked together in the row `request`.
    void begin(std::int64_t request, const std::vector<std::int64_t>& notificationIds);

    void sending(const std::vector<std::int64_t>& notificationIds) override;
    void answered(const std::vector<DeliveryResult>& results) override;

    /// The group's answers, to record with the removal of its row; those it reported sending
    /// and never answered are deferred with `why`. Resets for the next group.
    std::vector<DeliveryOutcome> takeOutcomes(const std::string& why, JournalCounts& counts);
    std::int64_t request() const { return _request; }

private:
    std::string _provider;
    std::int64_t _request = 0;
    std::unordered_set<std::int64_t> _group;    // marked with the group
    std::unordered_set<std::int64_t> _reported; // reported sending by the provider, not answered yet
    std::vector<DeliveryOutcome> _outcomes;
};

} // namespace acd
