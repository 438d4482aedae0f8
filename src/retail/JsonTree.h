#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace acd {

class JsonDocument;
class JsonTreeBuilder;

/// One value of a JsonDocument. Like a view, a node (and any copy of it) is valid only as long as
/// its document: its strings and children live there.
class JsonNode
{
public:
    /// Whole numbers keep the type Poco's tokenizer gives them: Int for anything that fits an
    /// Int64, UInt only above that, so a caller can refuse what an Int64 cannot hold.
    enum class Type : std::uint8_t
    {
        Null,
        Bool,
        Int,
        UInt,
        Double,
        String,
        Array,
        Object
    };

    JsonNode() : _int(0) {}

    Type type() const { return _type; }
    bool isNull() const { return _type == Type::Null; }

    bool boolean() const { return _bool; }
    std::int64_t int64() const { return _int; }
    std::uint64_t uint64() const { return _uint; }
    double number() const { return _double; }
    std::string_view string() const { return {_text, _textSize}; }

    /// The member's name when this node is a member of an object, else empty.
    std::string_view key() const { return {_key, _keySize}; }

    /// The number of elements of an array or members of an object.
    std::size_t size() const { return _count; }

    /// The member called `name` of an object, nullptr when there is none. When the name repeats,
    /// the last one counts, as it did with Poco::JSON::Object.
    const JsonNode* find(std::string_view name) const;

    /// Iterates the elements of an array or the members of an object, in document order.
    class Iterator
    {
    public:
        using value_type = JsonNode;
        using difference_type = std::ptrdiff_t;
        using pointer = const JsonNode*;
        using reference = const JsonNode&;

        Iterator() = default;
        explicit Iterator(const JsonNode* node) : _node(node) {}
        reference operator*() const { return *_node; }
        pointer operator->() const { return _node; }
        Iterator& operator++()
        {
            _node += _node->_span;
            return *this;
        }
        Iterator operator++(int)
        {
            Iterator before = *this;
            ++*this;
            return before;
        }
        bool operator==(const Iterator&) const = default;

    private:
        const JsonNode* _node = nullptr;
    };

    Iterator begin() const { return Iterator(_count > 0 ? _children : nullptr); }
    Iterator end() const { return Iterator(_count > 0 ? _children + (_span - 1) : nullptr); }

private:
    friend class JsonDocument;
    friend class JsonTreeBuilder;

    // Nodes sit in one array in document order, a container right before its subtree, so
    // children need no allocation of their own; `_span` skips a whole subtree.
    const char* _key = nullptr;
    union
    {
        bool _bool;
        std::int64_t _int;
        std::uint64_t _uint;
        double _double;
        const char* _text;
        const JsonNode* _children;
    };
    std::uint32_t _keySize = 0;
    std::uint32_t _textSize = 0;
    std::uint32_t _count = 0;
    std::uint32_t _span = 1;
    Type _type = Type::Null;
};

/// A JSON text parsed by Poco::JSON::Parser into JsonNodes: one array of nodes and a few blocks
/// of string bytes, instead of a Poco::Dynamic::Var, a std::map and several allocations per
/// value. Read-only once parsed.
class JsonDocument
{
public:
    /// Throws what Poco::JSON::Parser with its default handler throws: for text that is not
    /// JSON, and for a top-level value that is neither an object nor an array. Also throws
    /// Poco::JSON::JSONException for text of 4 GiB or more.
    static std::shared_ptr<const JsonDocument> parse(const std::string& text);

    JsonDocument(const JsonDocument&) = delete;
    JsonDocument& operator=(const JsonDocument&) = delete;
    ~JsonDocument();

    /// The top-level value; a null node if the parser produced none.
    const JsonNode& root() const;

private:
    friend class JsonTreeBuilder;

    JsonDocument() = default;

    std::vector<JsonNode> _nodes;
    std::vector<std::unique_ptr<char[]>> _text;
};

} // namespace acd
