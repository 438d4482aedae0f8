#include "ledger/LedgerFigures.h"

#include "ledger/LedgerStore.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

namespace acd {

namespace {

std::optional<std::string> textOrNone(SQLite::Statement& statement, int column)
{
    if (statement.getColumn(column).isNull())
        return std::nullopt;
    return statement.getColumn(column).getString();
}

/// Rows of (label, count) or, with `twoLabels`, (label, second label, count).
std::vector<LabelledCount> counts(SQLite::Database& db, const char* sql, bool twoLabels = false)
{
    std::vector<LabelledCount> result;
    SQLite::Statement query(db, sql);
    while (query.executeStep())
        result.push_back({query.getColumn(0).getString(), twoLabels ? query.getColumn(1).getString() : "",
                          query.getColumn(twoLabels ? 2 : 1).getInt64()});
    return result;
}

} // namespace

std::optional<CycleSummary> lastCycle(LedgerStore& ledger)
{
    SQLite::Statement last(ledger.database(),
                           "SELECT id, status, started_at, ended_at, error, carts_seen, reminders_sent "
                           "FROM cycles ORDER BY id DESC LIMIT 1");
    if (!last.executeStep())
        return std::nullopt;
    return CycleSummary{last.getColumn(0).getInt64(),  last.getColumn(1).getString(),
                        last.getColumn(2).getString(), textOrNone(last, 3),
                        textOrNone(last, 4),           last.getColumn(5).getInt64(),
                        last.getColumn(6).getInt64()};
}

std::optional<std::string> lastSuccessAt(LedgerStore& ledger)
{
    SQLite::Statement success(ledger.database(),
                              "SELECT max(ended_at) FROM cycles WHERE status = 'completed'");
    success.executeStep();
    return textOrNone(success, 0);
}

LedgerFigures ledgerFigures(LedgerStore& ledger)
{
    SQLite::Database& db = ledger.database();
    ReadTransaction snapshot(db); // one consistent view, and the locks taken once
    LedgerFigures figures;
    figures.cyclesByStatus =
        counts(db, "SELECT status, count(*) FROM cycles GROUP BY status ORDER BY status");
    figures.cartsSeen = db.execAndGet("SELECT coalesce(sum(carts_seen), 0) FROM cycles").getInt64();
    figures.remindersByResult = counts(db,
                                       "SELECT provider, status, count FROM notification_counts "
                                       "WHERE status <> 'skipped' AND count <> 0 ORDER BY 1, 2",
                                       true);
    figures.remindersUncertain =
        db.execAndGet("SELECT coalesce(sum(reminders_uncertain), 0) FROM cycles").getInt64();
    figures.skipsByReason = counts(db, "SELECT reason, count FROM notification_counts "
                                       "WHERE status = 'skipped' AND count <> 0 ORDER BY 1");
    figures.lastSuccessAt = lastSuccessAt(ledger);
    figures.optOuts = db.execAndGet("SELECT count(*) FROM opt_outs").getInt64();
    figures.consents = db.execAndGet("SELECT count(*) FROM consents").getInt64();
    figures.outboxRows = db.execAndGet("SELECT count(*) FROM outbox").getInt64();
    return figures;
}

} // namespace acd
