#include "ledger/LedgerInternals.h"

#include "ledger/AuditLog.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

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

bool truncateWal(SQLite::Database& db)
{
    // Columns: busy (1 when a reader or writer blocked it), frames in the log, frames copied.
    SQLite::Statement checkpoint(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    if (!checkpoint.executeStep())
        return false;
    return checkpoint.getColumn(0).getInt() == 0 && checkpoint.getColumn(1).getInt() <= 0;
}

} // namespace acd::ledger
