#include "HostileReply.h"

#include "FaultInjector.h"
#include "Json.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <sstream>

namespace acd::sim {

namespace {

constexpr std::array<std::string_view, 11> Modes = {"truncated",  "html",    "empty",         "deep",
                                                    "wrongTypes", "nan",     "duplicateKeys", "badUtf8",
                                                    "hugeString", "bigPage", "trickle"};

Poco::Dynamic::Var parsed(const std::string& body)
{
    Poco::JSON::Parser parser;
    return parser.parse(body);
}

/// Every string becomes a number and every number, boolean or object member a string: the
/// reply keeps its shape but no field has the type the contract gives it.
void writeWrongTypes(const Poco::Dynamic::Var& value, std::string& out)
{
    if (value.type() == typeid(Poco::JSON::Object::Ptr))
    {
        const auto object = value.extract<Poco::JSON::Object::Ptr>();
        out += '{';
        bool first = true;
        for (const std::string& name : object->getNames())
        {
            out += (first ? "" : ",") + jsonQuote(name) + ":";
            first = false;
            writeWrongTypes(object->get(name), out);
        }
        out += '}';
    }
    else if (value.type() == typeid(Poco::JSON::Array::Ptr))
    {
        const auto array = value.extract<Poco::JSON::Array::Ptr>();
        out += '[';
        for (std::size_t i = 0; i < array->size(); ++i)
        {
            out += i > 0 ? "," : "";
            writeWrongTypes(array->get(static_cast<unsigned>(i)), out);
        }
        out += ']';
    }
    else if (value.isEmpty())
        out += "null";
    else if (value.isString())
        out += "12345";
    else
        out += jsonQuote(value.toString());
}

void appendFiller(std::string& out, std::size_t bytes)
{
    const std::string_view word = "Hostile ";
    const std::size_t end = out.size() + bytes;
    out.reserve(end);
    while (out.size() + word.size() <= end)
        out.append(word);
    out.append(word.substr(0, end - out.size()));
}

/// A member put first into the reply's top-level object (or a one-member object): `head`, then
/// `fillerBytes` of text, then `tail`.
std::string withLeadingMember(const std::string& body, std::string_view head, std::size_t fillerBytes = 0,
                              std::string_view tail = "")
{
    const auto open = body.find('{');
    const auto next = open == std::string::npos ? open : body.find_first_not_of(" \t\r\n", open + 1);
    const bool empty = next == std::string::npos || body[next] == '}';
    // Written once into a string of the final size: each copy of a 50 MB reply costs its page
    // faults, which took this virtual machine over a second per copy under load, before the
    // first byte of the reply had left (and the client's stall limit counted them).
    std::string out;
    out.reserve(body.size() + head.size() + fillerBytes + tail.size() + 3);
    if (open == std::string::npos)
        out.append("{");
    else
        out.append(body, 0, open + 1);
    out.append(head);
    appendFiller(out, fillerBytes);
    out.append(tail);
    if (open == std::string::npos)
        return out.append("}");
    return out.append(empty ? "" : ",").append(body, open + 1);
}

/// Every string value of a member named `field` replaced by `bytes` of text.
std::string withHugeField(const std::string& body, const std::string& field, std::size_t bytes)
{
    const std::string key = jsonQuote(field) + ":";
    std::string out;
    out.reserve(body.size() + bytes + 2);
    std::size_t from = 0;
    for (auto at = body.find(key); at != std::string::npos; at = body.find(key, from))
    {
        const auto value = body.find_first_not_of(" \t\r\n", at + key.size());
        if (value == std::string::npos || body[value] != '"')
        {
            out.append(body, from, at + key.size() - from);
            from = at + key.size();
            continue;
        }
        auto end = value + 1;
        while (end < body.size() && body[end] != '"')
            end += body[end] == '\\' ? 2 : 1;
        out.append(body, from, value - from).append("\"");
        appendFiller(out, bytes);
        out.append("\"");
        from = std::min(end + 1, body.size());
    }
    return out.append(body, from);
}

/// The page's `value` array repeated to `count` entries (empty objects when it had none).
std::string biggerPage(const std::string& body, int count)
{
    const auto object = parsed(body).extract<Poco::JSON::Object::Ptr>();
    const auto values = object->getArray("value");
    std::vector<std::string> entries;
    for (std::size_t i = 0; values && i < values->size(); ++i)
    {
        std::ostringstream text;
        values->get(static_cast<unsigned>(i)).extract<Poco::JSON::Object::Ptr>()->stringify(text);
        entries.push_back(text.str());
    }
    if (entries.empty())
        entries.push_back("{}");
    std::string out = R"({"value":[)";
    for (int i = 0; i < count; ++i)
        out += (i > 0 ? "," : "") + entries[static_cast<std::size_t>(i) % entries.size()];
    return out + "]}";
}

} // namespace

bool isHostileMode(const std::string& mode)
{
    return std::find(Modes.begin(), Modes.end(), mode) != Modes.end();
}

bool hostileModeFits(const std::string& mode, const std::string& kind)
{
    return mode != "bigPage" || kind == "cartSearch" || kind == "customers" || kind == "products" ||
           kind == "orders" || kind == "any";
}

void makeHostile(SimReply& reply, const Fault& fault, const SimRequest& request)
{
    const std::string& mode = fault.mode;
    reply.status = 200;
    if (mode == "truncated")
        reply.body = reply.body.size() > 1 ? reply.body.substr(0, reply.body.size() / 2) : "{";
    else if (mode == "html")
    {
        reply.contentType = "text/html; charset=utf-8";
        reply.body = "<!DOCTYPE html><html><head><title>Service Unavailable</title></head>"
                     "<body><h1>The service is down for maintenance</h1></body></html>";
    }
    else if (mode == "empty")
        reply.body.clear();
    else if (mode == "deep")
        reply.body = std::string(static_cast<std::size_t>(fault.depth), '[');
    else if (mode == "wrongTypes")
    {
        std::string out;
        writeWrongTypes(parsed(reply.body), out);
        reply.body = out;
    }
    else if (mode == "nan")
        reply.body = withLeadingMember(reply.body, R"("Price":NaN)");
    else if (mode == "duplicateKeys")
    {
        // Each top-level member again at the end, as a string: a reader that keeps the last one
        // (as RapidJSON and Poco do) sees the wrong type; one that keeps the first sees no problem.
        const auto object = parsed(reply.body).extract<Poco::JSON::Object::Ptr>();
        const auto close = reply.body.rfind('}');
        std::string duplicates;
        for (const std::string& name : object->getNames())
            duplicates +=
                (duplicates.empty() && object->size() == 0 ? "" : ",") + jsonQuote(name) + R"(:"duplicate")";
        reply.body = reply.body.substr(0, close) + duplicates + "}";
    }
    else if (mode == "badUtf8")
        reply.body = withLeadingMember(reply.body, "\"Comment\":\"caf\xE9 \xFF\xFE\xC0\xAF\"");
    else if (mode == "hugeString")
        reply.body = fault.field.empty() ? withLeadingMember(reply.body, R"("Comment":")", fault.bytes, "\"")
                                         : withHugeField(reply.body, fault.field, fault.bytes);
    else if (mode == "bigPage")
    {
        int top = 0;
        if (const auto text = request.queryParam("$top"))
            top = std::atoi(text->c_str());
        reply.body = biggerPage(reply.body, fault.count > 0 ? fault.count : std::max(top, 1) * 10 + 1);
    }
    else if (mode == "trickle")
        reply.trickleMs = fault.intervalMs;
}

} // namespace acd::sim
