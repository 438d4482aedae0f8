#include "core/ReminderDecision.h"

#include "core/Email.h"
#include "core/ReminderPayload.h"

namespace acd {

std::optional<SkipReason> decideSkip(const DecisionInput& input)
{
    if (input.customer == nullptr)
        return SkipReason::CustomerUnknown;
    if (!isUsableEmail(input.customer->email))
        return SkipReason::NoEmail;
    if (countIncludedLines(input.cart, input.products) == 0)
        return SkipReason::NoProductFound;
    if (input.optedOut)
        return SkipReason::OptedOut;
    if (input.consentRequired && !input.consented)
        return SkipReason::NoConsent;
    if (input.remindedRecently)
        return SkipReason::Cooldown;
    return std::nullopt;
}

} // namespace acd
