#include "Handlers.h"
#include "Json.h"
#include "SimTime.h"

#include <Poco/String.h>

#include <atomic>
#include <set>

namespace acd::sim {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

// DESIGN §4.2. The limits are SendGrid's: 1000 personalizations and 1000 recipients a
// request, a message under 30 MB, 10 categories.
constexpr std::size_t MaxPersonalizations = 1000;
constexpr std::size_t MaxRecipients = 1000;
constexpr std::size_t MaxBodyBytes = 30 * 1024 * 1024;
constexpr std::size_t MaxSearchEmails = 100;

struct FieldError
{
    std::optional<std::string> field;
    std::string message;
};

/// SendGrid's error shape: `{"errors":[{"message","field","help"}]}`.
SimReply errorsReply(int status, const std::vector<FieldError>& errors)
{
    std::string list;
    for (const FieldError& error : errors)
        list += std::string(list.empty() ? "" : ",") + R"({"message":)" + jsonQuote(error.message) +
                R"(,"field":)" + (error.field ? jsonQuote(*error.field) : "null") +
                R"(,"help":"http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"})";
    return jsonReply(status, R"({"errors":[)" + list + "]}");
}

/// The API key, from `Authorization: Bearer <key>`; anything else is 401 as SendGrid words it.
std::optional<SimReply> unauthorized(const SimRequest& request, const ScenarioSettings& settings)
{
    const auto header = request.header("Authorization");
    if (header && *header == "Bearer " + settings.sendgridApiKey)
        return std::nullopt;
    SimReply reply = errorsReply(
        401, {{std::nullopt, "The provided authorization grant is invalid, expired, or revoked"}});
    reply.headers.emplace_back("X-Sim-Reason", header ? "not the scenario's sendgrid.apiKey as a Bearer token"
                                                      : "no Authorization header");
    return reply;
}

/// SendGrid's own syntax check, roughly: one '@', something before it, a dotted domain after.
bool validAddress(const std::string& email)
{
    const auto at = email.find('@');
    if (at == std::string::npos || at == 0 || email.find('@', at + 1) != std::string::npos ||
        email.size() > 254)
        return false;
    const std::string domain = email.substr(at + 1);
    if (domain.find('.') == std::string::npos || domain.front() == '.' || domain.back() == '.')
        return false;
    for (const unsigned char c : email)
    {
        if (c <= 0x20 || c == 0x7f || c == ',' || c == ';' || c == '<' || c == '>')
            return false;
    }
    return true;
}

bool refused(const std::string& email, const ScenarioSettings& settings)
{
    if (!validAddress(email))
        return true;
    const std::string key = Poco::toLower(email);
    for (const std::string& invalid : settings.sendgridInvalidAddresses)
    {
        if (Poco::toLower(invalid) == key)
            return true;
    }
    return false;
}

std::string newMessageId()
{
    static std::atomic<std::uint64_t> counter{0};
    return "sim" + std::to_string(nowTicks()) + "." + std::to_string(++counter);
}

std::string contactId(const std::string& email)
{
    static const char* const Hex = "0123456789abcdef";
    std::string id = "sgc-";
    for (const unsigned char c : Poco::toLower(email))
    {
        id += Hex[c >> 4];
        id += Hex[c & 15];
    }
    return id;
}

std::optional<std::string> emailOfContactId(const std::string& id)
{
    if (id.rfind("sgc-", 0) != 0 || id.size() % 2 != 0)
        return std::nullopt;
    std::string email;
    for (std::size_t i = 4; i + 1 < id.size(); i += 2)
    {
        const auto digit = [](char c) -> int {
            return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        };
        const int high = digit(id[i]), low = digit(id[i + 1]);
        if (high < 0 || low < 0)
            return std::nullopt;
        email += static_cast<char>(high * 16 + low);
    }
    return email;
}

/// Every fault of the request as SendGrid lists them; empty when it would be accepted.
std::vector<FieldError> validate(const Object::Ptr& body, const ScenarioSettings& settings,
                                 std::vector<SendGridState::Delivery>& deliveries)
{
    std::vector<FieldError> errors;
    const Object::Ptr from = body->getObject("from");
    if (!from || !from->has("email") || !from->get("email").isString() ||
        !validAddress(from->getValue<std::string>("email")))
        errors.push_back({"from.email",
                          "The from object must be provided for every email send. It is an object "
                          "that requires the email parameter, but may also contain a name parameter."});
    std::string templateId;
    if (body->has("template_id") && body->get("template_id").isString())
        templateId = body->getValue<std::string>("template_id");
    if (templateId.size() != 34 || templateId.rfind("d-", 0) != 0 ||
        templateId.find_first_not_of("0123456789abcdef", 2) != std::string::npos)
        errors.push_back(
            {"template_id", "The template_id must be a valid GUID, you provided '" + templateId + "'."});
    if (body->has("categories"))
    {
        const Array::Ptr categories = body->getArray("categories");
        if (!categories || categories->size() > 10)
            errors.push_back({"categories", "The categories param must be an array of at most 10 strings."});
    }
    std::optional<std::int64_t> groupId;
    if (const Object::Ptr asm_ = body->getObject("asm"))
    {
        if (!asm_->has("group_id") || !asm_->get("group_id").isInteger())
            errors.push_back({"asm.group_id", "The asm.group_id must be an integer."});
        else
            groupId = asm_->getValue<std::int64_t>("group_id");
    }
    const Array::Ptr list = body->getArray("personalizations");
    if (!list || list->size() == 0)
    {
        errors.push_back({"personalizations", "You must have at least one personalization."});
        return errors;
    }
    if (list->size() > MaxPersonalizations)
    {
        errors.push_back(
            {"personalizations", "The personalization block is limited to 1000 personalizations per "
                                 "API request. You have provided " +
                                     std::to_string(list->size()) + " personalizations."});
        return errors;
    }
    std::set<std::string> seen;
    std::size_t recipients = 0;
    for (unsigned i = 0; i < list->size(); ++i)
    {
        const std::string where = "personalizations." + std::to_string(i);
        const Object::Ptr one = list->getObject(i);
        const Array::Ptr to = one ? one->getArray("to") : nullptr;
        if (!to || to->size() == 0)
        {
            errors.push_back({where + ".to",
                              "The to array is required for all personalization objects, and must "
                              "have at least one email object with a valid email address."});
            continue;
        }
        SendGridState::Delivery delivery;
        for (unsigned j = 0; j < to->size(); ++j)
        {
            ++recipients;
            const Object::Ptr recipient = to->getObject(j);
            const std::string email =
                recipient && recipient->has("email") && recipient->get("email").isString()
                    ? recipient->getValue<std::string>("email")
                    : "";
            if (refused(email, settings))
            {
                errors.push_back(
                    {where + ".to." + std::to_string(j) + ".email", "Does not contain a valid address."});
                continue;
            }
            if (!seen.insert(Poco::toLower(email)).second)
                errors.push_back(
                    {where, "Each email address in the personalization block should be unique between "
                            "to, cc, and bcc. We found the first duplicate instance of [" +
                                email + "] in the " + where + ".to field."});
            if (j == 0)
            {
                delivery.email = email;
                if (recipient->has("name") && recipient->get("name").isString())
                    delivery.name = recipient->getValue<std::string>("name");
            }
        }
        if (one->has("dynamic_template_data") && !one->getObject("dynamic_template_data"))
            errors.push_back(
                {where + ".dynamic_template_data", "The dynamic_template_data must be an object."});
        if (const Object::Ptr args = one->getObject("custom_args"))
        {
            if (args->has("trigger_id") && args->get("trigger_id").isString())
                delivery.triggerId = args->getValue<std::string>("trigger_id");
        }
        delivery.templateId = templateId;
        delivery.groupId = groupId;
        deliveries.push_back(std::move(delivery));
    }
    if (recipients > MaxRecipients)
        errors.push_back(
            {"personalizations", "There is a limit of 1000 total recipients (to + cc + bcc) per request."});
    return errors;
}

} // namespace

SimReply handleSendGridMail(SimContext& context, const SimRequest& request)
{
    const ScenarioSettings settings = context.settings();
    if (auto reply = unauthorized(request, settings))
        return *reply;
    if (request.body.size() >= MaxBodyBytes)
        return errorsReply(413, {{std::nullopt, "Payload Too Large"}});
    Object::Ptr body;
    try
    {
        body = parseJsonObject(request.body, "request body");
    }
    catch (const SimError&)
    {
        return errorsReply(400, {{std::nullopt, "Bad Request"}});
    }
    std::vector<SendGridState::Delivery> deliveries;
    const std::vector<FieldError> errors = validate(body, settings, deliveries);
    // A fault anywhere refuses the whole request: nothing of it is sent.
    if (!errors.empty())
        return errorsReply(400, errors);
    std::vector<std::string> data = memberTexts(request.body, "personalizations", "dynamic_template_data");
    const std::string messageId = newMessageId();
    const std::int64_t now = nowTicks();
    for (std::size_t i = 0; i < deliveries.size(); ++i)
    {
        deliveries[i].dataJson = std::move(data.at(i));
        deliveries[i].messageId = messageId;
        deliveries[i].ticks = now;
    }
    context.log.count("sendgridPersonalizations", deliveries.size());
    context.sendgrid.deliver(std::move(deliveries));
    SimReply reply = jsonReply(202, "");
    reply.headers.emplace_back("X-Message-Id", messageId);
    return reply;
}

SimReply handleSendGridContacts(SimContext& context, const SimRequest& request)
{
    const ScenarioSettings settings = context.settings();
    if (auto reply = unauthorized(request, settings))
        return *reply;
    if (request.method == "DELETE")
    {
        const std::string ids = request.queryParam("ids").value_or("");
        if (ids.empty())
            return errorsReply(400, {{"ids", "ids or delete_all_contacts is required"}});
        std::vector<std::string> emails;
        std::size_t start = 0;
        while (start <= ids.size())
        {
            const std::size_t comma = std::min(ids.find(',', start), ids.size());
            const auto email = emailOfContactId(ids.substr(start, comma - start));
            if (!email)
                return errorsReply(400, {{"ids", "invalid contact id: " + ids.substr(start, comma - start)}});
            emails.push_back(*email);
            start = comma + 1;
        }
        for (const std::string& email : emails)
            context.sendgrid.deleteContact(email);
        return jsonReply(202, R"({"job_id":"sim-job-)" + std::to_string(nowTicks()) + R"("})");
    }
    // POST /v3/marketing/contacts/search/emails
    Array::Ptr emails;
    try
    {
        emails = optArray(parseJsonObject(request.body, "request body"), "emails", "");
    }
    catch (const SimError& e)
    {
        return errorsReply(400, {{"emails", e.what()}});
    }
    if (!emails || emails->size() == 0 || emails->size() > MaxSearchEmails)
        return errorsReply(400, {{"emails", "emails must be an array of 1 to 100 addresses"}});
    std::string result;
    bool anyFound = false;
    for (unsigned i = 0; i < emails->size(); ++i)
    {
        if (!emails->get(i).isString())
            return errorsReply(400, {{"emails." + std::to_string(i), "must be a string"}});
        const std::string email = emails->getElement<std::string>(i);
        const bool found = context.sendgrid.isContact(email, settings.sendgridContacts);
        anyFound = anyFound || found;
        result += std::string(result.empty() ? "" : ",") + jsonQuote(Poco::toLower(email)) + ":" +
                  (found ? R"({"contact":{"id":)" + jsonQuote(contactId(email)) + R"(,"email":)" +
                               jsonQuote(Poco::toLower(email)) + "}}"
                         : R"({"error":"contact not found"})");
    }
    if (!anyFound)
        return errorsReply(404, {{std::nullopt, "No contacts found"}});
    return jsonReply(200, R"({"result":{)" + result + "}}");
}

SimReply handleSendGridSuppression(SimContext& context, const SimRequest& request)
{
    const ScenarioSettings settings = context.settings();
    if (auto reply = unauthorized(request, settings))
        return *reply;
    Array::Ptr emails;
    try
    {
        emails = optArray(parseJsonObject(request.body, "request body"), "recipient_emails", "");
    }
    catch (const SimError& e)
    {
        return errorsReply(400, {{"recipient_emails", e.what()}});
    }
    if (!emails || emails->size() == 0)
        return errorsReply(400, {{"recipient_emails", "recipient_emails must be a non-empty array"}});
    std::string list;
    for (unsigned i = 0; i < emails->size(); ++i)
    {
        if (!emails->get(i).isString() || !validAddress(emails->getElement<std::string>(i)))
            return errorsReply(400, {{"recipient_emails." + std::to_string(i), "must be an email address"}});
        context.sendgrid.suppress(emails->getElement<std::string>(i));
        list += std::string(list.empty() ? "" : ",") + jsonQuote(emails->getElement<std::string>(i));
    }
    return jsonReply(201, R"({"recipient_emails":[)" + list + "]}");
}

} // namespace acd::sim
