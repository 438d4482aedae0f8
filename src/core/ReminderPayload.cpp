#include "core/ReminderPayload.h"

#include "core/Decimal.h"
#include "core/ImageUrls.h"
#include "core/Urls.h"
#include "core/Utf8.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <sstream>

namespace acd {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr newObject()
{
    // Key order kept as written, so the data reads like DESIGN §4 and is stable byte for byte.
    return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

/// Text from Retail Server or the configuration goes in through here, so that one bad byte
/// cannot make the whole document invalid JSON.
void setText(Object& object, const std::string& key, const std::string& value)
{
    object.set(key, toValidUtf8(value));
}

/// The line's own price when it has one (what the customer saw in the cart), else the
/// product's list price; "" when neither is a number.
DecimalText unitPrice(const CartLine& line, const Product& product)
{
    for (const DecimalText* text : {&line.price, &product.price})
    {
        if (auto normalized = normalizeDecimal(*text))
            return *normalized;
    }
    return "";
}

Object::Ptr productImage(const Product& product, const MediaOptions& media)
{
    const auto image = std::find_if(product.images.begin(), product.images.end(),
                                    [](const ProductImage& i) { return !i.url.empty(); });
    auto result = newObject();
    const bool hasImage = image != product.images.end();
    setText(*result, "altText", hasImage && !image->altText.empty() ? image->altText : product.name);
    Array::Ptr viewports = new Array;
    if (hasImage)
    {
        for (const ViewportImage& v : viewportImages(image->url, media))
        {
            auto entry = newObject();
            setText(*entry, "url", v.url);
            setText(*entry, "media", v.media);
            entry->set("useForDefaultImageTag", v.useForDefaultImageTag);
            viewports->add(entry);
        }
    }
    result->set("viewPortImages", viewports);
    return result;
}

} // namespace

std::size_t countIncludedLines(const Cart& cart, const std::map<std::int64_t, Product>& products)
{
    return static_cast<std::size_t>(
        std::count_if(cart.lines.begin(), cart.lines.end(),
                      [&products](const CartLine& l) { return products.contains(l.productId); }));
}

std::string buildReminderData(const ReminderInput& input)
{
    Array::Ptr orderDetails = new Array;
    for (const CartLine& line : input.cart.lines)
    {
        const auto found = input.products.find(line.productId);
        if (found == input.products.end())
            continue;
        const Product& product = found->second;
        auto detail = newObject();
        detail->set("productId", std::to_string(product.recordId));
        setText(*detail, "productName", product.name);
        detail->set("quantity", normalizeDecimal(line.quantity).value_or("0"));
        detail->set("unitPrice", unitPrice(line, product));
        detail->set("productImage", productImage(product, input.media));
        orderDetails->add(detail);
    }

    auto data = newObject();
    setText(*data, "firstName", input.customer.firstName);
    setText(*data, "lastName", input.customer.lastName);
    setText(*data, "language", input.customer.language);
    setText(*data, "currency", input.channel.currency);
    setText(*data, "returnToCartUrl",
            expandReturnToCartUrl(input.returnToCartUrlPattern, input.cart.id, input.cart.customerId));
    data->set("orderDetails", orderDetails);

    std::ostringstream out;
    data->stringify(out);
    return out.str();
}

} // namespace acd
