#pragma once

#include <string>

namespace acd {

/// The Emarsys trigger_id of one reminder: "acd-" + 40 hex characters of a SHA-256 over the
/// notification key (OUN, cart id, ModifiedDateTime as Timestamp::toIso(), stage). The same
/// key always gives the same id, so a retry after a crash is idempotent at Emarsys.
std::string makeTriggerId(const std::string& oun, const std::string& cartId, const std::string& modifiedIso,
                          int stage);

} // namespace acd
