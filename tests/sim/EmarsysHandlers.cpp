#include "Handlers.h"
#include "Json.h"
#include "SimTime.h"

#include <Poco/Base64Encoder.h>
#include <Poco/SHA1Engine.h>

#include <cstdlib>
#include <map>
#include <sstream>

namespace acd::sim {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr std::size_t MaxContacts = 1000;
constexpr std::size_t MaxBodyBytes = 1024 * 1024;
constexpr std::int64_t MaxClockSkew = 5 * TicksPerMinute;

SimReply emarsysReply(int status, int replyCode, const std::string& replyText)
{
    return jsonReply(status, R"({"replyCode":)" + std::to_string(replyCode) + R"(,"replyText":)" +
                                 jsonQuote(replyText) + R"(,"data":""})");
}

/// `UsernameToken Username="…", PasswordDigest="…", Nonce="…", Created="…"` as a name -> value map.
std::optional<std::map<std::string, std::string>> parseUsernameToken(const std::string& header)
{
    const std::string prefix = "UsernameToken ";
    if (header.compare(0, prefix.size(), prefix) != 0)
        return std::nullopt;
    std::map<std::string, std::string> fields;
    std::size_t pos = prefix.size();
    while (pos < header.size())
    {
        while (pos < header.size() && (header[pos] == ' ' || header[pos] == ','))
            ++pos;
        if (pos == header.size())
            break;
        const auto equals = header.find('=', pos);
        if (equals == std::string::npos || equals + 1 >= header.size() || header[equals + 1] != '"')
            return std::nullopt;
        const auto close = header.find('"', equals + 2);
        if (close == std::string::npos)
            return std::nullopt;
        fields[header.substr(pos, equals - pos)] = header.substr(equals + 2, close - equals - 2);
        pos = close + 1;
    }
    return fields;
}

/// DESIGN §4: base64 of the 40 lowercase hex characters of SHA1(nonce + created + secret).
std::string expectedDigest(const std::string& nonce, const std::string& created, const std::string& secret)
{
    Poco::SHA1Engine sha1;
    sha1.update(nonce + created + secret);
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << Poco::DigestEngine::digestToHex(sha1.digest());
    encoder.close();
    return out.str();
}

/// Why the X-WSSE header is refused, or nothing when it authenticates this request.
std::optional<std::string> wsseProblem(SimContext& context, const SimRequest& request,
                                       const ScenarioSettings& settings)
{
    if (request.header("Authorization"))
        return "the v2 API takes X-WSSE only, and this request carries Authorization (OAuth 2.0 is /api/v3/)";
    const auto header = request.header("X-WSSE");
    if (!header)
        return "the X-WSSE header is missing";
    const auto fields = parseUsernameToken(*header);
    if (!fields)
        return "X-WSSE is not 'UsernameToken Username=\"…\", PasswordDigest=\"…\", Nonce=\"…\", "
               "Created=\"…\"'";
    for (const char* name : {"Username", "PasswordDigest", "Nonce", "Created"})
    {
        if (!fields->count(name) || fields->at(name).empty())
            return std::string("X-WSSE has no ") + name;
    }
    if (fields->at("Username") != settings.emarsysUser)
        return "X-WSSE Username is not the scenario's API user";
    const auto created = parseIsoTicks(fields->at("Created"));
    if (!created)
        return "X-WSSE Created is not an ISO 8601 time";
    if (std::llabs(*created - nowTicks()) > MaxClockSkew)
        return "X-WSSE Created is more than 5 minutes away from now";
    if (fields->at("PasswordDigest") !=
        expectedDigest(fields->at("Nonce"), fields->at("Created"), settings.emarsysSecret))
        return "X-WSSE PasswordDigest does not match";
    if (!context.emarsys.useNonce(fields->at("Nonce")))
        return "X-WSSE Nonce was used before";
    return std::nullopt;
}

/// v3 takes OAuth 2.0 bearer tokens, v2 WSSE; neither takes the other's.
std::optional<std::string> authProblem(SimContext& context, const SimRequest& request,
                                       const ScenarioSettings& settings)
{
    if (request.path.rfind("/api/v3/", 0) == 0)
        return emarsysBearerProblem(context, request);
    return wsseProblem(context, request, settings);
}

SimReply unauthorized(const std::string& reason)
{
    SimReply reply = jsonReply(401, R"({"replyCode":1,"replyText":"Unauthorized"})");
    // Not part of Emarsys: tells a test author which check failed.
    reply.headers.emplace_back("X-Sim-Reason", reason);
    return reply;
}

void checkKeyId(const Object::Ptr& body, const ScenarioSettings& settings)
{
    const std::string keyId = required(optText(body, "key_id", ""), "key_id");
    if (keyId != settings.contactKeyId)
        throw SimError("key_id '" + keyId + "' is not the contact key field " + settings.contactKeyId);
}

struct Contact
{
    std::string externalId;
    std::optional<std::string> triggerId;
    std::string dataJson;
};

Contact readContact(const Object::Ptr& source, const std::string& where, std::string dataJson)
{
    const std::string idPath = where.empty() ? "external_id" : where + ".external_id";
    Contact contact;
    contact.externalId = required(optString(source, "external_id", where), idPath);
    if (contact.externalId.empty())
        throw SimError(idPath + " must not be empty");
    contact.triggerId = optString(source, "trigger_id", where);
    optObject(source, "data", where); // an object or nothing
    contact.dataJson = std::move(dataJson);
    return contact;
}

/// `body` is the text `parsed` was read from: each contact keeps its data as it came.
std::vector<Contact> readContacts(const Object::Ptr& parsed, const std::string& body)
{
    std::vector<Contact> contacts;
    std::vector<std::string> data = memberTexts(body, "contacts", "data");
    const Array::Ptr list = optArray(parsed, "contacts", "");
    if (!list)
    {
        contacts.push_back(readContact(parsed, "", std::move(data.at(0))));
        return contacts;
    }
    for (std::size_t i = 0; i < list->size(); ++i)
    {
        const std::string where = "contacts[" + std::to_string(i) + "]";
        const Poco::Dynamic::Var element = list->get(static_cast<unsigned>(i));
        if (element.type() != typeid(Object::Ptr))
            throw SimError(where + " must be an object");
        contacts.push_back(readContact(element.extract<Object::Ptr>(), where, std::move(data.at(i))));
    }
    return contacts;
}

} // namespace

SimReply handleEmarsysTrigger(SimContext& context, const SimRequest& request, const std::string& eventId)
{
    const ScenarioSettings settings = context.settings();
    if (const auto problem = authProblem(context, request, settings))
        return unauthorized(*problem);
    if (request.body.size() > MaxBodyBytes)
        return emarsysReply(400, 1000, "Too many contacts");

    std::vector<Contact> contacts;
    try
    {
        const Object::Ptr body = parseJsonObject(request.body, "request body");
        checkKeyId(body, settings);
        if (const Array::Ptr list = optArray(body, "contacts", ""); list && list->size() > MaxContacts)
            return emarsysReply(400, 1000, "Too many contacts");
        contacts = readContacts(body, request.body);
        if (contacts.empty())
            throw SimError("contacts is empty");
    }
    catch (const SimError& e)
    {
        return emarsysReply(400, 10001, e.what());
    }
    context.log.count("emarsysContacts", contacts.size());

    std::vector<bool> known;
    context.scenario.read([&](const Scenario& scenario) {
        for (const Contact& contact : contacts)
            known.push_back(scenario.isKnownContact(contact.externalId));
    });
    std::string ids;
    std::string errors;
    std::uint64_t duplicates = 0;
    const std::int64_t now = nowTicks();
    for (std::size_t i = 0; i < contacts.size(); ++i)
    {
        Contact& contact = contacts[i];
        if (!known[i])
        {
            errors += (errors.empty() ? "" : ",") + jsonQuote(contact.externalId) + R"(:{"2008":)" +
                      jsonQuote("No contact found with the external id: " + settings.contactKeyId) + "}";
            continue;
        }
        const std::string quotedId = jsonQuote(contact.externalId);
        if (context.emarsys.deliver(
                {eventId, contact.externalId, contact.triggerId, std::move(contact.dataJson), now}))
        {
            ids += (ids.empty() ? "" : ",") + quotedId;
            continue;
        }
        ++duplicates;
        errors += (errors.empty() ? "" : ",") + quotedId + R"(:{"9003":"Trigger ID already triggered"})";
    }
    if (duplicates > 0)
        context.log.count("emarsysDuplicates", duplicates);
    std::string data = R"({"ids":[)" + ids + "]";
    if (!errors.empty())
        data += R"(,"errors":{)" + errors + "}";
    return jsonReply(200, R"({"replyCode":0,"replyText":"OK","data":)" + data + "}}");
}

SimReply handleContactDelete(SimContext& context, const SimRequest& request)
{
    const ScenarioSettings settings = context.settings();
    if (const auto problem = authProblem(context, request, settings))
        return unauthorized(*problem);
    try
    {
        const Object::Ptr body = parseJsonObject(request.body, "request body");
        checkKeyId(body, settings);
        const std::string email = required(optText(body, settings.contactKeyId, ""),
                                           "\"" + settings.contactKeyId + "\" (the contact key field)");
        context.emarsys.recordDelete(email);
    }
    catch (const SimError& e)
    {
        return emarsysReply(400, 10001, e.what());
    }
    return jsonReply(200, R"({"replyCode":0,"replyText":"OK","data":{"deleted_contacts":1}})");
}

} // namespace acd::sim
