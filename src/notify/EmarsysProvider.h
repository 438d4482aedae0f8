#pragma once

#include "notify/EmailProvider.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace acd {

class HttpClient;

struct EmarsysOptions
{
    std::string apiUrl; // with {0} where externalEventId goes
    std::string externalEventId;
    std::string contactKeyId = "3";
    std::string user;
    std::string secret;
    std::size_t maxContacts = 1000;
    std::size_t maxBytes = 1000000;
    int maxAttemptsPerBatch = 6;
    std::string contactDeleteUrl; // purge: POST {"key_id":..,"<key_id>":"<email>"}
    /// Batches sent at once by one deliver() (the HttpClient's maxConcurrent bounds it too).
    /// 1 sends them one after the other, in order.
    std::size_t batchesInFlight = 1;
};

/// Emarsys Suite API v2 external-event trigger, batch form (DESIGN §4).
///
/// Reminders go out in batches of at most maxContacts contacts and maxBytes of body, each
/// address at most once per batch so that a per-contact error in the reply names exactly one
/// reminder. 429, 5xx and transport failures are retried with the same trigger_ids (Emarsys
/// deduplicates on them) while attempts remain and the wait ends before the deadline; once the
/// deadline has passed no further batch is started and the rest is left for a later cycle.
class EmarsysProvider : public EmailProvider
{
public:
    /// Throws std::invalid_argument naming the option that is missing or out of range.
    EmarsysProvider(HttpClient& http, EmarsysOptions options);

    std::string name() const override { return "emarsys"; }

    /// Throws ProviderAuthError on HTTP 401; batches already accepted before it stay accepted
    /// at Emarsys and are recognised by their trigger_id when the caller sends them again.
    std::vector<DeliveryResult> deliver(const std::vector<Reminder>& reminders, Timestamp deadline) override;

    /// Reminders taken in order close a request when the next one would pass maxContacts,
    /// maxBytes or repeat an address in it.
    std::size_t wholeRequests(const std::vector<Reminder>& reminders, std::size_t requests) const override;

    /// `POST {contactDeleteUrl}` with `{"key_id":"3","3":"<email>"}`. An unknown contact
    /// (replyCode 2008) counts as forgotten.
    void forget(const std::string& email) override;

    /// Injectable for tests; by default the real clock, a real sleep and a seeded PRNG.
    std::function<void(std::chrono::milliseconds)> sleeper;
    std::function<double()> random01;
    std::function<Timestamp()> clock;

private:
    struct Contact
    {
        std::size_t index;    // into the reminders given to deliver()
        std::string emailKey; // the address folded to lower case: Emarsys matches it that way
        std::string json;
    };
    using Results = std::vector<DeliveryResult>;

    std::vector<std::vector<Contact>> planBatches(std::vector<Contact> contacts) const;
    std::size_t bodySize(std::size_t contactsJsonBytes, std::size_t count) const;
    std::string buildBody(const std::vector<Contact>& batch) const;
    /// The contact's JSON in `json`, or why the reminder cannot be sent at all.
    std::optional<std::string> contactJson(const Reminder& reminder, std::string& json) const;
    void sendBatches(std::vector<std::vector<Contact>> batches, Timestamp deadline, Results& results);
    void readReply(const std::vector<Contact>& batch, const std::string& body, Results& results) const;

    HttpClient& _http;
    EmarsysOptions _options;
    std::string _url;
    std::string _bodyPrefix;
};

} // namespace acd
