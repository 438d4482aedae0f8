#include "cycle/LedgerJournal.h"

#include <stdexcept>
#include <utility>

namespace acd {

namespace {

/// What the ledger records for a provider's answer. Sent or uncertain for a reminder the
/// provider did not report sending first is its defect: a crash between its request and this
/// answer would have left no trace that the reminder may be at the provider.
DeliveryOutcome outcomeOf(const DeliveryResult& result, bool reportedSending, const std::string& provider,
                          bool dropsRepeats)
{
    DeliveryOutcome outcome{result.notificationId, DeliveryState::Deferred, result.detail, provider};
    switch (result.status)
    {
    case DeliveryStatus::Sent:
    case DeliveryStatus::Uncertain:
        if (!reportedSending)
            throw std::logic_error("provider " + provider + " reported notification " +
                                   std::to_string(result.notificationId) +
                                   " as handed over without reporting it sending first");
        outcome.state = result.status == DeliveryStatus::Sent ? DeliveryState::Sent
                        : dropsRepeats                        ? DeliveryState::Deferred
                                                              : DeliveryState::Uncertain;
        break;
    case DeliveryStatus::Rejected:
        outcome.state = DeliveryState::Failed;
        break;
    case DeliveryStatus::Retry:
        break;
    }
    return outcome;
}

void add(JournalCounts& counts, const std::vector<DeliveryOutcome>& outcomes)
{
    for (const DeliveryOutcome& outcome : outcomes)
    {
        counts.sent += outcome.state == DeliveryState::Sent ? 1 : 0;
        counts.failed += outcome.state == DeliveryState::Failed ? 1 : 0;
        counts.uncertain += outcome.state == DeliveryState::Uncertain ? 1 : 0;
        if (outcome.state == DeliveryState::Deferred)
            ++counts.deferred[outcome.detail];
    }
}

} // namespace

ImmediateJournal::ImmediateJournal(DeliveryStore& store, const EmailProvider& provider)
    : _store(store), _provider(provider.name()),
      _dropsRepeats(provider.idempotency() == Idempotency::DropsRepeats)
{}

void ImmediateJournal::sending(const std::vector<std::int64_t>& notificationIds)
{
    const std::int64_t request = _store.markSending(notificationIds, _provider);
    for (const std::int64_t id : notificationIds)
    {
        // Sent again (a retry): it now belongs to the new row only.
        if (const auto earlier = _requestOf.find(id); earlier != _requestOf.end())
            release(earlier->second);
        _requestOf[id] = request;
    }
    _unanswered[request] += notificationIds.size();
}

void ImmediateJournal::release(std::int64_t request)
{
    const auto row = _unanswered.find(request);
    if (row != _unanswered.end() && --row->second == 0)
    {
        _unanswered.erase(row);
        _answeredRequests.push_back(request);
    }
}

void ImmediateJournal::answered(const std::vector<DeliveryResult>& results)
{
    std::vector<DeliveryOutcome> outcomes;
    outcomes.reserve(results.size());
    for (const DeliveryResult& result : results)
    {
        const auto request = _requestOf.find(result.notificationId);
        const bool reported = request != _requestOf.end();
        if (reported)
        {
            release(request->second);
            _requestOf.erase(request);
        }
        outcomes.push_back(outcomeOf(result, reported, _provider, _dropsRepeats));
    }
    _store.recordDeliveries(outcomes, _answeredRequests);
    _answeredRequests.clear();
    add(_counts, outcomes);
}

void ImmediateJournal::settleUnanswered(const std::string& why)
{
    if (_requestOf.empty())
        return;
    std::vector<DeliveryResult> results;
    results.reserve(_requestOf.size());
    for (const auto& [id, request] : _requestOf)
        results.push_back({id, DeliveryStatus::Uncertain, why});
    answered(results);
}

JournalCounts ImmediateJournal::takeCounts()
{
    return std::exchange(_counts, JournalCounts{});
}

GroupJournal::GroupJournal(const EmailProvider& provider) : _provider(provider.name()) {}

void GroupJournal::begin(std::int64_t request, const std::vector<std::int64_t>& notificationIds)
{
    _request = request;
    _group = std::unordered_set<std::int64_t>(notificationIds.begin(), notificationIds.end());
    _reported.clear();
    _outcomes.clear();
}

void GroupJournal::sending(const std::vector<std::int64_t>& notificationIds)
{
    for (const std::int64_t id : notificationIds)
    {
        if (!_group.contains(id))
            throw std::logic_error("provider " + _provider + " reported notification " + std::to_string(id) +
                                   " sending, which it was not given");
        _reported.insert(id);
    }
}

void GroupJournal::answered(const std::vector<DeliveryResult>& results)
{
    for (const DeliveryResult& result : results)
        _outcomes.push_back(outcomeOf(result, _reported.erase(result.notificationId) > 0, _provider, true));
}

std::vector<DeliveryOutcome> GroupJournal::takeOutcomes(const std::string& why, JournalCounts& counts)
{
    for (const std::int64_t id : _reported)
        _outcomes.push_back({id, DeliveryState::Deferred, why, _provider});
    _reported.clear();
    _group.clear();
    add(counts, _outcomes);
    return std::exchange(_outcomes, {});
}

} // namespace acd
