#include "ledger/DeliveryStore.h"

#include "ledger/AuditLog.h"
#include "ledger/LedgerInternals.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <stdexcept>

namespace acd {

using ledger::CycleActor;
using ledger::HashedAccountPrefix;
using ledger::insertSkips;
using ledger::NotificationCounts;
using ledger::nowIso;
using ledger::Stage;

namespace {

/// The status an outcome leaves, and the audit action that records it.
struct Recorded
{
    NotificationStatus status;
    const char* action;
    bool final; // the outbox row (address, payload) is no longer needed
};

Recorded recorded(DeliveryState state, bool resendUncertain)
{
    switch (state)
    {
    case DeliveryState::Sent:
        return {NotificationStatus::Sent, "sent", true};
    case DeliveryState::Failed:
        return {NotificationStatus::Failed, "failed", true};
    case DeliveryState::Deferred:
        return {NotificationStatus::Pending, "deferred", false};
    case DeliveryState::Uncertain:
        return resendUncertain ? Recorded{NotificationStatus::Pending, "uncertain", false}
                               : Recorded{NotificationStatus::Uncertain, "uncertain", true};
    }
    throw std::invalid_argument("recordDeliveries: unknown delivery state");
}

} // namespace

DeliveryStore::DeliveryStore(SQLite::Database& db, AuditLog& audit, const std::optional<KeyedHash>& hash)
    : _db(db), _audit(audit), _hash(hash)
{}

std::vector<OutboxItem> DeliveryStore::pendingOutbox(std::int64_t afterNotificationId, int limit)
{
    if (limit <= 0)
        throw std::invalid_argument("pendingOutbox: limit must be positive, not " + std::to_string(limit));
    SQLite::Statement query(_db, R"sql(
        SELECT n.id, n.trigger_id, o.email, o.payload, n.attempts
        FROM notifications n JOIN outbox o ON o.notification_id = n.id
        WHERE n.status = 'pending' AND n.id > ?1
        ORDER BY n.id
        LIMIT ?2)sql");
    query.bind(1, afterNotificationId);
    query.bind(2, limit);
    std::vector<OutboxItem> items;
    while (query.executeStep())
    {
        OutboxItem item;
        item.notificationId = query.getColumn(0).getInt64();
        item.triggerId = query.getColumn(1).getString();
        item.email = query.getColumn(2).getString();
        item.dataJson = query.getColumn(3).getString();
        item.attempts = query.getColumn(4).getInt();
        items.push_back(std::move(item));
    }
    return items;
}

std::int64_t DeliveryStore::pendingCount()
{
    // Through the outbox, which holds only reminders not yet final: no scan of the history.
    return _db
        .execAndGet("SELECT count(*) FROM outbox o JOIN notifications n ON n.id = o.notification_id "
                    "WHERE n.status = 'pending'")
        .getInt64();
}

std::int64_t DeliveryStore::markSending(const std::vector<std::int64_t>& notificationIds,
                                        const std::string& provider)
{
    std::string ids = "[";
    for (const std::int64_t id : notificationIds)
        ids += (ids.size() > 1 ? "," : "") + std::to_string(id);
    ids += ']';
    SQLite::Statement insert(
        _db, "INSERT INTO deliveries_in_flight (provider, started_at, notification_ids) VALUES (?1, ?2, ?3)");
    insert.bind(1, provider);
    insert.bind(2, nowIso());
    insert.bind(3, ids);
    insert.exec();
    return _db.getLastInsertRowid();
}

void DeliveryStore::recordDeliveries(const std::vector<DeliveryOutcome>& outcomes,
                                     const std::vector<std::int64_t>& answeredRequests)
{
    if (outcomes.empty() && answeredRequests.empty())
        return;
    const std::string now = nowIso();
    SQLite::Transaction transaction(_db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement update(_db, R"sql(
        UPDATE notifications
        SET status = ?1, reason = NULLIF(?2, ''), provider = coalesce(NULLIF(?3, ''), provider),
            attempts = attempts + 1, sent_at = CASE WHEN ?1 = 'sent' THEN ?4 ELSE sent_at END, updated_at = ?4
        WHERE id = ?5 AND status = 'pending'
        RETURNING customer_id, email_hash, trigger_id, provider)sql");
    // A final outcome no longer needs the address: personal data stays only as long as a send needs it.
    SQLite::Statement forget(_db, "DELETE FROM outbox WHERE notification_id = ?1");
    NotificationCounts counts;
    for (const DeliveryOutcome& outcome : outcomes)
    {
        const Recorded result = recorded(outcome.state, _resendUncertain);
        std::string detail = withoutAddresses(outcome.detail);
        if (outcome.state == DeliveryState::Uncertain && _resendUncertain)
            detail += (detail.empty() ? "" : "; ") + std::string("sent again: notify.resendUncertain = true");
        update.reset();
        update.bind(1, toString(result.status));
        update.bind(2, detail);
        update.bind(3, outcome.provider);
        update.bind(4, now);
        update.bind(5, outcome.notificationId);
        if (!update.executeStep())
            continue; // already final, or withdrawn meanwhile
        const std::string customer = update.getColumn(0).getString();
        const std::string emailHash = update.getColumn(1).getString();
        const std::string provider = update.getColumn(3).getString();
        std::string text = "notification=" + std::to_string(outcome.notificationId) +
                           " provider=" + provider + " trigger=" + update.getColumn(2).getString();
        update.reset();
        counts.moved(result.status, provider);
        if (_hash && !customer.empty())
            text += " customer=" + _hash->customer(customer);
        if (!detail.empty())
            text += " detail=" + detail;
        _audit.append({CycleActor, result.action, emailHash.empty() ? "" : "email:" + emailHash, text}, now);
        if (!result.final)
            continue;
        forget.reset();
        forget.bind(1, outcome.notificationId);
        forget.exec();
    }
    counts.apply(_db);
    SQLite::Statement answered(_db, "DELETE FROM deliveries_in_flight WHERE id = ?1");
    for (const std::int64_t request : answeredRequests)
    {
        answered.reset();
        answered.bind(1, request);
        answered.exec();
    }
    transaction.commit();
}

InterruptedSends DeliveryStore::recoverInterruptedSends(const std::string& provider,
                                                        bool providerDropsRepeats)
{
    // A reminder handed over again after a retry is in two rows: the newest names its provider.
    SQLite::Statement query(_db, R"sql(
        SELECT j.value, d.provider, max(d.id)
        FROM deliveries_in_flight d, json_each(d.notification_ids) j
        JOIN notifications n ON n.id = j.value
        WHERE n.status = 'pending'
        GROUP BY j.value
        ORDER BY j.value)sql");
    std::vector<DeliveryOutcome> outcomes;
    InterruptedSends found;
    while (query.executeStep())
    {
        DeliveryOutcome outcome;
        outcome.notificationId = query.getColumn(0).getInt64();
        outcome.provider = query.getColumn(1).getString();
        if (providerDropsRepeats && outcome.provider == provider)
        {
            outcome.state = DeliveryState::Deferred;
            outcome.detail = "was on its way when the process stopped; sent again under the same trigger id, "
                             "which " +
                             provider + " keeps once";
            ++found.resumed;
        }
        else
        {
            outcome.state = DeliveryState::Uncertain;
            outcome.detail = "was on its way to " + outcome.provider +
                             " when the process stopped: it may or may not have gone out";
            ++found.uncertain;
        }
        outcomes.push_back(std::move(outcome));
    }
    query.reset();
    std::vector<std::int64_t> requests;
    SQLite::Statement rows(_db, "SELECT id FROM deliveries_in_flight");
    while (rows.executeStep())
        requests.push_back(rows.getColumn(0).getInt64());
    rows.reset();
    recordDeliveries(outcomes, requests);
    return found;
}

void DeliveryStore::withdrawPending(const std::vector<WithdrawnReminder>& withdrawn)
{
    const std::string now = nowIso();
    SQLite::Transaction transaction(_db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement update(_db, R"sql(
        UPDATE notifications SET status = 'skipped', reason = ?1, updated_at = ?2
        WHERE id = ?3 AND status = 'pending'
        RETURNING email_hash)sql");
    SQLite::Statement forget(_db, "DELETE FROM outbox WHERE notification_id = ?1");
    NotificationCounts counts;
    for (const WithdrawnReminder& item : withdrawn)
    {
        update.reset();
        update.bind(1, toString(item.reason));
        update.bind(2, now);
        update.bind(3, item.notificationId);
        if (!update.executeStep())
            continue;
        const std::string emailHash = update.getColumn(0).getString();
        update.reset();
        counts.moved(NotificationStatus::Skipped, "", toString(item.reason));
        forget.reset();
        forget.bind(1, item.notificationId);
        forget.exec();
        _audit.append(
            {CycleActor, "withdrawn", emailHash.empty() ? "" : "email:" + emailHash,
             "notification=" + std::to_string(item.notificationId) + " reason=" + toString(item.reason)},
            now);
    }
    counts.apply(_db);
    transaction.commit();
}

void DeliveryStore::recordSkips(std::int64_t cycleId, const std::string& oun,
                                const std::vector<SkippedCart>& skips)
{
    SQLite::Transaction transaction(_db, SQLite::TransactionBehavior::IMMEDIATE);
    insertSkips(_db, _audit, _hash ? &*_hash : nullptr, cycleId, oun, skips, nowIso());
    transaction.commit();
}

std::set<std::string> DeliveryStore::customersRemindedSince(const std::vector<std::string>& customerIds,
                                                            Timestamp since)
{
    // A customer's older rows may already carry the hashed account (retention, purge).
    SQLite::Statement query(_db, "SELECT EXISTS (SELECT 1 FROM notifications WHERE customer_id IN (?1, ?3) "
                                 "AND (sent_at >= ?2 OR status = 'pending' "
                                 "OR (status = 'uncertain' AND updated_at >= ?2)))");
    const std::string sinceIso = since.toIso();
    const ReadTransaction read(_db);
    std::set<std::string> reminded;
    for (const std::string& customerId : customerIds)
    {
        if (customerId.empty() || reminded.count(customerId) != 0)
            continue;
        query.reset();
        query.bind(1, customerId);
        query.bind(2, sinceIso);
        query.bind(3, _hash ? HashedAccountPrefix + _hash->customer(customerId) : customerId);
        if (query.executeStep() && query.getColumn(0).getInt() != 0)
            reminded.insert(customerId);
    }
    query.reset();
    return reminded;
}

void DeliveryStore::queueReminders(std::int64_t cycleId, const std::string& oun,
                                   const std::vector<QueuedReminder>& reminders,
                                   const std::vector<SkippedCart>& skips)
{
    for (const QueuedReminder& reminder : reminders)
    {
        if (reminder.modifiedAt.empty() || reminder.triggerId.empty() || reminder.email.empty() ||
            reminder.customerId.empty())
            throw std::invalid_argument("queueReminders: the reminder for cart " + reminder.cartId +
                                        " lacks its ModifiedDateTime, trigger id, customer or address");
    }
    const std::string now = nowIso();
    SQLite::Transaction transaction(_db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement notification(_db, R"sql(
        INSERT INTO notifications (oun, cart_id, modified_at, stage, trigger_id, cycle_id, customer_id,
                                   status, attempts, created_at, updated_at, email_hash)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?8, ?9)
        ON CONFLICT (oun, cart_id, modified_at, stage) DO NOTHING)sql");
    SQLite::Statement outbox(_db, R"sql(
        INSERT INTO outbox (notification_id, email, payload, created_at) VALUES (?1, ?2, ?3, ?4))sql");
    NotificationCounts counts;
    for (const QueuedReminder& reminder : reminders)
    {
        notification.reset();
        notification.bind(1, oun);
        notification.bind(2, reminder.cartId);
        notification.bind(3, reminder.modifiedAt);
        notification.bind(4, Stage);
        notification.bind(5, reminder.triggerId);
        notification.bind(6, cycleId);
        notification.bind(7, reminder.customerId);
        notification.bind(8, now);
        if (_hash)
            notification.bind(9, _hash->email(reminder.email));
        else
            notification.bind(9);
        // Already in the ledger: that reminder was queued (or decided) by an earlier cycle.
        if (notification.exec() == 0)
            continue;
        counts.add(NotificationStatus::Pending, "", "", 1);
        outbox.reset();
        outbox.bind(1, _db.getLastInsertRowid());
        outbox.bind(2, reminder.email);
        outbox.bind(3, reminder.dataJson);
        outbox.bind(4, now);
        outbox.exec();
    }
    counts.apply(_db);
    insertSkips(_db, _audit, _hash ? &*_hash : nullptr, cycleId, oun, skips, now);
    transaction.commit();
}

} // namespace acd
