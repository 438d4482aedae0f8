#pragma once

#include "core/Timestamp.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace acd {

/// One reminder taken from the outbox. `dataJson` is the Emarsys-shaped `data` object
/// (DESIGN §4: firstName, lastName, language, currency, returnToCartUrl, orderDetails[]);
/// every provider renders from it.
struct Reminder
{
    std::int64_t notificationId = 0;
    std::string triggerId;
    std::string email;
    std::string dataJson;
};

enum class DeliveryStatus
{
    Sent,     // accepted by the provider
    Rejected, // permanent for this reminder (e.g. Emarsys 2008 unknown contact, SMTP 5xx)
    Retry,    // not delivered yet (throttled, 5xx, timeout): stays pending for a later attempt
};

struct DeliveryResult
{
    std::int64_t notificationId = 0;
    DeliveryStatus status = DeliveryStatus::Retry;
    std::string detail; // provider's words: error code and text; never a secret
};

/// The provider refused our credentials (HTTP 401, SMTP 535): no point going on this cycle.
class ProviderAuthError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// Hands reminders to an email marketing provider. deliver() returns one result per
/// reminder given, retrying transient failures itself until `deadline`.
class EmailProvider
{
public:
    virtual ~EmailProvider() = default;
    virtual std::string name() const = 0;
    virtual std::vector<DeliveryResult> deliver(const std::vector<Reminder>& reminders,
                                                Timestamp deadline) = 0;
    /// How many reminders, from the front of `reminders`, fill `requests` whole requests to
    /// this provider; 0 when they do not fill that many yet. A caller that gathers reminders
    /// from the outbox hands over full requests only and keeps the rest for its next call, so
    /// that requests stay full across its chunks. By default one request takes any number.
    virtual std::size_t wholeRequests(const std::vector<Reminder>& reminders, std::size_t /*requests*/) const
    {
        return reminders.size();
    }
    /// Purge on request: removes what the provider holds for this (normalised) address.
    /// Throws std::runtime_error naming the cause when it could not.
    virtual void forget(const std::string& email) = 0;
    /// Retention (ledger.retentionDays): removes what this provider keeps on this machine
    /// that was written before `before`. Only the outbox keeps anything here.
    virtual void expire(Timestamp /*before*/) {}
};

} // namespace acd
