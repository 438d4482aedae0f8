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

struct MandrillOptions
{
    std::string apiUrl = "https://mandrillapp.com/api/1.0"; // without the trailing '/'
    std::string apiKey;
    std::string apiKeySecretName; // named in messages, never the key itself
    std::string templateName;
    std::size_t maxRecipients = 100;
    int maxAttemptsPerRequest = 6;
};

/// Mailchimp Transactional (Mandrill), `messages/send-template` (DESIGN §4.3): up to
/// maxRecipients reminders a request, each address once a request so that the reply's
/// per-recipient statuses name exactly one reminder; every member of the reminder's templateData()
/// is a Handlebars merge var of its recipient, the trigger_id is its recipient metadata.
///
/// Mandrill cannot tell a repeat (Idempotency::None): each request is reported sending right
/// before it leaves and answered as soon as its reply is read. An error envelope
/// (`{"status":"error","name":…}`, HTTP 500) means nothing was sent: it is retried under the
/// one retry policy, except Invalid_Key (ProviderAuthError), Unknown_Template and
/// PaymentRequired (ProviderConfigError naming the key to fix). A request whose answer is lost
/// after it left (a timeout, a reset, a 502/504 without envelope), or a recipient the reply
/// does not mention, is Uncertain: Mandrill may have sent it, so it is not sent again.
///
/// The API key travels in the body: no message built here quotes a request body, and the key
/// is cut out of any reply text quoted in a detail or an exception.
class MandrillProvider : public EmailProvider
{
public:
    /// Throws std::invalid_argument naming the option that is missing or out of range.
    MandrillProvider(HttpClient& http, MandrillOptions options);

    std::string name() const override { return "mandrill"; }
    Idempotency idempotency() const override { return Idempotency::None; }

    void deliver(const std::vector<Reminder>& reminders, Timestamp deadline,
                 DeliveryJournal& journal) override;

    /// Requests close at maxRecipients or when an address would repeat in one.
    std::size_t wholeRequests(const std::vector<Reminder>& reminders, std::size_t requests) const override;

    /// Mandrill keeps no contacts: nothing to remove there. The address is not added to its
    /// rejects either: that would hand the purged address back to the provider.
    void forget(const std::string& email) override;
    bool keepsContacts() const override { return false; }

    /// `POST {apiUrl}/rejects/add {"key","email","comment"}`; adding an address twice is
    /// harmless, so transient failures are retried.
    void mirrorOptOut(const std::string& email) override;

    /// The body of one send-template request for these reminders (each usable, see deliver()),
    /// or why a reminder cannot be sent at all. For tests and the benchmark.
    std::string requestBody(const std::vector<Reminder>& reminders) const;

    /// Injectable for tests; by default the real clock, a real sleep and a seeded PRNG.
    std::function<void(std::chrono::milliseconds)> sleeper;
    std::function<double()> random01;
    std::function<Timestamp()> clock;

private:
    struct Recipient
    {
        std::int64_t notificationId;
        std::string emailKey; // lower case: how the reply's addresses are matched
        std::string to;       // {"email","name","type"}
        std::string mergeVars;
        std::string metadata;
    };

    std::optional<std::string> recipient(const Reminder& reminder, Recipient& out) const;
    std::string buildBody(const std::vector<Recipient>& batch) const;
    /// Sends one request, with its retries; returns its answers.
    void sendRequest(const std::vector<Recipient>& batch, Timestamp deadline, DeliveryJournal& journal);
    void readReply(const std::vector<Recipient>& batch, const std::string& body,
                   std::vector<DeliveryResult>& answers) const;
    /// A provider's words fit for a detail: one line, short, the key cut out.
    std::string said(const std::string& text) const;

    HttpClient& _http;
    MandrillOptions _options;
    std::string _bodyHead;
};

} // namespace acd
