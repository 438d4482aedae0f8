#pragma once

#include "core/Timestamp.h"

#include <cstdint>
#include <optional>
#include <string>

namespace SQLite {
class Database;
}

namespace acd {

class StagingStore;

struct CycleCounts
{
    std::int64_t cartsSeen = 0;
    std::int64_t remindersQueued = 0;
    std::int64_t remindersSent = 0;
    std::int64_t remindersFailed = 0;
    std::int64_t remindersPending = 0;
    std::int64_t remindersUncertain = 0; // their outcome is unknown (DESIGN §11)
    std::int64_t skipped = 0;
};

/// The cycles (table cycles) and the start of each channel's window (window_state).
class CycleStore
{
public:
    CycleStore(SQLite::Database& db, StagingStore& staging);

    std::optional<Timestamp> windowStart(const std::string& oun);
    void setWindowStart(const std::string& oun, Timestamp start);

    /// A cycle found still 'running' at start belonged to a process that died:
    /// closeInterrupted() marks those 'interrupted' and drops their staged carts.
    std::int64_t begin(const std::string& oun, Timestamp from, Timestamp to);
    void finish(std::int64_t cycleId, const CycleCounts& counts, const std::string& status,
                const std::string& error);
    int closeInterrupted();
    /// Records whether the cycle ran on sealed copies of its secrets (Key Vault unreachable):
    /// `sealed` true = 'sealed', false = 'live' (cycles.secrets_state).
    void setSecretsState(std::int64_t cycleId, bool sealed);

private:
    SQLite::Database& _db;
    StagingStore& _staging;
};

} // namespace acd
