#include "notify/EmarsysReply.h"

#include "notify/ReplyText.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/String.h>

#include <sstream>

namespace acd {

namespace {

EmarsysContactError contactError(const Poco::Dynamic::Var& entry)
{
    EmarsysContactError error;
    if (entry.type() == typeid(Poco::JSON::Object::Ptr))
    {
        std::string detail;
        for (const auto& [code, text] : *entry.extract<Poco::JSON::Object::Ptr>())
        {
            error.codes.insert(code);
            if (!detail.empty())
                detail += "; ";
            detail += code + " " + (text.isString() ? text.extract<std::string>() : text.toString());
        }
        error.detail = quoteReply(detail);
        return error;
    }
    if (entry.isString())
    {
        error.detail = quoteReply(entry.extract<std::string>());
        return error;
    }
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(entry, out);
    error.detail = quoteReply(out.str());
    return error;
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

} // namespace

EmarsysReply EmarsysReply::read(const std::string& body)
{
    EmarsysReply reply;
    try
    {
        // Keeps the members' order, so that a detail reads like the reply.
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        const Poco::Dynamic::Var parsed = parser.parse(body);
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

std::string EmarsysReply::describe(const std::string& body) const
{
    if (replyCode)
        return "replyCode " + std::to_string(*replyCode) + ": " + quoteReply(replyText);
    return quoteReply(body);
}

std::optional<std::unordered_map<std::string, EmarsysContactError>>
emarsysContactErrors(const EmarsysReply& reply, std::string& why)
{
    const Poco::Dynamic::Var data = reply.object ? reply.object->get("data") : Poco::Dynamic::Var();
    if (data.type() != typeid(Poco::JSON::Object::Ptr))
    {
        why = "replyCode 0 but no data object";
        return std::nullopt;
    }
    const Poco::Dynamic::Var errors = data.extract<Poco::JSON::Object::Ptr>()->get("errors");
    std::unordered_map<std::string, EmarsysContactError> byAddress;
    if (errors.type() == typeid(Poco::JSON::Object::Ptr))
    {
        for (const auto& [address, entry] : *errors.extract<Poco::JSON::Object::Ptr>())
            byAddress.emplace(Poco::toLower(address), contactError(entry));
    }
    else if (!isEmptyJson(errors))
    {
        why = "an errors member that is not an object";
        return std::nullopt;
    }
    return byAddress;
}

} // namespace acd
