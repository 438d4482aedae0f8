#include "notify/SendGridProvider.h"

#include "core/Backoff.h"
#include "core/Json.h"
#include "net/HttpClient.h"
#include "net/RetryLoop.h"
#include "net/UrlEncode.h"
#include "notify/ReplyText.h"
#include "notify/TemplateData.h"

#include <Poco/String.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_set>
#include <utility>

namespace acd {

namespace {

void require(bool condition, const std::string& message)
{
    if (!condition)
        throw std::invalid_argument(message);
}

/// {"email":…,"name":…} from "Name <address>" or a bare address.
std::string mailboxJson(const std::string& mailbox)
{
    std::string address = Poco::trim(mailbox);
    std::string name;
    if (const auto open = address.rfind('<'); open != std::string::npos && address.back() == '>')
    {
        name = Poco::trim(address.substr(0, open));
        if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
            name = name.substr(1, name.size() - 2);
        address = address.substr(open + 1, address.size() - open - 2);
    }
    std::string json = "{\"email\":";
    appendJsonString(json, address);
    if (!name.empty())
    {
        json += ",\"name\":";
        appendJsonString(json, name);
    }
    return json + "}";
}

/// SendGrid's error list `{"errors":[{"message","field","help"}]}`, as far as it could be read.
struct SendGridErrors
{
    bool readable = false;
    std::vector<std::pair<std::string, std::string>> fieldAndMessage;

    static SendGridErrors read(const std::string& body)
    {
        SendGridErrors errors;
        const auto document = parseJsonObject(body);
        const JsonValue* list = document ? jsonField(document->root(), "errors") : nullptr;
        if (list == nullptr || !list->IsArray())
            return errors;
        errors.readable = true;
        for (const JsonValue& error : list->GetArray())
        {
            if (error.IsObject())
                errors.fieldAndMessage.emplace_back(jsonStringOr(error, "field"),
                                                    jsonStringOr(error, "message"));
        }
        return errors;
    }

    /// "message (field); …" in SendGrid's words, or the body when it was not its error list.
    std::string describe(const std::string& body) const
    {
        if (!readable || fieldAndMessage.empty())
            return quoteReply(body);
        std::string text;
        for (const auto& [field, message] : fieldAndMessage)
            text += (text.empty() ? "" : "; ") + message + (field.empty() ? "" : " (" + field + ")");
        return quoteReply(text);
    }
};

/// N of a field "personalizations.N" or "personalizations.N.…"; nothing for any other field.
std::optional<std::size_t> personalizationIndex(const std::string& field)
{
    const std::string prefix = "personalizations.";
    if (!field.starts_with(prefix))
        return std::nullopt;
    std::size_t index = 0;
    std::size_t i = prefix.size();
    const std::size_t start = i;
    for (; i < field.size() && std::isdigit(static_cast<unsigned char>(field[i])) && i - start < 6; ++i)
        index = index * 10 + static_cast<std::size_t>(field[i] - '0');
    if (i == start || (i < field.size() && field[i] != '.'))
        return std::nullopt;
    return index;
}

/// The configuration key behind a request-wide field SendGrid refused; "" for any other field.
std::string configKeyOf(const std::string& field)
{
    if (field == "template_id" || field.starts_with("template_id."))
        return "sendgrid.templateId";
    if (field == "from" || field.starts_with("from."))
        return "sendgrid.from";
    if (field == "asm" || field.starts_with("asm."))
        return "sendgrid.unsubscribeGroupId";
    return "";
}

} // namespace

struct SendGridProvider::Batch
{
    std::vector<Item> items;
    RetryState retry;
};

SendGridProvider::SendGridProvider(HttpClient& http, SendGridOptions options)
    : _http(http), _options(std::move(options))
{
    require(_options.apiUrl.find("/v3/") != std::string::npos,
            "sendgrid.apiUrl '" + _options.apiUrl +
                "' must be the v3 Mail Send URL, such as https://api.sendgrid.com/v3/mail/send");
    require(!_options.apiKey.empty(),
            "the SendGrid API key (sendgrid.apiKeySecretName = " + _options.apiKeyName + ") is empty");
    require(_options.apiKey.find_first_of("\r\n") == std::string::npos,
            "the SendGrid API key (sendgrid.apiKeySecretName = " + _options.apiKeyName +
                ") holds a line break: store the key alone");
    require(!_options.templateId.empty(), "sendgrid.templateId must name the dynamic template (d-...)");
    require(!_options.from.empty(), "sendgrid.from must be the sender, such as Shop <reminders@example.com>");
    require(_options.maxPersonalizations >= 1 && _options.maxPersonalizations <= 1000,
            "the SendGrid batch limit maxPersonalizations must be from 1 to 1000");
    require(_options.maxAttemptsPerBatch >= 1, "the SendGrid maxAttemptsPerBatch must be at least 1");

    _prefix = "{\"from\":" + mailboxJson(_options.from) + ",\"template_id\":";
    appendJsonString(_prefix, _options.templateId);
    _prefix += ",\"categories\":[\"abandoned-cart\"]";
    if (_options.unsubscribeGroupId)
        _prefix += ",\"asm\":{\"group_id\":" + std::to_string(*_options.unsubscribeGroupId) + "}";
    _prefix += ",\"personalizations\":[";
    _suffix = "]}";
    require(_options.maxBytes > _prefix.size() + _suffix.size(),
            "the SendGrid request limit maxBytes is too small for even an empty request body");

    sleeper = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    random01 = [engine = std::make_shared<std::mt19937_64>(std::random_device{}())]() {
        return std::uniform_real_distribution<double>(0.0, 1.0)(*engine);
    };
    clock = [] { return Timestamp::now(); };
}

std::optional<std::string> SendGridProvider::personalization(const Reminder& reminder,
                                                             std::string& json) const
{
    if (reminder.email.empty())
        return "no email address to send to";
    if (reminder.triggerId.empty())
        return "no trigger_id to put in custom_args";
    // The detail names the fault, never the content.
    std::unique_ptr<const JsonDocument> data;
    try
    {
        data = parseJsonObject(reminder.dataJson);
    }
    catch (const std::exception&)
    {}
    if (!data)
    {
        std::string why;
        isJsonObjectText(reminder.dataJson, why);
        return "the reminder's data is " + (why.empty() ? std::string("not a JSON object") : why);
    }
    const std::optional<TemplateData> templateVars = templateData(data->root());
    if (!templateVars)
        return "the reminder's data nests deeper than " + std::to_string(TemplateData::MaxDepth) + " levels";
    const std::string name =
        Poco::trim(jsonStringOr(data->root(), "firstName") + " " + jsonStringOr(data->root(), "lastName"));
    json.clear();
    json += "{\"to\":[{\"email\":";
    appendJsonString(json, reminder.email);
    if (!name.empty())
    {
        json += ",\"name\":";
        appendJsonString(json, name);
    }
    json += "}],\"dynamic_template_data\":";
    json += templateVars->json();
    json += ",\"custom_args\":{\"trigger_id\":";
    appendJsonString(json, reminder.triggerId);
    json += "}}";
    if (bodySize(json.size(), 1) > _options.maxBytes)
        return "the reminder alone makes a request of " + std::to_string(bodySize(json.size(), 1)) +
               " bytes, over SendGrid's limit of 30 MB";
    return std::nullopt;
}

std::size_t SendGridProvider::bodySize(std::size_t itemBytes, std::size_t count) const
{
    return _prefix.size() + itemBytes + (count > 0 ? count - 1 : 0) + _suffix.size();
}

std::string SendGridProvider::body(const std::vector<Item>& batch) const
{
    std::string text = _prefix;
    for (std::size_t i = 0; i < batch.size(); ++i)
    {
        if (i > 0)
            text += ',';
        text += batch[i].json;
    }
    return text + _suffix;
}

std::string SendGridProvider::requestBody(const std::vector<Reminder>& reminders) const
{
    std::vector<Item> items;
    for (const Reminder& reminder : reminders)
    {
        Item item{reminder.notificationId, Poco::toLower(reminder.email), {}};
        if (!personalization(reminder, item.json))
            items.push_back(std::move(item));
    }
    return body(items);
}

std::vector<std::vector<SendGridProvider::Item>> SendGridProvider::plan(std::vector<Item> items) const
{
    // First fit in the given order: an item that does not fit (count, size, or its address is
    // already in this request) waits for the next. Each fits an empty request alone.
    std::vector<std::vector<Item>> batches;
    while (!items.empty())
    {
        std::vector<Item> batch, later;
        std::unordered_set<std::string> addresses;
        std::size_t bytes = 0;
        for (Item& item : items)
        {
            if (batch.size() < _options.maxPersonalizations &&
                bodySize(bytes + item.json.size(), batch.size() + 1) <= _options.maxBytes &&
                !addresses.contains(item.emailKey))
            {
                addresses.insert(item.emailKey);
                bytes += item.json.size();
                batch.push_back(std::move(item));
            }
            else
                later.push_back(std::move(item));
        }
        batches.push_back(std::move(batch));
        items = std::move(later);
    }
    return batches;
}

std::size_t SendGridProvider::wholeRequests(const std::vector<Reminder>& reminders,
                                            std::size_t requests) const
{
    std::size_t closed = 0, count = 0, bytes = 0;
    std::unordered_set<std::string> addresses;
    std::string json;
    for (std::size_t i = 0; i < reminders.size(); ++i)
    {
        if (personalization(reminders[i], json))
            continue; // refused without being sent: takes no room
        std::string key = Poco::toLower(reminders[i].email);
        if (count >= _options.maxPersonalizations ||
            bodySize(bytes + json.size(), count + 1) > _options.maxBytes || addresses.contains(key))
        {
            if (++closed == requests)
                return i;
            count = 0;
            bytes = 0;
            addresses.clear();
        }
        ++count;
        bytes += json.size();
        addresses.insert(std::move(key));
    }
    return 0;
}

void SendGridProvider::deliver(const std::vector<Reminder>& reminders, Timestamp deadline,
                               DeliveryJournal& journal)
{
    std::vector<Item> items;
    items.reserve(reminders.size());
    std::vector<DeliveryResult> refused; // never sent: nothing to mark
    for (const Reminder& reminder : reminders)
    {
        Item item{reminder.notificationId, Poco::toLower(reminder.email), {}};
        if (auto problem = personalization(reminder, item.json))
            refused.push_back({reminder.notificationId, DeliveryStatus::Rejected, std::move(*problem)});
        else
            items.push_back(std::move(item));
    }
    if (!refused.empty())
        journal.answered(refused);
    sendBatches(plan(std::move(items)), deadline, journal);
}

HttpRequest SendGridProvider::request(const std::string& method, const std::string& url,
                                      std::string text) const
{
    HttpRequest request;
    request.method = method;
    request.url = url;
    request.body = std::move(text);
    request.headers = {{"Authorization", "Bearer " + _options.apiKey}, {"Accept", "application/json"}};
    if (!request.body.empty())
        request.headers.emplace_back("Content-Type", "application/json");
    return request;
}

void SendGridProvider::sendBatches(std::vector<std::vector<Item>> planned, Timestamp deadline,
                                   DeliveryJournal& journal)
{
    RetryPolicy policy;
    policy.maxAttempts = _options.maxAttemptsPerBatch;
    std::deque<Batch> queue;
    for (auto& items : planned)
        queue.push_back({std::move(items), RetryState(policy, deadline)});

    std::vector<DeliveryResult> answers;
    const auto settle = [&](const std::vector<Item>& items, DeliveryStatus status,
                            const std::string& detail) {
        for (const Item& item : items)
            answers.push_back({item.notificationId, status, detail});
    };
    // One request at a time: a crash then leaves at most one request's reminders uncertain.
    while (!queue.empty())
    {
        Batch batch = std::move(queue.front());
        queue.pop_front();
        answers.clear();
        if (batch.retry.attempt() == 1 && clock() >= deadline)
        {
            settle(batch.items, DeliveryStatus::Retry,
                   "delivery deadline reached before this request was sent");
            journal.answered(answers);
            continue;
        }
        std::vector<std::int64_t> leaving;
        for (const Item& item : batch.items)
            leaving.push_back(item.notificationId);
        journal.sending(leaving);
        const HttpClient::Outcome outcome =
            std::move(sendRound(_http, {request("POST", _options.apiUrl, body(batch.items))}).front());

        std::string failure; // a transient failure: what went wrong, then SendGrid's words
        RetryHints hints;
        const HttpResponse& response = outcome.response;
        if (!outcome.transportError.empty())
        {
            if (outcome.requestSent)
            {
                // The request left and its answer did not come: SendGrid may have accepted it, and
                // a second request would be a second email.
                settle(batch.items, DeliveryStatus::Uncertain,
                       "the request left but SendGrid's answer was lost (" + outcome.transportError +
                           "): it may have been accepted, and SendGrid cannot tell a repeat");
                journal.answered(answers);
                continue;
            }
            failure = "no connection: " + outcome.transportError;
        }
        else if (response.status >= 200 && response.status < 300)
        {
            const std::string id = response.header("X-Message-Id");
            settle(batch.items, DeliveryStatus::Sent, id.empty() ? "" : "X-Message-Id " + quoteReply(id));
        }
        else if (response.status == 401 || response.status == 403)
        {
            settle(batch.items, DeliveryStatus::Retry,
                   "SendGrid refused the API key (HTTP " + std::to_string(response.status) + ")");
            journal.answered(answers);
            throw ProviderAuthError("SendGrid refused the API key of sendgrid.apiKeySecretName = " +
                                    _options.apiKeyName + " (HTTP " + std::to_string(response.status) +
                                    (response.status == 403 ? ", a key without Mail Send access" : "") +
                                    "): " + SendGridErrors::read(response.body).describe(response.body));
        }
        else if (response.status == 413 && batch.items.size() > 1)
        {
            const auto middle = batch.items.begin() + static_cast<std::ptrdiff_t>(batch.items.size() / 2);
            queue.push_front({std::vector<Item>(middle, batch.items.end()), RetryState(policy, deadline)});
            queue.push_front({std::vector<Item>(batch.items.begin(), middle), RetryState(policy, deadline)});
        }
        else if (response.status == 413)
            settle(batch.items, DeliveryStatus::Rejected,
                   "SendGrid refused the request as too large (HTTP 413)");
        else if (response.status == 400)
        {
            const SendGridErrors errors = SendGridErrors::read(response.body);
            std::map<std::size_t, std::string> culprits;
            std::string configKey;
            for (const auto& [field, message] : errors.fieldAndMessage)
            {
                if (const auto index = personalizationIndex(field); index && *index < batch.items.size())
                    culprits[*index] += (culprits[*index].empty() ? "" : "; ") + message;
                else if (configKey.empty())
                    configKey = configKeyOf(field);
            }
            if (!culprits.empty())
            {
                // The rest were refused only for being in the same request: sent again without it.
                std::vector<Item> rest;
                for (std::size_t i = 0; i < batch.items.size(); ++i)
                {
                    if (const auto culprit = culprits.find(i); culprit != culprits.end())
                        answers.push_back({batch.items[i].notificationId, DeliveryStatus::Rejected,
                                           quoteReply(culprit->second)});
                    else
                        rest.push_back(std::move(batch.items[i]));
                }
                if (!rest.empty())
                    queue.push_front({std::move(rest), RetryState(policy, deadline)});
            }
            else if (!configKey.empty())
            {
                settle(batch.items, DeliveryStatus::Retry,
                       "SendGrid refused the request (HTTP 400): " + errors.describe(response.body));
                journal.answered(answers);
                throw ProviderConfigError(
                    "SendGrid refused " + configKey + " (HTTP 400): " + errors.describe(response.body) +
                    "; fix it in the configuration. The reminders stay pending until then");
            }
            else if (!errors.readable)
                // Not SendGrid's error list (a proxy's page?): nothing says the reminders are wrong.
                settle(batch.items, DeliveryStatus::Retry,
                       "SendGrid answered HTTP 400 without its error list: " + quoteReply(response.body));
            else
                // A fault of the request that names no reminder and no setting: refused as SendGrid
                // said, rather than sent again and again to the same answer.
                settle(batch.items, DeliveryStatus::Rejected,
                       "SendGrid refused the request (HTTP 400): " + errors.describe(response.body));
        }
        else if (response.status == 429 || response.status >= 500)
        {
            failure = "HTTP " + std::to_string(response.status) + ": " +
                      SendGridErrors::read(response.body).describe(response.body);
            hints = retryHints(response);
        }
        else
            // Neither transient nor a verdict on these reminders (a wrong URL): pending until fixed.
            settle(batch.items, DeliveryStatus::Retry,
                   "unexpected HTTP " + std::to_string(response.status) +
                       " from SendGrid: " + SendGridErrors::read(response.body).describe(response.body));

        if (!failure.empty())
        {
            if (const auto delay = batch.retry.afterFailure(hints, clock(), random01()))
            {
                // Each reminder gets one answer: these stay sending through the wait, so a crash
                // in it leaves them uncertain, as a crash during the request would.
                if (!answers.empty())
                    journal.answered(answers);
                sleeper(*delay);
                queue.push_front(std::move(batch));
                continue;
            }
            settle(batch.items, DeliveryStatus::Retry, failure + " " + batch.retry.gaveUp());
        }
        if (!answers.empty())
            journal.answered(answers);
    }
}

std::string SendGridProvider::v3(const std::string& path) const
{
    return _options.apiUrl.substr(0, _options.apiUrl.find("/v3/") + 4) + path;
}

namespace {

/// A purge or suppression call that did not get the answer it wanted, as the error to throw.
[[noreturn]] void failed(const std::string& what, const RetryResult& result, const std::string& keyName,
                         const char* access)
{
    const HttpClient::Outcome& outcome = result.outcome;
    if (!outcome.transportError.empty())
        throw RemoteError(RemoteFailure::Unreachable, "SendGrid " + what + ": no answer " + result.gaveUp +
                                                          ": " + outcome.transportError);
    const long status = outcome.response.status;
    const std::string said = SendGridErrors::read(outcome.response.body).describe(outcome.response.body);
    if (status == 401 || status == 403)
        throw ProviderAuthError(
            "SendGrid " + what + ": the API key of sendgrid.apiKeySecretName = " + keyName +
            " was refused (HTTP " + std::to_string(status) + ", it needs " + access + " access): " + said);
    throw RemoteError(status == 429   ? RemoteFailure::Throttled
                      : status >= 500 ? RemoteFailure::Unreachable
                                      : RemoteFailure::Rejected,
                      "SendGrid " + what + " answered HTTP " + std::to_string(status) + ": " + said);
}

} // namespace

RetryResult SendGridProvider::call(const HttpRequest& request) const
{
    return std::move(sendWithRetries(_http, {request}, RetryCall{}, {sleeper, clock, random01}).front());
}

void SendGridProvider::forget(const std::string& email)
{
    std::string search = "{\"emails\":[";
    appendJsonString(search, email);
    const RetryResult found = call(request("POST", v3("marketing/contacts/search/emails"), search + "]}"));
    const bool answered = found.outcome.transportError.empty();
    if (answered && found.outcome.response.status == 404)
    {
        if (_options.report)
            _options.report("SendGrid has no marketing contact with this address (contact search: HTTP 404)");
        return;
    }
    if (!answered || found.outcome.response.status != 200)
        failed("contact search", found, _options.apiKeyName, "Marketing");
    const auto document = parseJsonObject(found.outcome.response.body);
    const JsonValue* result = document ? jsonField(document->root(), "result") : nullptr;
    if (result == nullptr || !result->IsObject())
        throw RemoteError(RemoteFailure::Malformed,
                          "SendGrid contact search answered HTTP 200 without a result object: " +
                              quoteReply(found.outcome.response.body));
    std::string ids;
    std::size_t count = 0;
    for (const auto& entry : jsonMembers(*result))
    {
        const JsonValue* contact = jsonField(entry.value, "contact");
        const std::string id = contact ? jsonStringOr(*contact, "id") : "";
        if (!id.empty())
            ids += (count++ == 0 ? "" : ",") + id;
    }
    if (count == 0)
    {
        if (_options.report)
            _options.report("SendGrid has no marketing contact with this address");
        return;
    }
    const RetryResult deleted =
        call(request("DELETE", v3("marketing/contacts?ids=" + percentEncode(ids)), ""));
    if (!deleted.outcome.transportError.empty() || deleted.outcome.response.status != 202)
        failed("contact deletion", deleted, _options.apiKeyName, "Marketing");
    std::string job;
    if (const auto reply = parseJsonObject(deleted.outcome.response.body))
        job = jsonStringOr(reply->root(), "job_id");
    if (_options.report)
        _options.report("SendGrid accepted the deletion of " + std::to_string(count) +
                        " marketing contact(s) (HTTP 202, job_id " +
                        (job.empty() ? "not given" : quoteReply(job)) +
                        "); SendGrid carries the job out within minutes");
}

void SendGridProvider::mirrorOptOut(const std::string& email)
{
    std::string text = "{\"recipient_emails\":[";
    appendJsonString(text, email);
    const RetryResult result = call(request("POST", v3("asm/suppressions/global"), text + "]}"));
    const long status = result.outcome.transportError.empty() ? result.outcome.response.status : 0;
    if (status != 201 && status != 200)
        failed("global suppression", result, _options.apiKeyName, "Suppressions");
    if (_options.report)
        _options.report("SendGrid added the address to its global suppressions (HTTP " +
                        std::to_string(status) + ")");
}

} // namespace acd
