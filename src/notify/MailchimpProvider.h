#pragma once

#include "notify/EmailProvider.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace acd {

class HttpClient;
struct HttpRequest;

struct MailchimpOptions
{
    /// mailchimp.apiUrl; "" = https://{dc}.api.mailchimp.com/3.0, {dc} the key's suffix (…-us21).
    std::string apiUrl;
    std::string apiKey;
    std::string apiKeySecretName; // named in messages, never the key itself
    std::string storeId;
    std::string listId; // the store's audience, for purge
    /// Reminders whose calls travel together; Mailchimp allows 10 connections at once, and the
    /// HttpClient's maxConcurrent bounds them again.
    std::size_t remindersAtOnce = 4;
    int maxAttemptsPerCall = 6;
    /// A product PUT this long ago with the same body is not PUT again: once a cycle at the
    /// shortest detection interval, and again as soon as its name, price or image changes.
    std::chrono::minutes productMemory{10};
    /// What purge learned from Mailchimp, one line each, never an address; empty = not reported.
    std::function<void(const std::string&)> report;
};

/// How the provider reads one Mailchimp answer (DESIGN §4.4); errors are problem+json.
enum class MailchimpVerdict
{
    Done,       // 2xx
    CartExists, // 400 on a cart POST whose detail says the id exists: an earlier send got there
    AuthFailed, // 401, 403: the key
    NotFound,   // 404: the store or the audience named in the configuration does not exist
    Refused,    // 400 problem+json about this reminder's data: its final result
    Transient,  // no answer, 429, 5xx (after the retries)
    Unexpected, // anything else (a proxy's page, a wrong URL): nothing said about the reminder
};

struct MailchimpAnswer
{
    MailchimpVerdict verdict = MailchimpVerdict::Unexpected;
    std::string words; // "HTTP 400 Invalid Resource: …" in Mailchimp's words, one line, short
};

/// Reads an HTTP answer; `cartPost` says whether "already exists" means the cart got there.
MailchimpAnswer readMailchimpReply(long status, const std::string& body, bool cartPost);

/// `notify.provider = mailchimp`: Mailchimp Marketing's e-commerce API (DESIGN §4.4). Mailchimp's
/// own abandoned-cart journey writes the email; this hands it, per reminder and in this order,
/// the customer (PUT), each product of the cart not yet PUT (one variant with its price and
/// image), and the cart (POST) whose id is the trigger id. A cart Mailchimp already has answers
/// 400 "already exists": an earlier send got there, so it counts as sent (Idempotency::DropsRepeats:
/// after a crash the reminders that were on their way are simply sent again).
///
/// The customer's id is md5 of the lower-case address, Mailchimp's own subscriber hash: purge
/// knows only the address and finds the same customer by it.
///
/// Every call goes through the one retry loop (sendWithRetries: 429 without any rate-limit
/// header, 5xx and no answer are retried with backoff while attempts and the deadline allow).
/// 401/403 is a ProviderAuthError, 404 a ProviderConfigError naming mailchimp.storeId (the
/// reminders stay pending); a 400 about the reminder's data is its final result.
class MailchimpProvider : public EmailProvider
{
public:
    /// Throws std::invalid_argument naming the option (and its key) that is missing or wrong.
    MailchimpProvider(HttpClient& http, MailchimpOptions options);

    std::string name() const override { return "mailchimp"; }
    Idempotency idempotency() const override { return Idempotency::DropsRepeats; }

    void deliver(const std::vector<Reminder>& reminders, Timestamp deadline,
                 DeliveryJournal& journal) override;
    /// A request, for the delivery pump, is one round of remindersAtOnce reminders.
    std::size_t wholeRequests(const std::vector<Reminder>& reminders, std::size_t requests) const override;

    /// The audience member's permanent deletion (204; 404 = no such member) and the e-commerce
    /// customer's deletion (204; 404 = none).
    void forget(const std::string& email) override;

    /// https://us21.api.mailchimp.com/3.0 for a key ending in -us21; "" when it has no such suffix.
    static std::string dataCentreUrl(const std::string& apiKey);
    /// The customer id (and audience member hash) of an address: md5 of it in lower case, in hex.
    static std::string customerId(const std::string& email);
    const std::string& apiUrl() const { return _options.apiUrl; }

    /// What deliver() sends for one reminder, or why it cannot be sent; for tests.
    struct Calls
    {
        std::string customerId;
        std::string customerJson;
        std::map<std::string, std::string> productJson; // by product id
        std::string cartJson;
    };
    std::optional<std::string> calls(const Reminder& reminder, Calls& out) const;

    /// Injectable for tests; by default the real clock, a real sleep and a seeded PRNG.
    std::function<void(std::chrono::milliseconds)> sleeper;
    std::function<double()> random01;
    std::function<Timestamp()> clock;

private:
    struct Pending
    {
        std::int64_t notificationId;
        Calls calls;
    };

    HttpRequest request(const std::string& method, const std::string& path, std::string body) const;
    /// Sends the requests at once under the retry policy; the readings in their order.
    std::vector<MailchimpAnswer> send(const std::vector<HttpRequest>& requests, Timestamp deadline,
                                      bool cartPosts) const;
    /// One round: customers, then the products not known yet, then the carts.
    void sendRound(std::vector<Pending> round, Timestamp deadline, DeliveryJournal& journal);
    /// A provider's words fit for a detail: one line, short, the key cut out.
    std::string said(const std::string& text) const;

    HttpClient& _http;
    MailchimpOptions _options;
    std::string _authorization;
    struct KnownProduct
    {
        std::string json;
        Timestamp at;
    };
    std::map<std::string, KnownProduct> _knownProducts; // PUT lately, by id
};

} // namespace acd
