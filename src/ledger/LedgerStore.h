#pragma once

#include "core/KeyedHash.h"
#include "core/Timestamp.h"
#include "core/Types.h"
#include "ledger/CycleStore.h"
#include "ledger/DeliveryStore.h"
#include "ledger/RetentionStore.h"
#include "ledger/StagingStore.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace acd {

class AuditLog;

/// Groups the many small reads of a lookup into one read transaction when none is open, so
/// that SQLite takes its locks once for them all instead of once per statement. Inside a
/// caller's transaction it does nothing.
class ReadTransaction
{
public:
    explicit ReadTransaction(SQLite::Database& db);
    ~ReadTransaction();
    ReadTransaction(const ReadTransaction&) = delete;
    ReadTransaction& operator=(const ReadTransaction&) = delete;

private:
    SQLite::Database& _db;
    bool _began = false;
};

/// The ledger cannot be used: corrupt, newer than this binary, not writable. The message
/// names the file and what to do; the file is never overwritten.
class LedgerError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// The SQLite ledger (DESIGN §8): opened once per process, migrated at open.
/// Every method that writes several rows does so in one transaction, together with the audit
/// rows of what it records (skips, sends, failures: actor "cycle"). Customers appear in the
/// audit log only by keyed hash, so setHashKey() comes first; without it audit rows name no
/// customer and the methods that need the hash (retention, PrivacyStore) refuse to run.
class LedgerStore
{
public:
    /// Opens or creates the file (owner-only), sets WAL, foreign keys and a busy timeout,
    /// applies pending migrations from `migrationsDir` (or the ones built into the binary
    /// when empty). Throws LedgerError for a corrupt file or one newer than this binary.
    explicit LedgerStore(const std::string& path, const std::string& migrationsDir = "");
    ~LedgerStore();

    /// Another connection to the same file, configured alike, with the same hash key, for a
    /// thread of its own (the delivery thread records sends while the cycle's thread decides).
    /// The file was checked and migrated by this one. Not for ":memory:".
    std::unique_ptr<LedgerStore> openSecondConnection() const;

    /// The installation's key (privacy.hashKeySecretName) for customers' keyed hashes.
    void setHashKey(const std::string& key);
    /// Throws std::logic_error when setHashKey() was not called.
    const KeyedHash& keyedHash() const;

    /// PRAGMA user_version: the number of the last migration applied.
    int schemaVersion() const;
    /// The newest migration this binary knows.
    static int latestSchemaVersion();

    /// The cycles and the window of each channel, on this connection.
    CycleStore& cycles();

    /// The carts a cycle keeps until it has chosen one per customer, on this connection.
    StagingStore& staging();

    /// The outbox and the states of its reminders' sends, on this connection.
    DeliveryStore& deliveries();

    /// Retention and the address index that a purge searches, on this connection.
    RetentionStore& retention();

    /// PRAGMA wal_checkpoint(TRUNCATE): copies the write-ahead log into the database and empties
    /// it. False when another connection's open read kept it from being emptied now.
    bool truncateWal();

    /// This connection's audit log, for the layers that append inside their own transactions.
    AuditLog& audit();

    /// The underlying connection, for the layers built on the ledger (audit, opt-outs).
    SQLite::Database& database();

    /// Frees this connection's page cache (up to 8 MB after a cycle), so that the daemon idles
    /// small between cycles; the next cycle reads the pages it needs again.
    void releaseMemory();

private:
    struct AlreadyChecked
    {};
    LedgerStore(const std::string& path, AlreadyChecked);
    void configure();
    void attachLayers();

    std::string _path;
    std::unique_ptr<SQLite::Database> _db;
    std::unique_ptr<AuditLog> _audit; // after _db: it unhooks from the connection first
    std::string _hashKey;             // for a second connection
    std::optional<KeyedHash> _hash;
    std::unique_ptr<DeliveryStore> _deliveries;
    std::unique_ptr<StagingStore> _staging;
    std::unique_ptr<CycleStore> _cycles;
    std::unique_ptr<RetentionStore> _retention;
};

} // namespace acd
