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

/// How many of the cart's lines have a known product, i.e. how many orderDetails the data
/// will hold. Zero means the cart is skipped as no_product_found.
std::size_t countIncludedLines(const Cart& cart, const std::map<std::int64_t, Product>& products);

/// The Emarsys `data` object of DESIGN §4 as JSON text: firstName, lastName, language,
/// currency, returnToCartUrl, orderDetails[] (productId, productName, quantity, unitPrice,
/// productImage{altText, viewPortImages[]}). Lines whose product is unknown are left out.
std::string buildReminderData(const ReminderInput& input);

} // namespace acd
