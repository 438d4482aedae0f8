#include "retail/JsonTree.h"

#include <Poco/JSON/Handler.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace acd {

/// Receives Poco's tokens and appends them to a JsonDocument's node array.
class JsonTreeBuilder : public Poco::JSON::Handler
{
public:
    JsonTreeBuilder(JsonDocument& document, std::size_t textSize) : _document(document)
    {
        // Decoded strings are never longer than their quoted, escaped text, so one block the
        // size of the reply holds every key and string.
        _firstBlock = std::max<std::size_t>(textSize, 64);
        // Retail Server's replies take about 22 bytes per value. Growing the array instead would
        // hold the old and the new array at once, which costs more memory than an unused tail.
        _document._nodes.reserve(textSize / 16 + 16);
    }

    void reset() override
    {
        _document._nodes.clear();
        _document._text.clear();
        _open.clear();
        _key = {};
        _next = nullptr;
        _left = 0;
    }

    void startObject() override { open(JsonNode::Type::Object); }
    void endObject() override { close(); }
    void startArray() override { open(JsonNode::Type::Array); }
    void endArray() override { close(); }
    void key(const std::string& k) override { _key = store(k); }
    void null() override { addScalar(JsonNode::Type::Null); }
    void value(int v) override { addScalar(JsonNode::Type::Int)._int = v; }
    void value(unsigned v) override { addScalar(JsonNode::Type::Int)._int = v; }
    void value(Poco::Int64 v) override { addScalar(JsonNode::Type::Int)._int = v; }
    void value(Poco::UInt64 v) override { addScalar(JsonNode::Type::UInt)._uint = v; }
    void value(double d) override { addScalar(JsonNode::Type::Double)._double = d; }
    void value(bool b) override { addScalar(JsonNode::Type::Bool)._bool = b; }

    void value(const std::string& s) override
    {
        const std::string_view text = store(s);
        JsonNode& node = addScalar(JsonNode::Type::String);
        node._text = text.data();
        node._textSize = static_cast<std::uint32_t>(text.size());
    }

    /// Points containers at their children, now that the node array no longer moves.
    void finish()
    {
        auto& nodes = _document._nodes;
        for (std::size_t i = 0; i < nodes.size(); ++i)
        {
            JsonNode& node = nodes[i];
            if (node._type == JsonNode::Type::Array || node._type == JsonNode::Type::Object)
                node._children = nodes.data() + i + 1;
        }
    }

private:
    JsonNode& addScalar(JsonNode::Type type)
    {
        // A scalar at the top level: Poco's own handler refuses it with this message, and
        // callers quote it.
        if (_open.empty())
            throw Poco::JSON::JSONException("Attempt to set value on an empty stack");
        return add(type);
    }

    JsonNode& add(JsonNode::Type type)
    {
        auto& nodes = _document._nodes;
        JsonNode& node = nodes.emplace_back();
        node._type = type;
        if (!_open.empty())
        {
            JsonNode& parent = nodes[_open.back()];
            ++parent._count;
            if (parent._type == JsonNode::Type::Object)
            {
                node._key = _key.data();
                node._keySize = static_cast<std::uint32_t>(_key.size());
            }
        }
        return node;
    }

    void open(JsonNode::Type type)
    {
        add(type);
        _open.push_back(static_cast<std::uint32_t>(_document._nodes.size() - 1));
    }

    void close()
    {
        auto& nodes = _document._nodes;
        const std::uint32_t at = _open.back();
        _open.pop_back();
        nodes[at]._span = static_cast<std::uint32_t>(nodes.size() - at);
    }

    std::string_view store(const std::string& text)
    {
        if (text.empty())
            return {};
        if (text.size() > _left)
        {
            const std::size_t size = std::max(text.size(), _document._text.empty() ? _firstBlock : 4096);
            _document._text.push_back(std::make_unique_for_overwrite<char[]>(size));
            _next = _document._text.back().get();
            _left = size;
        }
        char* at = _next;
        std::memcpy(at, text.data(), text.size());
        _next += text.size();
        _left -= text.size();
        return {at, text.size()};
    }

    JsonDocument& _document;
    std::vector<std::uint32_t> _open; // indexes of the containers not yet closed
    std::string_view _key;            // the name for the next member
    std::size_t _firstBlock = 0;
    char* _next = nullptr;
    std::size_t _left = 0;
};

const JsonNode* JsonNode::find(std::string_view name) const
{
    if (_type != Type::Object)
        return nullptr;
    const JsonNode* found = nullptr;
    for (const JsonNode& member : *this)
    {
        if (member.key() == name)
            found = &member;
    }
    return found;
}

JsonDocument::~JsonDocument() = default;

std::shared_ptr<const JsonDocument> JsonDocument::parse(const std::string& text)
{
    // Sizes and counts are kept in 32 bits; each is bounded by the length of the text.
    if (text.size() >= std::numeric_limits<std::uint32_t>::max())
        throw Poco::JSON::JSONException("the text is 4 GiB or more");
    std::shared_ptr<JsonDocument> document(new JsonDocument);
    auto* builder = new JsonTreeBuilder(*document, text.size());
    Poco::JSON::Parser parser(builder);
    parser.parse(text);
    builder->finish();
    return document;
}

const JsonNode& JsonDocument::root() const
{
    static const JsonNode none;
    return _nodes.empty() ? none : _nodes.front();
}

} // namespace acd
