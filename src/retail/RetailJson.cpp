#include "retail/RetailJson.h"

#include "core/Decimal.h"

#include <optional>

namespace acd {

namespace {

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

std::optional<std::string> optionalString(const JsonValue& object, std::string_view name, const Path& where)
{
    const JsonValue* value = jsonField(object, name);
    if (!value)
        return std::nullopt;
    if (!jsonIsString(*value))
        throw RetailJsonError(where.field(name) + " is not a string");
    return std::string(jsonText(*value));
}

std::string requiredString(const JsonValue& object, std::string_view name, const Path& where)
{
    auto value = optionalString(object, name, where);
    if (!value)
        throw RetailJsonError(where.field(name) + " is missing");
    return std::move(*value);
}

/// A whole number that may arrive as a JSON number or as numeric text (OData's
/// IEEE754Compatible form); read on its digits, never through a double.
std::optional<std::int64_t> optionalInteger(const JsonValue& object, std::string_view name, const Path& where)
{
    const JsonValue* value = jsonField(object, name);
    if (!value)
        return std::nullopt;
    const auto number = jsonInteger(*value);
    if (!number)
        throw RetailJsonError(where.field(name) + " is not an integer: " + jsonShown(*value));
    return number;
}

std::int64_t requiredInteger(const JsonValue& object, std::string_view name, const Path& where)
{
    const auto value = optionalInteger(object, name, where);
    if (!value)
        throw RetailJsonError(where.field(name) + " is missing");
    return *value;
}

/// Edm.Decimal as a JSON number or a string, normalised; `fallback` when absent.
DecimalText decimal(const JsonValue& object, std::string_view name, const Path& where, const char* fallback)
{
    const JsonValue* value = jsonField(object, name);
    if (!value)
        return fallback;
    const auto notDecimal = [&] {
        return RetailJsonError(where.field(name) + " is not a decimal: " + jsonShown(*value));
    };
    // A number is read on its own text as a string is: a price never passes through a double.
    if (!value->IsString())
        throw notDecimal();
    auto normalised = normalizeDecimal(jsonText(*value));
    if (!normalised)
        throw notDecimal();
    return std::move(*normalised);
}

/// An optional array field whose elements must all be objects; nullptr when absent or null.
/// Checks every element before any is read, so the first wrong shape is the one reported.
const JsonValue* objectArray(const JsonValue& object, std::string_view name, const Path& where)
{
    const JsonValue* array = jsonField(object, name);
    if (!array)
        return nullptr;
    if (!array->IsArray())
        throw RetailJsonError(where.field(name) + " is not an array");
    std::size_t i = 0;
    for (const JsonValue& element : array->GetArray())
    {
        if (!element.IsObject())
            throw RetailJsonError(indexed(where.text(), name, i) + " is not an object");
        ++i;
    }
    return array;
}

} // namespace

std::shared_ptr<const JsonValue> parseReplyObject(const std::string& body)
{
    if (body.find_first_not_of(" \t\r\n") == std::string::npos)
        throw RetailJsonError("the reply is empty");
    std::shared_ptr<const JsonDocument> document;
    try
    {
        document = std::make_shared<const JsonDocument>(body);
    }
    catch (const JsonSyntaxError& e)
    {
        throw RetailJsonError(std::string("the reply is not JSON (") + e.what() + ")");
    }
    if (!document->root().IsObject())
        throw RetailJsonError("the reply is not a JSON object");
    return std::shared_ptr<const JsonValue>(document, &document->root());
}

std::vector<const JsonValue*> replyValues(const JsonValue& reply)
{
    const JsonValue* value = jsonField(reply, "value");
    if (!value || !value->IsArray())
        throw RetailJsonError("the reply has no \"value\" array");
    objectArray(reply, "value", Path{});
    std::vector<const JsonValue*> elements;
    elements.reserve(value->Size());
    for (const JsonValue& element : value->GetArray())
        elements.push_back(&element);
    return elements;
}

Channel parseChannel(const JsonValue& object)
{
    const Path top{};
    Channel channel;
    channel.recordId = requiredInteger(object, "RecordId", top);
    channel.currency = optionalString(object, "Currency", top).value_or("");
    return channel;
}

Cart parseCart(const JsonValue& object, std::vector<std::string>& notes, const std::string& where)
{
    const Path at{where};
    Cart cart;
    cart.id = requiredString(object, "Id", at);
    cart.customerId = optionalString(object, "CustomerId", at).value_or("");
    cart.cartTypeValue = static_cast<int>(optionalInteger(object, "CartTypeValue", at).value_or(0));
    cart.channelId = optionalInteger(object, "ChannelId", at).value_or(0);
    cart.totalAmount = decimal(object, "TotalAmount", at, "");

    if (const JsonValue* value = jsonField(object, "ModifiedDateTime"))
    {
        if (jsonIsString(*value))
            cart.modifiedDateTime = Timestamp::parse(jsonText(*value));
        if (!cart.modifiedDateTime)
            notes.push_back("cart " + cart.id + ": ModifiedDateTime " + jsonShown(*value) +
                            " is not an ISO 8601 DateTimeOffset; the cart is treated as untimed");
    }

    if (const JsonValue* lines = objectArray(object, "CartLines", at))
    {
        cart.lines.reserve(lines->Size());
        std::size_t i = 0;
        for (const JsonValue& line : lines->GetArray())
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

Customer parseCustomer(const JsonValue& object, const std::string& where)
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

Product parseProduct(const JsonValue& object, const std::string& where)
{
    const Path at{where};
    Product product;
    product.recordId = requiredInteger(object, "RecordId", at);
    product.name = optionalString(object, "ProductName", at).value_or("");
    product.itemId = optionalString(object, "ItemId", at).value_or("");
    product.price = decimal(object, "Price", at, "");

    if (const JsonValue* image = jsonField(object, "Image"))
    {
        const std::string imageAt = fieldPath(where, "Image");
        if (!image->IsObject())
            throw RetailJsonError(imageAt + " is not an object");
        if (const JsonValue* items = objectArray(*image, "Items", Path{imageAt}))
        {
            std::size_t i = 0;
            for (const JsonValue& item : items->GetArray())
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
