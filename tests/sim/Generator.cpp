#include "Generator.h"

#include "Json.h"

#include <Poco/NumberParser.h>
#include <Poco/StringTokenizer.h>

#include <cstdio>
#include <numeric>

namespace acd::sim {

namespace {

constexpr std::int64_t ProductRecordIdBase = 90'000'000'000;

const char* const FirstNames[] = {"Anna",   "Ben",  "Chloé", "David", "Émile", "Fatima", "Giulia", "Hiro",
                                  "Ingrid", "José", "Kai",   "Lena",  "Mateo", "Nora",   "Oskar",  "Priya",
                                  "Rosa",   "Sven", "Uma",   "Wen",   "Yusuf", "Zoë"};
const char* const LastNames[] = {"Andersen", "Brown",  "Çelik", "Dubois", "Evans",    "Fischer", "García",
                                 "Hansen",   "Jensen", "López", "Müller", "Nakamura", "O'Brien", "Petrov",
                                 "Rossi",    "Tanaka", "Vogel", "Wang",   "Yılmaz",   "Zhang"};
const char* const Languages[] = {"en-us", "en-gb", "fr-fr", "de-de", "da-dk", "es-es"};
const char* const Adjectives[] = {"Classic", "Organic", "Vintage", "Slim",   "Waterproof",
                                  "Wool",    "Linen",   "Leather", "Bamboo", "Ceramic"};
const char* const Nouns[] = {"Backpack", "Mug",   "Jacket", "Scarf",      "Sneakers", "Lamp",
                             "Notebook", "Watch", "Teapot", "Sunglasses", "Blanket",  "Headphones"};

template <class T, std::size_t N> const T& pick(const T (&items)[N], std::uint64_t h)
{
    return items[h % N];
}

std::uint64_t splitmix64(std::uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

std::string numbered(const char* format, std::uint64_t n)
{
    char buffer[48];
    const int length = std::snprintf(buffer, sizeof buffer, format, static_cast<unsigned long long>(n));
    return std::string(buffer, static_cast<std::size_t>(length));
}

/// Cents as a JSON number ("12.5", "12") or as a decimal string ("12.50").
std::string decimalCents(std::int64_t cents, bool asString)
{
    const std::string whole = std::to_string(cents / 100);
    const std::int64_t fraction = cents % 100;
    if (asString)
        return "\"" + whole + "." + numbered("%02llu", static_cast<std::uint64_t>(fraction)) + "\"";
    if (fraction == 0)
        return whole;
    return whole +
           (fraction % 10 == 0 ? "." + std::to_string(fraction / 10) : "." + numbered("%02llu", fraction));
}

std::string decimalUnits(unsigned units, bool asString)
{
    return asString ? "\"" + std::to_string(units) + ".000\"" : std::to_string(units);
}

std::size_t specValue(const std::string& part, const std::string& value)
{
    Poco::UInt64 parsed;
    if (!Poco::NumberParser::tryParseUnsigned64(value, parsed))
        throw SimError("--generate: '" + part + "' needs a non-negative integer");
    return static_cast<std::size_t>(parsed);
}

} // namespace

TimeStyle WireOptions::timeStyle(std::size_t index) const
{
    switch (dates)
    {
    case Dates::Utc7:
        return TimeStyle::Utc7;
    case Dates::Z7:
        return TimeStyle::Z7;
    case Dates::Mixed:
        break;
    }
    switch (index % 5)
    {
    case 3:
        return TimeStyle::ZTrimmed;
    case 4:
        return TimeStyle::Minus5;
    default:
        return TimeStyle::Utc7;
    }
}

bool WireOptions::decimalAsString(std::size_t index, unsigned salt) const
{
    switch (decimals)
    {
    case Decimals::Numbers:
        return false;
    case Decimals::Strings:
        return true;
    case Decimals::Mixed:
        break;
    }
    return (index + salt) % 3 == 1;
}

GenerateSpec GenerateSpec::parse(const std::string& text)
{
    GenerateSpec spec;
    bool haveCarts = false;
    Poco::StringTokenizer parts(text, ",",
                                Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const std::string& part : parts)
    {
        const auto equals = part.find('=');
        if (equals == std::string::npos)
            throw SimError("--generate: '" + part + "' is not name=value");
        const std::string name = part.substr(0, equals);
        const std::size_t value = specValue(part, part.substr(equals + 1));
        if (name == "carts")
        {
            spec.carts = value;
            haveCarts = true;
        }
        else if (name == "customers")
            spec.customers = value;
        else if (name == "products")
            spec.products = value;
        else if (name == "seed")
            spec.seed = value;
        else
            throw SimError("--generate: unknown name '" + name +
                           "' (expected carts, customers, products, seed)");
    }
    if (!haveCarts || spec.carts == 0)
        throw SimError("--generate: carts=N with N >= 1 is required");
    if (spec.carts > MaxCarts)
        throw SimError("--generate: carts=" + std::to_string(spec.carts) + " is over the limit of " +
                       std::to_string(MaxCarts) + " (instants must stay distinct at millisecond resolution)");
    if (spec.customers == 0)
        spec.customers = spec.carts;
    // Account numbers and e-mail addresses carry seven digits.
    if (spec.customers > 9'999'999)
        throw SimError("--generate: customers must be at most 9999999");
    if (spec.products == 0 || spec.products > 1'000'000)
        throw SimError("--generate: products must be between 1 and 1000000");
    return spec;
}

Generator::Generator(const GenerateSpec& spec) : _spec(spec) {}

std::uint64_t Generator::hash(std::uint64_t stream, std::uint64_t index) const
{
    return splitmix64(splitmix64(_spec.seed ^ (stream << 56)) ^ index);
}

std::vector<std::pair<std::int64_t, GeneratedCart>> Generator::carts(std::int64_t refTicks,
                                                                     const WireOptions& wire) const
{
    const std::size_t count = _spec.carts;
    // Fisher-Yates with our own generator: std::shuffle's output differs between libraries.
    std::vector<std::uint32_t> slots(count);
    std::iota(slots.begin(), slots.end(), 0U);
    for (std::size_t i = count; i > 1; --i)
        std::swap(slots[i - 1], slots[hash(1, i) % i]);

    const std::int64_t start = refTicks - 400 * TicksPerMinute;
    const std::int64_t span = 385 * TicksPerMinute;
    std::vector<std::pair<std::int64_t, GeneratedCart>> result;
    result.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i)
    {
        // Slots are >= 4.6 ms apart (MaxCarts): a sub-millisecond jitter fills all seven
        // fractional digits, and rounding the ZTrimmed ones back to whole milliseconds (so
        // their text is shorter) still leaves every instant distinct.
        std::int64_t ticks =
            start + (static_cast<std::int64_t>(slots[i]) + 1) * span / static_cast<std::int64_t>(count + 1) +
            static_cast<std::int64_t>(hash(8, i) % TicksPerMillisecond);
        if (wire.timeStyle(i) == TimeStyle::ZTrimmed)
            ticks -= ticks % TicksPerMillisecond;

        GeneratedCart cart;
        cart.index = i;
        cart.customer =
            _spec.customers == _spec.carts ? i : static_cast<std::uint32_t>(hash(2, i) % _spec.customers);
        const std::uint64_t h = hash(3, i);
        cart.lineCount = static_cast<std::uint8_t>(1 + h % 4);
        for (unsigned line = 0; line < cart.lineCount; ++line)
        {
            const std::uint64_t lineHash = hash(4, static_cast<std::uint64_t>(i) * 4 + line);
            cart.products[line] = static_cast<std::uint32_t>(lineHash % _spec.products);
            cart.quantities[line] = static_cast<std::uint8_t>(1 + (lineHash >> 32) % 5);
        }
        result.emplace_back(ticks, cart);
    }
    return result;
}

std::string Generator::cartId(std::uint32_t index) const
{
    return numbered("gencart-%07llu", index + 1ULL);
}

std::string Generator::accountNumber(std::uint32_t customer) const
{
    return numbered("GEN%07llu", customer + 1ULL);
}

std::int64_t Generator::productPriceCents(std::uint32_t product) const
{
    return 199 + static_cast<std::int64_t>(hash(5, product) % 19801);
}

void Generator::appendCartJson(std::string& out, const GeneratedCart& cart, std::int64_t ticks,
                               std::int64_t channelId, const WireOptions& wire) const
{
    const std::string id = cartId(cart.index);
    out += '{';
    if (wire.annotations)
    {
        out += R"("@odata.type":"#Microsoft.Dynamics.Commerce.Runtime.DataModel.Cart","@odata.etag":"W/\")" +
               std::to_string(ticks) + R"(\"",)";
    }
    std::int64_t totalCents = 0;
    std::string lines;
    for (unsigned line = 0; line < cart.lineCount; ++line)
    {
        const std::uint32_t product = cart.products[line];
        const std::int64_t priceCents = productPriceCents(product);
        totalCents += priceCents * cart.quantities[line];
        if (line > 0)
            lines += ',';
        lines += R"({"LineId":")" + id + "-L" + std::to_string(line + 1) + R"(","ProductId":)" +
                 std::to_string(ProductRecordIdBase + product) + R"(,"ItemId":")" +
                 numbered("GEN-%05llu", product + 1ULL) + R"(","Quantity":)" +
                 decimalUnits(cart.quantities[line], wire.decimalAsString(cart.index + line, 1)) +
                 R"(,"Price":)" + decimalCents(priceCents, wire.decimalAsString(cart.index + line, 0)) +
                 R"(,"Description":null,"ExtensionProperties":[]})";
    }
    out += R"("Id":")" + id + R"(","CustomerId":")" + accountNumber(cart.customer) +
           R"(","ModifiedDateTime":")" + formatTicks(ticks, wire.timeStyle(cart.index)) +
           R"(","CartTypeValue":1,"ChannelId":)" + std::to_string(channelId) + R"(,"TotalAmount":)" +
           decimalCents(totalCents, wire.decimalAsString(cart.index, 2)) +
           R"(,"CartStatusValue":0,"Comment":null,"LoyaltyCardId":null,"CartLines":[)" + lines +
           R"(],"ExtensionProperties":[]})";
}

std::optional<std::uint32_t> Generator::customerFromNumber(const std::string& text, const std::string& prefix,
                                                           const std::string& suffix) const
{
    if (text.size() != prefix.size() + 7 + suffix.size() || text.compare(0, prefix.size(), prefix) != 0 ||
        text.compare(text.size() - suffix.size(), suffix.size(), suffix) != 0)
        return std::nullopt;
    unsigned number;
    if (!Poco::NumberParser::tryParseUnsigned(text.substr(prefix.size(), 7), number) || number == 0 ||
        number > _spec.customers)
        return std::nullopt;
    return number - 1;
}

std::optional<std::string> Generator::customerJson(const std::string& accountNumber,
                                                   const WireOptions& wire) const
{
    const auto customer = customerFromNumber(accountNumber, "GEN", "");
    if (!customer)
        return std::nullopt;
    const std::uint64_t h = hash(6, *customer);
    std::string out = "{";
    if (wire.annotations)
        out += R"("@odata.type":"#Microsoft.Dynamics.Commerce.Runtime.DataModel.Customer",)";
    out += R"("AccountNumber":)" + jsonQuote(accountNumber) + R"(,"FirstName":)" +
           jsonQuote(pick(FirstNames, h)) + R"(,"LastName":)" + jsonQuote(pick(LastNames, h >> 16)) +
           R"(,"Email":)" + jsonQuote(numbered("gen%07llu@example.com", *customer + 1ULL)) +
           R"(,"Language":)" + jsonQuote(pick(Languages, h >> 32)) +
           R"(,"Phone":null,"ExtensionProperties":[]})";
    return out;
}

std::optional<std::string> Generator::productJson(std::int64_t recordId, const WireOptions& wire) const
{
    if (recordId < ProductRecordIdBase ||
        recordId >= ProductRecordIdBase + static_cast<std::int64_t>(_spec.products))
        return std::nullopt;
    const auto product = static_cast<std::uint32_t>(recordId - ProductRecordIdBase);
    const std::uint64_t h = hash(7, product);
    const std::string name = std::string(pick(Adjectives, h)) + " " + pick(Nouns, h >> 16);
    const std::string itemId = numbered("GEN-%05llu", product + 1ULL);
    std::string out = "{";
    if (wire.annotations)
        out += R"("@odata.type":"#Microsoft.Dynamics.Commerce.Runtime.DataModel.SimpleProduct",)";
    out += R"("RecordId":)" + std::to_string(recordId) + R"(,"ProductName":)" + jsonQuote(name) +
           R"(,"ItemId":")" + itemId + R"(","Price":)" +
           decimalCents(productPriceCents(product), wire.decimalAsString(product, 0)) +
           R"(,"Description":null,"Image":{"Items":[{"Url":"Products/Generated/)" + itemId +
           R"(_000_001.png","AltText":)" + (product % 4 == 0 ? std::string("null") : jsonQuote(name)) +
           R"(}]},"ExtensionProperties":[]})";
    return out;
}

bool Generator::isKnownEmail(const std::string& email) const
{
    return customerFromNumber(email, "gen", "@example.com").has_value();
}

} // namespace acd::sim
