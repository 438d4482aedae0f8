#pragma once

#include "core/Timestamp.h"
#include "net/RemoteError.h"

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
    Sent,      // accepted by the provider
    Rejected,  // permanent for this reminder (e.g. Emarsys 2008 unknown contact, SMTP 5xx)
    Retry,     // not delivered (throttled, 5xx, timeout, never sent): stays pending for a later attempt
    Uncertain, // handed over, then the answer was lost, to a provider that cannot tell a repeat:
               // it may have gone out, so it is not sent again unless notify.resendUncertain
};

struct DeliveryResult
{
    std::int64_t notificationId = 0;
    DeliveryStatus status = DeliveryStatus::Retry;
    std::string detail; // provider's words: error code and text; never a secret
};

/// What a provider does with a reminder that reaches it a second time (after a crash, the
/// reminder that was on its way is handed over again, or not: DESIGN §11).
enum class Idempotency
{
    DropsRepeats, // recognises the trigger id and keeps one (Emarsys trigger_id, an outbox file name)
    None,         // every request is a new email (SMTP, SendGrid, Mandrill, Constant Contact)
};

/// Where a provider records its hand-overs as they happen, so that a crash at any moment
/// leaves the ledger knowing which reminders may be at the provider (DESIGN §11). sending()
/// returns once the request is durably recorded as on its way, and throws when it could not
/// be: the request must then not leave. Answers are durable at once for a provider that cannot
/// tell a repeat, and within the cycle's next step for one that drops repeats (a lost answer
/// only makes its reminder go again).
class DeliveryJournal
{
public:
    virtual ~DeliveryJournal() = default;
    /// Right before the request that carries these reminders leaves (a retry of it too).
    virtual void sending(const std::vector<std::int64_t>& notificationIds) = 0;
    /// As soon as answers arrive: each reminder handed to deliver() gets exactly one, whether
    /// it was sent or not. Sent or Uncertain for a reminder not reported sending() first is a
    /// defect of the provider, refused with std::logic_error.
    virtual void answered(const std::vector<DeliveryResult>& results) = 0;
};

/// The provider refused our credentials (HTTP 401, SMTP 535): no point going on this cycle.
class ProviderAuthError : public RemoteError
{
public:
    explicit ProviderAuthError(const std::string& message) : RemoteError(RemoteFailure::Refused, message) {}
};

/// The provider's configuration sends nothing: a wrong event or template id, a missing
/// program (Emarsys 5005). The message names the key to fix; the reminders stay pending.
class ProviderConfigError : public RemoteError
{
public:
    explicit ProviderConfigError(const std::string& message) : RemoteError(RemoteFailure::Rejected, message)
    {}
};

/// Hands reminders to an email marketing provider.
class EmailProvider
{
public:
    virtual ~EmailProvider() = default;
    virtual std::string name() const = 0;
    /// Decides what happens after a crash to the reminders that were on their way.
    virtual Idempotency idempotency() const = 0;
    /// Hands the reminders over, retrying transient failures itself until `deadline`, and
    /// records through `journal` each request before it leaves and each answer as it comes:
    /// the smallest unit the protocol allows (one SMTP message; one request of a batch API).
    /// Throws ProviderAuthError or ProviderConfigError when the provider refuses every request
    /// alike; what was answered before stays answered.
    virtual void deliver(const std::vector<Reminder>& reminders, Timestamp deadline,
                         DeliveryJournal& journal) = 0;
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
    /// Whether forget() has anything to remove at the provider: false for one that keeps no
    /// contacts (Mandrill), so that a purge can say so instead of "forgot the contact".
    virtual bool keepsContacts() const { return true; }
    /// An opt-out, mirrored where the provider keeps its own suppression list (Mandrill's
    /// rejects), so that a send from outside this daemon is refused too. Nothing by default.
    /// Throws std::runtime_error naming the cause when it could not.
    virtual void mirrorOptOut(const std::string& /*email*/) {}
    /// Retention (ledger.retentionDays): removes what this provider keeps on this machine
    /// that was written before `before`. Only the outbox keeps anything here.
    virtual void expire(Timestamp /*before*/) {}
};

} // namespace acd
