#pragma once

#include "notify/EmailProvider.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace acd {

class HttpClient;
struct HttpRequest;
struct RetryResult;

struct SendGridOptions
{
    /// sendgrid.apiUrl; the purge and suppression endpoints are found beside it, under the same /v3/.
    std::string apiUrl = "https://api.sendgrid.com/v3/mail/send";
    std::string apiKey;
    std::string apiKeyName; // sendgrid.apiKeySecretName, for messages: the key itself never is
    std::string templateId; // d-…
    std::string from;       // "Name <address>" or an address
    std::optional<std::int64_t> unsubscribeGroupId;
    /// DESIGN §11: a crash leaves one request's reminders uncertain, so requests stay modest.
    std::size_t maxPersonalizations = 100;
    std::size_t maxBytes = 30 * 1000 * 1000 - 1; // SendGrid takes less than 30 MB
    int maxAttemptsPerBatch = 6;
    /// What purge and opt-out learned from SendGrid (contact ids found, the deletion job), one
    /// line each, never an address; empty = not reported.
    std::function<void(const std::string&)> report;
};

/// `notify.provider = sendgrid` (DESIGN §4.2): the v3 Mail Send API with a dynamic template,
/// one personalization per reminder (its templateData() as dynamic_template_data, the trigger
/// id in custom_args), at most maxPersonalizations a request and each address once a request.
///
/// SendGrid answers a request as a whole (202, no per-recipient result) and cannot tell a
/// repeat, so requests go one at a time, each reported sending before it leaves: a crash, or
/// an answer lost once the request left, makes that request's reminders uncertain, never sent
/// twice. Replies: 202 all accepted; 400 naming `personalizations.N…` refuses that reminder with
/// SendGrid's message and sends the rest again without it; 400 naming template_id, from or
/// asm is a ProviderConfigError naming the key (the reminders stay pending); any other 400
/// refuses the whole request with SendGrid's words; 401/403 ProviderAuthError; 413 splits the
/// request; 429 waits until X-RateLimit-Reset; 5xx and a connection never made are retried
/// under the one retry policy while the deadline allows.
class SendGridProvider : public EmailProvider
{
public:
    /// Throws std::invalid_argument naming the option (and its key) that is missing or wrong.
    SendGridProvider(HttpClient& http, SendGridOptions options);

    std::string name() const override { return "sendgrid"; }
    Idempotency idempotency() const override { return Idempotency::None; }

    void deliver(const std::vector<Reminder>& reminders, Timestamp deadline,
                 DeliveryJournal& journal) override;
    std::size_t wholeRequests(const std::vector<Reminder>& reminders, std::size_t requests) const override;

    /// Marketing contacts: searched by address, then deleted by id (202 with a job id, which
    /// SendGrid carries out later). No contact is nothing to delete.
    void forget(const std::string& email) override;
    /// The address joins SendGrid's global suppressions, so no other sender of the account mails it.
    void mirrorOptOut(const std::string& email) override;

    /// The request body for these reminders, as deliver() sends it; for tests.
    std::string requestBody(const std::vector<Reminder>& reminders) const;

    /// Injectable for tests; by default the real clock, a real sleep and a seeded PRNG.
    std::function<void(std::chrono::milliseconds)> sleeper;
    std::function<double()> random01;
    std::function<Timestamp()> clock;

private:
    struct Item
    {
        std::int64_t notificationId;
        std::string emailKey; // lower case: SendGrid refuses an address twice in a request
        std::string json;     // the personalization
    };
    struct Batch;

    std::optional<std::string> personalization(const Reminder& reminder, std::string& json) const;
    std::vector<std::vector<Item>> plan(std::vector<Item> items) const;
    std::string body(const std::vector<Item>& batch) const;
    std::size_t bodySize(std::size_t itemBytes, std::size_t count) const;
    void sendBatches(std::vector<std::vector<Item>> planned, Timestamp deadline, DeliveryJournal& journal);
    HttpRequest request(const std::string& method, const std::string& url, std::string body) const;
    /// One purge or suppression request under the usual retries (429, 5xx, no answer).
    RetryResult call(const HttpRequest& request) const;
    std::string v3(const std::string& path) const;

    HttpClient& _http;
    SendGridOptions _options;
    std::string _prefix; // the body up to the personalizations' '['
    std::string _suffix; // from their ']' to the end
};

} // namespace acd
