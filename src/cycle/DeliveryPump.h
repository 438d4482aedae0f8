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
/// the cycle's thread and connection; the provider runs on a thread of its own and records
/// each hand-over through a LedgerJournal on the second connection (DESIGN §11). One request
/// group is out at a time; while it is, reminders wait in the outbox, so at most that group,
/// the next one and one outbox chunk are in memory.
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

    /// Waits for the requests still out: whatever ends the cycle, what was handed over is
    /// recorded (by the journal, as it happened) and counted.
    void settle();

private:
    Timestamp retryDeadline() const;
    /// Reads the next outbox chunk after the last one; false when there is nothing more yet.
    bool readOutbox();
    /// The first `count` gathered reminders go out, once the requests before them are back.
    void send(std::size_t count, Timestamp deadline);

    const Settings& _settings;
    DeliveryStore& _outbox;
    PrivacyStore& _privacy;
    EmailProvider& _provider;
    std::size_t _requestsAtOnce;
    const std::atomic<bool>& _stopRequested;
    CycleResult& _result;
    LedgerJournal _journal;
    std::vector<Reminder> _gathered; // read from the outbox, waiting to fill whole requests
    std::future<void> _inFlight;
    std::int64_t _after = 0;     // the last notification read from the outbox
    std::exception_ptr _failure; // the provider refused a request as a whole: no more sends
};

} // namespace acd
