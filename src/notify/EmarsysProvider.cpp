#include "notify/EmarsysProvider.h"

#include "core/Backoff.h"
#include "net/HttpClient.h"
#include "notify/Wsse.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/String.h>

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
        if (reminder.email.empty())
        {
            result.detail = "no email address to send to";
            continue;
        }
        if (reminder.triggerId.empty())
        {
            result.detail = "no trigger_id: a retry could not be recognised by Emarsys";
            continue;
        }
        Poco::Dynamic::Var data;
        try
        {
            data = parseJson(reminder.dataJson);
        }
        catch (const Poco::Exception& e)
        {
            // The data holds names and addresses: the detail names the fault, not the content.
            result.detail = "the reminder's data is not valid JSON: " + e.displayText();
            continue;
        }
        if (data.type() != typeid(Poco::JSON::Object::Ptr))
        {
            result.detail = "the reminder's data is not a JSON object";
            continue;
        }
        std::ostringstream json;
        json << "{\"external_id\":" << jsonString(reminder.email)
             << ",\"trigger_id\":" << jsonString(reminder.triggerId) << ",\"data\":";
        Poco::JSON::Stringifier::condense(data, json);
        json << '}';
        Contact contact{i, Poco::toLower(reminder.email), json.str()};
        if (bodySize(contact.json.size(), 1) > _options.maxBytes)
        {
            result.detail = "payload larger than " + describeSize(_options.maxBytes);
            continue;
        }
        result.status = DeliveryStatus::Retry;
        contacts.push_back(std::move(contact));
    }

    for (const auto& batch : planBatches(std::move(contacts)))
        sendBatch(batch, deadline, results);
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

void EmarsysProvider::sendBatch(const std::vector<Contact>& batch, Timestamp deadline, Results& results)
{
    const auto settle = [&](DeliveryStatus status, const std::string& detail) {
        for (const Contact& contact : batch)
        {
            results[contact.index].status = status;
            results[contact.index].detail = detail;
        }
    };
    if (clock() >= deadline)
    {
        settle(DeliveryStatus::Retry, "delivery deadline reached before this batch was sent");
        return;
    }

    HttpRequest request;
    request.method = "POST";
    request.url = _url;
    request.body = buildBody(batch);
    for (int attempt = 1;; ++attempt)
    {
        request.headers = {
            {"X-WSSE", makeWsseHeader(_options.user, _options.secret, makeNonce(), clock().toIsoSeconds())},
            {"Content-Type", "application/json"},
            {"Accept", "application/json"},
        };
        std::string failure; // what went wrong, then what the other side said about it
        std::string said;
        std::string retryAfter;
        std::string rateLimitReset;
        try
        {
            const HttpResponse response = _http.send(request);
            if (response.status == 200)
            {
                readReply(batch, response.body, results);
                return;
            }
            const Reply reply = readEnvelope(response.body);
            if (response.status == 401)
                throw ProviderAuthError(
                    "Emarsys refused the credentials of user " + _options.user +
                    " (HTTP 401): " + quoteReply(reply.replyText.empty() ? response.body : reply.replyText));
            if (response.status == 400)
            {
                if (reply.replyCode == 1000 && batch.size() > 1)
                {
                    const auto middle = batch.begin() + static_cast<std::ptrdiff_t>(batch.size() / 2);
                    sendBatch(std::vector<Contact>(batch.begin(), middle), deadline, results);
                    sendBatch(std::vector<Contact>(middle, batch.end()), deadline, results);
                    return;
                }
                // Not about these contacts but about the request (a wrong key_id or event id):
                // a configuration fault. Rejecting would lose every reminder of the batch for
                // good; pending, they go out once it is fixed, or expire with retention.
                settle(DeliveryStatus::Retry,
                       "Emarsys refused the request (HTTP 400): " + reply.describe(response.body));
                return;
            }
            if (response.status != 429 && response.status < 500)
            {
                // Neither transient nor a verdict on these reminders (a wrong URL, a missing
                // permission): they stay pending for when the configuration is fixed.
                settle(DeliveryStatus::Retry, "unexpected HTTP " + std::to_string(response.status) +
                                                  " from Emarsys: " + reply.describe(response.body));
                return;
            }
            failure = "HTTP " + std::to_string(response.status);
            said = reply.describe(response.body);
            retryAfter = response.header("Retry-After");
            rateLimitReset = response.header("X-RateLimit-Reset");
        }
        catch (const HttpTransportError& e)
        {
            failure = e.timedOut() ? "timeout" : "transport error";
            said = e.what();
        }

        if (attempt >= _options.maxAttemptsPerBatch)
        {
            settle(DeliveryStatus::Retry,
                   failure + " after " + std::to_string(attempt) + " attempts: " + said);
            return;
        }
        const Timestamp now = clock();
        const std::chrono::milliseconds wait =
            retryDelay(attempt, retryAfter, rateLimitReset, now, random01());
        if (plus(now, wait) > deadline)
        {
            settle(DeliveryStatus::Retry,
                   failure + " after " + std::to_string(attempt) +
                       " attempts, no time left before the delivery deadline: " + said);
            return;
        }
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
