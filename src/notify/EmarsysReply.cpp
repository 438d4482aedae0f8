#include "notify/EmarsysReply.h"

#include "notify/ReplyText.h"

#include <Poco/String.h>

#include <climits>

namespace acd {

namespace {

EmarsysContactError contactError(const JsonValue& entry)
{
    EmarsysContactError error;
    if (entry.IsObject())
    {
        std::string detail;
        for (auto member = entry.MemberBegin(); member != entry.MemberEnd(); ++member)
        {
            const std::string code(jsonText(member->name));
            error.codes.insert(code);
            if (!detail.empty())
                detail += "; ";
            detail += code + " " +
                      (member->value.IsString() ? std::string(jsonText(member->value))
                                                : jsonShown(member->value, std::string::npos));
        }
        error.detail = quoteReply(detail);
        return error;
    }
    if (jsonIsString(entry))
    {
        error.detail = quoteReply(std::string(jsonText(entry)));
        return error;
    }
    error.detail = quoteReply(jsonShown(entry, std::string::npos));
    return error;
}

bool isEmptyJson(const JsonValue* value)
{
    if (!value || value->IsNull())
        return true;
    // Emarsys is written in PHP, whose json_encode turns an empty map into [].
    return value->IsArray() && value->Empty();
}

} // namespace

EmarsysReply EmarsysReply::read(const std::string& body)
{
    EmarsysReply reply;
    reply.object = parseJsonObject(body);
    if (!reply.object)
        return reply;
    const JsonValue& envelope = reply.object->root();
    if (const JsonValue* code = jsonMember(envelope, "replyCode"))
    {
        const auto number = jsonIsNumber(*code) ? jsonInteger(*code) : std::nullopt;
        if (number && *number >= INT_MIN && *number <= INT_MAX)
            reply.replyCode = static_cast<int>(*number);
    }
    if (const JsonValue* text = jsonMember(envelope, "replyText"); text && jsonIsString(*text))
        reply.replyText = std::string(jsonText(*text));
    return reply;
}

std::string EmarsysReply::describe(const std::string& body) const
{
    if (replyCode)
        return "replyCode " + std::to_string(*replyCode) + ": " + quoteReply(replyText);
    return quoteReply(body);
}

std::optional<std::unordered_map<std::string, EmarsysContactError>>
emarsysContactErrors(const EmarsysReply& reply, std::string& why)
{
    const JsonValue* data = reply.object ? jsonMember(reply.object->root(), "data") : nullptr;
    if (!data || !data->IsObject())
    {
        why = "replyCode 0 but no data object";
        return std::nullopt;
    }
    const JsonValue* errors = jsonMember(*data, "errors");
    std::unordered_map<std::string, EmarsysContactError> byAddress;
    if (errors && errors->IsObject())
    {
        for (auto entry = errors->MemberBegin(); entry != errors->MemberEnd(); ++entry)
            byAddress.emplace(Poco::toLower(std::string(jsonText(entry->name))), contactError(entry->value));
    }
    else if (!isEmptyJson(errors))
    {
        why = "an errors member that is not an object";
        return std::nullopt;
    }
    return byAddress;
}

} // namespace acd
