#pragma once

#include "net/TokenSource.h"
#include "notify/EmailProvider.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
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
    /// OAuth 2.0 (v3): `Authorization: Bearer` from these tokens. Null = WSSE (v2) with the
    /// API user and secret below, which Emarsys retires at the end of 2026.
    std::shared_ptr<TokenSource> tokens;
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

/// Emarsys external-event trigger, batch form (DESIGN §4.1): v3 with OAuth 2.0 bearer tokens,
/// or v2 with WSSE.
///
/// Reminders go out in batches of at most maxContacts contacts and maxBytes of body, each
/// address at most once per batch so that a per-contact error in the reply names exactly one
/// reminder. Each round of batches is reported `sending` before it leaves and answered as soon
/// as it is back. 429 (waiting until X-RateLimit-Reset), 5xx and transport failures are retried
/// with the same trigger_ids, which Emarsys keeps once (a repeat is answered 9003 and counts as
/// sent), under the one retry policy (a RetryState per batch): while attempts remain and the
/// wait ends before the deadline; once the deadline has passed no further batch is started and
/// the rest is left for a later cycle. A 401 with a kept token fetches one new token and
/// retries once.
class EmarsysProvider : public EmailProvider
{
public:
    /// Throws std::invalid_argument naming the option that is missing or out of range.
    EmarsysProvider(HttpClient& http, EmarsysOptions options);

    std::string name() const override { return "emarsys"; }
    Idempotency idempotency() const override { return Idempotency::DropsRepeats; }

    /// Throws ProviderAuthError on a 401 that a new token does not cure (or any 401 with WSSE,
    /// or credentials the token service refuses), ProviderConfigError on 5005 (the external
    /// event starts no program), TokenError when no token can be had for now; batches accepted
    /// before stay accepted and are recognised by their trigger_id when sent again.
    void deliver(const std::vector<Reminder>& reminders, Timestamp deadline,
                 DeliveryJournal& journal) override;

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
        std::int64_t notificationId;
        std::string emailKey; // the address folded to lower case: Emarsys matches it that way
        std::string json;
    };

    std::vector<std::vector<Contact>> planBatches(std::vector<Contact> contacts) const;
    std::size_t bodySize(std::size_t contactsJsonBytes, std::size_t count) const;
    std::string buildBody(const std::vector<Contact>& batch) const;
    /// The contact's JSON in `json`, or why the reminder cannot be sent at all.
    std::optional<std::string> contactJson(const Reminder& reminder, std::string& json) const;
    void sendBatches(std::vector<std::vector<Contact>> batches, Timestamp deadline, DeliveryJournal& journal);
    /// The results of a batch Emarsys answered with HTTP 200, into `answers`.
    void readReply(const std::vector<Contact>& batch, const std::string& body,
                   std::vector<DeliveryResult>& answers) const;
    /// The request's authentication header: a bearer token (fetched when none is kept) or WSSE.
    std::pair<std::string, std::string> authorization();
    std::string describeCredentials() const;

    HttpClient& _http;
    EmarsysOptions _options;
    std::string _url;
    std::string _bodyPrefix;
};

} // namespace acd
