#pragma once

#include "core/Timestamp.h"

#include <string>

namespace acd::ledger {

/// The audit log's actor for what a cycle records (sends, skips, retention).
inline constexpr const char* CycleActor = "cycle";
/// Account numbers replaced by their keyed hash (retention, purge) carry this prefix, so that
/// they can never be mistaken for, or collide with, a real account number.
inline constexpr const char* HashedAccountPrefix = "h:";

/// Every time the ledger writes: UTC ISO 8601 with 7 digits, so text order is time order.
inline std::string nowIso()
{
    return Timestamp::now().toIso();
}

} // namespace acd::ledger
