#pragma once

#include "core/Types.h"

#include <optional>

namespace acd {

/// The checks that need nothing but the cart itself (DESIGN §1 step 5), in priority order:
/// anonymous, then empty, then untimed. Nothing when the cart may go on to enrichment.
std::optional<SkipReason> precheckCart(const Cart& cart);

} // namespace acd
