#include "notify/EmarsysProvider.h"

#include "core/Backoff.h"
#include "core/Json.h"
#include "net/HttpClient.h"
#include "net/RetryLoop.h"
#include "net/TokenSource.h"
#include "notify/EmarsysReply.h"
#include "notify/ReplyText.h"
#include "notify/Wsse.h"

#include <Poco/String.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace acd {

namespace {

constexpr std::string_view BodySuffix = "]}";
/// Per-contact code for a trigger_id Emarsys already has: the reminder reached it before.
const char* const AlreadyTriggered = "9003";
/// replyCode for an external event that starts no program or campaign.
constexpr int NoProgramTriggered = 5005;

std::string jsonString(const std::string& value)
{
    std::string out;
    appendJsonString(out, value);
    return out;
}

std::string describeSize(std::size_t bytes)
{
    if (bytes % 1000000 == 0)
        return std::to_string(bytes / 1000000) + " MB";
    return std::to_string(bytes) + " bytes";
}

void require(bool condition, const std::string& message)
{
    if (!condition)
        throw std::invalid_argument(message);
}

} // namespace

EmarsysProvider::EmarsysProvider(HttpClient& http, EmarsysOptions options)
    : _http(http), _options(std::move(options))
{
    require(_options.apiUrl.find("{0}") != std::string::npos,
            "emarsys.apiUrl '" + _options.apiUrl + "' must contain {0} where the external event id goes");
    require(!_options.externalEventId.empty() && _options.externalEventId.find_first_not_of(
                                                     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                     "0123456789-_.") == std::string::npos,
            "emarsys.externalEventId '" + _options.externalEventId +
                "' must be a non-empty id made of letters, digits, '-', '_' or '.'");
    require(!_options.contactKeyId.empty(), "emarsys.contactKeyId must not be empty");
    if (!_options.tokens)
    {
        // The user name is quoted inside the X-WSSE header: a quote or a control character would break it.
        bool userOk = !_options.user.empty();
        for (const char c : _options.user)
            userOk = userOk && c != '"' && static_cast<unsigned char>(c) >= 0x20;
        require(userOk,
                "the Emarsys API user name must be non-empty and contain no '\"' or control character");
        require(!_options.secret.empty(), "the Emarsys API secret for user " + _options.user + " is empty");
    }
    require(_options.maxContacts >= 1, "the Emarsys batch limit maxContacts must be at least 1");
    require(_options.maxAttemptsPerBatch >= 1, "the Emarsys maxAttemptsPerBatch must be at least 1");

    _url = Poco::replace(_options.apiUrl, std::string("{0}"), _options.externalEventId);
    _bodyPrefix = "{\"key_id\":" + jsonString(_options.contactKeyId) + ",\"contacts\":[";
    require(_options.maxBytes > _bodyPrefix.size() + BodySuffix.size(),
            "the Emarsys batch limit maxBytes (" + std::to_string(_options.maxBytes) +
                ") is too small for even an empty request body");

    sleeper = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    random01 = [engine = std::make_shared<std::mt19937_64>(std::random_device{}())]() {
        return std::uniform_real_distribution<double>(0.0, 1.0)(*engine);
    };
    clock = [] { return Timestamp::now(); };
}

namespace {

const char* const Blanks = " \t\r\n";

/// {"external_id":…,"trigger_id":…,"data": — what precedes the data object in a contact.
void appendContactHead(std::string& json, const Reminder& reminder)
{
    json += "{\"external_id\":";
    appendJsonString(json, reminder.email);
    json += ",\"trigger_id\":";
    appendJsonString(json, reminder.triggerId);
    json += ",\"data\":";
}

/// The data object as stored, without the blanks around it.
std::string_view trimmedData(const Reminder& reminder)
{
    const std::string& data = reminder.dataJson;
    const std::size_t first = data.find_first_not_of(Blanks);
    if (first == std::string::npos)
        return {};
    return std::string_view(data).substr(first, data.find_last_not_of(Blanks) - first + 1);
}

} // namespace

std::optional<std::string> EmarsysProvider::contactJson(const Reminder& reminder, std::string& json) const
{
    if (reminder.email.empty())
        return "no email address to send to";
    if (reminder.triggerId.empty())
        return "no trigger_id: a retry could not be recognised by Emarsys";
    // The data goes in as it was stored (the reminder builder writes it condensed), after a
    // scan that it is one JSON object: parsing and writing it again gave the same bytes for
    // far more work. The detail names the fault, never the content (names, addresses).
    std::string why;
    if (!isJsonObjectText(reminder.dataJson, why))
        return "the reminder's data is " + why;
    const std::string_view data = trimmedData(reminder);
    json.clear();
    json.reserve(data.size() + reminder.email.size() + reminder.triggerId.size() + 48);
    appendContactHead(json, reminder);
    json += data;
    json += '}';
    if (bodySize(json.size(), 1) > _options.maxBytes)
        return "payload larger than " + describeSize(_options.maxBytes);
    return std::nullopt;
}

std::size_t EmarsysProvider::wholeRequests(const std::vector<Reminder>& reminders, std::size_t requests) const
{
    // In order, a request closes when the next contact would break a limit or repeat an
    // address; deliver()'s first-fit plan of the same reminders needs at most as many requests.
    // Sizes come without the scan of the data that deliver() makes: a reminder it refuses
    // for its data is counted here as taking room, which only closes a request earlier.
    std::size_t closed = 0;
    std::size_t count = 0;
    std::size_t bytes = 0;
    std::unordered_set<std::string> addresses;
    std::string head;
    for (std::size_t i = 0; i < reminders.size(); ++i)
    {
        const Reminder& reminder = reminders[i];
        if (reminder.email.empty() || reminder.triggerId.empty())
            continue; // rejected without being sent: takes no room
        head.clear();
        appendContactHead(head, reminder);
        const std::size_t size = head.size() + trimmedData(reminder).size() + 1;
        if (bodySize(size, 1) > _options.maxBytes)
            continue; // refused as too large: takes no room either
        std::string key = Poco::toLower(reminder.email);
        const bool fits = count < _options.maxContacts &&
                          bodySize(bytes + size, count + 1) <= _options.maxBytes && !addresses.contains(key);
        if (!fits)
        {
            if (++closed == requests)
                return i;
            count = 0;
            bytes = 0;
            addresses.clear();
        }
        ++count;
        bytes += size;
        addresses.insert(std::move(key));
    }
    return 0;
}

void EmarsysProvider::deliver(const std::vector<Reminder>& reminders, Timestamp deadline,
                              DeliveryJournal& journal)
{
    std::vector<Contact> contacts;
    contacts.reserve(reminders.size());
    std::vector<DeliveryResult> refused; // never sent: nothing to mark
    for (std::size_t i = 0; i < reminders.size(); ++i)
    {
        const Reminder& reminder = reminders[i];
        Contact contact{reminder.notificationId, Poco::toLower(reminder.email), {}};
        if (auto problem = contactJson(reminder, contact.json))
        {
            refused.push_back({reminder.notificationId, DeliveryStatus::Rejected, std::move(*problem)});
            continue;
        }
        contacts.push_back(std::move(contact));
    }
    if (!refused.empty())
        journal.answered(refused);
    sendBatches(planBatches(std::move(contacts)), deadline, journal);
}

std::vector<std::vector<EmarsysProvider::Contact>>
EmarsysProvider::planBatches(std::vector<Contact> contacts) const
{
    // First fit in the given order: a contact that does not fit (size, or its address is
    // already in this batch) waits for the next batch. Every contact fits an empty batch on
    // its own (deliver() checked), so each round takes at least one.
    std::vector<std::vector<Contact>> batches;
    while (!contacts.empty())
    {
        std::vector<Contact> batch;
        std::vector<Contact> later;
        std::unordered_set<std::string> addresses;
        std::size_t bytes = 0;
        for (auto& contact : contacts)
        {
            const bool fits = batch.size() < _options.maxContacts &&
                              bodySize(bytes + contact.json.size(), batch.size() + 1) <= _options.maxBytes &&
                              !addresses.contains(contact.emailKey);
            if (fits)
            {
                addresses.insert(contact.emailKey);
                bytes += contact.json.size();
                batch.push_back(std::move(contact));
            }
            else
            {
                later.push_back(std::move(contact));
            }
        }
        batches.push_back(std::move(batch));
        contacts = std::move(later);
    }
    return batches;
}

std::size_t EmarsysProvider::bodySize(std::size_t contactsJsonBytes, std::size_t count) const
{
    const std::size_t commas = count > 0 ? count - 1 : 0;
    return _bodyPrefix.size() + contactsJsonBytes + commas + BodySuffix.size();
}

std::string EmarsysProvider::buildBody(const std::vector<Contact>& batch) const
{
    std::string body = _bodyPrefix;
    for (std::size_t i = 0; i < batch.size(); ++i)
    {
        if (i > 0)
            body += ',';
        body += batch[i].json;
    }
    body += BodySuffix;
    return body;
}

std::pair<std::string, std::string> EmarsysProvider::authorization()
{
    if (!_options.tokens)
        return {"X-WSSE",
                makeWsseHeader(_options.user, _options.secret, makeNonce(), clock().toIsoSeconds())};
    try
    {
        return {"Authorization", "Bearer " + _options.tokens->token()};
    }
    catch (const TokenError& e)
    {
        if (e.refused())
            throw ProviderAuthError(e.what());
        throw;
    }
}

std::string EmarsysProvider::describeCredentials() const
{
    return _options.tokens ? std::string("the OAuth 2.0 token (emarsys.clientIdSecretName)")
                           : "the credentials of user " + _options.user;
}

void EmarsysProvider::forget(const std::string& email)
{
    HttpRequest request;
    request.method = "POST";
    request.url = _options.contactDeleteUrl;
    request.body = "{\"key_id\":" + jsonString(_options.contactKeyId) + "," +
                   jsonString(_options.contactKeyId) + ":" + jsonString(email) + "}";
    request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    // One try, and with a kept token that a 401 refuses, one new token and one more try.
    RetryCall call;
    call.policy.maxAttempts = 1;
    call.authorize = [this] { return authorization(); };
    if (_options.tokens)
        call.refreshToken = [this] { _options.tokens->invalidate(); };
    call.verdict = [](const HttpClient::Outcome& outcome) {
        return outcome.response.status == 401 ? Verdict::Unauthorized : Verdict::Answer;
    };
    const HttpClient::Outcome outcome =
        std::move(sendWithRetries(_http, {request}, call, {sleeper, clock, random01}).front().outcome);
    if (!outcome.transportError.empty())
        throw RemoteError(RemoteFailure::Unreachable,
                          "Emarsys contact/delete: no answer: " + outcome.transportError);
    const HttpResponse& response = outcome.response;
    const EmarsysReply reply = EmarsysReply::read(response.body);
    if (response.status == 401)
        throw ProviderAuthError("Emarsys refused " + describeCredentials() + " (HTTP 401)");
    if (response.status == 200 && reply.replyCode == 0)
        return;
    if (reply.replyCode == 2008)
        return;
    throw RemoteError(response.status == 429   ? RemoteFailure::Throttled
                      : response.status >= 500 ? RemoteFailure::Unreachable
                                               : RemoteFailure::Rejected,
                      "Emarsys contact/delete answered HTTP " + std::to_string(response.status) + ": " +
                          reply.describe(response.body));
}

void EmarsysProvider::sendBatches(std::vector<std::vector<Contact>> planned, Timestamp deadline,
                                  DeliveryJournal& journal)
{
    struct Pending
    {
        std::vector<Contact> batch;
        std::string body;
        RetryState retry; // the batch's tries: attempts, waits, the one token refresh
    };
    RetryPolicy policy;
    policy.maxAttempts = _options.maxAttemptsPerBatch;
    std::vector<DeliveryResult> answers; // of the round under way, recorded when it is back
    const auto settle = [&](const std::vector<Contact>& batch, DeliveryStatus status,
                            const std::string& detail) {
        for (const Contact& contact : batch)
            answers.push_back({contact.notificationId, status, detail});
    };
    std::deque<Pending> queue;
    for (auto& batch : planned)
        queue.push_back({std::move(batch), {}, RetryState(policy, deadline)});

    const std::size_t inFlight = std::max<std::size_t>(1, _options.batchesInFlight);
    while (!queue.empty())
    {
        answers.clear();
        // One round: up to batchesInFlight requests at once. A batch not yet tried is not
        // started once the deadline has passed; a retry was already checked against it.
        std::vector<Pending> round;
        while (!queue.empty() && round.size() < inFlight)
        {
            Pending pending = std::move(queue.front());
            queue.pop_front();
            if (pending.retry.attempt() == 1 && clock() >= deadline)
            {
                settle(pending.batch, DeliveryStatus::Retry,
                       "delivery deadline reached before this batch was sent");
                continue;
            }
            if (pending.body.empty())
                pending.body = buildBody(pending.batch);
            round.push_back(std::move(pending));
        }
        if (round.empty())
        {
            if (!answers.empty())
                journal.answered(answers);
            continue;
        }

        std::vector<HttpRequest> requests(round.size());
        std::vector<std::int64_t> leaving;
        for (std::size_t k = 0; k < round.size(); ++k)
        {
            requests[k].method = "POST";
            requests[k].url = _url;
            requests[k].body = std::move(round[k].body);
            requests[k].headers = {
                authorization(), {"Content-Type", "application/json"}, {"Accept", "application/json"}};
            for (const Contact& contact : round[k].batch)
                leaving.push_back(contact.notificationId);
        }
        journal.sending(leaving);
        std::vector<HttpClient::Outcome> outcomes = sendRound(_http, requests);

        std::optional<std::string> unauthorized;
        std::optional<std::string> misconfigured;
        bool newToken = false;
        std::vector<Pending> again;        // retried after the wait, before the batches not yet tried
        std::vector<Pending> halves;       // split on "batch too large", sent next without waiting
        std::vector<Pending> reauthorized; // sent again at once with a new token
        std::chrono::milliseconds wait{0};
        const Timestamp now = clock();
        for (std::size_t k = 0; k < round.size(); ++k)
        {
            Pending& pending = round[k];
            pending.body = std::move(requests[k].body);
            const std::vector<Contact>& batch = pending.batch;
            std::string failure; // what went wrong, then what the other side said about it
            std::string said;
            std::string retryAfter;
            std::string rateLimitReset;
            if (!outcomes[k].transportError.empty())
            {
                failure = outcomes[k].timedOut ? "timeout" : "transport error";
                said = outcomes[k].transportError;
            }
            else
            {
                const HttpResponse& response = outcomes[k].response;
                if (response.status == 200)
                {
                    readReply(batch, response.body, answers);
                    continue;
                }
                const EmarsysReply reply = EmarsysReply::read(response.body);
                if (response.status == 401)
                {
                    if (_options.tokens && pending.retry.refreshToken())
                    {
                        newToken = true;
                        reauthorized.push_back(std::move(pending));
                        continue;
                    }
                    settle(batch, DeliveryStatus::Retry, "Emarsys refused the credentials (HTTP 401)");
                    unauthorized = "Emarsys refused " + describeCredentials() + " (HTTP 401" +
                                   (_options.tokens ? ", with a token fetched anew" : "") + "): " +
                                   quoteReply(reply.replyText.empty() ? response.body : reply.replyText);
                    continue;
                }
                if (response.status == 400)
                {
                    if (reply.replyCode == 1000 && batch.size() > 1)
                    {
                        const auto middle = batch.begin() + static_cast<std::ptrdiff_t>(batch.size() / 2);
                        halves.push_back(
                            {std::vector<Contact>(batch.begin(), middle), {}, RetryState(policy, deadline)});
                        halves.push_back(
                            {std::vector<Contact>(middle, batch.end()), {}, RetryState(policy, deadline)});
                        continue;
                    }
                    // Not about these contacts but about the request (a wrong key_id or event id):
                    // a configuration fault. Rejecting would lose every reminder of the batch for
                    // good; pending, they go out once it is fixed, or expire with retention.
                    settle(batch, DeliveryStatus::Retry,
                           "Emarsys refused the request (HTTP 400): " + reply.describe(response.body));
                    if (reply.replyCode == NoProgramTriggered)
                        misconfigured =
                            "Emarsys answered " + reply.describe(response.body) +
                            ": the external event emarsys.externalEventId = " + _options.externalEventId +
                            " starts no program or campaign; connect it to one in Emarsys (Automation), "
                            "or set the right event id. The reminders stay pending until then";
                    continue;
                }
                if (response.status != 429 && response.status < 500)
                {
                    // Neither transient nor a verdict on these reminders (a wrong URL, a missing
                    // permission): they stay pending for when the configuration is fixed.
                    settle(batch, DeliveryStatus::Retry,
                           "unexpected HTTP " + std::to_string(response.status) +
                               " from Emarsys: " + reply.describe(response.body));
                    continue;
                }
                failure = "HTTP " + std::to_string(response.status);
                said = reply.describe(response.body);
                retryAfter = response.header("Retry-After");
                rateLimitReset = response.header("X-RateLimit-Reset");
            }

            const auto delay = pending.retry.afterFailure({retryAfter, rateLimitReset}, now, random01());
            if (!delay)
            {
                settle(batch, DeliveryStatus::Retry, failure + " " + pending.retry.gaveUp() + ": " + said);
                continue;
            }
            wait = std::max(wait, *delay);
            again.push_back(std::move(pending));
        }
        if (!answers.empty())
            journal.answered(answers);
        if (unauthorized)
            throw ProviderAuthError(*unauthorized);
        if (misconfigured)
            throw ProviderConfigError(*misconfigured);
        if (newToken)
            _options.tokens->invalidate();
        // Sequentially (one in flight) this is the order of before: a batch's halves, or its
        // retry, go before the batches not tried yet.
        for (auto it = again.rbegin(); it != again.rend(); ++it)
            queue.push_front(std::move(*it));
        for (auto it = halves.rbegin(); it != halves.rend(); ++it)
            queue.push_front(std::move(*it));
        for (auto it = reauthorized.rbegin(); it != reauthorized.rend(); ++it)
            queue.push_front(std::move(*it));
        if (!again.empty())
            sleeper(wait);
    }
}

void EmarsysProvider::readReply(const std::vector<Contact>& batch, const std::string& body,
                                std::vector<DeliveryResult>& answers) const
{
    // A 200 we cannot read leaves us not knowing what Emarsys did; sending again later is safe
    // because Emarsys recognises the trigger_ids.
    const auto unreadable = [&](const std::string& why) {
        for (const Contact& contact : batch)
            answers.push_back(
                {contact.notificationId, DeliveryStatus::Retry, "Emarsys answered HTTP 200 with " + why});
    };
    const EmarsysReply reply = EmarsysReply::read(body);
    if (!reply.object || !reply.replyCode)
    {
        unreadable("a body that is not its reply envelope: " + quoteReply(body));
        return;
    }
    if (*reply.replyCode != 0)
    {
        unreadable(reply.describe(body));
        return;
    }
    std::string why;
    const auto errors = emarsysContactErrors(reply, why);
    if (!errors)
    {
        unreadable(why + ": " + quoteReply(body));
        return;
    }
    for (const Contact& contact : batch)
    {
        const std::int64_t id = contact.notificationId;
        const auto error = errors->find(contact.emailKey);
        if (error == errors->end())
            answers.push_back({id, DeliveryStatus::Sent, ""});
        else if (error->second.codes.contains(AlreadyTriggered))
            answers.push_back(
                {id, DeliveryStatus::Sent, "Emarsys had this trigger_id already: " + error->second.detail});
        else
            answers.push_back({id, DeliveryStatus::Rejected, error->second.detail});
    }
}

} // namespace acd
