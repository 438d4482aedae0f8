#include "notify/MailchimpProvider.h"

#include "core/Base64.h"
#include "core/Decimal.h"
#include "core/Json.h"
#include "net/HttpClient.h"
#include "net/RetryLoop.h"
#include "net/UrlEncode.h"
#include "notify/ReminderRenderer.h"
#include "notify/ReplyText.h"

#include <Poco/DigestEngine.h>
#include <Poco/MD5Engine.h>
#include <Poco/String.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>

namespace acd {

namespace {

/// Mailchimp allows 10 simultaneous connections per user.
constexpr std::size_t MaxConnections = 10;

void require(bool condition, const std::string& message)
{
    if (!condition)
        throw std::invalid_argument(message);
}

bool idText(const std::string& value, std::size_t longest)
{
    return !value.empty() && value.size() <= longest &&
           std::all_of(value.begin(), value.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; });
}

std::string jsonString(std::string_view value)
{
    std::string out;
    appendJsonString(out, value);
    return out;
}

/// The image a mail client shows by default (DESIGN §4: useForDefaultImageTag), else the first.
std::string defaultImage(const JsonValue& line)
{
    const JsonValue* image = jsonField(line, "productImage");
    const JsonValue* viewports = image ? jsonField(*image, "viewPortImages") : nullptr;
    if (viewports == nullptr || !viewports->IsArray())
        return "";
    std::string first;
    for (const JsonValue& viewport : viewports->GetArray())
    {
        const std::string url = jsonStringOr(viewport, "url");
        if (url.empty())
            continue;
        const JsonValue* isDefault = jsonMember(viewport, "useForDefaultImageTag");
        if (isDefault && isDefault->IsBool() && isDefault->GetBool())
            return url;
        if (first.empty())
            first = url;
    }
    return first;
}

/// Mailchimp counts whole items: a fractional quantity (1.5 kg) is rounded up, the line's price
/// staying exact, so the cart's total is the customer's.
std::optional<long long> wholeQuantity(const std::string& text)
{
    const std::optional<DecimalText> quantity = normalizeDecimal(text);
    if (!quantity || quantity->starts_with('-') || *quantity == "0")
        return std::nullopt;
    const auto point = quantity->find('.');
    long long whole = 0;
    const char* end = quantity->data() + (point == std::string::npos ? quantity->size() : point);
    const auto [ptr, ec] = std::from_chars(quantity->data(), end, whole);
    if (ec != std::errc() || ptr != end || whole > 1000000000)
        return std::nullopt;
    return point == std::string::npos ? whole : whole + 1;
}

} // namespace

MailchimpAnswer readMailchimpReply(long status, const std::string& body, bool cartPost)
{
    if (status >= 200 && status < 300)
        return {MailchimpVerdict::Done, ""};
    const auto problem = parseJsonObject(body);
    std::string words = "HTTP " + std::to_string(status);
    std::string detail;
    if (problem)
    {
        const JsonValue& root = problem->root();
        detail = jsonStringOr(root, "detail");
        const std::string title = jsonStringOr(root, "title");
        words += (title.empty() ? "" : " " + title) + (detail.empty() ? "" : ": " + detail);
        // A 400 "Invalid Resource" lists the fields it refused.
        if (const JsonValue* errors = jsonField(root, "errors"); errors && errors->IsArray())
            for (const JsonValue& error : errors->GetArray())
                words += " (" + jsonStringOr(error, "field") + ": " + jsonStringOr(error, "message") + ")";
    }
    else
        words += ": " + body;
    if (status == 401 || status == 403)
        return {MailchimpVerdict::AuthFailed, words};
    if (status == 429 || status >= 500)
        return {MailchimpVerdict::Transient, words};
    if (status == 404)
        return {MailchimpVerdict::NotFound, words};
    if (status == 400 && problem)
    {
        if (cartPost && Poco::toLower(detail).find("already exists") != std::string::npos)
            return {MailchimpVerdict::CartExists, words};
        return {MailchimpVerdict::Refused, words};
    }
    return {MailchimpVerdict::Unexpected, words};
}

std::string MailchimpProvider::dataCentreUrl(const std::string& apiKey)
{
    const auto dash = apiKey.rfind('-');
    if (dash == std::string::npos)
        return "";
    const std::string dc = apiKey.substr(dash + 1);
    const bool plausible =
        !dc.empty() && dc.size() <= 8 &&
        std::all_of(dc.begin(), dc.end(), [](unsigned char c) { return std::islower(c) || std::isdigit(c); });
    return plausible ? "https://" + dc + ".api.mailchimp.com/3.0" : "";
}

std::string MailchimpProvider::customerId(const std::string& email)
{
    Poco::MD5Engine md5;
    md5.update(Poco::toLower(Poco::trim(email)));
    return Poco::DigestEngine::digestToHex(md5.digest());
}

MailchimpProvider::MailchimpProvider(HttpClient& http, MailchimpOptions options)
    : _http(http), _options(std::move(options))
{
    const std::string key =
        "the Mailchimp API key (mailchimp.apiKeySecretName = " + _options.apiKeySecretName + ")";
    require(!_options.apiKey.empty(), key + " is empty");
    require(_options.apiKey.find_first_of("\r\n \t") == std::string::npos,
            key + " holds a blank or a line break: store the key alone");
    if (_options.apiUrl.empty())
        _options.apiUrl = dataCentreUrl(_options.apiKey);
    require(!_options.apiUrl.empty(), key + " does not end in its data centre (such as -us21): store the "
                                            "whole key as Mailchimp shows it, or set mailchimp.apiUrl");
    while (_options.apiUrl.ends_with('/'))
        _options.apiUrl.pop_back();
    require(idText(_options.storeId, 50), "mailchimp.storeId must be the id of the Mailchimp store (letters, "
                                          "digits, '-', '_' or '.'), such as contoso-online");
    require(idText(_options.listId, 50),
            "mailchimp.listId must be the id of the store's audience, such as "
            "a1b2c3d4e5 (Audience \u2192 Settings \u2192 Audience name and defaults)");
    require(_options.remindersAtOnce >= 1 && _options.remindersAtOnce <= MaxConnections,
            "the Mailchimp remindersAtOnce must be from 1 to 10 (Mailchimp's connections at once)");
    require(_options.maxAttemptsPerCall >= 1, "the Mailchimp maxAttemptsPerCall must be at least 1");
    _authorization = "Basic " + base64("abandoned-cartd:" + _options.apiKey);

    sleeper = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    random01 = [engine = std::make_shared<std::mt19937_64>(std::random_device{}())]() {
        return std::uniform_real_distribution<double>(0.0, 1.0)(*engine);
    };
    clock = [] { return Timestamp::now(); };
}

std::string MailchimpProvider::said(const std::string& text) const
{
    // A server that echoes the request (a proxy's error page) would echo the key.
    return quoteReply(Poco::replace(text, _options.apiKey, std::string("(the API key)")));
}

std::optional<std::string> MailchimpProvider::calls(const Reminder& reminder, Calls& out) const
{
    if (reminder.email.empty())
        return "no email address to give Mailchimp";
    if (reminder.triggerId.empty())
        return "no trigger_id to be the cart's id";
    const auto data = parseJsonObject(reminder.dataJson);
    if (!data)
    {
        // The detail names the fault, never the content (names, addresses).
        std::string why;
        isJsonObjectText(reminder.dataJson, why);
        return "the reminder's data is " + (why.empty() ? std::string("not a JSON object") : why);
    }
    const JsonValue& root = data->root();
    const std::string currency = jsonStringOr(root, "currency");
    if (currency.size() != 3)
        return "the reminder has no ISO 4217 currency code for Mailchimp's currency_code";
    const ReminderPrices prices = reminderPrices(root);
    const JsonValue* details = jsonField(root, "orderDetails");
    if (details == nullptr || !details->IsArray() || prices.lines.empty())
        return "the cart has no line for Mailchimp";
    if (prices.totalAmount.empty())
        return "a line of the cart has no quantity or price, so the cart has no total";

    out = {};
    out.customerId = customerId(reminder.email);
    out.customerJson =
        "{\"id\":" + jsonString(out.customerId) + ",\"email_address\":" + jsonString(reminder.email) +
        ",\"opt_in_status\":false,\"first_name\":" + jsonString(jsonStringOr(root, "firstName")) +
        ",\"last_name\":" + jsonString(jsonStringOr(root, "lastName")) + "}";
    std::string lines;
    std::size_t index = 0;
    for (const JsonValue& line : details->GetArray())
    {
        if (!line.IsObject())
            continue;
        const ReminderPrices::Line& price = prices.lines[index++];
        const std::string productId = jsonStringOr(line, "productId");
        const std::optional<long long> quantity = wholeQuantity(jsonStringOr(line, "quantity"));
        const std::optional<DecimalText> unitPrice = normalizeDecimal(jsonStringOr(line, "unitPrice"));
        if (productId.empty() || !quantity || !unitPrice)
            return "line " + std::to_string(index) + " of the cart has no product id, quantity or price";
        std::string name = jsonStringOr(line, "productName");
        if (name.empty())
            name = "Product " + productId;
        const std::string image = defaultImage(line);
        const std::string imageMember = image.empty() ? "" : ",\"image_url\":" + jsonString(image);
        out.productJson[productId] = "{\"id\":" + jsonString(productId) + ",\"title\":" + jsonString(name) +
                                     imageMember + ",\"variants\":[{\"id\":" + jsonString(productId) +
                                     ",\"title\":" + jsonString(name) + ",\"price\":" + *unitPrice +
                                     imageMember + "}]}";
        // A line's price is the line's, quantity × unit price: the lines add up to order_total.
        lines += (lines.empty() ? "{\"id\":" : ",{\"id\":") + jsonString(std::to_string(index)) +
                 ",\"product_id\":" + jsonString(productId) +
                 ",\"product_variant_id\":" + jsonString(productId) +
                 ",\"quantity\":" + std::to_string(*quantity) + ",\"price\":" + price.lineTotalAmount + "}";
    }
    out.cartJson = "{\"id\":" + jsonString(reminder.triggerId) +
                   ",\"customer\":{\"id\":" + jsonString(out.customerId) +
                   "},\"checkout_url\":" + jsonString(jsonStringOr(root, "returnToCartUrl")) +
                   ",\"currency_code\":" + jsonString(Poco::toUpper(currency)) +
                   ",\"order_total\":" + prices.totalAmount + ",\"lines\":[" + lines + "]}";
    return std::nullopt;
}

std::size_t MailchimpProvider::wholeRequests(const std::vector<Reminder>& reminders,
                                             std::size_t requests) const
{
    const std::size_t group = requests * _options.remindersAtOnce;
    return reminders.size() >= group ? group : 0;
}

HttpRequest MailchimpProvider::request(const std::string& method, const std::string& path,
                                       std::string body) const
{
    HttpRequest request;
    request.method = method;
    request.url = _options.apiUrl + path;
    request.body = std::move(body);
    request.headers = {{"Authorization", _authorization}, {"Accept", "application/json"}};
    if (!request.body.empty())
        request.headers.emplace_back("Content-Type", "application/json");
    return request;
}

std::vector<MailchimpAnswer> MailchimpProvider::send(const std::vector<HttpRequest>& requests,
                                                     Timestamp deadline, bool cartPosts) const
{
    RetryCall call;
    call.policy.maxAttempts = _options.maxAttemptsPerCall;
    call.deadline = deadline;
    std::vector<MailchimpAnswer> answers;
    for (const RetryResult& result : sendWithRetries(_http, requests, call, {sleeper, clock, random01}))
    {
        const HttpClient::Outcome& outcome = result.outcome;
        MailchimpAnswer answer =
            outcome.transportError.empty()
                ? readMailchimpReply(outcome.response.status, outcome.response.body, cartPosts)
                : MailchimpAnswer{MailchimpVerdict::Transient,
                                  (outcome.timedOut ? "timeout: " : "no answer: ") + outcome.transportError};
        answer.words = said(answer.words) + (result.gaveUp.empty() ? "" : " (" + result.gaveUp + ")");
        answers.push_back(std::move(answer));
    }
    return answers;
}

void MailchimpProvider::deliver(const std::vector<Reminder>& reminders, Timestamp deadline,
                                DeliveryJournal& journal)
{
    std::vector<Pending> pending;
    std::vector<DeliveryResult> refused; // never sent: nothing to mark
    for (const Reminder& reminder : reminders)
    {
        Pending item{reminder.notificationId, {}};
        if (auto problem = calls(reminder, item.calls))
            refused.push_back({reminder.notificationId, DeliveryStatus::Rejected, std::move(*problem)});
        else
            pending.push_back(std::move(item));
    }
    if (!refused.empty())
        journal.answered(refused);
    for (std::size_t start = 0; start < pending.size(); start += _options.remindersAtOnce)
    {
        const auto first = pending.begin() + static_cast<std::ptrdiff_t>(start);
        const auto last = start + _options.remindersAtOnce >= pending.size()
                              ? pending.end()
                              : first + static_cast<std::ptrdiff_t>(_options.remindersAtOnce);
        if (clock() >= deadline)
        {
            std::vector<DeliveryResult> left;
            for (auto it = first; it != pending.end(); ++it)
                left.push_back({it->notificationId, DeliveryStatus::Retry,
                                "delivery deadline reached before this reminder was sent"});
            journal.answered(left);
            return;
        }
        sendRound(std::vector<Pending>(std::make_move_iterator(first), std::make_move_iterator(last)),
                  deadline, journal);
    }
}

void MailchimpProvider::sendRound(std::vector<Pending> round, Timestamp deadline, DeliveryJournal& journal)
{
    std::vector<std::int64_t> ids;
    for (const Pending& item : round)
        ids.push_back(item.notificationId);
    journal.sending(ids);

    std::vector<DeliveryResult> answers;
    std::vector<bool> settled(round.size(), false);
    std::optional<std::string> authFailure, configFailure;
    // A step's answer for reminder i: anything but success settles it, and a refusal of the key
    // or of the store stops every reminder of the round.
    const auto settle = [&](std::size_t i, const MailchimpAnswer& answer, const std::string& what) {
        if (settled[i] || answer.verdict == MailchimpVerdict::Done)
            return;
        settled[i] = true;
        const std::string words = "Mailchimp " + what + ": " + answer.words;
        DeliveryStatus status = DeliveryStatus::Retry;
        if (answer.verdict == MailchimpVerdict::CartExists)
            status = DeliveryStatus::Sent;
        else if (answer.verdict == MailchimpVerdict::Refused)
            status = DeliveryStatus::Rejected;
        else if (answer.verdict == MailchimpVerdict::AuthFailed && !authFailure)
            authFailure = words;
        else if (answer.verdict == MailchimpVerdict::NotFound && !configFailure)
            configFailure = words;
        answers.push_back({round[i].notificationId, status,
                           status == DeliveryStatus::Sent ? "Mailchimp had this cart already" : words});
    };
    const std::string store = "/ecommerce/stores/" + percentEncode(_options.storeId);

    std::vector<HttpRequest> customers;
    for (const Pending& item : round)
        customers.push_back(
            request("PUT", store + "/customers/" + item.calls.customerId, item.calls.customerJson));
    const std::vector<MailchimpAnswer> customerAnswers = send(customers, deadline, false);
    for (std::size_t i = 0; i < round.size(); ++i)
        settle(i, customerAnswers[i], "refused the customer");

    // Each product once: a PUT of the same body within productMemory already told Mailchimp.
    const Timestamp now = clock();
    std::map<std::string, std::string> products; // id -> body, of the reminders still going
    for (std::size_t i = 0; i < round.size(); ++i)
        for (const auto& [id, json] : round[i].calls.productJson)
        {
            const auto known = _knownProducts.find(id);
            const bool fresh =
                known != _knownProducts.end() && known->second.json == json &&
                known->second.at.plusSeconds(std::chrono::seconds(_options.productMemory).count()) > now;
            if (!settled[i] && !fresh)
                products.emplace(id, json);
        }
    std::vector<HttpRequest> productRequests;
    for (const auto& [id, json] : products)
        productRequests.push_back(request("PUT", store + "/products/" + percentEncode(id), json));
    const std::vector<MailchimpAnswer> productAnswers = send(productRequests, deadline, false);
    std::size_t k = 0;
    for (const auto& [id, json] : products)
    {
        const MailchimpAnswer& answer = productAnswers[k++];
        if (answer.verdict == MailchimpVerdict::Done)
            _knownProducts[id] = {json, now};
        for (std::size_t i = 0; i < round.size(); ++i)
            if (round[i].calls.productJson.contains(id))
                settle(i, answer, "refused the product " + id);
    }

    std::vector<std::size_t> going;
    std::vector<HttpRequest> carts;
    for (std::size_t i = 0; i < round.size(); ++i)
        if (!settled[i] && !authFailure && !configFailure)
        {
            going.push_back(i);
            carts.push_back(request("POST", store + "/carts", round[i].calls.cartJson));
        }
    const std::vector<MailchimpAnswer> cartAnswers = send(carts, deadline, true);
    for (std::size_t j = 0; j < going.size(); ++j)
    {
        settle(going[j], cartAnswers[j], "refused the cart");
        if (!settled[going[j]])
            answers.push_back({round[going[j]].notificationId, DeliveryStatus::Sent, ""});
        settled[going[j]] = true;
    }
    for (std::size_t i = 0; i < round.size(); ++i)
        if (!settled[i])
            answers.push_back({round[i].notificationId, DeliveryStatus::Retry,
                               "not sent: Mailchimp refused the configuration for another reminder"});
    journal.answered(answers);
    if (authFailure)
        throw ProviderAuthError(
            *authFailure + "; the API key of mailchimp.apiKeySecretName = " + _options.apiKeySecretName +
            " is refused (a key revoked, or of another account). The reminders stay pending");
    if (configFailure)
        throw ProviderConfigError(*configFailure + "; mailchimp.storeId = " + _options.storeId +
                                  " names no store of this account (README, Mailchimp). The reminders stay "
                                  "pending until it is fixed");
}

void MailchimpProvider::forget(const std::string& email)
{
    const std::string id = customerId(email);
    const std::vector<std::pair<std::string, HttpRequest>> steps = {
        {"audience member's permanent deletion",
         request("POST",
                 "/lists/" + percentEncode(_options.listId) + "/members/" + id + "/actions/delete-permanent",
                 "")},
        {"e-commerce customer's deletion",
         request("DELETE", "/ecommerce/stores/" + percentEncode(_options.storeId) + "/customers/" + id, "")},
    };
    for (const auto& [what, call] : steps)
    {
        const MailchimpAnswer answer = send({call}, clock().plusSeconds(120), false).front();
        if (answer.verdict == MailchimpVerdict::Done || answer.verdict == MailchimpVerdict::NotFound)
        {
            if (_options.report)
                _options.report(
                    "Mailchimp " + what + ": " +
                    (answer.verdict == MailchimpVerdict::Done ? "done" : "there was none (HTTP 404)"));
            continue;
        }
        const std::string message = "Mailchimp " + what + " failed: " + answer.words;
        if (answer.verdict == MailchimpVerdict::AuthFailed)
            throw ProviderAuthError(
                message + "; check the key of mailchimp.apiKeySecretName = " + _options.apiKeySecretName);
        throw RemoteError(answer.verdict == MailchimpVerdict::Transient ? RemoteFailure::Unreachable
                                                                        : RemoteFailure::Rejected,
                          message);
    }
}

} // namespace acd
