#pragma once

#include "core/Timestamp.h"

#include <optional>

namespace acd {

/// The ModifiedDateTime range a cycle searches (DESIGN §1 step 3), `from` inclusive.
struct CartWindow
{
    Timestamp from;
    Timestamp to;

    bool empty() const { return from >= to; }
};

/// from = max(ledgerStart, now − include), to = now − exclude. The lower bound never goes
/// further back than `include` minutes, so an outage or a first install does not remind
/// customers of carts they left days ago; carts younger than `exclude` minutes are left for
/// a later cycle because the customer may still be shopping.
CartWindow computeCartWindow(std::optional<Timestamp> ledgerStart, Timestamp now, int includeMinutes,
                             int excludeMinutes);

} // namespace acd
