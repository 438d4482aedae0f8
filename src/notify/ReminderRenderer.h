#pragma once

#include "core/Json.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace acd {

struct RendererOptions
{
    /// Holds one folder per language (`en/`, `fr/`, …), each with subject.mustache,
    /// text.mustache and html.mustache. `en/` is required: it is the last fallback.
    std::string templatesDir;
    /// notify.unsubscribeUrl: `{email}` and `{token}` are replaced, URL-encoded. "" = no link.
    std::string unsubscribeUrl;
    /// The keyed hash that proves an unsubscribe request came from our link. Required when
    /// unsubscribeUrl contains `{token}`.
    std::function<std::string(const std::string& email)> unsubscribeToken;
};

/// One reminder as a person reads it.
struct RenderedReminder
{
    std::string language;       // the template folder used, e.g. "fr"
    std::string recipientName;  // "First Last" as Retail Server has it, for the To header
    std::string subject;        // one line, no control characters
    std::string text;           // plain text, '\n' line ends
    std::string html;           // a whole HTML document, every value escaped
    std::string unsubscribeUrl; // "" when notify.unsubscribeUrl is not set
};

/// Renders the reminder's data JSON (the Emarsys-shaped `data` object of DESIGN §4, the same
/// that every provider gets) through the Mustache templates of the customer's language.
class ReminderRenderer
{
public:
    /// Reads every language folder under options.templatesDir. Throws std::invalid_argument
    /// naming the folder or file that is missing or unreadable, or the option that is wrong.
    explicit ReminderRenderer(RendererOptions options);

    /// Throws std::invalid_argument when dataJson is not a JSON object (the message names
    /// the fault, never the data: it holds names and addresses).
    RenderedReminder render(const std::string& dataJson, const std::string& email) const;

    /// The folders found, in name order.
    std::vector<std::string> languages() const;

private:
    struct Templates
    {
        std::string subject;
        std::string text;
        std::string html;
    };

    const Templates& templatesFor(const std::string& language, std::string& chosen) const;
    std::string unsubscribeLink(const std::string& email) const;

    RendererOptions _options;
    std::map<std::string, Templates> _templates;
};

/// The prices of a reminder as its reader sees them, for templates that cannot compute
/// (the providers' Handlebars, through templateData()): per object of `orderDetails`, in order, the unit
/// price and quantity × price; then the cart's total. Formatted as formatPrice() does, exact;
/// "" where a figure cannot be made (a total needs every line). The `…Amount` members are the same
/// figures unrounded, as decimal text without a currency (DecimalText), for APIs that take a
/// number (Mailchimp's cart).
struct ReminderPrices
{
    struct Line
    {
        std::string unitPrice;
        std::string lineTotal;
        std::string lineTotalAmount;
    };
    std::vector<Line> lines;
    std::string total;
    std::string totalAmount;
};
ReminderPrices reminderPrices(const JsonValue& data);

/// `amount` (decimal text) in `currency`, 2 decimals (0 for JPY, KRW), rounded half away
/// from zero: "€10.50", "$1,249.00", "89,90 kr"; an unknown code gives "10.50 XYZ", no code
/// "10.50". "" when amount is not a decimal number, or one beyond 18 significant digits or
/// 18 decimals (no real price; the template then shows no figure rather than a wrong one).
std::string formatPrice(const std::string& amount, const std::string& currency);

/// The template folders to try for a customer's Language, most specific first and "en"
/// last: "fr-FR" -> {"fr-fr", "fr", "en"}; "" -> {"en"}.
std::vector<std::string> languageCandidates(const std::string& language);

} // namespace acd
