#include "notify/MandrillProvider.h"

#include "core/Backoff.h"
#include "core/Json.h"
#include "net/HttpClient.h"
#include "net/RetryLoop.h"
#include "notify/ReplyText.h"
#include "notify/TemplateData.h"

#include <Poco/String.h>

#include <memory>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace acd {

namespace {

void require(bool condition, const std::string& message)
{
    if (!condition)
        throw std::invalid_argument(message);
}

std::string jsonString(std::string_view value)
{
    std::string out;
    appendJsonString(out, value);
    return out;
}

/// Mandrill's error reply `{"status":"error","code":-1,"name":"Invalid_Key","message":"…"}`.
struct ErrorEnvelope
{
    std::string name;
    std::string message;
    std::string code;
};

std::optional<ErrorEnvelope> errorEnvelope(const std::string& body)
{
    const auto document = parseJsonObject(body);
    if (!document)
        return std::nullopt;
    const JsonValue& root = document->root();
    if (jsonStringOr(root, "status") != "error")
        return std::nullopt;
    ErrorEnvelope envelope{jsonStringOr(root, "name"), jsonStringOr(root, "message"), ""};
    if (const JsonValue* code = jsonField(root, "code"); code && (jsonIsNumber(*code) || jsonIsString(*code)))
        envelope.code = std::string(jsonText(*code));
    if (envelope.name.empty())
        envelope.name = "(no name)";
    return envelope;
}

bool isAccepted(const std::string& status)
{
    return status == "sent" || status == "queued" || status == "scheduled";
}

} // namespace

MandrillProvider::MandrillProvider(HttpClient& http, MandrillOptions options)
    : _http(http), _options(std::move(options))
{
    while (_options.apiUrl.ends_with('/'))
        _options.apiUrl.pop_back();
    require(!_options.apiUrl.empty(), "mandrill.apiUrl must not be empty");
    require(!_options.apiKey.empty(),
            "the Mandrill API key (mandrill.apiKeySecretName = " + _options.apiKeySecretName + ") is empty");
    require(!_options.templateName.empty(), "mandrill.templateName must not be empty");
    require(_options.maxRecipients >= 1, "the Mandrill batch limit maxRecipients must be at least 1");
    require(_options.maxAttemptsPerRequest >= 1, "the Mandrill maxAttemptsPerRequest must be at least 1");
    _bodyHead = "{\"key\":" + jsonString(_options.apiKey) +
                ",\"template_name\":" + jsonString(_options.templateName) + ",\"template_content\":[]";

    sleeper = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    random01 = [engine = std::make_shared<std::mt19937_64>(std::random_device{}())]() {
        return std::uniform_real_distribution<double>(0.0, 1.0)(*engine);
    };
    clock = [] { return Timestamp::now(); };
}

std::string MandrillProvider::said(const std::string& text) const
{
    // A server that echoes the request (a proxy's error page, a debugging stub) would echo the key.
    return quoteReply(Poco::replace(text, _options.apiKey, std::string("(the API key)")));
}

std::optional<std::string> MandrillProvider::recipient(const Reminder& reminder, Recipient& out) const
{
    if (reminder.email.empty())
        return "no email address to send to";
    std::unique_ptr<JsonDocument> data;
    try
    {
        data = std::make_unique<JsonDocument>(reminder.dataJson);
    }
    catch (const JsonSyntaxError& e)
    {
        // The detail names the fault, never the content (names, addresses).
        return "the reminder's data is not valid JSON: " + std::string(e.what());
    }
    const JsonValue& root = data->root();
    if (!root.IsObject())
        return "the reminder's data is not a JSON object";

    out.notificationId = reminder.notificationId;
    out.emailKey = Poco::toLower(reminder.email);
    const std::string name =
        Poco::trim(jsonStringOr(root, "firstName") + " " + jsonStringOr(root, "lastName"));
    out.to =
        "{\"email\":" + jsonString(reminder.email) + ",\"name\":" + jsonString(name) + ",\"type\":\"to\"}";

    // Every member of the template data is a var, under its own name: a template of the sample's
    // Emarsys campaign reads {{firstName}}, {{#each orderDetails}} alike.
    const std::optional<TemplateData> vars = templateData(root);
    if (!vars)
        return "the reminder's data nests deeper than " + std::to_string(TemplateData::MaxDepth) + " levels";
    out.mergeVars = "{\"rcpt\":" + jsonString(reminder.email) + ",\"vars\":[";
    for (std::size_t i = 0; i < vars->members.size(); ++i)
        out.mergeVars += (i > 0 ? ",{\"name\":" : "{\"name\":") + jsonString(vars->members[i].first) +
                         ",\"content\":" + vars->members[i].second + "}";
    out.mergeVars += "]}";
    out.metadata = "{\"rcpt\":" + jsonString(reminder.email) +
                   ",\"values\":{\"trigger_id\":" + jsonString(reminder.triggerId) + "}}";
    return std::nullopt;
}

std::string MandrillProvider::buildBody(const std::vector<Recipient>& batch) const
{
    const auto list = [&](std::string Recipient::*part) {
        std::string out = "[";
        for (std::size_t i = 0; i < batch.size(); ++i)
            out += (i > 0 ? "," : "") + batch[i].*part;
        return out + "]";
    };
    // trigger_id goes per recipient (recipient_metadata): a message-wide metadata.trigger_id
    // could name only one of the request's reminders.
    return _bodyHead + ",\"message\":{\"to\":" + list(&Recipient::to) +
           ",\"merge_language\":\"handlebars\",\"merge_vars\":" + list(&Recipient::mergeVars) +
           ",\"recipient_metadata\":" + list(&Recipient::metadata) +
           ",\"tags\":[\"abandoned-cart\"],\"preserve_recipients\":false}}";
}

std::string MandrillProvider::requestBody(const std::vector<Reminder>& reminders) const
{
    std::vector<Recipient> batch;
    for (const Reminder& reminder : reminders)
    {
        Recipient recipient;
        if (auto problem = this->recipient(reminder, recipient))
            throw std::invalid_argument(*problem);
        batch.push_back(std::move(recipient));
    }
    return buildBody(batch);
}

std::size_t MandrillProvider::wholeRequests(const std::vector<Reminder>& reminders,
                                            std::size_t requests) const
{
    std::size_t closed = 0;
    std::size_t count = 0;
    std::unordered_set<std::string> addresses;
    for (std::size_t i = 0; i < reminders.size(); ++i)
    {
        if (reminders[i].email.empty())
            continue; // rejected without being sent: takes no room
        std::string key = Poco::toLower(reminders[i].email);
        if (count == _options.maxRecipients || addresses.contains(key))
        {
            if (++closed == requests)
                return i;
            count = 0;
            addresses.clear();
        }
        ++count;
        addresses.insert(std::move(key));
    }
    return 0;
}

void MandrillProvider::deliver(const std::vector<Reminder>& reminders, Timestamp deadline,
                               DeliveryJournal& journal)
{
    std::vector<Recipient> recipients;
    std::vector<DeliveryResult> refused; // never sent: nothing to mark
    for (const Reminder& reminder : reminders)
    {
        Recipient recipient;
        if (auto problem = this->recipient(reminder, recipient))
            refused.push_back({reminder.notificationId, DeliveryStatus::Rejected, std::move(*problem)});
        else
            recipients.push_back(std::move(recipient));
    }
    if (!refused.empty())
        journal.answered(refused);

    // First fit in the given order: an address already in the request waits for the next one.
    while (!recipients.empty())
    {
        std::vector<Recipient> batch;
        std::vector<Recipient> later;
        std::unordered_set<std::string> addresses;
        for (Recipient& recipient : recipients)
        {
            if (batch.size() < _options.maxRecipients && addresses.insert(recipient.emailKey).second)
                batch.push_back(std::move(recipient));
            else
                later.push_back(std::move(recipient));
        }
        recipients = std::move(later);
        if (clock() >= deadline)
        {
            std::vector<DeliveryResult> left;
            for (const auto& part : {std::cref(batch), std::cref(recipients)})
                for (const Recipient& recipient : part.get())
                    left.push_back({recipient.notificationId, DeliveryStatus::Retry,
                                    "delivery deadline reached before this request was sent"});
            journal.answered(left);
            return;
        }
        sendRequest(batch, deadline, journal);
    }
}

void MandrillProvider::sendRequest(const std::vector<Recipient>& batch, Timestamp deadline,
                                   DeliveryJournal& journal)
{
    RetryPolicy policy;
    policy.maxAttempts = _options.maxAttemptsPerRequest;
    RetryState retry(policy, deadline);
    std::vector<std::int64_t> ids;
    for (const Recipient& recipient : batch)
        ids.push_back(recipient.notificationId);
    std::vector<HttpRequest> request(1);
    request[0].method = "POST";
    request[0].url = _options.apiUrl + "/messages/send-template";
    request[0].body = buildBody(batch);
    request[0].headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};

    std::vector<DeliveryResult> answers;
    const auto settle = [&](DeliveryStatus status, const std::string& detail) {
        for (const Recipient& recipient : batch)
            answers.push_back({recipient.notificationId, status, detail});
        journal.answered(answers);
    };
    for (;;)
    {
        journal.sending(ids);
        const HttpClient::Outcome outcome = std::move(sendRound(_http, request).front());
        std::string failure;
        RetryHints hints;
        if (!outcome.transportError.empty())
        {
            if (outcome.requestSent)
                return settle(DeliveryStatus::Uncertain,
                              "the request had reached Mandrill when its answer was lost (" +
                                  std::string(outcome.timedOut ? "timeout" : "transport error") + ": " +
                                  outcome.transportError + "); it may have been sent");
            failure = (outcome.timedOut ? "timeout: " : "transport error: ") + outcome.transportError;
        }
        else
        {
            const HttpResponse& response = outcome.response;
            const auto envelope = errorEnvelope(response.body);
            if (response.status == 200 && !envelope)
            {
                readReply(batch, response.body, answers);
                journal.answered(answers);
                return;
            }
            if (envelope)
            {
                const std::string words = envelope->name +
                                          (envelope->code.empty() ? "" : " (code " + envelope->code + ")") +
                                          ": " + said(envelope->message);
                if (envelope->name == "Invalid_Key")
                {
                    settle(DeliveryStatus::Retry, "Mandrill refused the API key: " + words);
                    throw ProviderAuthError("Mandrill refused the API key of mandrill.apiKeySecretName = " +
                                            _options.apiKeySecretName + ": " + words);
                }
                if (envelope->name == "Unknown_Template")
                {
                    settle(DeliveryStatus::Retry, "Mandrill does not know the template: " + words);
                    throw ProviderConfigError(
                        "Mandrill answered " + words + ": mandrill.templateName = " + _options.templateName +
                        " names no published template of this account; add it (README, Mailchimp "
                        "Transactional) or set the right name. The reminders stay pending until then");
                }
                if (envelope->name == "PaymentRequired")
                {
                    settle(DeliveryStatus::Retry, "Mandrill refuses to send until paid: " + words);
                    throw ProviderConfigError(
                        "Mandrill answered " + words +
                        ": the account of the API key in mandrill.apiKeySecretName = " +
                        _options.apiKeySecretName +
                        " cannot send (no paid plan or credits); settle it in Mailchimp Transactional. The "
                        "reminders stay pending until then");
                }
                failure = "HTTP " + std::to_string(response.status) + " " + words;
            }
            else if (response.status == 502 || response.status == 504)
            {
                // A gateway answering for Mandrill: the request may have reached it.
                return settle(DeliveryStatus::Uncertain,
                              "HTTP " + std::to_string(response.status) +
                                  " from a gateway before Mandrill's answer; it may have been sent: " +
                                  said(response.body));
            }
            else if (response.status == 429 || response.status >= 500)
                failure = "HTTP " + std::to_string(response.status) + ": " + said(response.body);
            else
                // Neither transient nor a verdict on these reminders (a wrong mandrill.apiUrl):
                // they stay pending for when the configuration is fixed.
                return settle(DeliveryStatus::Retry, "unexpected HTTP " + std::to_string(response.status) +
                                                         " from Mandrill: " + said(response.body));
            hints = retryHints(response);
        }
        const auto wait = retry.afterFailure(hints, clock(), random01());
        if (!wait)
            return settle(DeliveryStatus::Retry, failure + " (" + retry.gaveUp() + ")");
        sleeper(*wait);
    }
}

void MandrillProvider::readReply(const std::vector<Recipient>& batch, const std::string& body,
                                 std::vector<DeliveryResult>& answers) const
{
    // Past this point Mandrill had the request: whatever cannot be read is Uncertain, never Retry.
    std::unique_ptr<JsonDocument> reply;
    try
    {
        reply = std::make_unique<JsonDocument>(body);
    }
    catch (const JsonSyntaxError&)
    {}
    if (!reply || !reply->root().IsArray())
    {
        for (const Recipient& recipient : batch)
            answers.push_back(
                {recipient.notificationId, DeliveryStatus::Uncertain,
                 "Mandrill answered HTTP 200 with a body that is not its list of recipients: " + said(body)});
        return;
    }
    struct Status
    {
        std::string status;
        std::string reason;
    };
    std::unordered_map<std::string, Status> byAddress;
    for (const JsonValue& entry : reply->root().GetArray())
    {
        const std::string email = Poco::toLower(jsonStringOr(entry, "email"));
        if (!email.empty())
            byAddress[email] = {jsonStringOr(entry, "status"), jsonStringOr(entry, "reject_reason")};
    }
    for (const Recipient& recipient : batch)
    {
        const auto found = byAddress.find(recipient.emailKey);
        if (found == byAddress.end())
        {
            answers.push_back({recipient.notificationId, DeliveryStatus::Uncertain,
                               "Mandrill's reply does not mention this address; it had the request, so it "
                               "may have been sent"});
            continue;
        }
        const Status& status = found->second;
        if (isAccepted(status.status))
            answers.push_back({recipient.notificationId, DeliveryStatus::Sent, ""});
        else if (status.status == "rejected" || status.status == "invalid")
            answers.push_back({recipient.notificationId, DeliveryStatus::Rejected,
                               "Mandrill: " + status.status +
                                   (status.reason.empty() ? "" : " (" + said(status.reason) + ")")});
        else
            answers.push_back(
                {recipient.notificationId, DeliveryStatus::Uncertain,
                 "Mandrill answered an unknown status " + said(status.status) + " for this address"});
    }
}

void MandrillProvider::forget(const std::string&)
{
    // Documented in the header: Mandrill keeps no contacts.
}

void MandrillProvider::mirrorOptOut(const std::string& email)
{
    HttpRequest request;
    request.method = "POST";
    request.url = _options.apiUrl + "/rejects/add";
    request.body = "{\"key\":" + jsonString(_options.apiKey) + ",\"email\":" + jsonString(email) +
                   ",\"comment\":\"opted out of abandoned-cart reminders\"}";
    request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    RetryCall call;
    call.policy.maxAttempts = 3;
    call.verdict = [](const HttpClient::Outcome& outcome) {
        // Mandrill answers its refusals with 500 too: only the envelope tells a bad key.
        const auto envelope = errorEnvelope(outcome.response.body);
        if (envelope && (envelope->name == "Invalid_Key" || envelope->name == "ValidationError" ||
                         envelope->name == "PaymentRequired"))
            return Verdict::Answer;
        return usualVerdict(outcome);
    };
    const RetryResult result =
        std::move(sendWithRetries(_http, {request}, call, {sleeper, clock, random01}).front());
    const HttpClient::Outcome& outcome = result.outcome;
    if (!outcome.transportError.empty())
        throw RemoteError(RemoteFailure::Unreachable, "Mandrill rejects/add: no answer (" + result.gaveUp +
                                                          "): " + outcome.transportError);
    const auto envelope = errorEnvelope(outcome.response.body);
    if (outcome.response.status == 200 && !envelope)
        return;
    const std::string words =
        envelope ? envelope->name + ": " + said(envelope->message) : said(outcome.response.body);
    if (envelope && envelope->name == "Invalid_Key")
        throw ProviderAuthError("Mandrill rejects/add refused the API key of mandrill.apiKeySecretName = " +
                                _options.apiKeySecretName + ": " + words);
    throw RemoteError(outcome.response.status == 429 ? RemoteFailure::Throttled
                      : envelope                     ? RemoteFailure::Rejected
                                                     : RemoteFailure::Unreachable,
                      "Mandrill rejects/add answered HTTP " + std::to_string(outcome.response.status) + " " +
                          words + (result.gaveUp.empty() ? "" : " (" + result.gaveUp + ")"));
}

} // namespace acd
