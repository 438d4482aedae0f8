#include "core/Types.h"

#include <array>
#include <utility>

namespace acd {

namespace {

constexpr std::array<std::pair<SkipReason, const char*>, 10> SkipReasonNames{{
    {SkipReason::Anonymous, "anonymous"},
    {SkipReason::Empty, "empty"},
    {SkipReason::Untimed, "untimed"},
    {SkipReason::Superseded, "superseded"},
    {SkipReason::CustomerUnknown, "customer_unknown"},
    {SkipReason::NoEmail, "no_email"},
    {SkipReason::NoProductFound, "no_product_found"},
    {SkipReason::OptedOut, "opted_out"},
    {SkipReason::Cooldown, "cooldown"},
    {SkipReason::NoConsent, "no_consent"},
}};

} // namespace

const char* toString(SkipReason reason)
{
    for (const auto& [value, name] : SkipReasonNames)
    {
        if (value == reason)
            return name;
    }
    return "unknown";
}

std::optional<SkipReason> skipReasonFromString(const std::string& text)
{
    for (const auto& [value, name] : SkipReasonNames)
    {
        if (text == name)
            return value;
    }
    return std::nullopt;
}

const char* toString(NotificationStatus status)
{
    switch (status)
    {
    case NotificationStatus::Pending:
        return "pending";
    case NotificationStatus::Sent:
        return "sent";
    case NotificationStatus::Failed:
        return "failed";
    case NotificationStatus::Uncertain:
        return "uncertain";
    case NotificationStatus::Skipped:
        return "skipped";
    }
    return "pending";
}

} // namespace acd
