#include "ledger/AuditLog.h"

#include "core/KeyedHash.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <ostream>
#include <stdexcept>

namespace acd {

namespace {

const char* const CanonicalVersion = "acd-audit-1\n";

void appendField(std::string& text, const std::optional<std::string>& value)
{
    if (!value)
    {
        text += "-\n";
        return;
    }
    text += std::to_string(value->size());
    text += ':';
    text += *value;
    text += '\n';
}

std::optional<std::string> optionalText(SQLite::Statement& query, int column)
{
    if (query.getColumn(column).isNull())
        return std::nullopt;
    return query.getColumn(column).getString();
}

void writeCsvField(std::ostream& out, const std::string& value)
{
    if (value.find_first_of(",\"\r\n") == std::string::npos)
    {
        out << value;
        return;
    }
    out << '"';
    for (char c : value)
    {
        if (c == '"')
            out << '"';
        out << c;
    }
    out << '"';
}

std::string rangeText(std::int64_t first, std::int64_t last)
{
    return first == last ? "row " + std::to_string(first)
                         : "rows " + std::to_string(first) + " to " + std::to_string(last);
}

bool isDelimiter(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '<' || c == '>' || c == '"' || c == '\'' ||
           c == '(' || c == ')' || c == '[' || c == ']' || c == ',' || c == ';' || c == ':';
}

} // namespace

std::string withoutAddresses(const std::string& text)
{
    std::string result;
    std::size_t start = 0;
    for (std::size_t at = text.find('@'); at != std::string::npos; at = text.find('@', start))
    {
        std::size_t from = at;
        while (from > start && !isDelimiter(text[from - 1]))
            --from;
        std::size_t to = at + 1;
        while (to < text.size() && !isDelimiter(text[to]))
            ++to;
        result.append(text, start, from - start);
        result += "<address>";
        start = to;
    }
    result.append(text, start, std::string::npos);
    return result;
}

AuditLog::AuditLog(SQLite::Database& db)
    : _db(db),
      // sqlite_sequence keeps the highest id ever used: after newer rows were removed, the next
      // row takes an id past the gap, so verify() reports the removal instead of the chain
      // silently growing over it.
      _head(std::make_unique<SQLite::Statement>(db, R"sql(
          SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'), 0),
                     coalesce((SELECT max(id) FROM audit_log), 0)),
                 (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1))sql")),
      _insert(std::make_unique<SQLite::Statement>(db, R"sql(
          INSERT INTO audit_log (id, at, actor, action, subject, detail, prev_hash, hash)
          VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))sql"))
{
    // The head is only valid inside the transaction that read it: any end of a transaction,
    // ours or a rollback, makes the next append read it again.
    sqlite3_commit_hook(_db.getHandle(), &AuditLog::onTransactionEnd, this);
    sqlite3_rollback_hook(_db.getHandle(), &AuditLog::onRollback, this);
}

AuditLog::~AuditLog()
{
    sqlite3_commit_hook(_db.getHandle(), nullptr, nullptr);
    sqlite3_rollback_hook(_db.getHandle(), nullptr, nullptr);
}

int AuditLog::onTransactionEnd(void* self)
{
    static_cast<AuditLog*>(self)->_headKnown = false;
    return 0; // let the commit proceed
}

void AuditLog::onRollback(void* self)
{
    static_cast<AuditLog*>(self)->_headKnown = false;
}

void AuditLog::append(const AuditEvent& event, const std::string& at)
{
    if (sqlite3_get_autocommit(_db.getHandle()) != 0)
        throw std::logic_error("AuditLog::append must run inside a transaction (action " + event.action +
                               ")");
    if (!_headKnown)
    {
        _head->reset();
        if (!_head->executeStep())
            throw std::logic_error("the audit log's head query returned no row");
        _headId = _head->getColumn(0).getInt64();
        _headHash = optionalText(*_head, 1);
        _head->reset();
        _headKnown = true;
    }
    const std::int64_t id = _headId + 1;
    const std::string hash =
        rowHash(_headHash, id, at, event.actor, event.action, event.subject, event.detail);
    _insert->reset();
    _insert->bind(1, id);
    _insert->bind(2, at);
    _insert->bind(3, event.actor);
    _insert->bind(4, event.action);
    _insert->bind(5, event.subject);
    _insert->bind(6, event.detail);
    if (_headHash)
        _insert->bind(7, *_headHash);
    else
        _insert->bind(7);
    _insert->bind(8, hash);
    _insert->exec();
    _headId = id;
    _headHash = hash;
}

void AuditLog::appendAll(const std::vector<AuditEvent>& events, const std::string& at)
{
    SQLite::Transaction transaction(_db, SQLite::TransactionBehavior::IMMEDIATE);
    for (const AuditEvent& event : events)
        append(event, at);
    transaction.commit();
}

std::string AuditLog::lastRequestDetail(const std::string& action, const std::string& subject)
{
    SQLite::Statement query(_db, "SELECT detail FROM audit_log WHERE action = ?1 AND subject = ?2 "
                                 // The condition of the subject index (migration 0004).
                                 "AND actor <> 'cycle' "
                                 "ORDER BY id DESC LIMIT 1");
    query.bind(1, action);
    query.bind(2, subject);
    return query.executeStep() ? query.getColumn(0).getString() : "";
}

AuditLog::Verification AuditLog::verify()
{
    return verify(_db);
}

std::int64_t AuditLog::exportCsv(std::ostream& out)
{
    return exportCsv(_db, out);
}

std::string AuditLog::rowHash(const std::optional<std::string>& prevHash, std::int64_t id,
                              const std::string& at, const std::string& actor, const std::string& action,
                              const std::optional<std::string>& subject,
                              const std::optional<std::string>& detail)
{
    std::string text = CanonicalVersion;
    appendField(text, prevHash);
    appendField(text, std::to_string(id));
    appendField(text, at);
    appendField(text, actor);
    appendField(text, action);
    appendField(text, subject);
    appendField(text, detail);
    return sha256Hex(text);
}

AuditLog::Verification AuditLog::verify(SQLite::Database& db)
{
    Verification result;
    const auto fail = [&result](std::int64_t row, const std::string& why) {
        result.badRow = row;
        result.problem = why;
        return result;
    };

    SQLite::Statement rows(db, "SELECT id, at, actor, action, subject, detail, prev_hash, hash "
                               "FROM audit_log ORDER BY id");
    std::int64_t expectedId = 1;
    std::optional<std::string> previousHash;
    while (rows.executeStep())
    {
        const std::int64_t id = rows.getColumn(0).getInt64();
        if (id != expectedId)
            return fail(expectedId, rangeText(expectedId, id - 1) +
                                        " missing (removed); the chain resumes at row " + std::to_string(id));
        const std::optional<std::string> prevHash = optionalText(rows, 6);
        if (prevHash != previousHash)
            return fail(id, "row " + std::to_string(id) + ": its prev_hash is not the hash of " +
                                (id == 1 ? std::string("nothing (it is the first row)")
                                         : "row " + std::to_string(id - 1)) +
                                " (a row was altered, inserted or replaced)");
        const std::string stored = rows.getColumn(7).getString();
        const std::string computed =
            rowHash(prevHash, id, rows.getColumn(1).getString(), rows.getColumn(2).getString(),
                    rows.getColumn(3).getString(), optionalText(rows, 4), optionalText(rows, 5));
        if (stored != computed)
            return fail(id, "row " + std::to_string(id) +
                                ": its hash does not match its contents (the row was altered)");
        previousHash = stored;
        ++result.rows;
        ++expectedId;
    }
    result.headHash = previousHash.value_or("");

    SQLite::Statement sequence(db, "SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'");
    const std::int64_t highest = sequence.executeStep() ? sequence.getColumn(0).getInt64() : 0;
    if (highest > result.rows)
        return fail(result.rows + 1, rangeText(result.rows + 1, highest) +
                                         " missing: the log had reached row " + std::to_string(highest) +
                                         " (the newest rows were removed)");

    for (const char* trigger : {"audit_log_no_update", "audit_log_no_delete"})
    {
        SQLite::Statement exists(db, "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?1");
        exists.bind(1, trigger);
        if (!exists.executeStep())
        {
            result.problem = std::string("trigger ") + trigger +
                             " is missing: the audit log is no longer protected against changes";
            return result;
        }
    }
    return result;
}

std::int64_t AuditLog::exportCsv(SQLite::Database& db, std::ostream& out)
{
    out << "id,at,actor,action,subject,detail,prev_hash,hash\r\n";
    SQLite::Statement rows(db, "SELECT id, at, actor, action, subject, detail, prev_hash, hash "
                               "FROM audit_log ORDER BY id");
    std::int64_t count = 0;
    while (rows.executeStep())
    {
        for (int column = 0; column < 8; ++column)
        {
            if (column > 0)
                out << ',';
            writeCsvField(out, rows.getColumn(column).getString());
        }
        out << "\r\n";
        ++count;
    }
    return count;
}

} // namespace acd
