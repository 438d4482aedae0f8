#include "retail/RetailJson.h"

#include "core/Decimal.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

namespace acd {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Object;

std::string fieldPath(const std::string& where, const std::string& name)
{
    return where.empty() ? name : where + "." + name;
}

/// A short, printable rendering of a bad scalar for an error message.
std::string shown(const Var& value)
{
    std::string text = value.isString() ? "\"" + value.extract<std::string>() + "\"" : value.toString();
    if (text.size() > 40)
        text = text.substr(0, 40) + "…";
    for (char& c : text)
    {
        if (static_cast<unsigned char>(c) < 0x20)
            c = '?';
    }
    return text;
}

bool isBool(const Var& value)
{
    return value.type() == typeid(bool);
}

bool isAbsent(const Object& object, const std::string& name)
{
    return !object.has(name) || object.isNull(name);
}

std::optional<std::string> optionalString(const Object& object, const std::string& name,
                                          const std::string& where)
{
    if (isAbsent(object, name))
        return std::nullopt;
    const Var value = object.get(name);
    if (!value.isString())
        throw RetailJsonError(fieldPath(where, name) + " is not a string");
    return value.extract<std::string>();
}

std::string requiredString(const Object& object, const std::string& name, const std::string& where)
{
    auto value = optionalString(object, name, where);
    if (!value)
        throw RetailJsonError(fieldPath(where, name) + " is missing");
    return std::move(*value);
}

/// A whole number that may arrive as a JSON number or as numeric text (OData's
/// IEEE754Compatible form); never goes through a double when the text is integral.
std::optional<std::int64_t> optionalInteger(const Object& object, const std::string& name,
                                            const std::string& where)
{
    if (isAbsent(object, name))
        return std::nullopt;
    const Var value = object.get(name);
    const auto notInteger = [&] {
        return RetailJsonError(fieldPath(where, name) + " is not an integer: " + shown(value));
    };
    if (isBool(value))
        throw notInteger();
    if (value.isString())
    {
        const auto& text = value.extract<std::string>();
        std::int64_t number = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (text.empty() || error != std::errc() || end != text.data() + text.size())
            throw notInteger();
        return number;
    }
    if (value.isInteger())
    {
        if (value.type() == typeid(Poco::UInt64) &&
            value.extract<Poco::UInt64>() >
                static_cast<Poco::UInt64>(std::numeric_limits<std::int64_t>::max()))
            throw notInteger();
        return value.convert<std::int64_t>();
    }
    if (value.isNumeric())
    {
        // Written as 5637144592.0: exact only up to 2^53, past which a double has lost digits.
        const double number = value.convert<double>();
        if (std::trunc(number) != number || std::fabs(number) > 9007199254740992.0)
            throw notInteger();
        return static_cast<std::int64_t>(number);
    }
    throw notInteger();
}

std::int64_t requiredInteger(const Object& object, const std::string& name, const std::string& where)
{
    const auto value = optionalInteger(object, name, where);
    if (!value)
        throw RetailJsonError(fieldPath(where, name) + " is missing");
    return *value;
}

/// Edm.Decimal as a JSON number or a string, normalised; `fallback` when absent.
DecimalText decimal(const Object& object, const std::string& name, const std::string& where,
                    const DecimalText& fallback)
{
    if (isAbsent(object, name))
        return fallback;
    const Var value = object.get(name);
    const auto notDecimal = [&] {
        return RetailJsonError(fieldPath(where, name) + " is not a decimal: " + shown(value));
    };
    if (isBool(value))
        throw notDecimal();
    if (value.isString())
    {
        auto normalised = normalizeDecimal(value.extract<std::string>());
        if (!normalised)
            throw notDecimal();
        return std::move(*normalised);
    }
    if (value.isInteger())
        return *normalizeDecimal(value.toString());
    if (value.isNumeric())
        return decimalFromDouble(value.convert<double>());
    throw notDecimal();
}

/// The elements of an optional array field, each required to be an object.
std::vector<Object::Ptr> objectArray(const Object& object, const std::string& name, const std::string& where)
{
    std::vector<Object::Ptr> elements;
    if (isAbsent(object, name))
        return elements;
    const Poco::JSON::Array::Ptr array = object.getArray(name);
    if (!array)
        throw RetailJsonError(fieldPath(where, name) + " is not an array");
    for (std::size_t i = 0; i < array->size(); ++i)
    {
        Object::Ptr element = array->getObject(static_cast<unsigned>(i));
        if (!element)
            throw RetailJsonError(fieldPath(where, name) + "[" + std::to_string(i) + "] is not an object");
        elements.push_back(std::move(element));
    }
    return elements;
}

std::string indexed(const std::string& where, const std::string& name, std::size_t index)
{
    return fieldPath(where, name) + "[" + std::to_string(index) + "]";
}

} // namespace

Object::Ptr parseReplyObject(const std::string& body)
{
    if (body.find_first_not_of(" \t\r\n") == std::string::npos)
        throw RetailJsonError("the reply is empty");
    Var parsed;
    try
    {
        parsed = Poco::JSON::Parser().parse(body);
    }
    catch (const Poco::Exception& e)
    {
        throw RetailJsonError("the reply is not JSON (" + e.displayText() + ")");
    }
    if (parsed.type() != typeid(Object::Ptr) || !parsed.extract<Object::Ptr>())
        throw RetailJsonError("the reply is not a JSON object");
    return parsed.extract<Object::Ptr>();
}

std::vector<Object::Ptr> replyValues(const Object& reply)
{
    if (isAbsent(reply, "value") || !reply.isArray("value"))
        throw RetailJsonError("the reply has no \"value\" array");
    return objectArray(reply, "value", "");
}

Channel parseChannel(const Object& object)
{
    Channel channel;
    channel.recordId = requiredInteger(object, "RecordId", "");
    channel.currency = optionalString(object, "Currency", "").value_or("");
    return channel;
}

Cart parseCart(const Object& object, std::vector<std::string>& notes, const std::string& where)
{
    Cart cart;
    cart.id = requiredString(object, "Id", where);
    cart.customerId = optionalString(object, "CustomerId", where).value_or("");
    cart.cartTypeValue = static_cast<int>(optionalInteger(object, "CartTypeValue", where).value_or(0));
    cart.channelId = optionalInteger(object, "ChannelId", where).value_or(0);
    cart.totalAmount = decimal(object, "TotalAmount", where, "");

    if (!isAbsent(object, "ModifiedDateTime"))
    {
        const Var value = object.get("ModifiedDateTime");
        if (value.isString())
            cart.modifiedDateTime = Timestamp::parse(value.extract<std::string>());
        if (!cart.modifiedDateTime)
            notes.push_back("cart " + cart.id + ": ModifiedDateTime " + shown(value) +
                            " is not an ISO 8601 DateTimeOffset; the cart is treated as untimed");
    }

    const auto lines = objectArray(object, "CartLines", where);
    for (std::size_t i = 0; i < lines.size(); ++i)
    {
        const Object& line = *lines[i];
        const std::string at = indexed(where, "CartLines", i);
        CartLine cartLine;
        cartLine.lineId = optionalString(line, "LineId", at).value_or("");
        cartLine.productId = optionalInteger(line, "ProductId", at).value_or(0);
        cartLine.itemId = optionalString(line, "ItemId", at).value_or("");
        cartLine.quantity = decimal(line, "Quantity", at, "0");
        cartLine.price = decimal(line, "Price", at, "");
        cart.lines.push_back(std::move(cartLine));
    }
    return cart;
}

Customer parseCustomer(const Object& object, const std::string& where)
{
    Customer customer;
    customer.accountNumber = requiredString(object, "AccountNumber", where);
    customer.firstName = optionalString(object, "FirstName", where).value_or("");
    customer.lastName = optionalString(object, "LastName", where).value_or("");
    customer.email = optionalString(object, "Email", where).value_or("");
    customer.language = optionalString(object, "Language", where).value_or("");
    return customer;
}

Product parseProduct(const Object& object, const std::string& where)
{
    Product product;
    product.recordId = requiredInteger(object, "RecordId", where);
    product.name = optionalString(object, "ProductName", where).value_or("");
    product.itemId = optionalString(object, "ItemId", where).value_or("");
    product.price = decimal(object, "Price", where, "");

    if (!isAbsent(object, "Image"))
    {
        const Object::Ptr image = object.getObject("Image");
        const std::string at = fieldPath(where, "Image");
        if (!image)
            throw RetailJsonError(at + " is not an object");
        const auto items = objectArray(*image, "Items", at);
        for (std::size_t i = 0; i < items.size(); ++i)
        {
            const std::string itemAt = indexed(at, "Items", i);
            // An entry without a URL shows nothing; the product's other images still count.
            std::string url = optionalString(*items[i], "Url", itemAt).value_or("");
            if (url.empty())
                continue;
            product.images.push_back(
                {std::move(url), optionalString(*items[i], "AltText", itemAt).value_or("")});
        }
    }
    return product;
}

} // namespace acd
