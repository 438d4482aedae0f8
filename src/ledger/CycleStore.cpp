#include "ledger/CycleStore.h"

#include "ledger/LedgerInternals.h"
#include "ledger/LedgerStore.h"
#include "ledger/StagingStore.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <stdexcept>

namespace acd {

using ledger::nowIso;

CycleStore::CycleStore(SQLite::Database& db, StagingStore& staging) : _db(db), _staging(staging) {}

std::optional<Timestamp> CycleStore::windowStart(const std::string& oun)
{
    SQLite::Statement query(_db, "SELECT window_start FROM window_state WHERE oun = ?1");
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

void CycleStore::setWindowStart(const std::string& oun, Timestamp start)
{
    SQLite::Statement upsert(_db, R"sql(
        INSERT INTO window_state (oun, window_start, updated_at) VALUES (?1, ?2, ?3)
        ON CONFLICT (oun) DO UPDATE SET window_start = excluded.window_start, updated_at = excluded.updated_at)sql");
    upsert.bind(1, oun);
    upsert.bind(2, start.toIso());
    upsert.bind(3, nowIso());
    upsert.exec();
}

std::int64_t CycleStore::begin(const std::string& oun, Timestamp from, Timestamp to)
{
    SQLite::Statement insert(_db, R"sql(
        INSERT INTO cycles (oun, started_at, status, window_from, window_to)
        VALUES (?1, ?2, 'running', ?3, ?4))sql");
    insert.bind(1, oun);
    insert.bind(2, nowIso());
    insert.bind(3, from.toIso());
    insert.bind(4, to.toIso());
    insert.exec();
    return _db.getLastInsertRowid();
}

void CycleStore::finish(std::int64_t cycleId, const CycleCounts& counts, const std::string& status,
                        const std::string& error)
{
    if (status != "completed" && status != "failed" && status != "interrupted")
        throw std::invalid_argument("CycleStore::finish: status '" + status +
                                    "' is not one of completed, failed, interrupted");
    SQLite::Statement update(_db, R"sql(
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
        throw std::invalid_argument("CycleStore::finish: the ledger has no cycle " + std::to_string(cycleId));
}

void CycleStore::setSecretsState(std::int64_t cycleId, bool sealed)
{
    SQLite::Statement update(_db, "UPDATE cycles SET secrets_state = ?1 WHERE id = ?2");
    update.bind(1, sealed ? "sealed" : "live");
    update.bind(2, cycleId);
    if (update.exec() == 0)
        throw std::invalid_argument("CycleStore::setSecretsState: the ledger has no cycle " +
                                    std::to_string(cycleId));
}

int CycleStore::closeInterrupted()
{
    SQLite::Statement update(_db, R"sql(
        UPDATE cycles
        SET status = 'interrupted', ended_at = ?1,
            error = coalesce(error, 'the process stopped before the cycle ended')
        WHERE status = 'running')sql");
    update.bind(1, nowIso());
    SQLite::Transaction transaction(_db, SQLite::TransactionBehavior::IMMEDIATE);
    const int interrupted = update.exec();
    // Their staged carts (account numbers) would otherwise outlive every retention period.
    _staging.dropInterrupted();
    transaction.commit();
    return interrupted;
}

} // namespace acd
