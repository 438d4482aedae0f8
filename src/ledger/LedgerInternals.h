#pragma once

// What the ledger's stores share, for the .cpp files of src/ledger only.

#include "core/KeyedHash.h"
#include "core/Timestamp.h"
#include "core/Types.h"
#include "ledger/LedgerStore.h"

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace SQLite {
class Database;
}

namespace acd {
class AuditLog;
}

namespace acd::ledger {

// Follow-up reminders (stage 2, ...) are not built yet; the key already has room for them.
inline constexpr int Stage = 1;

/// 8 MB of page cache instead of SQLite's 2 MB: a cycle's index pages stay in memory.
inline constexpr const char* CacheSizePragma = "PRAGMA cache_size = -8192"; // KiB

/// The audit log's actor for what a cycle records (sends, skips, retention).
inline constexpr const char* CycleActor = "cycle";
/// Account numbers replaced by their keyed hash (retention, purge) carry this prefix, so that
/// they can never be mistaken for, or collide with, a real account number.
inline constexpr const char* HashedAccountPrefix = "h:";

/// Every time the ledger writes: UTC ISO 8601 with 7 digits, so text order is time order.
inline std::string nowIso()
{
    return Timestamp::now().toIso();
}

/// SQLite sorts in memory up to the size of the page cache, then merges runs kept in temporary
/// files. The cycle's big sorts (every staged cart, every new address hash) run with a 2 MB
/// cache, so that the sort and the cache are not both at their largest: the daemon's peak
/// memory at a million carts would otherwise pass 64 MB.
class SmallCacheWhileSorting
{
public:
    explicit SmallCacheWhileSorting(SQLite::Database& db);
    ~SmallCacheWhileSorting();
    SmallCacheWhileSorting(const SmallCacheWhileSorting&) = delete;
    SmallCacheWhileSorting& operator=(const SmallCacheWhileSorting&) = delete;

private:
    SQLite::Database& _db;
};

/// The counts of /metrics (table notification_counts, migration 0008), moved by every write that
/// changes a notification's status: gathered while a transaction writes its rows, applied once
/// at its end, a few rows whatever the number of notifications. A write path that forgets them
/// shows in LedgerFiguresTest, which compares them with a count over the notifications.
class NotificationCounts
{
public:
    /// `provider` counts for reminders sent, refused or uncertain; `reason` for skips only.
    void add(NotificationStatus status, const std::string& provider, const std::string& reason,
             std::int64_t delta);
    /// `count` pending reminders that became `status`.
    void moved(NotificationStatus status, const std::string& provider, const std::string& reason = "",
               std::int64_t count = 1);
    /// Inside the caller's transaction; then nothing is gathered any more.
    void apply(SQLite::Database& db);

private:
    std::map<std::tuple<NotificationStatus, std::string, std::string>, std::int64_t> _deltas;
};

/// Inside the caller's transaction: skipped carts become notifications 'skipped' with their
/// reason and an audit row each; a cart already in the ledger under the same key is left as it is.
void insertSkips(SQLite::Database& db, AuditLog& audit, const KeyedHash* hash, std::int64_t cycleId,
                 const std::string& oun, const std::vector<SkippedCart>& skips, const std::string& now);

/// PRAGMA wal_checkpoint(TRUNCATE): false when another connection's open read kept the log.
bool truncateWal(SQLite::Database& db);

} // namespace acd::ledger
