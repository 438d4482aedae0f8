#pragma once

#include "config/Settings.h"
#include "core/CartWindow.h"
#include "ledger/LedgerStore.h"
#include "ledger/PrivacyStore.h"

#include <atomic>
#include <map>
#include <string>

namespace Poco {
class Logger;
}

namespace acd {

class RetailClient;
class EmailProvider;
class DeliveryPump;

/// What a cycle works with, made once by the daemon.
struct CycleParts
{
    LedgerStore& ledger;         // the cycle's own connection
    LedgerStore& deliveryLedger; // a second connection, for the thread that delivers
    RetailClient& retail;
    EmailProvider& provider;
    std::size_t providerRequestsAtOnce = 1; // requests a delivery group holds (Emarsys: in flight)
};

struct CycleResult
{
    std::int64_t cycleId = 0;
    std::string status; // completed | failed | interrupted
    std::string error;
    CycleCounts counts;
    std::map<std::string, std::int64_t> skipsByReason;
    double seconds = 0;

    bool completed() const { return status == "completed"; }
    /// The one line per cycle that the log carries (DESIGN §1).
    std::string summary() const;
};

/// One pass of DESIGN §1: window, paged search, per-customer choice, enrichment, decision,
/// outbox, delivery, window advance. Deliveries start as soon as the outbox holds whole
/// provider requests, while the next carts are decided. Any failure is caught here and becomes
/// a recorded cycle with its error: the window then stays where it was. Opt-outs and consent
/// are checked when deciding and again right before delivery; retention runs after delivery.
/// The ledger's hash key must be set (preparePrivacy).
class Cycle
{
public:
    Cycle(const Settings& settings, const CycleParts& parts, Poco::Logger& logger,
          const std::atomic<bool>& stopRequested);

    CycleResult run();

private:
    /// Reminders a stopped process left on their way (DESIGN §11): deferred or uncertain.
    void recoverInterruptedSends(CycleResult& result);
    void readWindow(std::int64_t cycleId, Timestamp from, Timestamp to, CycleResult& result);
    void decideAndDeliver(std::int64_t cycleId, const CartWindow& window, CycleResult& result);
    void decideCandidates(std::int64_t cycleId, DeliveryPump& delivery, CycleResult& result);
    void applyRetention();
    void countSkips(const std::vector<SkippedCart>& skips, CycleResult& result);

    const Settings& _settings;
    LedgerStore& _ledger;
    LedgerStore& _deliveryLedger;
    RetailClient& _retail;
    EmailProvider& _provider;
    std::size_t _requestsAtOnce;
    Poco::Logger& _logger;
    const std::atomic<bool>& _stopRequested;
    PrivacyStore _privacy;
    Channel _channel;
};

} // namespace acd
