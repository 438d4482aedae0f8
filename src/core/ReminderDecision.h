#pragma once

#include "core/Types.h"

#include <cstdint>
#include <map>
#include <optional>

namespace acd {

/// What is known about one candidate cart once it has been enriched.
struct DecisionInput
{
    const Cart& cart;
    const Customer* customer; // null when Retail Server does not know the account
    const std::map<std::int64_t, Product>& products;
    bool optedOut;
    bool remindedRecently; // within detection.customerCooldownHours
    bool consentRequired;  // detection.requireConsent
    bool consented;
};

/// Why the cart gets no reminder, checked in DESIGN §1 step 7 order: customer unknown,
/// no email, no product found, opted out, no consent (only when consent is required),
/// cooldown. Nothing when the reminder should be sent.
std::optional<SkipReason> decideSkip(const DecisionInput& input);

} // namespace acd
