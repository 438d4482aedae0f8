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
#include <stdexcept>
#include <system_error>

namespace acd {

using ledger::CacheSizePragma;

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
    _cycles = std::make_unique<CycleStore>(*_db, *_staging);
    _retention = std::make_unique<RetentionStore>(*_db, *_audit, _hash);
}

DeliveryStore& LedgerStore::deliveries()
{
    return *_deliveries;
}

CycleStore& LedgerStore::cycles()
{
    return *_cycles;
}

RetentionStore& LedgerStore::retention()
{
    return *_retention;
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

bool LedgerStore::truncateWal()
{
    return ledger::truncateWal(*_db);
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
