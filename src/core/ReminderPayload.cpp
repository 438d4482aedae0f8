#include "core/ReminderPayload.h"

#include "core/Decimal.h"
#include "core/ImageUrls.h"
#include "core/Json.h"
#include "core/Urls.h"
#include "core/Utf8.h"

#include <algorithm>

namespace acd {

namespace {

/// Text from Retail Server or the configuration goes in through here, so that one bad byte
/// cannot make the whole document invalid JSON, nor one huge value the reminder too large to send.
void appendText(std::string& out, std::string_view key, const std::string& value, bool first = false,
                std::size_t limit = 0)
{
    if (!first)
        out += ',';
    appendJsonString(out, key);
    out += ':';
    const std::string cut = limit > 0 && value.size() > limit ? cutWithEllipsis(value, limit) : std::string();
    const std::string& text = cut.empty() ? value : cut;
    if (isValidUtf8(text))
        appendJsonString(out, text);
    else
        appendJsonString(out, toValidUtf8(text));
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

void appendProductImage(std::string& out, const Product& product, const MediaOptions& media)
{
    const auto image = std::find_if(product.images.begin(), product.images.end(), [](const ProductImage& i) {
        return !i.url.empty() && i.url.size() <= ReminderTextLimits::ImageUrl;
    });
    const bool hasImage = image != product.images.end();
    out += '{';
    appendText(out, "altText", hasImage && !image->altText.empty() ? image->altText : product.name, true,
               ReminderTextLimits::ProductName);
    out += ",\"viewPortImages\":[";
    if (hasImage)
    {
        bool first = true;
        for (const ViewportImage& v : viewportImages(image->url, media))
        {
            out += first ? "{" : ",{";
            first = false;
            appendText(out, "url", v.url, true);
            appendText(out, "media", v.media);
            out += v.useForDefaultImageTag ? ",\"useForDefaultImageTag\":true}"
                                           : ",\"useForDefaultImageTag\":false}";
        }
    }
    out += "]}";
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
    // Written directly, key order as DESIGN §4 lists them, byte for byte what Poco::JSON's
    // stringify of the same objects gave (tests/unit/core/PayloadTests.cpp keeps that reference).
    std::string out;
    out.reserve(512 + 640 * input.cart.lines.size());
    out += '{';
    appendText(out, "firstName", input.customer.firstName, true, ReminderTextLimits::Name);
    appendText(out, "lastName", input.customer.lastName, false, ReminderTextLimits::Name);
    appendText(out, "language", input.customer.language, false, ReminderTextLimits::Language);
    appendText(out, "currency", input.channel.currency, false, ReminderTextLimits::Currency);
    appendText(out, "returnToCartUrl",
               expandReturnToCartUrl(input.returnToCartUrlPattern, input.cart.id, input.cart.customerId));
    out += ",\"orderDetails\":[";
    bool first = true;
    for (const CartLine& line : input.cart.lines)
    {
        const auto found = input.products.find(line.productId);
        if (found == input.products.end())
            continue;
        const Product& product = found->second;
        out += first ? "{" : ",{";
        first = false;
        out += "\"productId\":";
        appendJsonString(out, std::to_string(product.recordId));
        appendText(out, "productName", product.name, false, ReminderTextLimits::ProductName);
        out += ",\"quantity\":";
        appendJsonString(out, normalizeDecimal(line.quantity).value_or("0"));
        out += ",\"unitPrice\":";
        appendJsonString(out, unitPrice(line, product));
        out += ",\"productImage\":";
        appendProductImage(out, product, input.media);
        out += '}';
    }
    out += "]}";
    return out;
}

} // namespace acd
