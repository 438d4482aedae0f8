#pragma once

#include "core/KeyedHash.h"
#include "core/Types.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace acd {

class AuditLog;

/// Where a cycle keeps the carts it read until it has chosen one per customer (DESIGN §1, step
/// 5): `candidates` appended in the order they arrive, `chosen` written in customer order
/// (migration 0006). Account numbers live here only while a cycle runs.
class StagingStore
{
public:
    /// `hash` is the ledger's keyed hash, set later than this store is made.
    StagingStore(SQLite::Database& db, AuditLog& audit, const std::optional<KeyedHash>& hash);

    /// Stages eligible carts of this cycle (customer set, lines, timed) for the per-customer
    /// choice. Carts whose key is already in the ledger are not staged. Returns how many were.
    int stageCandidates(std::int64_t cycleId, const std::string& oun, const std::vector<Cart>& carts);
    /// Chooses one staged cart per customer (most recent ModifiedDateTime, ties: greatest Id)
    /// and records the others as skipped 'superseded' (a cart staged twice with the same
    /// modification counts once). Returns how many were superseded. Then no cart stays staged.
    int resolveSuperseded(std::int64_t cycleId, const std::string& oun);
    /// The chosen carts, `limit` at a time in customer order after `afterCustomerId`.
    std::vector<Cart> candidates(std::int64_t cycleId, const std::string& afterCustomerId, int limit);
    void clearCandidates(std::int64_t cycleId);
    /// Removes a customer's staged and chosen carts, of any cycle (a purge).
    void unstageCustomer(const std::string& customerId);
    /// Inside the caller's transaction: the staged carts of every cycle marked 'interrupted'.
    void dropInterrupted();

private:
    SQLite::Database& _db;
    AuditLog& _audit;
    const std::optional<KeyedHash>& _hash;
};

} // namespace acd
