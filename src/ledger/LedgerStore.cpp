#include "ledger/LedgerStore.h"

#include "ledger/AuditLog.h"
#include "ledger/LedgerInternals.h"
#include "ledger/Migrations.h"
#include "platform/Files.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <mutex>
#include <set>
#include <stdexcept>
#include <system_error>

namespace acd {

using ledger::applyRetentionRules;
using ledger::CacheSizePragma;
using ledger::HashedAccountPrefix;
using ledger::insertSkips;
using ledger::nowIso;
using ledger::SmallCacheWhileSorting;
using ledger::Stage;

namespace {

constexpr int BusyTimeoutMs = 5000;

/// Before SQLite's first use in the process. Each connection is used by one thread at a time
/// (the cycle's, the delivery thread's, the admin API's under its mutex), so SQLite's own
/// per-connection mutexes and its global count of memory in use would only make those threads
/// wait on one another at every allocation.
void configureSqliteOnce()
{
    static std::once_flag once;
    std::call_once(once, [] {
        sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        sqlite3_initialize();
    });
}
const char* const MemoryPath = ":memory:";
std::string corruptMessage(const std::string& path, const std::string& detail)
{
    return "ledger " + path + " is damaged or is not a SQLite database (" + detail +
           "); it was left untouched: restore a backup, or move it aside to start a new ledger";
}

} // namespace

ReadTransaction::ReadTransaction(SQLite::Database& db) : _db(db)
{
    if (sqlite3_get_autocommit(_db.getHandle()) != 0)
    {
        _db.exec("BEGIN");
        _began = true;
    }
}

ReadTransaction::~ReadTransaction()
{
    if (!_began)
        return;
    // Only reads happened: ending it cannot fail in a way that loses anything.
    sqlite3_exec(_db.getHandle(), "COMMIT", nullptr, nullptr, nullptr);
}

LedgerStore::LedgerStore(const std::string& path, const std::string& migrationsDir) : _path(path)
{
    configureSqliteOnce();
    const std::vector<Migration> migrations =
        migrationsDir.empty() ? embeddedMigrations() : loadMigrations(migrationsDir);
    const int latest = migrations.back().version;
    const bool inMemory = path == MemoryPath;

    if (!inMemory)
    {
        try
        {
            createOwnerOnlyFile(path);
        }
        catch (const std::system_error& e)
        {
            throw LedgerError("ledger " + path + " cannot be created: " + e.code().message() +
                              "; check that its directory exists and is writable");
        }
        try
        {
            // A ledger that an older tool left readable by others holds personal data too.
            restrictToOwner(path);
        }
        catch (const std::system_error& e)
        {
            throw LedgerError("ledger " + path +
                              " cannot be made readable by its owner only: " + e.code().message());
        }
    }
    try
    {
        _db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
                                                 BusyTimeoutMs);
    }
    catch (const SQLite::Exception& e)
    {
        throw LedgerError("ledger " + path + " cannot be opened: " + e.what());
    }

    // Nothing may be written before these checks: a damaged or newer ledger is evidence to keep.
    int version = 0;
    try
    {
        SQLite::Statement check(*_db, "PRAGMA quick_check(5)");
        std::string problems;
        while (check.executeStep())
        {
            std::string line = check.getColumn(0).getString();
            if (line == "ok")
                continue;
            const std::string::size_type header = line.find("***\n"); // "*** in database main ***\n"
            if (header != std::string::npos)
                line.erase(0, header + 4);
            problems += (problems.empty() ? "" : "; ") + line;
        }
        if (!problems.empty())
            throw LedgerError(corruptMessage(path, problems));
        version = schemaVersion();
    }
    catch (const SQLite::Exception& e)
    {
        if (e.getErrorCode() == SQLITE_NOTADB || e.getErrorCode() == SQLITE_CORRUPT)
            throw LedgerError(corruptMessage(path, e.what()));
        throw LedgerError("ledger " + path + " cannot be read (" + e.what() + "); it was left untouched");
    }
    if (version > latest)
        throw LedgerError("ledger " + path + " has schema version " + std::to_string(version) +
                          " but this abandoned-cartd knows only up to " + std::to_string(latest) +
                          ": it was written by a newer version; install that version or restore a backup");

    configure();

    // Foreign keys are enforced only after the migrations, so that a migration can rebuild a
    // table (SQLite's way to alter one); each is checked before it commits instead.
    for (const Migration& migration : migrations)
    {
        if (migration.version <= version)
            continue;
        const std::string failed = "ledger " + path + ": migration " + migration.fileName + " failed (";
        const std::string kept = "); the ledger stays at schema version " + std::to_string(version);
        try
        {
            SQLite::Transaction transaction(*_db, SQLite::TransactionBehavior::IMMEDIATE);
            // Another process may have migrated while this one waited for the write lock.
            if (schemaVersion() < migration.version)
            {
                _db->exec(migration.sql);
                SQLite::Statement foreignKeys(*_db, "PRAGMA foreign_key_check");
                if (foreignKeys.executeStep())
                    throw LedgerError(failed + "it leaves rows of " + foreignKeys.getColumn(0).getString() +
                                      " that refer to missing rows of " +
                                      foreignKeys.getColumn(2).getString() + kept);
                _db->exec("PRAGMA user_version = " + std::to_string(migration.version));
                transaction.commit();
            }
        }
        catch (const SQLite::Exception& e)
        {
            throw LedgerError(failed + e.what() + kept);
        }
        version = migration.version;
    }
    try
    {
        _db->exec("PRAGMA foreign_keys = ON");
    }
    catch (const SQLite::Exception& e)
    {
        throw LedgerError("ledger " + path + " cannot be configured: " + e.what());
    }

    if (!inMemory)
    {
        // SQLite gives -wal and -shm the database's mode already; a umask or an older file may not.
        try
        {
            for (const char* suffix : {"-wal", "-shm"})
                restrictToOwner(path + suffix);
        }
        catch (const std::system_error& e)
        {
            throw LedgerError("ledger " + path + ": " + e.what());
        }
    }
    attachLayers();
}

LedgerStore::LedgerStore(const std::string& path, AlreadyChecked) : _path(path)
{
    try
    {
        _db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE, BusyTimeoutMs);
        configure();
        _db->exec("PRAGMA foreign_keys = ON");
    }
    catch (const SQLite::Exception& e)
    {
        throw LedgerError("ledger " + path + " cannot be opened a second time: " + e.what());
    }
    attachLayers();
}

std::unique_ptr<LedgerStore> LedgerStore::openSecondConnection() const
{
    if (_path == MemoryPath)
        throw std::logic_error("an in-memory ledger has no second connection");
    std::unique_ptr<LedgerStore> second(new LedgerStore(_path, AlreadyChecked{}));
    // It records deliveries, a few pages per request: SQLite's own 2 MB cache is plenty, and
    // the daemon's peak memory is that of the cycle's connection.
    second->_db->exec("PRAGMA cache_size = -2048");
    if (_hash)
        second->setHashKey(_hashKey);
    return second;
}

void LedgerStore::configure()
{
    try
    {
        if (_path != MemoryPath)
        {
            const std::string mode = _db->execAndGet("PRAGMA journal_mode = WAL").getString();
            if (mode != "wal")
                throw LedgerError("ledger " + _path +
                                  " cannot use write-ahead logging (journal mode stays '" + mode +
                                  "'): keep it on a local disk");
        }
        // NORMAL is durable in WAL mode against a process killed at any moment; only the last
        // transactions before a power cut may be lost, which the next cycle redoes.
        _db->exec("PRAGMA synchronous = NORMAL");
        _db->exec("PRAGMA secure_delete = ON");
        // 8 MB of page cache instead of SQLite's 2 MB: a cycle's index pages stay in memory.
        _db->exec(CacheSizePragma);
        // The pages a cycle rewrites again and again (index pages, the outbox's) are copied from
        // the write-ahead log into the file once per 40 MB of log instead of once per 4 MB:
        // 7 % less CPU over 100 000 carts. The daemon empties the log after each cycle.
        _db->exec("PRAGMA wal_autocheckpoint = 10000");
    }
    catch (const SQLite::Exception& e)
    {
        throw LedgerError("ledger " + _path + " cannot be configured: " + e.what());
    }
}

void LedgerStore::attachLayers()
{
    _audit = std::make_unique<AuditLog>(*_db);
    _deliveries = std::make_unique<DeliveryStore>(*_db, *_audit, _hash);
    _staging = std::make_unique<StagingStore>(*_db, *_audit, _hash);
}

DeliveryStore& LedgerStore::deliveries()
{
    return *_deliveries;
}

StagingStore& LedgerStore::staging()
{
    return *_staging;
}

LedgerStore::~LedgerStore() = default;

void LedgerStore::setHashKey(const std::string& key)
{
    _hashKey = key;
    _hash.emplace(key);
}

const KeyedHash& LedgerStore::keyedHash() const
{
    if (!_hash)
        throw std::logic_error("the ledger's hash key is not set (LedgerStore::setHashKey)");
    return *_hash;
}

AuditLog& LedgerStore::audit()
{
    return *_audit;
}

int LedgerStore::schemaVersion() const
{
    return _db->execAndGet("PRAGMA user_version").getInt();
}

int LedgerStore::latestSchemaVersion()
{
    return embeddedMigrations().back().version;
}

std::optional<Timestamp> LedgerStore::windowStart(const std::string& oun)
{
    SQLite::Statement query(*_db, "SELECT window_start FROM window_state WHERE oun = ?1");
    query.bind(1, oun);
    if (!query.executeStep())
        return std::nullopt;
    const std::string text = query.getColumn(0).getString();
    std::optional<Timestamp> start = Timestamp::parse(text);
    if (!start)
        throw LedgerError("ledger window_state for OUN " + oun + " holds an unreadable timestamp '" + text +
                          "'");
    return start;
}

void LedgerStore::setWindowStart(const std::string& oun, Timestamp start)
{
    SQLite::Statement upsert(*_db, R"sql(
        INSERT INTO window_state (oun, window_start, updated_at) VALUES (?1, ?2, ?3)
        ON CONFLICT (oun) DO UPDATE SET window_start = excluded.window_start, updated_at = excluded.updated_at)sql");
    upsert.bind(1, oun);
    upsert.bind(2, start.toIso());
    upsert.bind(3, nowIso());
    upsert.exec();
}

std::int64_t LedgerStore::beginCycle(const std::string& oun, Timestamp from, Timestamp to)
{
    SQLite::Statement insert(*_db, R"sql(
        INSERT INTO cycles (oun, started_at, status, window_from, window_to)
        VALUES (?1, ?2, 'running', ?3, ?4))sql");
    insert.bind(1, oun);
    insert.bind(2, nowIso());
    insert.bind(3, from.toIso());
    insert.bind(4, to.toIso());
    insert.exec();
    return _db->getLastInsertRowid();
}

void LedgerStore::finishCycle(std::int64_t cycleId, const CycleCounts& counts, const std::string& status,
                              const std::string& error)
{
    if (status != "completed" && status != "failed" && status != "interrupted")
        throw std::invalid_argument("finishCycle: status '" + status +
                                    "' is not one of completed, failed, interrupted");
    SQLite::Statement update(*_db, R"sql(
        UPDATE cycles
        SET ended_at = ?1, status = ?2, carts_seen = ?3, reminders_queued = ?4, reminders_sent = ?5,
            reminders_failed = ?6, reminders_pending = ?7, skipped = ?8, error = NULLIF(?9, ''),
            reminders_uncertain = ?11
        WHERE id = ?10)sql");
    update.bind(1, nowIso());
    update.bind(2, status);
    update.bind(3, counts.cartsSeen);
    update.bind(4, counts.remindersQueued);
    update.bind(5, counts.remindersSent);
    update.bind(6, counts.remindersFailed);
    update.bind(7, counts.remindersPending);
    update.bind(8, counts.skipped);
    update.bind(9, error);
    update.bind(10, cycleId);
    update.bind(11, counts.remindersUncertain);
    if (update.exec() == 0)
        throw std::invalid_argument("finishCycle: the ledger has no cycle " + std::to_string(cycleId));
}

void LedgerStore::setCycleSecretsState(std::int64_t cycleId, bool sealed)
{
    SQLite::Statement update(*_db, "UPDATE cycles SET secrets_state = ?1 WHERE id = ?2");
    update.bind(1, sealed ? "sealed" : "live");
    update.bind(2, cycleId);
    if (update.exec() == 0)
        throw std::invalid_argument("setCycleSecretsState: the ledger has no cycle " +
                                    std::to_string(cycleId));
}

int LedgerStore::closeInterruptedCycles()
{
    SQLite::Statement update(*_db, R"sql(
        UPDATE cycles
        SET status = 'interrupted', ended_at = ?1,
            error = coalesce(error, 'the process stopped before the cycle ended')
        WHERE status = 'running')sql");
    update.bind(1, nowIso());
    SQLite::Transaction transaction(*_db, SQLite::TransactionBehavior::IMMEDIATE);
    const int interrupted = update.exec();
    // Their staged carts (account numbers) would otherwise outlive every retention period.
    _staging->dropInterrupted();
    transaction.commit();
    return interrupted;
}

void LedgerStore::recordSkips(std::int64_t cycleId, const std::string& oun,
                              const std::vector<SkippedCart>& skips)
{
    SQLite::Transaction transaction(*_db, SQLite::TransactionBehavior::IMMEDIATE);
    insertSkips(*_db, *_audit, _hash ? &*_hash : nullptr, cycleId, oun, skips, nowIso());
    transaction.commit();
}

std::set<std::string> LedgerStore::customersRemindedSince(const std::vector<std::string>& customerIds,
                                                          Timestamp since)
{
    // A customer's older rows may already carry the hashed account (retention, purge).
    SQLite::Statement query(*_db, "SELECT EXISTS (SELECT 1 FROM notifications WHERE customer_id IN (?1, ?3) "
                                  "AND (sent_at >= ?2 OR status = 'pending' "
                                  "OR (status = 'uncertain' AND updated_at >= ?2)))");
    const std::string sinceIso = since.toIso();
    const ReadTransaction read(*_db);
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

void LedgerStore::queueReminders(std::int64_t cycleId, const std::string& oun,
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
    SQLite::Transaction transaction(*_db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement notification(*_db, R"sql(
        INSERT INTO notifications (oun, cart_id, modified_at, stage, trigger_id, cycle_id, customer_id,
                                   status, attempts, created_at, updated_at, email_hash)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?8, ?9)
        ON CONFLICT (oun, cart_id, modified_at, stage) DO NOTHING)sql");
    SQLite::Statement outbox(*_db, R"sql(
        INSERT INTO outbox (notification_id, email, payload, created_at) VALUES (?1, ?2, ?3, ?4))sql");
    ledger::NotificationCounts counts;
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
        outbox.bind(1, _db->getLastInsertRowid());
        outbox.bind(2, reminder.email);
        outbox.bind(3, reminder.dataJson);
        outbox.bind(4, now);
        outbox.exec();
    }
    counts.apply(*_db);
    insertSkips(*_db, *_audit, _hash ? &*_hash : nullptr, cycleId, oun, skips, now);
    transaction.commit();
}

RetentionResult LedgerStore::applyRetention(Timestamp now, int days)
{
    RetentionResult result = applyRetentionRules(*_db, *_audit, keyedHash(), now, days);
    if (result.expired + result.outboxRows + result.anonymised > 0)
        result.walCleared = truncateWal();
    return result;
}

std::int64_t LedgerStore::indexEmailHashes()
{
    const SmallCacheWhileSorting sorting(*_db);
    SQLite::Transaction transaction(*_db, SQLite::TransactionBehavior::IMMEDIATE);
    const std::int64_t indexed =
        _db->execAndGet("SELECT last_notification_id FROM email_index_state WHERE id = 1").getInt64();
    const std::int64_t newest = _db->execAndGet("SELECT coalesce(max(id), 0) FROM notifications").getInt64();
    if (newest <= indexed)
        return 0;
    // Sorted, the new entries go into each page of the index once, however many there are.
    SQLite::Statement add(*_db, R"sql(
        INSERT OR IGNORE INTO email_index (email_hash, notification_id)
        SELECT email_hash, id FROM notifications
        WHERE id > ?1 AND id <= ?2 AND email_hash IS NOT NULL
        ORDER BY email_hash, id)sql");
    add.bind(1, indexed);
    add.bind(2, newest);
    const std::int64_t added = add.exec();
    SQLite::Statement advance(*_db, "UPDATE email_index_state SET last_notification_id = ?1 WHERE id = 1");
    advance.bind(1, newest);
    advance.exec();
    transaction.commit();
    return added;
}

std::vector<std::int64_t> LedgerStore::notificationsTo(const std::string& emailHash)
{
    SQLite::Statement query(*_db, R"sql(
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

bool LedgerStore::truncateWal()
{
    // Columns: busy (1 when a reader or writer blocked it), frames in the log, frames copied.
    SQLite::Statement checkpoint(*_db, "PRAGMA wal_checkpoint(TRUNCATE)");
    if (!checkpoint.executeStep())
        return false;
    return checkpoint.getColumn(0).getInt() == 0 && checkpoint.getColumn(1).getInt() <= 0;
}

SQLite::Database& LedgerStore::database()
{
    return *_db;
}

void LedgerStore::releaseMemory()
{
    sqlite3_db_release_memory(_db->getHandle());
}

} // namespace acd
