#include "retail/RetailJson.h"

#include "core/Decimal.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

namespace acd {

namespace {

using Type = JsonNode::Type;

std::string fieldPath(std::string_view where, std::string_view name)
{
    std::string path;
    path.reserve(where.size() + 1 + name.size());
    if (!where.empty())
        path.append(where).append(".");
    return path.append(name);
}

std::string indexed(std::string_view where, std::string_view name, std::size_t index)
{
    return fieldPath(where, name) + "[" + std::to_string(index) + "]";
}

/// Where an object sits in the reply. Rendered only for an error message, so that a good reply
/// does not pay for a path per cart line.
struct Path
{
    std::string_view where;      // "value[3]", or empty at the top
    std::string_view array = {}; // "CartLines" when the object is an element of that array
    std::size_t index = 0;

    std::string text() const { return array.empty() ? std::string(where) : indexed(where, array, index); }
    std::string field(std::string_view name) const { return fieldPath(text(), name); }
};

/// The value as Poco::JSON::Parser's default handler built it, for the text of an error
/// message only: the messages render numbers, objects and arrays exactly as they did.
Poco::Dynamic::Var pocoValue(const JsonNode& node)
{
    switch (node.type())
    {
    case Type::Null:
        return {};
    case Type::Bool:
        return node.boolean();
    case Type::Int:
        return static_cast<Poco::Int64>(node.int64());
    case Type::UInt:
        return static_cast<Poco::UInt64>(node.uint64());
    case Type::Double:
        return node.number();
    case Type::String:
        return std::string(node.string());
    case Type::Array:
    {
        Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
        for (const JsonNode& element : node)
            array->add(pocoValue(element));
        return array;
    }
    case Type::Object:
    {
        Poco::JSON::Object::Ptr object = new Poco::JSON::Object;
        for (const JsonNode& member : node)
            object->set(std::string(member.key()), pocoValue(member));
        return object;
    }
    }
    return {};
}

/// A short, printable rendering of a bad scalar for an error message.
std::string shown(const JsonNode& value)
{
    std::string text = value.type() == Type::String ? "\"" + std::string(value.string()) + "\""
                                                    : pocoValue(value).toString();
    if (text.size() > 40)
        text = text.substr(0, 40) + "…";
    for (char& c : text)
    {
        if (static_cast<unsigned char>(c) < 0x20)
            c = '?';
    }
    return text;
}

/// The member, or nullptr when it is absent or null: the two mean the same for every field.
const JsonNode* present(const JsonNode& object, std::string_view name)
{
    const JsonNode* value = object.find(name);
    return value && !value->isNull() ? value : nullptr;
}

std::optional<std::string> optionalString(const JsonNode& object, std::string_view name, const Path& where)
{
    const JsonNode* value = present(object, name);
    if (!value)
        return std::nullopt;
    if (value->type() != Type::String)
        throw RetailJsonError(where.field(name) + " is not a string");
    return std::string(value->string());
}

std::string requiredString(const JsonNode& object, std::string_view name, const Path& where)
{
    auto value = optionalString(object, name, where);
    if (!value)
        throw RetailJsonError(where.field(name) + " is missing");
    return std::move(*value);
}

/// A whole number that may arrive as a JSON number or as numeric text (OData's
/// IEEE754Compatible form); never goes through a double when the text is integral.
std::optional<std::int64_t> optionalInteger(const JsonNode& object, std::string_view name, const Path& where)
{
    const JsonNode* value = present(object, name);
    if (!value)
        return std::nullopt;
    const auto notInteger = [&] {
        return RetailJsonError(where.field(name) + " is not an integer: " + shown(*value));
    };
    switch (value->type())
    {
    case Type::String:
    {
        const std::string_view text = value->string();
        std::int64_t number = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (text.empty() || error != std::errc() || end != text.data() + text.size())
            throw notInteger();
        return number;
    }
    case Type::Int:
        return value->int64();
    case Type::UInt:
        if (value->uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            throw notInteger();
        return static_cast<std::int64_t>(value->uint64());
    case Type::Double:
    {
        // Written as 5637144592.0: exact only up to 2^53, past which a double has lost digits.
        const double number = value->number();
        if (std::trunc(number) != number || std::fabs(number) > 9007199254740992.0)
            throw notInteger();
        return static_cast<std::int64_t>(number);
    }
    default:
        throw notInteger();
    }
}

std::int64_t requiredInteger(const JsonNode& object, std::string_view name, const Path& where)
{
    const auto value = optionalInteger(object, name, where);
    if (!value)
        throw RetailJsonError(where.field(name) + " is missing");
    return *value;
}

/// Edm.Decimal as a JSON number or a string, normalised; `fallback` when absent.
DecimalText decimal(const JsonNode& object, std::string_view name, const Path& where, const char* fallback)
{
    const JsonNode* value = present(object, name);
    if (!value)
        return fallback;
    const auto notDecimal = [&] {
        return RetailJsonError(where.field(name) + " is not a decimal: " + shown(*value));
    };
    switch (value->type())
    {
    case Type::String:
    {
        auto normalised = normalizeDecimal(value->string());
        if (!normalised)
            throw notDecimal();
        return std::move(*normalised);
    }
    case Type::Int:
        return *normalizeDecimal(std::to_string(value->int64()));
    case Type::UInt:
        return *normalizeDecimal(std::to_string(value->uint64()));
    case Type::Double:
        return decimalFromDouble(value->number());
    default:
        throw notDecimal();
    }
}

/// An optional array field whose elements must all be objects; nullptr when absent or null.
/// Checks every element before any is read, so the first wrong shape is the one reported.
const JsonNode* objectArray(const JsonNode& object, std::string_view name, const Path& where)
{
    const JsonNode* array = present(object, name);
    if (!array)
        return nullptr;
    if (array->type() != Type::Array)
        throw RetailJsonError(where.field(name) + " is not an array");
    std::size_t i = 0;
    for (const JsonNode& element : *array)
    {
        if (element.type() != Type::Object)
            throw RetailJsonError(indexed(where.text(), name, i) + " is not an object");
        ++i;
    }
    return array;
}

} // namespace

std::shared_ptr<const JsonNode> parseReplyObject(const std::string& body)
{
    if (body.find_first_not_of(" \t\r\n") == std::string::npos)
        throw RetailJsonError("the reply is empty");
    std::shared_ptr<const JsonDocument> document;
    try
    {
        document = JsonDocument::parse(body);
    }
    catch (const Poco::Exception& e)
    {
        throw RetailJsonError("the reply is not JSON (" + e.displayText() + ")");
    }
    if (document->root().type() != Type::Object)
        throw RetailJsonError("the reply is not a JSON object");
    return std::shared_ptr<const JsonNode>(document, &document->root());
}

std::vector<const JsonNode*> replyValues(const JsonNode& reply)
{
    const JsonNode* value = present(reply, "value");
    if (!value || value->type() != Type::Array)
        throw RetailJsonError("the reply has no \"value\" array");
    objectArray(reply, "value", Path{});
    std::vector<const JsonNode*> elements;
    elements.reserve(value->size());
    for (const JsonNode& element : *value)
        elements.push_back(&element);
    return elements;
}

Channel parseChannel(const JsonNode& object)
{
    const Path top{};
    Channel channel;
    channel.recordId = requiredInteger(object, "RecordId", top);
    channel.currency = optionalString(object, "Currency", top).value_or("");
    return channel;
}

Cart parseCart(const JsonNode& object, std::vector<std::string>& notes, const std::string& where)
{
    const Path at{where};
    Cart cart;
    cart.id = requiredString(object, "Id", at);
    cart.customerId = optionalString(object, "CustomerId", at).value_or("");
    cart.cartTypeValue = static_cast<int>(optionalInteger(object, "CartTypeValue", at).value_or(0));
    cart.channelId = optionalInteger(object, "ChannelId", at).value_or(0);
    cart.totalAmount = decimal(object, "TotalAmount", at, "");

    if (const JsonNode* value = present(object, "ModifiedDateTime"))
    {
        if (value->type() == Type::String)
            cart.modifiedDateTime = Timestamp::parse(value->string());
        if (!cart.modifiedDateTime)
            notes.push_back("cart " + cart.id + ": ModifiedDateTime " + shown(*value) +
                            " is not an ISO 8601 DateTimeOffset; the cart is treated as untimed");
    }

    if (const JsonNode* lines = objectArray(object, "CartLines", at))
    {
        cart.lines.reserve(lines->size());
        std::size_t i = 0;
        for (const JsonNode& line : *lines)
        {
            const Path lineAt{where, "CartLines", i++};
            CartLine cartLine;
            cartLine.lineId = optionalString(line, "LineId", lineAt).value_or("");
            cartLine.productId = optionalInteger(line, "ProductId", lineAt).value_or(0);
            cartLine.itemId = optionalString(line, "ItemId", lineAt).value_or("");
            cartLine.quantity = decimal(line, "Quantity", lineAt, "0");
            cartLine.price = decimal(line, "Price", lineAt, "");
            cart.lines.push_back(std::move(cartLine));
        }
    }
    return cart;
}

Customer parseCustomer(const JsonNode& object, const std::string& where)
{
    const Path at{where};
    Customer customer;
    customer.accountNumber = requiredString(object, "AccountNumber", at);
    customer.firstName = optionalString(object, "FirstName", at).value_or("");
    customer.lastName = optionalString(object, "LastName", at).value_or("");
    customer.email = optionalString(object, "Email", at).value_or("");
    customer.language = optionalString(object, "Language", at).value_or("");
    return customer;
}

Product parseProduct(const JsonNode& object, const std::string& where)
{
    const Path at{where};
    Product product;
    product.recordId = requiredInteger(object, "RecordId", at);
    product.name = optionalString(object, "ProductName", at).value_or("");
    product.itemId = optionalString(object, "ItemId", at).value_or("");
    product.price = decimal(object, "Price", at, "");

    if (const JsonNode* image = present(object, "Image"))
    {
        const std::string imageAt = fieldPath(where, "Image");
        if (image->type() != Type::Object)
            throw RetailJsonError(imageAt + " is not an object");
        if (const JsonNode* items = objectArray(*image, "Items", Path{imageAt}))
        {
            std::size_t i = 0;
            for (const JsonNode& item : *items)
            {
                const Path itemAt{imageAt, "Items", i++};
                // An entry without a URL shows nothing; the product's other images still count.
                std::string url = optionalString(item, "Url", itemAt).value_or("");
                if (url.empty())
                    continue;
                product.images.push_back(
                    {std::move(url), optionalString(item, "AltText", itemAt).value_or("")});
            }
        }
    }
    return product;
}

} // namespace acd
