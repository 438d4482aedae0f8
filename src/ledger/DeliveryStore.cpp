#include "ledger/DeliveryStore.h"

#include "ledger/AuditLog.h"
#include "ledger/LedgerInternals.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <stdexcept>

namespace acd {

using ledger::CycleActor;
using ledger::NotificationCounts;
using ledger::nowIso;

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

} // namespace acd
