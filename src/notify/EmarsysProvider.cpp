#include "notify/EmarsysProvider.h"

#include "core/Backoff.h"
#include "core/JsonText.h"
#include "net/HttpClient.h"
#include "notify/Wsse.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
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
constexpr std::size_t MaxQuotedReply = 200;

std::string jsonString(const std::string& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::formatString(value, out);
    return out.str();
}

/// Keeps the author's key order so that what Emarsys receives reads like what was built.
Poco::Dynamic::Var parseJson(const std::string& text)
{
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    return parser.parse(text);
}

/// A provider's text as it may go into a detail: one line, bounded, cut on a UTF-8 boundary.
std::string quoteReply(const std::string& text)
{
    std::size_t end = text.size();
    bool cut = false;
    if (end > MaxQuotedReply)
    {
        end = MaxQuotedReply;
        while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
            --end;
        cut = true;
    }
    std::string line = text.substr(0, end);
    for (char& c : line)
    {
        if (static_cast<unsigned char>(c) < 0x20)
            c = ' ';
    }
    line = Poco::trim(line);
    if (line.empty())
        return "(empty reply)";
    return cut ? line + "..." : line;
}

/// The Emarsys reply envelope, as far as it could be read.
struct Reply
{
    Poco::JSON::Object::Ptr object; // null when the body is not a JSON object
    std::optional<int> replyCode;
    std::string replyText;

    /// "replyCode 1000: Too many contacts" when the envelope was readable, else the body's text.
    std::string describe(const std::string& body) const
    {
        if (replyCode)
            return "replyCode " + std::to_string(*replyCode) + ": " + quoteReply(replyText);
        return quoteReply(body);
    }
};

Reply readEnvelope(const std::string& body)
{
    Reply reply;
    try
    {
        const Poco::Dynamic::Var parsed = parseJson(body);
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
            return reply;
        reply.object = parsed.extract<Poco::JSON::Object::Ptr>();
    }
    catch (const Poco::Exception&)
    {
        return reply;
    }
    const Poco::Dynamic::Var code = reply.object->get("replyCode");
    if (code.isInteger())
        reply.replyCode = code.convert<int>();
    const Poco::Dynamic::Var text = reply.object->get("replyText");
    if (text.isString())
        reply.replyText = text.extract<std::string>();
    return reply;
}

/// `{"2008":"No contact found"}` -> "2008 No contact found"; several codes are joined with "; ".
std::string describeContactError(const Poco::Dynamic::Var& entry)
{
    if (entry.type() == typeid(Poco::JSON::Object::Ptr))
    {
        std::string detail;
        for (const auto& [code, text] : *entry.extract<Poco::JSON::Object::Ptr>())
        {
            if (!detail.empty())
                detail += "; ";
            detail += code + " " + (text.isString() ? text.extract<std::string>() : text.toString());
        }
        return quoteReply(detail);
    }
    if (entry.isString())
        return quoteReply(entry.extract<std::string>());
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(entry, out);
    return quoteReply(out.str());
}

bool isEmptyJson(const Poco::Dynamic::Var& value)
{
    if (value.isEmpty())
        return true;
    // Emarsys is written in PHP, whose json_encode turns an empty map into [].
    if (value.type() == typeid(Poco::JSON::Array::Ptr))
        return value.extract<Poco::JSON::Array::Ptr>()->size() == 0;
    return false;
}

std::string describeSize(std::size_t bytes)
{
    if (bytes % 1000000 == 0)
        return std::to_string(bytes / 1000000) + " MB";
    return std::to_string(bytes) + " bytes";
}

Timestamp plus(Timestamp t, std::chrono::milliseconds d)
{
    return Timestamp(t.ticks() + d.count() * (Timestamp::TicksPerSecond / 1000));
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
    // The user name is quoted inside the X-WSSE header: a quote or a control character would break it.
    bool userOk = !_options.user.empty();
    for (const char c : _options.user)
        userOk = userOk && c != '"' && static_cast<unsigned char>(c) >= 0x20;
    require(userOk, "the Emarsys API user name must be non-empty and contain no '\"' or control character");
    require(!_options.secret.empty(), "the Emarsys API secret for user " + _options.user + " is empty");
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

std::vector<DeliveryResult> EmarsysProvider::deliver(const std::vector<Reminder>& reminders,
                                                     Timestamp deadline)
{
    Results results(reminders.size());
    std::vector<Contact> contacts;
    contacts.reserve(reminders.size());
    for (std::size_t i = 0; i < reminders.size(); ++i)
    {
        const Reminder& reminder = reminders[i];
        DeliveryResult& result = results[i];
        result.notificationId = reminder.notificationId;
        result.status = DeliveryStatus::Rejected;
        Contact contact{i, Poco::toLower(reminder.email), {}};
        if (auto problem = contactJson(reminder, contact.json))
        {
            result.detail = std::move(*problem);
            continue;
        }
        result.status = DeliveryStatus::Retry;
        contacts.push_back(std::move(contact));
    }

    sendBatches(planBatches(std::move(contacts)), deadline, results);
    return results;
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

void EmarsysProvider::forget(const std::string& email)
{
    HttpRequest request;
    request.method = "POST";
    request.url = _options.contactDeleteUrl;
    request.body = "{\"key_id\":" + jsonString(_options.contactKeyId) + "," +
                   jsonString(_options.contactKeyId) + ":" + jsonString(email) + "}";
    request.headers = {
        {"X-WSSE", makeWsseHeader(_options.user, _options.secret, makeNonce(), clock().toIsoSeconds())},
        {"Content-Type", "application/json"},
        {"Accept", "application/json"},
    };
    const HttpResponse response = _http.send(request);
    const Reply reply = readEnvelope(response.body);
    if (response.status == 401)
        throw ProviderAuthError("Emarsys refused the credentials of user " + _options.user + " (HTTP 401)");
    if (response.status == 200 && reply.replyCode == 0)
        return;
    if (reply.replyCode == 2008)
        return;
    throw std::runtime_error("Emarsys contact/delete answered HTTP " + std::to_string(response.status) +
                             ": " + reply.describe(response.body));
}

void EmarsysProvider::sendBatches(std::vector<std::vector<Contact>> planned, Timestamp deadline,
                                  Results& results)
{
    struct Pending
    {
        std::vector<Contact> batch;
        std::string body;
        int attempt = 1; // of the next send
    };
    const auto settle = [&](const std::vector<Contact>& batch, DeliveryStatus status,
                            const std::string& detail) {
        for (const Contact& contact : batch)
        {
            results[contact.index].status = status;
            results[contact.index].detail = detail;
        }
    };
    std::deque<Pending> queue;
    for (auto& batch : planned)
        queue.push_back({std::move(batch), {}, 1});

    const std::size_t inFlight = std::max<std::size_t>(1, _options.batchesInFlight);
    while (!queue.empty())
    {
        // One round: up to batchesInFlight requests at once. A batch not yet tried is not
        // started once the deadline has passed; a retry was already checked against it.
        std::vector<Pending> round;
        while (!queue.empty() && round.size() < inFlight)
        {
            Pending pending = std::move(queue.front());
            queue.pop_front();
            if (pending.attempt == 1 && clock() >= deadline)
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
            continue;

        std::vector<HttpRequest> requests(round.size());
        for (std::size_t k = 0; k < round.size(); ++k)
        {
            requests[k].method = "POST";
            requests[k].url = _url;
            requests[k].body = std::move(round[k].body);
            requests[k].headers = {
                {"X-WSSE",
                 makeWsseHeader(_options.user, _options.secret, makeNonce(), clock().toIsoSeconds())},
                {"Content-Type", "application/json"},
                {"Accept", "application/json"},
            };
        }
        std::vector<HttpClient::Outcome> outcomes;
        if (requests.size() == 1)
        {
            outcomes.resize(1);
            try
            {
                outcomes[0].response = _http.send(requests[0]);
            }
            catch (const HttpTransportError& e)
            {
                outcomes[0].transportError = e.what();
                outcomes[0].timedOut = e.timedOut();
            }
        }
        else
            outcomes = _http.sendAll(requests);

        std::optional<std::string> unauthorized;
        std::vector<Pending> again;  // retried after the wait, before the batches not yet tried
        std::vector<Pending> halves; // split on "batch too large", sent next without waiting
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
                    readReply(batch, response.body, results);
                    continue;
                }
                const Reply reply = readEnvelope(response.body);
                if (response.status == 401)
                {
                    settle(batch, DeliveryStatus::Retry, "Emarsys refused the credentials (HTTP 401)");
                    unauthorized = "Emarsys refused the credentials of user " + _options.user +
                                   " (HTTP 401): " +
                                   quoteReply(reply.replyText.empty() ? response.body : reply.replyText);
                    continue;
                }
                if (response.status == 400)
                {
                    if (reply.replyCode == 1000 && batch.size() > 1)
                    {
                        const auto middle = batch.begin() + static_cast<std::ptrdiff_t>(batch.size() / 2);
                        halves.push_back({std::vector<Contact>(batch.begin(), middle), {}, 1});
                        halves.push_back({std::vector<Contact>(middle, batch.end()), {}, 1});
                        continue;
                    }
                    // Not about these contacts but about the request (a wrong key_id or event id):
                    // a configuration fault. Rejecting would lose every reminder of the batch for
                    // good; pending, they go out once it is fixed, or expire with retention.
                    settle(batch, DeliveryStatus::Retry,
                           "Emarsys refused the request (HTTP 400): " + reply.describe(response.body));
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

            const int attempt = pending.attempt;
            if (attempt >= _options.maxAttemptsPerBatch)
            {
                settle(batch, DeliveryStatus::Retry,
                       failure + " after " + std::to_string(attempt) + " attempts: " + said);
                continue;
            }
            const std::chrono::milliseconds delay =
                retryDelay(attempt, retryAfter, rateLimitReset, now, random01());
            if (plus(now, delay) > deadline)
            {
                settle(batch, DeliveryStatus::Retry,
                       failure + " after " + std::to_string(attempt) +
                           " attempts, no time left before the delivery deadline: " + said);
                continue;
            }
            wait = std::max(wait, delay);
            pending.attempt = attempt + 1;
            again.push_back(std::move(pending));
        }
        if (unauthorized)
            throw ProviderAuthError(*unauthorized);
        // Sequentially (one in flight) this is the order of before: a batch's halves, or its
        // retry, go before the batches not tried yet.
        for (auto it = again.rbegin(); it != again.rend(); ++it)
            queue.push_front(std::move(*it));
        for (auto it = halves.rbegin(); it != halves.rend(); ++it)
            queue.push_front(std::move(*it));
        if (!again.empty())
            sleeper(wait);
    }
}

void EmarsysProvider::readReply(const std::vector<Contact>& batch, const std::string& body,
                                Results& results) const
{
    // A 200 we cannot read leaves us not knowing what Emarsys did; resending later is safe
    // because Emarsys recognises the trigger_ids.
    const auto unreadable = [&](const std::string& why) {
        for (const Contact& contact : batch)
        {
            results[contact.index].status = DeliveryStatus::Retry;
            results[contact.index].detail = "Emarsys answered HTTP 200 with " + why;
        }
    };
    const Reply reply = readEnvelope(body);
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
    const Poco::Dynamic::Var data = reply.object->get("data");
    if (data.type() != typeid(Poco::JSON::Object::Ptr))
    {
        unreadable("replyCode 0 but no data object: " + quoteReply(body));
        return;
    }
    const Poco::Dynamic::Var errors = data.extract<Poco::JSON::Object::Ptr>()->get("errors");
    std::unordered_map<std::string, std::string> errorByAddress;
    if (errors.type() == typeid(Poco::JSON::Object::Ptr))
    {
        for (const auto& [address, entry] : *errors.extract<Poco::JSON::Object::Ptr>())
            errorByAddress.emplace(Poco::toLower(address), describeContactError(entry));
    }
    else if (!isEmptyJson(errors))
    {
        unreadable("an errors member that is not an object: " + quoteReply(body));
        return;
    }

    for (const Contact& contact : batch)
    {
        DeliveryResult& result = results[contact.index];
        const auto error = errorByAddress.find(contact.emailKey);
        if (error == errorByAddress.end())
        {
            result.status = DeliveryStatus::Sent;
            result.detail.clear();
        }
        else
        {
            result.status = DeliveryStatus::Rejected;
            result.detail = error->second;
        }
    }
}

} // namespace acd
