#include "notify/ReminderRenderer.h"

#include "core/Decimal.h"
#include "core/Json.h"
#include "core/Urls.h"
#include "core/Utf8.h"

#include <Poco/DirectoryIterator.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/Path.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <mstch/mstch.hpp>

#include <algorithm>
#include <array>
#include <mutex>
#include <optional>
#include <stdexcept>

namespace acd {

namespace {

constexpr std::string_view FallbackLanguage = "en";
constexpr std::array<const char*, 3> TemplateFiles{"subject.mustache", "text.mustache", "html.mustache"};

/// Every character that could end an attribute value or start markup, quotes included,
/// whatever mstch's own default does in the installed version.
std::string escapeHtml(const std::string& text)
{
    std::string out;
    out.reserve(text.size());
    for (const char c : text)
    {
        switch (c)
        {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        case '`':
            out += "&#96;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

/// mstch keeps its escape function in one global: renders are serialised and each sets the
/// escaping its output needs (HTML for the HTML part, none for text and subject).
std::string renderTemplate(const std::string& tmpl, const mstch::node& context, bool html)
{
    static std::mutex mutex;
    const std::lock_guard lock(mutex);
    mstch::config::escape = html ? std::function<std::string(const std::string&)>(escapeHtml)
                                 : [](const std::string& text) { return text; };
    return mstch::render(tmpl, context);
}

std::string readFile(const std::string& path)
{
    try
    {
        Poco::FileInputStream in(path);
        std::string text;
        Poco::StreamCopier::copyToString(in, text);
        return text;
    }
    catch (const Poco::Exception& e)
    {
        throw std::invalid_argument("cannot read the template " + path + ": " + e.displayText());
    }
}

std::string textOf(const JsonValue& object, std::string_view key)
{
    const JsonValue* value = jsonField(object, key);
    if (!value)
        return "";
    if (jsonIsString(*value))
        return toValidUtf8(std::string(jsonText(*value)));
    if (jsonIsNumber(*value))
        return std::string(jsonText(*value));
    if (value->IsBool())
        return value->GetBool() ? "true" : "false";
    return "";
}

/// The member when it is an object, else nullptr; arrayOf likewise for an array.
const JsonValue* objectOf(const JsonValue& object, std::string_view key)
{
    const JsonValue* value = jsonMember(object, key);
    return value && value->IsObject() ? value : nullptr;
}

const JsonValue* arrayOf(const JsonValue& object, std::string_view key)
{
    const JsonValue* value = jsonMember(object, key);
    return value && value->IsArray() ? value : nullptr;
}

/// Only web links go into href/src: anything else (javascript:, data:) is left out.
std::string webUrl(const std::string& url)
{
    const std::string head = Poco::toLower(url.substr(0, 8));
    return head.starts_with("https://") || head.starts_with("http://") ? url : "";
}

std::string oneLine(const std::string& text)
{
    std::string line;
    line.reserve(text.size());
    for (const char c : text)
    {
        const auto byte = static_cast<unsigned char>(c);
        const bool control = byte < 0x20 || byte == 0x7f;
        if (control && (line.empty() || line.back() == ' '))
            continue;
        line += control ? ' ' : c;
    }
    return Poco::trim(line);
}

// Money is exact: decimal text becomes an integer count of 10^-scale units.
using Wide = __int128;

struct Fixed
{
    Wide units = 0;
    int scale = 0;
};

constexpr int MaxDigits = 18; // two of them still multiply exactly in 128 bits

std::optional<Fixed> parseFixed(const std::string& text)
{
    const std::optional<DecimalText> normalized = normalizeDecimal(text);
    if (!normalized)
        return std::nullopt;
    Fixed value;
    const bool negative = normalized->front() == '-';
    const std::string digits = negative ? normalized->substr(1) : *normalized;
    const auto point = digits.find('.');
    if (point != std::string::npos)
        value.scale = static_cast<int>(digits.size() - point - 1);
    int significant = 0;
    for (const char c : digits)
    {
        if (c == '.')
            continue;
        if (value.units == 0 && c == '0')
            continue;
        if (++significant > MaxDigits)
            return std::nullopt;
        value.units = value.units * 10 + (c - '0');
    }
    if (value.scale > MaxDigits)
        return std::nullopt;
    if (negative)
        value.units = -value.units;
    return value;
}

Wide pow10(int n)
{
    Wide result = 1;
    while (n-- > 0)
        result *= 10;
    return result;
}

/// `value` in units of 10^-decimals, rounded half away from zero.
Wide toUnits(const Fixed& value, int decimals)
{
    if (value.scale <= decimals)
        return value.units * pow10(decimals - value.scale);
    const Wide divisor = pow10(value.scale - decimals);
    const Wide magnitude = value.units < 0 ? -value.units : value.units;
    const Wide rounded = (magnitude + divisor / 2) / divisor;
    return value.units < 0 ? -rounded : rounded;
}

struct Currency
{
    const char* code;
    const char* prefix;
    const char* suffix;
    char decimalPoint;
    const char* groupSeparator;
    int decimals;
};

// The common currencies of Commerce channels; "\u00a0" keeps a number and its unit together.
constexpr std::array<Currency, 24> Currencies{{
    {"USD", "$", "", '.', ",", 2},         {"EUR", "€", "", '.', ",", 2},
    {"GBP", "£", "", '.', ",", 2},         {"JPY", "¥", "", '.', ",", 0},
    {"CNY", "CN¥", "", '.', ",", 2},       {"CAD", "CA$", "", '.', ",", 2},
    {"AUD", "A$", "", '.', ",", 2},        {"NZD", "NZ$", "", '.', ",", 2},
    {"HKD", "HK$", "", '.', ",", 2},       {"SGD", "S$", "", '.', ",", 2},
    {"CHF", "CHF\u00a0", "", '.', "'", 2}, {"INR", "₹", "", '.', ",", 2},
    {"BRL", "R$\u00a0", "", ',', ".", 2},  {"MXN", "MX$", "", '.', ",", 2},
    {"ZAR", "R\u00a0", "", '.', ",", 2},   {"KRW", "₩", "", '.', ",", 0},
    {"SEK", "", "\u00a0kr", ',', " ", 2},  {"NOK", "", "\u00a0kr", ',', " ", 2},
    {"DKK", "", "\u00a0kr", ',', ".", 2},  {"ISK", "", "\u00a0kr", ',', ".", 0},
    {"PLN", "", "\u00a0zł", ',', " ", 2},  {"CZK", "", "\u00a0Kč", ',', " ", 2},
    {"HUF", "", "\u00a0Ft", ',', " ", 2},  {"TRY", "₺", "", ',', ".", 2},
}};

const Currency* findCurrency(const std::string& code)
{
    const std::string upper = Poco::toUpper(Poco::trim(code));
    for (const Currency& currency : Currencies)
    {
        if (upper == currency.code)
            return &currency;
    }
    return nullptr;
}

std::string formatUnits(Wide units, int decimals, char decimalPoint, const std::string& groupSeparator)
{
    const bool negative = units < 0;
    Wide magnitude = negative ? -units : units;
    std::string digits;
    do
    {
        digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
        magnitude /= 10;
    } while (magnitude > 0);
    if (static_cast<int>(digits.size()) <= decimals)
        digits.insert(0, static_cast<std::size_t>(decimals) + 1 - digits.size(), '0');
    const std::size_t integerDigits = digits.size() - static_cast<std::size_t>(decimals);
    std::string result;
    for (std::size_t i = 0; i < integerDigits; ++i)
    {
        if (i > 0 && (integerDigits - i) % 3 == 0)
            result += groupSeparator;
        result += digits[i];
    }
    if (decimals > 0)
        result += decimalPoint + digits.substr(integerDigits);
    return negative ? "-" + result : result;
}

/// The exact figure as DecimalText: "1249.5", "-3", "0".
std::string plainFixed(const Fixed& value)
{
    return normalizeDecimal(formatUnits(value.units, value.scale, '.', "")).value_or("");
}

std::string formatFixed(const Fixed& value, const std::string& currencyCode)
{
    const Currency* currency = findCurrency(currencyCode);
    if (!currency)
    {
        const std::string number = formatUnits(toUnits(value, 2), 2, '.', "");
        const std::string code = Poco::trim(currencyCode);
        return code.empty() ? number : number + " " + code;
    }
    const std::string number = formatUnits(toUnits(value, currency->decimals), currency->decimals,
                                           currency->decimalPoint, currency->groupSeparator);
    if (number.starts_with('-'))
        return "-" + std::string(currency->prefix) + number.substr(1) + currency->suffix;
    return currency->prefix + number + currency->suffix;
}

JsonDocument parseData(const std::string& dataJson)
{
    try
    {
        JsonDocument data(dataJson);
        if (!data.root().IsObject())
            throw std::invalid_argument("the reminder's data is not a JSON object");
        return data;
    }
    catch (const JsonSyntaxError& e)
    {
        throw std::invalid_argument(std::string("the reminder's data is not valid JSON: ") + e.what());
    }
}

mstch::map productImage(const JsonValue& detail, const std::string& productName)
{
    std::string altText = productName;
    mstch::array sources;
    std::string defaultUrl;
    std::string firstUrl;
    if (const JsonValue* image = objectOf(detail, "productImage"))
    {
        if (const std::string alt = textOf(*image, "altText"); !alt.empty())
            altText = alt;
        if (const JsonValue* viewports = arrayOf(*image, "viewPortImages"))
        {
            for (const JsonValue& element : viewports->GetArray())
            {
                if (!element.IsObject())
                    continue;
                const JsonValue* viewport = &element;
                const std::string url = webUrl(textOf(*viewport, "url"));
                if (url.empty())
                    continue;
                if (firstUrl.empty())
                    firstUrl = url;
                const JsonValue* isDefault = jsonMember(*viewport, "useForDefaultImageTag");
                if (defaultUrl.empty() && isDefault && isDefault->IsBool() && isDefault->GetBool())
                    defaultUrl = url;
                sources.push_back(mstch::map{{"media", textOf(*viewport, "media")}, {"url", url}});
            }
        }
    }
    if (defaultUrl.empty())
        defaultUrl = firstUrl;
    return mstch::map{{"hasImage", !defaultUrl.empty()},
                      {"imageUrl", defaultUrl},
                      {"altText", altText},
                      {"sources", sources}};
}

/// Each line's figures and the total, exact (see reminderPrices()).
ReminderPrices pricesOf(const JsonValue& data)
{
    ReminderPrices prices;
    const std::string currency = textOf(data, "currency");
    std::optional<Fixed> total = Fixed{};
    if (const JsonValue* details = arrayOf(data, "orderDetails"))
    {
        for (const JsonValue& detail : details->GetArray())
        {
            if (!detail.IsObject())
                continue;
            const std::optional<Fixed> quantity = parseFixed(textOf(detail, "quantity"));
            const std::optional<Fixed> price = parseFixed(textOf(detail, "unitPrice"));
            ReminderPrices::Line line;
            line.unitPrice = price ? formatFixed(*price, currency) : std::string();
            if (quantity && price)
            {
                const Fixed amount{quantity->units * price->units, quantity->scale + price->scale};
                line.lineTotal = formatFixed(amount, currency);
                line.lineTotalAmount = plainFixed(amount);
                if (total)
                {
                    const int scale = std::max(total->scale, amount.scale);
                    total = Fixed{toUnits(*total, scale) + toUnits(amount, scale), scale};
                }
            }
            else
            {
                total.reset(); // a total without every line would mislead
            }
            prices.lines.push_back(std::move(line));
        }
    }
    if (total && !prices.lines.empty())
    {
        prices.total = formatFixed(*total, currency);
        prices.totalAmount = plainFixed(*total);
    }
    return prices;
}

/// The template's view of the data: names as given, prices formatted, links checked.
mstch::map buildContext(const JsonValue& data, const std::string& email, const std::string& language,
                        const std::string& unsubscribeUrl)
{
    const std::string currency = textOf(data, "currency");
    const ReminderPrices prices = pricesOf(data);
    mstch::array items;
    if (const JsonValue* details = arrayOf(data, "orderDetails"))
    {
        std::size_t line = 0;
        for (const JsonValue& detail : details->GetArray())
        {
            if (!detail.IsObject())
                continue;
            const std::string name = textOf(detail, "productName");
            mstch::map item = productImage(detail, name);
            item.emplace("name", name);
            item.emplace("productId", textOf(detail, "productId"));
            item.emplace("quantity", normalizeDecimal(textOf(detail, "quantity")).value_or(""));
            item.emplace("unitPrice", prices.lines[line].unitPrice);
            item.emplace("lineTotal", prices.lines[line].lineTotal);
            ++line;
            items.push_back(std::move(item));
        }
    }

    const std::string firstName = Poco::trim(textOf(data, "firstName"));
    const std::string lastName = Poco::trim(textOf(data, "lastName"));
    const std::string fullName = Poco::trim(firstName + " " + lastName);
    return mstch::map{
        {"language", language},
        {"firstName", firstName},
        {"lastName", lastName},
        {"fullName", fullName},
        {"greetingName", firstName.empty() ? fullName : firstName},
        {"email", email},
        {"currency", currency},
        {"returnToCartUrl", webUrl(textOf(data, "returnToCartUrl"))},
        {"items", items},
        {"hasItems", !items.empty()},
        {"itemCount", static_cast<int>(items.size())},
        {"severalItems", items.size() > 1},
        {"total", prices.total},
        {"unsubscribeUrl", unsubscribeUrl},
    };
}

} // namespace

ReminderPrices reminderPrices(const JsonValue& data)
{
    return pricesOf(data);
}

std::string formatPrice(const std::string& amount, const std::string& currency)
{
    const std::optional<Fixed> value = parseFixed(amount);
    return value ? formatFixed(*value, currency) : "";
}

std::vector<std::string> languageCandidates(const std::string& language)
{
    std::string tag = Poco::toLower(Poco::trim(language));
    Poco::replaceInPlace(tag, "_", "-");
    std::vector<std::string> candidates;
    while (!tag.empty())
    {
        candidates.push_back(tag);
        const auto dash = tag.rfind('-');
        tag = dash == std::string::npos ? "" : tag.substr(0, dash);
    }
    if (std::find(candidates.begin(), candidates.end(), FallbackLanguage) == candidates.end())
        candidates.emplace_back(FallbackLanguage);
    return candidates;
}

ReminderRenderer::ReminderRenderer(RendererOptions options) : _options(std::move(options))
{
    if (_options.unsubscribeUrl.find("{token}") != std::string::npos && !_options.unsubscribeToken)
        throw std::invalid_argument("notify.unsubscribeUrl contains {token}, but this build has no "
                                    "unsubscribe token function to fill it in");
    const Poco::File dir(_options.templatesDir);
    if (_options.templatesDir.empty() || !dir.exists() || !dir.isDirectory())
        throw std::invalid_argument("notify.templatesDir = \"" + _options.templatesDir +
                                    "\": expected a folder holding one folder of templates per language "
                                    "(at least en/)");
    for (Poco::DirectoryIterator it(_options.templatesDir), end; it != end; ++it)
    {
        if (!it->isDirectory())
            continue;
        const std::string language = Poco::toLower(it.name());
        Templates templates;
        std::array<std::string*, 3> targets{&templates.subject, &templates.text, &templates.html};
        for (std::size_t i = 0; i < TemplateFiles.size(); ++i)
        {
            const std::string path = Poco::Path(it.path(), TemplateFiles[i]).toString();
            if (!Poco::File(path).exists())
                throw std::invalid_argument("the template " + path +
                                            " is missing (every language folder needs " +
                                            "subject.mustache, text.mustache and html.mustache)");
            *targets[i] = readFile(path);
        }
        _templates[language] = std::move(templates);
    }
    if (!_templates.contains(std::string(FallbackLanguage)))
        throw std::invalid_argument("notify.templatesDir = \"" + _options.templatesDir +
                                    "\": the folder en/ is missing; it is used for every language "
                                    "without templates of its own");
}

std::vector<std::string> ReminderRenderer::languages() const
{
    std::vector<std::string> names;
    for (const auto& entry : _templates)
        names.push_back(entry.first);
    return names;
}

const ReminderRenderer::Templates& ReminderRenderer::templatesFor(const std::string& language,
                                                                  std::string& chosen) const
{
    for (const std::string& candidate : languageCandidates(language))
    {
        const auto found = _templates.find(candidate);
        if (found != _templates.end())
        {
            chosen = found->first;
            return found->second;
        }
    }
    chosen = FallbackLanguage;
    return _templates.at(chosen);
}

std::string ReminderRenderer::unsubscribeLink(const std::string& email) const
{
    const std::string& pattern = _options.unsubscribeUrl;
    if (pattern.empty())
        return "";
    // Replaced text is not scanned again: an address that looks like a placeholder stays inert.
    std::string result;
    std::size_t pos = 0;
    while (pos < pattern.size())
    {
        if (pattern.compare(pos, 7, "{email}") == 0)
        {
            result += percentEncode(email, false);
            pos += 7;
        }
        else if (pattern.compare(pos, 7, "{token}") == 0)
        {
            result += percentEncode(_options.unsubscribeToken(email), false);
            pos += 7;
        }
        else
        {
            result += pattern[pos++];
        }
    }
    return result;
}

RenderedReminder ReminderRenderer::render(const std::string& dataJson, const std::string& email) const
{
    const JsonDocument parsed = parseData(dataJson);
    const JsonValue* data = &parsed.root();
    RenderedReminder rendered;
    const Templates& templates = templatesFor(textOf(*data, "language"), rendered.language);
    rendered.recipientName = Poco::trim(textOf(*data, "firstName") + " " + textOf(*data, "lastName"));
    rendered.unsubscribeUrl = unsubscribeLink(email);
    const mstch::node context = buildContext(*data, email, rendered.language, rendered.unsubscribeUrl);
    rendered.subject = oneLine(renderTemplate(templates.subject, context, false));
    rendered.text = renderTemplate(templates.text, context, false);
    rendered.html = renderTemplate(templates.html, context, true);
    return rendered;
}

} // namespace acd
