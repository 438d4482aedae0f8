#include "ledger/RetentionStore.h"

#include "ledger/AuditLog.h"
#include "ledger/LedgerInternals.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <set>
#include <stdexcept>

namespace acd {

using ledger::CycleActor;
using ledger::HashedAccountPrefix;
using ledger::NotificationCounts;
using ledger::SmallCacheWhileSorting;
using ledger::truncateWal;

RetentionStore::RetentionStore(SQLite::Database& db, AuditLog& audit, const std::optional<KeyedHash>& hash)
    : _db(db), _audit(audit), _hash(hash)
{}

RetentionResult RetentionStore::applyRetention(Timestamp now, int days)
{
    if (!_hash)
        throw std::logic_error("the ledger's hash key is not set (LedgerStore::setHashKey)");
    const KeyedHash& hash = *_hash;
    if (days <= 0)
        throw std::invalid_argument("applyRetention: days must be positive, not " + std::to_string(days));
    const std::string cutoff = now.plusSeconds(-static_cast<std::int64_t>(days) * 86400).toIso();
    const std::string nowText = now.toIso();
    RetentionResult result;

    SQLite::Transaction transaction(_db, SQLite::TransactionBehavior::IMMEDIATE);
    // A reminder that could not go out for the whole retention period is stale: its cart is long
    // gone from the customer's mind, and its address may not be kept longer.
    SQLite::Statement stale(_db, R"sql(
        SELECT o.notification_id, n.customer_id FROM outbox o JOIN notifications n ON n.id = o.notification_id
        WHERE o.created_at < ?1 AND n.status = 'pending')sql");
    stale.bind(1, cutoff);
    std::vector<std::pair<std::int64_t, std::string>> expired;
    while (stale.executeStep())
        expired.emplace_back(stale.getColumn(0).getInt64(), stale.getColumn(1).getString());
    stale.reset();
    // Held for the whole retention period already: the account number goes at once too.
    SQLite::Statement expire(_db, R"sql(
        UPDATE notifications SET status = 'failed', reason = 'expired: not delivered within ledger.retentionDays',
                                 updated_at = ?1, customer_id = ?2
        WHERE id = ?3 AND status = 'pending'
        RETURNING coalesce(provider, ''))sql");
    NotificationCounts counts;
    for (const auto& [id, customer] : expired)
    {
        expire.reset();
        expire.bind(1, nowText);
        expire.bind(2, customer.empty() || customer.starts_with(HashedAccountPrefix)
                           ? customer
                           : HashedAccountPrefix + hash.customer(customer));
        expire.bind(3, id);
        if (!expire.executeStep())
            continue;
        counts.moved(NotificationStatus::Failed, expire.getColumn(0).getString());
        expire.reset();
        ++result.expired;
        ++result.anonymised;
        _audit.append({CycleActor, "expired", "", "notification=" + std::to_string(id)}, nowText);
    }
    // Driven by the outbox, which holds little more than what is still pending.
    SQLite::Statement removeOutbox(_db, R"sql(
        DELETE FROM outbox
        WHERE created_at < ?1
           OR EXISTS (SELECT 1 FROM notifications n
                      WHERE n.id = outbox.notification_id AND n.status <> 'pending' AND n.updated_at < ?1))sql");
    removeOutbox.bind(1, cutoff);
    result.outboxRows = removeOutbox.exec();

    // Only the rows still holding an account number and created before the cutoff are visited,
    // through the partial index of migration 0004 (its WHERE repeated here): a row final before
    // the cutoff was created before it too. DISTINCT would make SQLite walk a whole index instead.
    SQLite::Statement accounts(_db, R"sql(
        SELECT customer_id FROM notifications
        WHERE customer_id NOT LIKE 'h:%' AND created_at < ?1
          AND updated_at < ?1 AND customer_id <> '' AND status <> 'pending')sql");
    accounts.bind(1, cutoff);
    std::set<std::string> customers;
    while (accounts.executeStep())
        customers.insert(accounts.getColumn(0).getString());
    accounts.reset();
    SQLite::Statement anonymise(_db, R"sql(
        UPDATE notifications SET customer_id = ?1
        WHERE customer_id = ?2 AND updated_at < ?3 AND status <> 'pending')sql");
    for (const std::string& customer : customers)
    {
        anonymise.reset();
        anonymise.bind(1, HashedAccountPrefix + hash.customer(customer));
        anonymise.bind(2, customer);
        anonymise.bind(3, cutoff);
        result.anonymised += anonymise.exec();
    }
    counts.apply(_db);
    const bool changed = result.expired + result.outboxRows + result.anonymised > 0;
    if (changed)
        _audit.append({CycleActor, "retention", "",
                       "days=" + std::to_string(days) + " expired=" + std::to_string(result.expired) +
                           " outbox_rows=" + std::to_string(result.outboxRows) +
                           " anonymised=" + std::to_string(result.anonymised)},
                      nowText);
    transaction.commit();
    if (changed)
        result.walCleared = truncateWal(_db);
    return result;
}

std::int64_t RetentionStore::indexEmailHashes()
{
    const SmallCacheWhileSorting sorting(_db);
    SQLite::Transaction transaction(_db, SQLite::TransactionBehavior::IMMEDIATE);
    const std::int64_t indexed =
        _db.execAndGet("SELECT last_notification_id FROM email_index_state WHERE id = 1").getInt64();
    const std::int64_t newest = _db.execAndGet("SELECT coalesce(max(id), 0) FROM notifications").getInt64();
    if (newest <= indexed)
        return 0;
    // Sorted, the new entries go into each page of the index once, however many there are.
    SQLite::Statement add(_db, R"sql(
        INSERT OR IGNORE INTO email_index (email_hash, notification_id)
        SELECT email_hash, id FROM notifications
        WHERE id > ?1 AND id <= ?2 AND email_hash IS NOT NULL
        ORDER BY email_hash, id)sql");
    add.bind(1, indexed);
    add.bind(2, newest);
    const std::int64_t added = add.exec();
    SQLite::Statement advance(_db, "UPDATE email_index_state SET last_notification_id = ?1 WHERE id = 1");
    advance.bind(1, newest);
    advance.exec();
    transaction.commit();
    return added;
}

std::vector<std::int64_t> RetentionStore::notificationsTo(const std::string& emailHash)
{
    SQLite::Statement query(_db, R"sql(
        SELECT notification_id FROM email_index WHERE email_hash = ?1
        UNION
        SELECT id FROM notifications
        WHERE id > coalesce((SELECT last_notification_id FROM email_index_state WHERE id = 1), 0)
          AND email_hash = ?1)sql");
    query.bind(1, emailHash);
    std::vector<std::int64_t> ids;
    while (query.executeStep())
        ids.push_back(query.getColumn(0).getInt64());
    return ids;
}

} // namespace acd
