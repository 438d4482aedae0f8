#pragma once

// What the ledger's stores share, for the .cpp files of src/ledger only.

#include "core/KeyedHash.h"
#include "core/Timestamp.h"
#include "ledger/LedgerStore.h"

#include <cstdint>
#include <string>
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

/// Inside the caller's transaction: skipped carts become notifications 'skipped' with their
/// reason and an audit row each; a cart already in the ledger under the same key is left as it is.
void insertSkips(SQLite::Database& db, AuditLog& audit, const KeyedHash* hash, std::int64_t cycleId,
                 const std::string& oun, const std::vector<SkippedCart>& skips, const std::string& now);

/// Retention's rules in one transaction (LedgerStore::applyRetention empties the log after).
RetentionResult applyRetentionRules(SQLite::Database& db, AuditLog& audit, const KeyedHash& hash,
                                    Timestamp now, int days);

} // namespace acd::ledger
