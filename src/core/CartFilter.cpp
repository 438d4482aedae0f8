#include "core/CartFilter.h"

namespace acd {

std::optional<SkipReason> precheckCart(const Cart& cart)
{
    if (cart.customerId.empty())
        return SkipReason::Anonymous;
    if (cart.lines.empty())
        return SkipReason::Empty;
    if (!cart.modifiedDateTime)
        return SkipReason::Untimed;
    return std::nullopt;
}

} // namespace acd
