#include "cycle/DeliveryPump.h"

#include "config/Settings.h"
#include "core/Utf8.h"
#include "cycle/Cycle.h"
#include "ledger/PrivacyStore.h"

#include <Poco/Logger.h>

#include <chrono>
#include <map>

namespace acd {

namespace {

/// Outbox rows read at once.
constexpr int OutboxChunk = 1000;

} // namespace

DeliveryPump::DeliveryPump(const Settings& settings, DeliveryStore& outbox, DeliveryStore& journalStore,
                           PrivacyStore& privacy, EmailProvider& provider, std::size_t requestsAtOnce,
                           const std::atomic<bool>& stopRequested, CycleResult& result)
    : _settings(settings), _outbox(outbox), _privacy(privacy), _provider(provider),
      _requestsAtOnce(requestsAtOnce), _stopRequested(stopRequested), _result(result),
      _byGroup(provider.idempotency() == Idempotency::DropsRepeats), _immediate(journalStore, provider),
      _group(provider)
{}

void DeliveryPump::pump()
{
    if (_failure ||
        (_inFlight.valid() && _inFlight.wait_for(std::chrono::seconds(0)) != std::future_status::ready))
        return;
    std::size_t count = 0;
    while ((count = _provider.wholeRequests(_gathered, _requestsAtOnce)) == 0)
        if (!readOutbox())
            return;
    // Each group sent while deciding has the whole budget: its retries run beside the
    // decisions, and the next group waits for it.
    send(count, retryDeadline());
}

void DeliveryPump::finish()
{
    // Deciding is over: the last sends share one budget, so the cycle ends within it.
    const Timestamp deadline = retryDeadline();
    bool outboxRead = false;
    while (!_failure)
    {
        if (_stopRequested)
        {
            settle();
            throw StopRequested{};
        }
        std::size_t count = _provider.wholeRequests(_gathered, _requestsAtOnce);
        if (count == 0)
        {
            if (!outboxRead)
            {
                outboxRead = !readOutbox();
                continue;
            }
            count = _gathered.size(); // the last requests, partly filled
            if (count == 0)
                break;
        }
        send(count, deadline);
    }
    settle();
    if (_failure)
        std::rethrow_exception(_failure);
}

Timestamp DeliveryPump::retryDeadline() const
{
    return Timestamp::now().plusSeconds(_settings.retryBudgetSeconds);
}

bool DeliveryPump::readOutbox()
{
    std::vector<OutboxItem> items = _outbox.pendingOutbox(_after, OutboxChunk);
    if (items.empty())
        return false;
    _after = items.back().notificationId;
    for (OutboxItem& item : items)
        _gathered.push_back({item.notificationId, std::move(item.triggerId), std::move(item.email),
                             std::move(item.dataJson)});
    return true;
}

void DeliveryPump::send(std::size_t count, Timestamp deadline)
{
    // Checked again right before sending: an opt-out (or a withdrawn consent) that came
    // after the reminder was queued still stops it, and its data never leaves the machine.
    std::vector<std::string> emails;
    emails.reserve(count);
    for (std::size_t i = 0; i < count; ++i)
        emails.push_back(_gathered[i].email);
    const std::map<std::string, SkipReason> refused = _privacy.refusals(emails, _settings.requireConsent);
    std::vector<WithdrawnReminder> withdrawn;
    std::vector<Reminder> batch;
    batch.reserve(count);
    for (std::size_t i = 0; i < count; ++i)
    {
        if (auto refusal = refused.find(_gathered[i].email); refusal != refused.end())
        {
            withdrawn.push_back({_gathered[i].notificationId, refusal->second});
            ++_result.skipsByReason[toString(refusal->second)];
            ++_result.counts.skipped;
            continue;
        }
        batch.push_back(std::move(_gathered[i]));
    }
    _gathered.erase(_gathered.begin(), _gathered.begin() + static_cast<std::ptrdiff_t>(count));
    if (!withdrawn.empty())
        _outbox.withdrawPending(withdrawn);

    // A refusal of the previous requests (a 401) stops the sending before this batch
    // leaves: it stays pending in the outbox.
    collect();
    if (_failure || batch.empty())
    {
        record();
        return;
    }
    if (_byGroup)
    {
        std::vector<std::int64_t> ids;
        ids.reserve(batch.size());
        for (const Reminder& reminder : batch)
            ids.push_back(reminder.notificationId);
        _group.begin(_outbox.markSending(ids, _provider.name()), ids);
    }
    _inFlight = std::async(std::launch::async, [this, batch = std::move(batch), deadline] {
        if (_byGroup)
        {
            _provider.deliver(batch, deadline, _group);
            return;
        }
        try
        {
            _provider.deliver(batch, deadline, _immediate);
        }
        catch (const std::exception& e)
        {
            _immediate.settleUnanswered(std::string("no answer recorded: ") + e.what());
            throw;
        }
        _immediate.settleUnanswered("the provider gave no answer for it");
    });
    // The previous group's answers go to the ledger while this group travels.
    record();
}

void DeliveryPump::collect()
{
    if (!_inFlight.valid())
        return;
    std::string why = "the provider gave no answer for it";
    try
    {
        _inFlight.get();
    }
    catch (const std::exception& e)
    {
        _failure = std::current_exception();
        why = std::string("no answer recorded: ") + e.what();
    }
    catch (...)
    {
        _failure = std::current_exception();
    }
    JournalCounts counts;
    if (_byGroup)
    {
        _collected = _group.takeOutcomes(why, counts);
        _collectedRequest = _group.request();
    }
    else
        counts = _immediate.takeCounts();
    _result.counts.remindersSent += counts.sent;
    _result.counts.remindersFailed += counts.failed;
    _result.counts.remindersUncertain += counts.uncertain;
    for (const auto& [why, count] : counts.deferred)
        Poco::Logger::get("acd.delivery")
            .warning("%?d reminder(s) stay pending for the next cycle: %s", count,
                     cutWithEllipsis(why, 1000));
}

void DeliveryPump::record()
{
    if (_collectedRequest == 0)
        return;
    _outbox.recordDeliveries(_collected, {_collectedRequest});
    _collected.clear();
    _collectedRequest = 0;
}

void DeliveryPump::settle()
{
    collect();
    record();
}

} // namespace acd
