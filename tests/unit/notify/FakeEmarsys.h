#pragma once

// What the Emarsys tests read from the trigger requests and answer to them; the server is the
// shared test::FakeHttpServer.

#include "FakeHttpServer.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <string>
#include <vector>

namespace fake {

struct Contact
{
    std::string externalId;
    std::string triggerId;
    Poco::JSON::Object::Ptr data; // null when "data" was not an object
};

inline std::vector<Contact> contactsOf(const std::string& body)
{
    Poco::JSON::Parser parser;
    const auto root = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    std::vector<Contact> contacts;
    const auto array = root->getArray("contacts");
    for (std::size_t i = 0; i < array->size(); ++i)
    {
        const auto c = array->getObject(static_cast<unsigned>(i));
        contacts.push_back(
            {c->getValue<std::string>("external_id"), c->getValue<std::string>("trigger_id"),
             c->get("data").type() == typeid(Poco::JSON::Object::Ptr) ? c->getObject("data") : nullptr});
    }
    return contacts;
}

/// Emarsys's success envelope; `errors` is the JSON text of data.errors.
inline acd::test::FakeReply ok(const std::string& requestBody, const std::string& errors = "{}")
{
    std::string ids;
    const std::size_t count = contactsOf(requestBody).size();
    for (std::size_t i = 0; i < count; ++i)
        ids += (i ? "," : "") + std::to_string(1000 + i);
    return {200,
            R"({"replyCode":0,"replyText":"OK","data":{"ids":[)" + ids + R"(],"errors":)" + errors + "}}"};
}

/// The trigger endpoint on `server`, with the `{0}` the provider puts the event id in.
inline std::string triggerUrl(const acd::test::FakeHttpServer& server)
{
    return server.url() + "/api/v2/event/{0}/trigger";
}

} // namespace fake
