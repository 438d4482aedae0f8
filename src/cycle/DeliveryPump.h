#pragma once

#include "cycle/LedgerJournal.h"
#include "ledger/DeliveryStore.h"
#include "notify/EmailProvider.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <future>
#include <vector>

namespace acd {

struct CycleResult;
struct Settings;
class PrivacyStore;

/// Raised inside a cycle when a stop was requested: the cycle ends between two batches.
struct StopRequested
{};

/// Hands the outbox to the provider in whole requests while the cycle goes on deciding: the
/// provider's round trips overlap the decisions. The outbox is read, and opt-outs checked, on
/// the cycle's thread and connection; the provider runs on a thread of its own. What is on its
/// way is recorded before it leaves (DESIGN §11), as the provider's idempotency allows: a
/// provider that drops repeats gets a whole group marked at once by this thread, whose answers
/// it records while the next group travels (GroupJournal); one that cannot tell a repeat
/// records each request itself, as it goes, on the second connection (ImmediateJournal). One
/// request group is out at a time; while it is, reminders wait in the outbox, so at most that
/// group, the next one and one outbox chunk are in memory.
class DeliveryPump
{
public:
    /// `outbox` is the cycle's connection, `journalStore` the second one. `requestsAtOnce` is
    /// how many provider requests one group holds.
    DeliveryPump(const Settings& settings, DeliveryStore& outbox, DeliveryStore& journalStore,
                 PrivacyStore& privacy, EmailProvider& provider, std::size_t requestsAtOnce,
                 const std::atomic<bool>& stopRequested, CycleResult& result);

    /// Sends the next whole requests if the previous ones are back; returns at once otherwise.
    void pump();

    /// Sends whatever the outbox still holds, the last requests partly filled. A provider
    /// refusing every request alike (a 401, a configuration error) is thrown from here.
    void finish();

    /// Waits for the requests still out and records their answers: whatever ends the cycle,
    /// what was handed over is recorded and counted.
    void settle();

private:
    Timestamp retryDeadline() const;
    /// Reads the next outbox chunk after the last one; false when there is nothing more yet.
    bool readOutbox();
    /// The first `count` gathered reminders go out, once the requests before them are back.
    void send(std::size_t count, Timestamp deadline);
    /// Waits for the requests out and counts their answers; a group's are kept for record().
    void collect();
    /// Records the answers of the group collected last, and removes its row in flight.
    void record();

    const Settings& _settings;
    DeliveryStore& _outbox;
    PrivacyStore& _privacy;
    EmailProvider& _provider;
    std::size_t _requestsAtOnce;
    const std::atomic<bool>& _stopRequested;
    CycleResult& _result;
    const bool _byGroup; // the provider drops repeats
    ImmediateJournal _immediate;
    GroupJournal _group;
    std::vector<DeliveryOutcome> _collected; // the last group's answers, not recorded yet
    std::int64_t _collectedRequest = 0;      // and its row in deliveries_in_flight
    std::vector<Reminder> _gathered;         // read from the outbox, waiting to fill whole requests
    std::future<void> _inFlight;
    std::int64_t _after = 0;     // the last notification read from the outbox
    std::exception_ptr _failure; // the provider refused a request as a whole: no more sends
};

} // namespace acd
