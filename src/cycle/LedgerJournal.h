#pragma once

#include "ledger/DeliveryStore.h"
#include "notify/EmailProvider.h"

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

namespace acd {

/// The DeliveryJournal of DESIGN §11, written to the ledger as the provider goes: `sending`
/// before each request, the answer as soon as it comes. It works on a connection of its own,
/// from the thread that runs deliver(), while the cycle's thread goes on writing on another.
/// One deliver() at a time.
class LedgerJournal : public DeliveryJournal
{
public:
    struct Counts
    {
        std::int64_t sent = 0;
        std::int64_t failed = 0;
        std::int64_t uncertain = 0;
    };

    LedgerJournal(DeliveryStore& store, const EmailProvider& provider);

    void sending(const std::vector<std::int64_t>& notificationIds) override;
    void answered(const std::vector<DeliveryResult>& results) override;

    /// After deliver() returned or threw: the reminders it reported sending without an answer
    /// get what a crash would give them (deferred where the provider drops repeats, else
    /// uncertain), `why` saying what happened.
    void settleUnanswered(const std::string& why);

    /// What was recorded since the last call.
    Counts takeCounts();

private:
    DeliveryStore& _store;
    std::string _provider;
    bool _dropsRepeats;
    std::unordered_set<std::int64_t> _unanswered; // reported sending, no answer yet
    Counts _counts;
};

} // namespace acd
