#pragma once

#include "core/Types.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace acd {

/// Everything one reminder's data is built from; the caller keeps these alive.
struct ReminderInput
{
    const Cart& cart;
    const Customer& customer;
    const std::map<std::int64_t, Product>& products; // by RecordId
    const Channel& channel;
    const MediaOptions& media;
    const std::string& returnToCartUrlPattern; // detection.returnToCartUrl
};

/// The longest each text of the reminder's data may be, in bytes; a longer value (hostile, or a
/// Retail Server bug) is cut on a character boundary and ends with "…". Real values are far
/// shorter: Commerce limits names to 60–100 characters (up to 4 bytes each).
struct ReminderTextLimits
{
    static constexpr std::size_t Name = 256;        // firstName, lastName
    static constexpr std::size_t Language = 64;     // language
    static constexpr std::size_t Currency = 64;     // currency (the channel's; ISO 4217 is 3)
    static constexpr std::size_t ProductName = 512; // productName, altText
    /// An image URL longer than this is left out (a cut URL points nowhere): the product's next
    /// image is used, or none.
    static constexpr std::size_t ImageUrl = 2048;
};

/// How many of the cart's lines have a known product, i.e. how many orderDetails the data
/// will hold. Zero means the cart is skipped as no_product_found.
std::size_t countIncludedLines(const Cart& cart, const std::map<std::int64_t, Product>& products);

/// The Emarsys `data` object of DESIGN §4 as JSON text: firstName, lastName, language,
/// currency, returnToCartUrl, orderDetails[] (productId, productName, quantity, unitPrice,
/// productImage{altText, viewPortImages[]}). Lines whose product is unknown are left out.
/// Texts longer than ReminderTextLimits are cut.
std::string buildReminderData(const ReminderInput& input);

} // namespace acd
