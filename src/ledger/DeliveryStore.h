#pragma once

#include "core/KeyedHash.h"
#include "core/Timestamp.h"
#include "core/Types.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace acd {

class AuditLog;

struct SkippedCart
{
    std::string cartId;
    std::string modifiedAt; // Timestamp::toIso(), "" for untimed carts
    std::string customerId;
    SkipReason reason;
    std::string email = {}; // normalised, when the customer and their address are known
};

struct QueuedReminder
{
    std::string cartId;
    std::string modifiedAt; // Timestamp::toIso()
    std::string customerId;
    std::string triggerId;
    std::string email;
    std::string dataJson;
};

struct OutboxItem
{
    std::int64_t notificationId = 0;
    std::string triggerId;
    std::string email;
    std::string dataJson;
    int attempts = 0;
};

/// How a hand-over ended, as the ledger records it (DESIGN §8, §11).
enum class DeliveryState
{
    Sent,      // the provider accepted it: final
    Failed,    // the provider refused this reminder: final
    Deferred,  // not delivered: pending again, for a later attempt
    Uncertain, // the provider may or may not have it and cannot tell a repeat
};

struct DeliveryOutcome
{
    std::int64_t notificationId = 0;
    DeliveryState state = DeliveryState::Deferred;
    std::string detail;
    std::string provider;
};

/// A pending reminder taken back before delivery (the customer opted out, or withdrew consent,
/// after it was queued).
struct WithdrawnReminder
{
    std::int64_t notificationId = 0;
    SkipReason reason = SkipReason::OptedOut;
};

/// The reminders a start found on their way: their process stopped before the answer came.
struct InterruptedSends
{
    std::int64_t resumed = 0;   // pending again: the provider drops the repeat
    std::int64_t uncertain = 0; // it may or may not have them
};

/// The outbox and what happens to each reminder in it: read, recorded as on its way before its
/// request leaves (one row of deliveries_in_flight per request), answered (DESIGN §11). Works
/// on the connection it is given; each method is one transaction together with its audit rows
/// (actor "cycle").
class DeliveryStore
{
public:
    /// `hash` is the ledger's keyed hash, set later than this store is made.
    DeliveryStore(SQLite::Database& db, AuditLog& audit, const std::optional<KeyedHash>& hash);

    /// notify.resendUncertain: an Uncertain outcome becomes pending again (audited
    /// "uncertain") instead of final 'uncertain' with its outbox row removed.
    void setResendUncertain(bool resend) { _resendUncertain = resend; }

    /// Records skipped carts (status 'skipped', reason); a cart already in the ledger under
    /// the same key is left as it is.
    void recordSkips(std::int64_t cycleId, const std::string& oun, const std::vector<SkippedCart>& skips);

    /// Customers among `customerIds` who were sent a reminder at or after `since`, or who
    /// have one still pending: it will reach them, so a second one would be one too many.
    std::set<std::string> customersRemindedSince(const std::vector<std::string>& customerIds,
                                                 Timestamp since);

    /// One transaction: the pending notifications with their outbox rows, and the skips.
    void queueReminders(std::int64_t cycleId, const std::string& oun,
                        const std::vector<QueuedReminder>& reminders, const std::vector<SkippedCart>& skips);

    /// Pending outbox rows (this and earlier cycles), oldest first, after `afterNotificationId`.
    std::vector<OutboxItem> pendingOutbox(std::int64_t afterNotificationId, int limit);
    /// Reminders queued and not delivered yet, those on their way included.
    std::int64_t pendingCount();

    /// One row of deliveries_in_flight naming these reminders as on their way to `provider`,
    /// written before their request leaves: one write however many reminders. Returns its id,
    /// for recordDeliveries() to remove once every reminder in it is answered.
    std::int64_t markSending(const std::vector<std::int64_t>& notificationIds, const std::string& provider);

    /// One transaction: sent / failed are final and their outbox rows (address, payload) go;
    /// deferred is pending again; uncertain as setResendUncertain() says; each counts an
    /// attempt. Only pending reminders change: an outcome reported twice cannot undo a final
    /// one. Audit rows "sent", "failed", "deferred", "uncertain"; provider texts are kept
    /// without any address in them. The in-flight rows `answeredRequests` go in the same
    /// transaction.
    void recordDeliveries(const std::vector<DeliveryOutcome>& outcomes,
                          const std::vector<std::int64_t>& answeredRequests = {});

    /// At a start, before any send: each pending reminder of a row left in deliveries_in_flight
    /// is deferred when it was handed to `provider` and that provider drops repeats (it is sent
    /// again under the same trigger id), else uncertain; then no row is left.
    InterruptedSends recoverInterruptedSends(const std::string& provider, bool providerDropsRepeats);

    /// One transaction: pending reminders that must not go out after all become 'skipped' with
    /// their reason, their outbox rows are removed, each is audited "withdrawn". Reminders no
    /// longer pending are left alone.
    void withdrawPending(const std::vector<WithdrawnReminder>& withdrawn);

private:
    SQLite::Database& _db;
    AuditLog& _audit;
    const std::optional<KeyedHash>& _hash;
    bool _resendUncertain = false;
};

} // namespace acd
