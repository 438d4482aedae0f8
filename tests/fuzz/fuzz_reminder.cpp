// notify/ReminderRenderer and MimeMessage over core/ReminderPayload: a reminder whose names,
// addresses, prices and URLs are whatever Retail Server sent. The data the product builds always
// renders; no value breaks out of its place in the HTML; the message is valid whatever the names.
#include "FuzzCheck.h"
#include "MimeCheck.h"
#include "core/Decimal.h"
#include "core/Json.h"
#include "core/ReminderPayload.h"
#include "core/Utf8.h"
#include "notify/MimeMessage.h"
#include "notify/ReminderRenderer.h"

#include <Poco/String.h>

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <stdexcept>

namespace {

const acd::ReminderRenderer& renderer()
{
    static const acd::ReminderRenderer instance({ACD_SOURCE_DIR "/conf/templates",
                                                 "https://shop.example.com/unsubscribe?e={email}&t={token}",
                                                 [](const std::string&) { return std::string("tok"); }});
    return instance;
}

const acd::MediaOptions& media()
{
    static const acd::MediaOptions options = [] {
        acd::MediaOptions m;
        m.imageServerUrl = "https://images.example.com/img";
        m.viewports = {{"small", "(max-width:768px)", 80, 80, false},
                       {"large", "(min-width:769px)", 315, 315, true}};
        return m;
    }();
    return options;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    FuzzedDataProvider input(data, size);
    acd::Customer customer;
    customer.accountNumber = "C0001";
    customer.firstName = input.ConsumeRandomLengthString(200);
    customer.lastName = input.ConsumeRandomLengthString(200);
    customer.language = input.ConsumeRandomLengthString(20);
    customer.email = acd::toValidUtf8(input.ConsumeRandomLengthString(254)); // from JSON: UTF-8
    acd::Channel channel{5637144592, input.ConsumeRandomLengthString(8)};
    acd::Cart cart;
    cart.id = input.ConsumeRandomLengthString(60);
    cart.customerId = customer.accountNumber;
    cart.modifiedDateTime = acd::Timestamp::fromUnixSeconds(1'795'000'000);
    std::map<std::int64_t, acd::Product> products;
    const int lines = input.ConsumeIntegralInRange(0, 4);
    for (int i = 0; i < lines; ++i)
    {
        acd::Product product;
        product.recordId = 68719476736 + i;
        product.name = input.ConsumeRandomLengthString(300);
        product.price = input.ConsumeRandomLengthString(30);
        if (input.ConsumeBool())
            product.images.push_back(
                {input.ConsumeRandomLengthString(300), input.ConsumeRandomLengthString(200)});
        products.emplace(product.recordId, product);
        acd::CartLine line;
        line.lineId = std::to_string(i);
        line.productId = product.recordId;
        line.quantity = input.ConsumeRandomLengthString(12);
        line.price = input.ConsumeRandomLengthString(30);
        cart.lines.push_back(line);
    }
    const std::string pattern = "https://shop.example.com/cart?id={cartId}&c={customerId}";

    const std::string dataJson =
        acd::buildReminderData({cart, customer, products, channel, media(), pattern});
    std::string why;
    FUZZ_CHECK(acd::isJsonObjectText(dataJson, why), "the reminder data is not a JSON object: " + why);

    acd::RenderedReminder rendered;
    try
    {
        rendered = renderer().render(dataJson, customer.email);
    }
    catch (const std::invalid_argument& e)
    {
        FUZZ_CHECK(false, std::string("data the product built does not render: ") + e.what());
    }
    for (const char c : rendered.subject)
        FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F, "a control character in the subject");
    // Nothing the data holds becomes markup or an attribute of its own.
    const std::string html = Poco::toLower(rendered.html);
    FUZZ_CHECK(html.find("<acd") == std::string::npos, "a tag from the data in the HTML");
    // (" acd=" as text is harmless; after a quote that was not escaped it is an attribute.)
    FUZZ_CHECK(html.find("\" acd=") == std::string::npos && html.find("' acd=") == std::string::npos,
               "an attribute from the data in the HTML");

    for (const acd::CartLine& line : cart.lines)
    {
        // Shown when it is a decimal of at most 18 digits; never when it is no decimal.
        const std::string shown = acd::formatPrice(line.price, channel.currency);
        const auto normalized = acd::normalizeDecimal(line.price);
        if (!normalized)
            FUZZ_CHECK(shown.empty(), "formatPrice(\"" + line.price + "\") shows a figure");
        else if (std::count_if(normalized->begin(), normalized->end(), ::isdigit) <= 18)
            FUZZ_CHECK(!shown.empty(), "formatPrice(\"" + line.price + "\") shows nothing");
    }

    try
    {
        const acd::ComposedReminder composed =
            acd::composeReminder(renderer(), {1, "0123456789abcdef", customer.email, dataJson},
                                 "Contoso <reminders@contoso.example>");
        const std::string fault = acd::fuzz::messageFault(composed.mime, true);
        FUZZ_CHECK(fault.empty(), fault);
        FUZZ_CHECK(acd::headerAddress(acd::fuzz::headerValue(composed.mime, "To")) == customer.email,
                   "the To header names another address");
    }
    catch (const std::invalid_argument& e)
    {
        const std::string reason = e.what();
        FUZZ_CHECK(reason.find_first_of("\r\n") == std::string::npos, "a reason of two lines: " + reason);
    }
    return 0;
}
