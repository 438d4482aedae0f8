#include "ledger/LedgerInternals.h"

#include "ledger/AuditLog.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <set>
#include <stdexcept>

namespace acd::ledger {

SmallCacheWhileSorting::SmallCacheWhileSorting(SQLite::Database& db) : _db(db)
{
    _db.exec("PRAGMA cache_size = -2048");
}

SmallCacheWhileSorting::~SmallCacheWhileSorting()
{
    sqlite3_exec(_db.getHandle(), CacheSizePragma, nullptr, nullptr, nullptr);
}

void NotificationCounts::add(NotificationStatus status, const std::string& provider,
                             const std::string& reason, std::int64_t delta)
{
    // Pending reminders have no provider until an attempt, and only skips have a reason that is a label.
    const bool skipped = status == NotificationStatus::Skipped;
    const bool withProvider = !skipped && status != NotificationStatus::Pending;
    _deltas[{status, withProvider ? provider : "", skipped ? reason : ""}] += delta;
}

void NotificationCounts::moved(NotificationStatus status, const std::string& provider,
                               const std::string& reason, std::int64_t count)
{
    if (status == NotificationStatus::Pending)
        return;
    add(NotificationStatus::Pending, "", "", -count);
    add(status, provider, reason, count);
}

void NotificationCounts::apply(SQLite::Database& db)
{
    SQLite::Statement update(db, R"sql(
        INSERT INTO notification_counts (status, provider, reason, count) VALUES (?1, ?2, ?3, ?4)
        ON CONFLICT (status, provider, reason) DO UPDATE SET count = count + excluded.count)sql");
    for (const auto& [key, delta] : _deltas)
    {
        if (delta == 0)
            continue;
        update.reset();
        update.bind(1, toString(std::get<0>(key)));
        update.bind(2, std::get<1>(key));
        update.bind(3, std::get<2>(key));
        update.bind(4, delta);
        update.exec();
    }
    _deltas.clear();
}

void insertSkips(SQLite::Database& db, AuditLog& audit, const KeyedHash* hash, std::int64_t cycleId,
                 const std::string& oun, const std::vector<SkippedCart>& skips, const std::string& now)
{
    SQLite::Statement insert(db, R"sql(
        INSERT INTO notifications (oun, cart_id, modified_at, stage, trigger_id, cycle_id, customer_id,
                                   status, reason, attempts, created_at, updated_at, email_hash)
        VALUES (?1, ?2, ?3, ?4, '', ?5, ?6, 'skipped', ?7, 0, ?8, ?8, ?9)
        ON CONFLICT (oun, cart_id, modified_at, stage) DO NOTHING)sql");
    NotificationCounts counts;
    for (const SkippedCart& skip : skips)
    {
        insert.reset();
        insert.bind(1, oun);
        insert.bind(2, skip.cartId);
        insert.bind(3, skip.modifiedAt);
        insert.bind(4, Stage);
        insert.bind(5, cycleId);
        insert.bind(6, skip.customerId);
        insert.bind(7, toString(skip.reason));
        insert.bind(8, now);
        // A purge finds the customer's account through the address's hash, skips included.
        if (hash && !skip.email.empty())
            insert.bind(9, hash->email(skip.email));
        else
            insert.bind(9);
        if (insert.exec() == 0)
            continue;
        counts.add(NotificationStatus::Skipped, "", toString(skip.reason), 1);
        audit.append({CycleActor, "skipped",
                      hash && !skip.customerId.empty() ? "customer:" + hash->customer(skip.customerId) : "",
                      "notification=" + std::to_string(db.getLastInsertRowid()) +
                          " cycle=" + std::to_string(cycleId) + " cart=" + skip.cartId +
                          " reason=" + toString(skip.reason)},
                     now);
    }
    counts.apply(db);
}

RetentionResult applyRetentionRules(SQLite::Database& db, AuditLog& audit, const KeyedHash& hash,
                                    Timestamp now, int days)
{
    if (days <= 0)
        throw std::invalid_argument("applyRetention: days must be positive, not " + std::to_string(days));
    const std::string cutoff = now.plusSeconds(-static_cast<std::int64_t>(days) * 86400).toIso();
    const std::string nowText = now.toIso();
    RetentionResult result;

    SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
    // A reminder that could not go out for the whole retention period is stale: its cart is long
    // gone from the customer's mind, and its address may not be kept longer.
    SQLite::Statement stale(db, R"sql(
        SELECT o.notification_id, n.customer_id FROM outbox o JOIN notifications n ON n.id = o.notification_id
        WHERE o.created_at < ?1 AND n.status = 'pending')sql");
    stale.bind(1, cutoff);
    std::vector<std::pair<std::int64_t, std::string>> expired;
    while (stale.executeStep())
        expired.emplace_back(stale.getColumn(0).getInt64(), stale.getColumn(1).getString());
    stale.reset();
    // Held for the whole retention period already: the account number goes at once too.
    SQLite::Statement expire(db, R"sql(
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
        audit.append({CycleActor, "expired", "", "notification=" + std::to_string(id)}, nowText);
    }
    // Driven by the outbox, which holds little more than what is still pending.
    SQLite::Statement removeOutbox(db, R"sql(
        DELETE FROM outbox
        WHERE created_at < ?1
           OR EXISTS (SELECT 1 FROM notifications n
                      WHERE n.id = outbox.notification_id AND n.status <> 'pending' AND n.updated_at < ?1))sql");
    removeOutbox.bind(1, cutoff);
    result.outboxRows = removeOutbox.exec();

    // Only the rows still holding an account number and created before the cutoff are visited,
    // through the partial index of migration 0004 (its WHERE repeated here): a row final before
    // the cutoff was created before it too. DISTINCT would make SQLite walk a whole index instead.
    SQLite::Statement accounts(db, R"sql(
        SELECT customer_id FROM notifications
        WHERE customer_id NOT LIKE 'h:%' AND created_at < ?1
          AND updated_at < ?1 AND customer_id <> '' AND status <> 'pending')sql");
    accounts.bind(1, cutoff);
    std::set<std::string> customers;
    while (accounts.executeStep())
        customers.insert(accounts.getColumn(0).getString());
    accounts.reset();
    SQLite::Statement anonymise(db, R"sql(
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
    counts.apply(db);
    const bool changed = result.expired + result.outboxRows + result.anonymised > 0;
    if (changed)
        audit.append({CycleActor, "retention", "",
                      "days=" + std::to_string(days) + " expired=" + std::to_string(result.expired) +
                          " outbox_rows=" + std::to_string(result.outboxRows) +
                          " anonymised=" + std::to_string(result.anonymised)},
                     nowText);
    transaction.commit();
    return result;
}

} // namespace acd::ledger
