#pragma once

#include "core/KeyedHash.h"
#include "core/Timestamp.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace acd {

class AuditLog;

/// What one applyRetention() removed.
struct RetentionResult
{
    std::int64_t expired = 0; // reminders still pending after the retention period: failed, address removed
    std::int64_t outboxRows = 0; // addresses and payloads removed
    std::int64_t anonymised = 0; // notifications whose account number became its keyed hash
    bool walCleared = true;      // false when a reader kept the write-ahead log from being emptied
};

/// How long the ledger keeps what names a customer (ledger.retentionDays), and the index that
/// finds a customer's notifications by address hash for a purge.
class RetentionStore
{
public:
    /// `hash` is the ledger's keyed hash, set later than this store is made.
    RetentionStore(SQLite::Database& db, AuditLog& audit, const std::optional<KeyedHash>& hash);

    /// For notifications final for more than `days` before `now`, the outbox row goes and the
    /// account number becomes its keyed hash; reminders still pending after `days` fail as
    /// expired. Counts, statuses and hashes stay. One audit row "retention" when anything
    /// changed, then the write-ahead log is emptied so no copy of the removed data lingers
    /// there. Throws std::logic_error without the ledger's hash key.
    RetentionResult applyRetention(Timestamp now, int days);

    /// Adds the notifications written since the last call to email_index, in hash order, in one
    /// transaction (migration 0005 says why). Returns how many. The cycle calls it once at its end.
    std::int64_t indexEmailHashes();
    /// Every notification to the address with this keyed hash: those in email_index, and the
    /// newest ones not yet in it.
    std::vector<std::int64_t> notificationsTo(const std::string& emailHash);

private:
    SQLite::Database& _db;
    AuditLog& _audit;
    const std::optional<KeyedHash>& _hash;
};

} // namespace acd
