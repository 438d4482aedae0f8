#include "core/CartWindow.h"

#include <algorithm>

namespace acd {

CartWindow computeCartWindow(std::optional<Timestamp> ledgerStart, Timestamp now, int includeMinutes,
                             int excludeMinutes)
{
    const Timestamp earliest = now.minusMinutes(includeMinutes);
    return CartWindow{ledgerStart ? std::max(*ledgerStart, earliest) : earliest,
                      now.minusMinutes(excludeMinutes)};
}

} // namespace acd
