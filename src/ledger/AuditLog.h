#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace SQLite {
class Database;
class Statement;
} // namespace SQLite

namespace acd {

/// `text` with every word that holds an '@' replaced by "<address>": provider texts may quote
/// the address they refused (SMTP "550 <a@b.c>: unknown"), and the ledger keeps such texts.
std::string withoutAddresses(const std::string& text);

/// One row of the audit log. `subject` names a customer only by keyed hash
/// (`email:<hex>`, `customer:<hex>`); `detail` never holds an address or a name.
struct AuditEvent
{
    std::string actor;
    std::string action;
    std::string subject;
    std::string detail;
};

/// The ledger's audit_log: append-only (triggers refuse UPDATE and DELETE) and hash-chained:
/// each row's hash is SHA-256 over the previous row's hash and its own fields, so a row that
/// is altered, removed or inserted afterwards breaks the chain (verify()).
///
/// One AuditLog per connection. append() runs inside the caller's write transaction, with
/// prepared statements: the chain head is read once per transaction (inside it, so that two
/// processes appending to the same ledger cannot fork the chain) and then kept in memory.
class AuditLog
{
public:
    explicit AuditLog(SQLite::Database& db);
    ~AuditLog();
    AuditLog(const AuditLog&) = delete;
    AuditLog& operator=(const AuditLog&) = delete;

    /// Appends one row stamped `at` (Timestamp::toIso()). Throws std::logic_error outside a
    /// transaction: the head read and the insert must be atomic.
    void append(const AuditEvent& event, const std::string& at);
    /// Appends the rows in one transaction of their own.
    void appendAll(const std::vector<AuditEvent>& events, const std::string& at);

    /// The detail of the newest row of `action` about `subject` recorded by a person or a start
    /// (not a cycle: those are found through the subject index of migration 0004); "" when none.
    std::string lastRequestDetail(const std::string& action, const std::string& subject);

    /// The hash of row (id, at, ...) chained on `prevHash` (nullopt for the first row or a
    /// NULL column): SHA-256 hex over the canonical text described in docs/auditing.md.
    static std::string rowHash(const std::optional<std::string>& prevHash, std::int64_t id,
                               const std::string& at, const std::string& actor, const std::string& action,
                               const std::optional<std::string>& subject,
                               const std::optional<std::string>& detail);

    struct Verification
    {
        std::int64_t rows = 0;
        std::string headHash;               // the last row's hash: note it elsewhere to anchor the chain
        std::optional<std::int64_t> badRow; // the first row that fails, when one does
        std::string problem;                // "" when intact; otherwise why, naming the row
        bool intact() const { return problem.empty(); }
    };
    /// Walks the whole chain: ids without gaps from 1, each prev_hash equal to the hash before,
    /// each hash equal to its recomputation, no newer row removed (sqlite_sequence), and the
    /// append-only triggers in place.
    static Verification verify(SQLite::Database& db);

    /// Every row as CSV (RFC 4180: CRLF line ends, fields with a comma, quote or line break
    /// quoted, quotes doubled), with a header line. Returns the number of rows written.
    static std::int64_t exportCsv(SQLite::Database& db, std::ostream& out);

    /// verify() and exportCsv() of this connection's ledger.
    Verification verify();
    std::int64_t exportCsv(std::ostream& out);

private:
    static int onTransactionEnd(void* self);
    static void onRollback(void* self);

    SQLite::Database& _db;
    std::unique_ptr<SQLite::Statement> _head;
    std::unique_ptr<SQLite::Statement> _insert;
    bool _headKnown = false;
    std::int64_t _headId = 0;
    std::optional<std::string> _headHash;
};

} // namespace acd
