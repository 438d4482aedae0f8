#pragma once

#include "core/Timestamp.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace acd {

/// Edm.Decimal kept as its decimal text (never a double in our own arithmetic), normalised:
/// no exponent, no trailing fractional zeros, no leading '+' ("12.50" -> "12.5", "3.000" -> "3").
using DecimalText = std::string;

struct Channel
{
    std::int64_t recordId = 0;
    std::string currency;
};

struct CartLine
{
    std::string lineId;
    std::int64_t productId = 0;
    std::string itemId;
    DecimalText quantity; // "0" when absent
    DecimalText price;    // "" when absent
};

struct Cart
{
    std::string id;
    std::string customerId;                    // "" for anonymous carts
    std::optional<Timestamp> modifiedDateTime; // absent on "untimed" carts
    int cartTypeValue = 0;
    std::int64_t channelId = 0;
    DecimalText totalAmount;
    std::vector<CartLine> lines;
};

struct Customer
{
    std::string accountNumber;
    std::string firstName;
    std::string lastName;
    std::string email;
    std::string language;
};

struct ProductImage
{
    std::string url;
    std::string altText;
};

struct Product
{
    std::int64_t recordId = 0;
    std::string name;
    std::string itemId;
    DecimalText price;
    std::vector<ProductImage> images;
};

/// One image size of DESIGN §4 (media.viewports.<name>.*).
struct Viewport
{
    std::string name;  // the <name> in media.viewports.<name>.*
    std::string media; // CSS media query, e.g. "(max-width:768px)"
    int width = 0;
    int height = 0;
    bool useForDefaultImageTag = false;
};

struct MediaOptions
{
    std::string imageServerUrl;
    int quality = 80;
    int mode = 6;
    std::string format = "jpg";
    std::vector<Viewport> viewports;
};

/// Why a cart found in the window is not reminded. The text values are what the ledger
/// stores and what auditors count, so they never change once released.
enum class SkipReason
{
    Anonymous,       // "anonymous": no CustomerId
    Empty,           // "empty": no cart lines
    Untimed,         // "untimed": no ModifiedDateTime
    Superseded,      // "superseded": the customer has a more recent cart in the window
    CustomerUnknown, // "customer_unknown": Retail Server does not know the account
    NoEmail,         // "no_email"
    NoProductFound,  // "no_product_found": none of the lines' products could be found
    OptedOut,        // "opted_out"
    Cooldown,        // "cooldown": reminded within detection.customerCooldownHours
    NoConsent,       // "no_consent": consent mode and the customer is not on the opt-in list
};

const char* toString(SkipReason reason);
std::optional<SkipReason> skipReasonFromString(const std::string& text);

/// Where a notification stands in the ledger (column notifications.status). The text values are
/// the ledger's, checked by its schema, so they never change once released.
enum class NotificationStatus
{
    Pending,   // "pending": in the outbox, not yet answered for good
    Sent,      // "sent"
    Failed,    // "failed": refused by the provider, or expired
    Uncertain, // "uncertain": possibly sent; a crash or a lost answer left it unknown (DESIGN 11)
    Skipped,   // "skipped": never to be sent, with a SkipReason or a withdrawal's reason
};

const char* toString(NotificationStatus status);

} // namespace acd
