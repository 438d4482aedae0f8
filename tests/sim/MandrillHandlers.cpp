// Mailchimp Transactional (Mandrill), DESIGN §4.3: messages/send-template and rejects/add.
// Every failure is Mandrill's error envelope with HTTP 500, as the real service answers.

#include "Handlers.h"
#include "Json.h"
#include "SimTime.h"

#include <Poco/String.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <set>

namespace acd::sim {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

/// The contract's largest request (DESIGN §4.3, §11): the product keeps its batches at 100.
constexpr std::size_t MaxRecipients = 100;

std::atomic<std::uint64_t> messageCounter{0};

SimReply errorEnvelope(int code, const std::string& name, const std::string& message)
{
    return jsonReply(500, R"({"status":"error","code":)" + std::to_string(code) + R"(,"name":)" +
                              jsonQuote(name) + R"(,"message":)" + jsonQuote(message) + "}");
}

SimReply validationError(const std::string& message)
{
    return errorEnvelope(-2, "ValidationError", message);
}

/// Why the key is refused, or nothing.
std::optional<SimReply> keyProblem(const Object::Ptr& body, const ScenarioSettings& settings)
{
    const auto key = optString(body, "key", "");
    if (!key)
        return validationError("You must specify a key value");
    if (*key != settings.mandrillApiKey)
        return errorEnvelope(-1, "Invalid_Key", "Invalid API key");
    return std::nullopt;
}

std::string messageId()
{
    char id[33];
    std::snprintf(id, sizeof id, "%016llx%016llx", static_cast<unsigned long long>(nowTicks()),
                  static_cast<unsigned long long>(++messageCounter));
    return id;
}

/// `[{"name","content"}]` as one object `{"<name>": <content>}`, names unique.
std::string varsObject(const Array::Ptr& vars, const std::string& where)
{
    Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (std::size_t i = 0; i < vars->size(); ++i)
    {
        const std::string path = where + "[" + std::to_string(i) + "]";
        const Object::Ptr var = vars->getObject(static_cast<unsigned>(i));
        if (!var)
            throw SimError(path + " must be an object");
        const std::string name = required(optString(var, "name", path), path + ".name");
        if (object.has(name))
            throw SimError(path + ".name \"" + name + "\" repeats a var of this recipient");
        object.set(name, var->get("content"));
    }
    return toJson(object);
}

} // namespace

std::string redactMandrillKey(const std::string& body)
{
    try
    {
        Object::Ptr object = parseJsonObject(body, "body");
        if (object->has("key"))
            object->set("key", "(redacted)");
        return toJson(object);
    }
    catch (const std::exception&)
    {
        // It may hold the key where we cannot find it: keep none of it.
        return "\"(unreadable body of " + std::to_string(body.size()) + " bytes)\"";
    }
}

SimReply handleMandrillSend(SimContext& context, const SimRequest& request)
{
    const ScenarioSettings settings = context.settings();
    std::vector<MandrillState::Message> messages;
    std::string reply = "[";
    try
    {
        const Object::Ptr body = parseJsonObject(request.body, "request body");
        if (auto problem = keyProblem(body, settings))
            return *problem;
        const std::string templateName = required(optString(body, "template_name", ""), "template_name");
        if (std::find(settings.mandrillTemplates.begin(), settings.mandrillTemplates.end(), templateName) ==
            settings.mandrillTemplates.end())
            return errorEnvelope(5, "Unknown_Template", "No such template \"" + templateName + "\"");
        const Array::Ptr content = optArray(body, "template_content", "");
        if (!content)
            throw SimError(
                "template_content is required (an empty array for a template without editable regions)");
        const Object::Ptr message = requiredObject(body, "message", "");
        if (optString(message, "merge_language", "message").value_or("mailchimp") != "handlebars")
            throw SimError("message.merge_language must be \"handlebars\" (the contract's templates)");
        if (optBool(message, "preserve_recipients", "message").value_or(true))
            throw SimError("message.preserve_recipients must be false: recipients must not see each other");
        const Array::Ptr tags = optArray(message, "tags", "message");
        bool tagged = false;
        for (std::size_t i = 0; tags && i < tags->size(); ++i)
            tagged = tagged || tags->get(static_cast<unsigned>(i)).toString() == "abandoned-cart";
        if (!tagged)
            throw SimError("message.tags must hold \"abandoned-cart\"");

        const Array::Ptr to = optArray(message, "to", "message");
        if (!to || to->size() == 0)
            throw SimError("message.to must list at least one recipient");
        if (to->size() > MaxRecipients)
            throw SimError("message.to has " + std::to_string(to->size()) + " recipients, more than " +
                           std::to_string(MaxRecipients));
        std::vector<std::string> emails;
        std::set<std::string> seen;
        for (std::size_t i = 0; i < to->size(); ++i)
        {
            const std::string path = "message.to[" + std::to_string(i) + "]";
            const Object::Ptr recipient = to->getObject(static_cast<unsigned>(i));
            if (!recipient)
                throw SimError(path + " must be an object");
            const std::string email = required(optString(recipient, "email", path), path + ".email");
            if (optString(recipient, "type", path).value_or("to") != "to")
                throw SimError(path + ".type must be \"to\"");
            if (!seen.insert(Poco::toLower(email)).second)
                throw SimError(path + ".email repeats an address of this request");
            emails.push_back(email);
        }
        const auto perRecipient = [&](const char* key, const char* field) {
            std::map<std::string, std::string> byAddress;
            const Array::Ptr entries = optArray(message, key, "message");
            for (std::size_t i = 0; entries && i < entries->size(); ++i)
            {
                const std::string path = std::string("message.") + key + "[" + std::to_string(i) + "]";
                const Object::Ptr entry = entries->getObject(static_cast<unsigned>(i));
                if (!entry)
                    throw SimError(path + " must be an object");
                const std::string rcpt =
                    Poco::toLower(required(optString(entry, "rcpt", path), path + ".rcpt"));
                if (!seen.contains(rcpt))
                    throw SimError(path + ".rcpt is not one of message.to");
                if (std::string(field) == "vars")
                {
                    const Array::Ptr vars = optArray(entry, "vars", path);
                    byAddress[rcpt] = vars ? varsObject(vars, path + ".vars") : "{}";
                }
                else
                {
                    const Object::Ptr values = optObject(entry, "values", path);
                    byAddress[rcpt] =
                        values ? optString(values, "trigger_id", path + ".values").value_or("") : "";
                }
            }
            return byAddress;
        };
        const auto vars = perRecipient("merge_vars", "vars");
        const auto triggerIds = perRecipient("recipient_metadata", "values");

        const std::int64_t now = nowTicks();
        for (std::size_t i = 0; i < emails.size(); ++i)
        {
            const std::string key = Poco::toLower(emails[i]);
            MandrillState::Message record{emails[i], templateName, "", "{}", "sent", "", now};
            if (auto found = vars.find(key); found != vars.end())
                record.varsJson = found->second;
            if (auto found = triggerIds.find(key); found != triggerIds.end())
                record.triggerId = found->second;
            if (auto status = settings.mandrillStatuses.find(key); status != settings.mandrillStatuses.end())
            {
                record.status = status->second.status;
                record.rejectReason = status->second.rejectReason;
            }
            else if (context.mandrill.isRejected(key))
            {
                record.status = "rejected";
                record.rejectReason = "custom";
            }
            reply += std::string(i > 0 ? "," : "") + R"({"email":)" + jsonQuote(emails[i]) + R"(,"status":)" +
                     jsonQuote(record.status) + R"(,"reject_reason":)" +
                     (record.rejectReason.empty() ? "null" : jsonQuote(record.rejectReason)) +
                     R"(,"queued_reason":null,"_id":")" + messageId() + "\"}";
            messages.push_back(std::move(record));
        }
    }
    catch (const SimError& e)
    {
        return validationError(e.what());
    }
    context.log.count("mandrillMessages", messages.size());
    context.mandrill.record(std::move(messages));
    return jsonReply(200, reply + "]");
}

SimReply handleMandrillRejectsAdd(SimContext& context, const SimRequest& request)
{
    const ScenarioSettings settings = context.settings();
    try
    {
        const Object::Ptr body = parseJsonObject(request.body, "request body");
        if (auto problem = keyProblem(body, settings))
            return *problem;
        const std::string email = required(optString(body, "email", ""), "email");
        if (email.find('@') == std::string::npos)
            throw SimError("email \"" + email + "\" is not an address");
        context.mandrill.addReject(Poco::toLower(email), optString(body, "comment", "").value_or(""));
        return jsonReply(200, R"({"email":)" + jsonQuote(email) + R"(,"added":true,"deleted":false})");
    }
    catch (const SimError& e)
    {
        return validationError(e.what());
    }
}

SimReply mandrillFault(int status)
{
    SimReply reply =
        errorEnvelope(-1, "GeneralError", "simulated fault (HTTP " + std::to_string(status) + ")");
    reply.status = status;
    return reply;
}

} // namespace acd::sim
