#include "cycle/LedgerJournal.h"

#include <stdexcept>
#include <utility>

namespace acd {

LedgerJournal::LedgerJournal(DeliveryStore& store, const EmailProvider& provider)
    : _store(store), _provider(provider.name()),
      _dropsRepeats(provider.idempotency() == Idempotency::DropsRepeats)
{}

void LedgerJournal::sending(const std::vector<std::int64_t>& notificationIds)
{
    _store.markSending(notificationIds, _provider);
    _unanswered.insert(notificationIds.begin(), notificationIds.end());
}

void LedgerJournal::answered(const std::vector<DeliveryResult>& results)
{
    std::vector<DeliveryOutcome> outcomes;
    outcomes.reserve(results.size());
    for (const DeliveryResult& result : results)
    {
        const bool wasSending = _unanswered.erase(result.notificationId) > 0;
        DeliveryOutcome outcome{result.notificationId, DeliveryState::Deferred, result.detail, _provider};
        switch (result.status)
        {
        case DeliveryStatus::Sent:
        case DeliveryStatus::Uncertain:
            // Without the mark, a crash between the request and this answer would have left no
            // trace that the reminder may be at the provider.
            if (!wasSending)
                throw std::logic_error("provider " + _provider + " reported notification " +
                                       std::to_string(result.notificationId) +
                                       " as handed over without reporting it sending first");
            outcome.state = result.status == DeliveryStatus::Sent ? DeliveryState::Sent
                            : _dropsRepeats                       ? DeliveryState::Deferred
                                                                  : DeliveryState::Uncertain;
            break;
        case DeliveryStatus::Rejected:
            outcome.state = DeliveryState::Failed;
            break;
        case DeliveryStatus::Retry:
            break;
        }
        outcomes.push_back(std::move(outcome));
    }
    _store.recordDeliveries(outcomes);
    for (const DeliveryOutcome& outcome : outcomes)
    {
        if (outcome.state == DeliveryState::Sent)
            ++_counts.sent;
        else if (outcome.state == DeliveryState::Failed)
            ++_counts.failed;
        else if (outcome.state == DeliveryState::Uncertain)
            ++_counts.uncertain;
    }
}

void LedgerJournal::settleUnanswered(const std::string& why)
{
    if (_unanswered.empty())
        return;
    std::vector<DeliveryResult> results;
    results.reserve(_unanswered.size());
    for (const std::int64_t id : _unanswered)
        results.push_back({id, DeliveryStatus::Uncertain, why});
    answered(results);
}

LedgerJournal::Counts LedgerJournal::takeCounts()
{
    return std::exchange(_counts, Counts{});
}

} // namespace acd
