#include "ledger/LedgerStore.h"

#include "ledger/Migrations.h"
#include "platform/Files.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <sstream>
#include <stdexcept>
#include <system_error>

namespace acd {

namespace {

constexpr int BusyTimeoutMs = 5000;
// Follow-up reminders (stage 2, ...) are not built yet; the key already has room for them.
constexpr int Stage = 1;

const char* const MemoryPath = ":memory:";

std::string nowIso()
{
    return Timestamp::now().toIso();
}

std::string corruptMessage(const std::string& path, const std::string& detail)
{
    return "ledger " + path + " is damaged or is not a SQLite database (" + detail +
           "); it was left untouched: restore a backup, or move it aside to start a new ledger";
}

std::string cartToJson(const Cart& cart)
{
    Poco::JSON::Array::Ptr lines = new Poco::JSON::Array;
    for (const CartLine& line : cart.lines)
    {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object;
        item->set("lineId", line.lineId);
        item->set("productId", static_cast<Poco::Int64>(line.productId));
        item->set("itemId", line.itemId);
        item->set("quantity", line.quantity);
        item->set("price", line.price);
        lines->add(item);
    }
    Poco::JSON::Object json;
    json.set("id", cart.id);
    json.set("customerId", cart.customerId);
    json.set("modifiedDateTime", cart.modifiedDateTime->toIso());
    json.set("cartTypeValue", cart.cartTypeValue);
    json.set("channelId", static_cast<Poco::Int64>(cart.channelId));
    json.set("totalAmount", cart.totalAmount);
    json.set("lines", lines);
    std::ostringstream out;
    json.stringify(out);
    return out.str();
}

Cart cartFromJson(const std::string& text)
{
    Poco::JSON::Parser parser;
    const Poco::JSON::Object::Ptr json = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
    Cart cart;
    cart.id = json->getValue<std::string>("id");
    cart.customerId = json->getValue<std::string>("customerId");
    const std::string modified = json->getValue<std::string>("modifiedDateTime");
    cart.modifiedDateTime = Timestamp::parse(modified);
    if (!cart.modifiedDateTime)
        throw LedgerError("ledger candidate cart " + cart.id + " has an unreadable modifiedDateTime '" +
                          modified + "'");
    cart.cartTypeValue = json->getValue<int>("cartTypeValue");
    cart.channelId = json->getValue<Poco::Int64>("channelId");
    cart.totalAmount = json->getValue<std::string>("totalAmount");
    const Poco::JSON::Array::Ptr lines = json->getArray("lines");
    for (std::size_t i = 0; i < lines->size(); ++i)
    {
        const Poco::JSON::Object::Ptr item = lines->getObject(i);
        CartLine line;
        line.lineId = item->getValue<std::string>("lineId");
        line.productId = item->getValue<Poco::Int64>("productId");
        line.itemId = item->getValue<std::string>("itemId");
        line.quantity = item->getValue<std::string>("quantity");
        line.price = item->getValue<std::string>("price");
        cart.lines.push_back(std::move(line));
    }
    return cart;
}

void insertSkips(SQLite::Database& db, std::int64_t cycleId, const std::string& oun,
                 const std::vector<SkippedCart>& skips, const std::string& now)
{
    SQLite::Statement insert(db, R"sql(
        INSERT INTO notifications (oun, cart_id, modified_at, stage, trigger_id, cycle_id, customer_id,
                                   status, reason, attempts, created_at, updated_at)
        VALUES (?1, ?2, ?3, ?4, '', ?5, ?6, 'skipped', ?7, 0, ?8, ?8)
        ON CONFLICT (oun, cart_id, modified_at, stage) DO NOTHING)sql");
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
        insert.exec();
    }
}

// Carts of one cycle in the order of the per-customer choice: position 1 is the one kept.
const char* const RankedCandidates = R"sql(
    SELECT cycle_id, cart_id, customer_id, modified_at,
           row_number() OVER (PARTITION BY customer_id ORDER BY modified_at DESC, cart_id DESC) AS position
    FROM candidates
    WHERE cycle_id = ?1)sql";

} // namespace

LedgerStore::LedgerStore(const std::string& path, const std::string& migrationsDir)
{
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

    try
    {
        if (!inMemory)
        {
            const std::string mode = _db->execAndGet("PRAGMA journal_mode = WAL").getString();
            if (mode != "wal")
                throw LedgerError("ledger " + path + " cannot use write-ahead logging (journal mode stays '" +
                                  mode + "'): keep it on a local disk");
        }
        // NORMAL is durable in WAL mode except for the last transactions before a power cut,
        // which the next cycle redoes: the notification key makes that harmless.
        _db->exec("PRAGMA synchronous = NORMAL");
        _db->exec("PRAGMA secure_delete = ON");
    }
    catch (const SQLite::Exception& e)
    {
        throw LedgerError("ledger " + path + " cannot be configured: " + e.what());
    }

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
}

LedgerStore::~LedgerStore() = default;

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
            reminders_failed = ?6, reminders_pending = ?7, skipped = ?8, error = NULLIF(?9, '')
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
    if (update.exec() == 0)
        throw std::invalid_argument("finishCycle: the ledger has no cycle " + std::to_string(cycleId));
}

int LedgerStore::closeInterruptedCycles()
{
    SQLite::Statement update(*_db, R"sql(
        UPDATE cycles
        SET status = 'interrupted', ended_at = ?1,
            error = coalesce(error, 'the process stopped before the cycle ended')
        WHERE status = 'running')sql");
    update.bind(1, nowIso());
    return update.exec();
}

void LedgerStore::recordSkips(std::int64_t cycleId, const std::string& oun,
                              const std::vector<SkippedCart>& skips)
{
    SQLite::Transaction transaction(*_db);
    insertSkips(*_db, cycleId, oun, skips, nowIso());
    transaction.commit();
}

int LedgerStore::stageCandidates(std::int64_t cycleId, const std::string& oun, const std::vector<Cart>& carts)
{
    for (const Cart& cart : carts)
    {
        if (cart.customerId.empty() || cart.lines.empty() || !cart.modifiedDateTime)
            throw std::invalid_argument(
                "stageCandidates: cart " + cart.id +
                " is not eligible (it needs a customer, lines and a ModifiedDateTime); "
                "record it with recordSkips instead");
    }
    SQLite::Transaction transaction(*_db);
    // A cart read twice in one cycle (paging while it changes) keeps its latest modification.
    SQLite::Statement insert(*_db, R"sql(
        INSERT INTO candidates (cycle_id, cart_id, customer_id, modified_at, cart_json)
        SELECT ?1, ?2, ?3, ?4, ?5
        WHERE NOT EXISTS (SELECT 1 FROM notifications
                          WHERE oun = ?6 AND cart_id = ?2 AND modified_at = ?4 AND stage = ?7)
        ON CONFLICT (cycle_id, cart_id) DO UPDATE
        SET customer_id = excluded.customer_id, modified_at = excluded.modified_at, cart_json = excluded.cart_json
        WHERE excluded.modified_at > candidates.modified_at)sql");
    int staged = 0;
    for (const Cart& cart : carts)
    {
        insert.reset();
        insert.bind(1, cycleId);
        insert.bind(2, cart.id);
        insert.bind(3, cart.customerId);
        insert.bind(4, cart.modifiedDateTime->toIso());
        insert.bind(5, cartToJson(cart));
        insert.bind(6, oun);
        insert.bind(7, Stage);
        staged += insert.exec();
    }
    transaction.commit();
    return staged;
}

int LedgerStore::resolveSuperseded(std::int64_t cycleId, const std::string& oun)
{
    SQLite::Transaction transaction(*_db);
    SQLite::Statement record(*_db, std::string(R"sql(
        INSERT INTO notifications (oun, cart_id, modified_at, stage, trigger_id, cycle_id, customer_id,
                                   status, reason, attempts, created_at, updated_at)
        SELECT ?2, cart_id, modified_at, ?3, '', cycle_id, customer_id, 'skipped', ?4, 0, ?5, ?5
        FROM ()sql") + RankedCandidates +
                                       R"sql()
        WHERE position > 1
        ON CONFLICT (oun, cart_id, modified_at, stage) DO NOTHING)sql");
    record.bind(1, cycleId);
    record.bind(2, oun);
    record.bind(3, Stage);
    record.bind(4, toString(SkipReason::Superseded));
    record.bind(5, nowIso());
    record.exec();

    SQLite::Statement remove(*_db, std::string(R"sql(
        DELETE FROM candidates
        WHERE cycle_id = ?1 AND cart_id IN (SELECT cart_id FROM ()sql") +
                                       RankedCandidates + ") WHERE position > 1)");
    remove.bind(1, cycleId);
    const int superseded = remove.exec();
    transaction.commit();
    return superseded;
}

std::vector<Cart> LedgerStore::candidates(std::int64_t cycleId, const std::string& afterCustomerId, int limit)
{
    if (limit <= 0)
        throw std::invalid_argument("candidates: limit must be positive, not " + std::to_string(limit));
    SQLite::Statement query(*_db, R"sql(
        SELECT cart_json FROM candidates
        WHERE cycle_id = ?1 AND customer_id > ?2
        ORDER BY customer_id, modified_at, cart_id
        LIMIT ?3)sql");
    query.bind(1, cycleId);
    query.bind(2, afterCustomerId);
    query.bind(3, limit);
    std::vector<Cart> carts;
    while (query.executeStep())
        carts.push_back(cartFromJson(query.getColumn(0).getString()));
    return carts;
}

void LedgerStore::clearCandidates(std::int64_t cycleId)
{
    SQLite::Statement remove(*_db, "DELETE FROM candidates WHERE cycle_id = ?1");
    remove.bind(1, cycleId);
    remove.exec();
}

std::set<std::string> LedgerStore::customersRemindedSince(const std::vector<std::string>& customerIds,
                                                          Timestamp since)
{
    SQLite::Statement query(
        *_db, "SELECT EXISTS (SELECT 1 FROM notifications WHERE customer_id = ?1 "
               "AND (sent_at >= ?2 OR status = 'pending'))");
    const std::string sinceIso = since.toIso();
    std::set<std::string> reminded;
    for (const std::string& customerId : customerIds)
    {
        if (customerId.empty() || reminded.count(customerId) != 0)
            continue;
        query.reset();
        query.bind(1, customerId);
        query.bind(2, sinceIso);
        if (query.executeStep() && query.getColumn(0).getInt() != 0)
            reminded.insert(customerId);
    }
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
    SQLite::Transaction transaction(*_db);
    SQLite::Statement notification(*_db, R"sql(
        INSERT INTO notifications (oun, cart_id, modified_at, stage, trigger_id, cycle_id, customer_id,
                                   status, attempts, created_at, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?8)
        ON CONFLICT (oun, cart_id, modified_at, stage) DO NOTHING)sql");
    SQLite::Statement outbox(*_db, R"sql(
        INSERT INTO outbox (notification_id, email, payload, created_at) VALUES (?1, ?2, ?3, ?4))sql");
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
        // Already in the ledger: that reminder was queued (or decided) by an earlier cycle.
        if (notification.exec() == 0)
            continue;
        outbox.reset();
        outbox.bind(1, _db->getLastInsertRowid());
        outbox.bind(2, reminder.email);
        outbox.bind(3, reminder.dataJson);
        outbox.bind(4, now);
        outbox.exec();
    }
    insertSkips(*_db, cycleId, oun, skips, now);
    transaction.commit();
}

std::vector<OutboxItem> LedgerStore::pendingOutbox(std::int64_t afterNotificationId, int limit)
{
    if (limit <= 0)
        throw std::invalid_argument("pendingOutbox: limit must be positive, not " + std::to_string(limit));
    SQLite::Statement query(*_db, R"sql(
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

void LedgerStore::recordDeliveries(const std::vector<DeliveryOutcome>& outcomes)
{
    for (const DeliveryOutcome& outcome : outcomes)
    {
        if (outcome.status != "sent" && outcome.status != "failed" && outcome.status != "pending")
            throw std::invalid_argument("recordDeliveries: status '" + outcome.status + "' of notification " +
                                        std::to_string(outcome.notificationId) +
                                        " is not one of sent, failed, pending");
    }
    const std::string now = nowIso();
    SQLite::Transaction transaction(*_db);
    // Only a pending notification changes: an outcome reported twice cannot undo a final one.
    SQLite::Statement update(*_db, R"sql(
        UPDATE notifications
        SET status = ?1, reason = NULLIF(?2, ''), provider = coalesce(NULLIF(?3, ''), provider),
            attempts = attempts + 1, sent_at = CASE WHEN ?1 = 'sent' THEN ?4 ELSE sent_at END, updated_at = ?4
        WHERE id = ?5 AND status = 'pending')sql");
    // A final outcome no longer needs the address: personal data stays only as long as a send needs it.
    SQLite::Statement forget(*_db, "DELETE FROM outbox WHERE notification_id = ?1");
    for (const DeliveryOutcome& outcome : outcomes)
    {
        update.reset();
        update.bind(1, outcome.status);
        update.bind(2, outcome.detail);
        update.bind(3, outcome.provider);
        update.bind(4, now);
        update.bind(5, outcome.notificationId);
        if (update.exec() == 0 || outcome.status == "pending")
            continue;
        forget.reset();
        forget.bind(1, outcome.notificationId);
        forget.exec();
    }
    transaction.commit();
}

SQLite::Database& LedgerStore::database()
{
    return *_db;
}

} // namespace acd
