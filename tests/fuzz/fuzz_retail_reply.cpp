// retail/RetailJson: every Retail Server reply the client reads (DESIGN §3). The first byte says
// which call's reply the rest is; the parsers may only refuse with RetailJsonError.
#include "FuzzCheck.h"
#include "core/Decimal.h"
#include "retail/RetailJson.h"

namespace {

// What RetailJson hands on is already normalised: the rest of the product relies on it.
void checkDecimal(const acd::DecimalText& value, bool mayBeEmpty)
{
    if (value.empty())
    {
        FUZZ_CHECK(mayBeEmpty, "an empty decimal where a default is due");
        return;
    }
    const auto again = acd::normalizeDecimal(value);
    FUZZ_CHECK(again && *again == value, "decimal not in normal form: " + value);
}

void checkCart(const acd::Cart& cart)
{
    checkDecimal(cart.totalAmount, true);
    if (cart.modifiedDateTime)
        FUZZ_CHECK(acd::Timestamp::parse(cart.modifiedDateTime->toIso()) == cart.modifiedDateTime,
                   "ModifiedDateTime does not read back: " + cart.modifiedDateTime->toIso());
    for (const acd::CartLine& line : cart.lines)
    {
        checkDecimal(line.quantity, false);
        checkDecimal(line.price, true);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0)
        return 0;
    const int call = data[0] % 5;
    const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
    try
    {
        const auto reply = acd::parseReplyObject(body);
        switch (call)
        {
        case 0:
            (void)acd::parseChannel(*reply);
            break;
        case 1: // one cart, Carts('{id}')
        {
            std::vector<std::string> notes;
            checkCart(acd::parseCart(*reply, notes));
            break;
        }
        case 2: // Carts/Search
        {
            std::vector<std::string> notes;
            const auto values = acd::replyValues(*reply);
            for (std::size_t i = 0; i < values.size(); ++i)
                checkCart(acd::parseCart(*values[i], notes, "value[" + std::to_string(i) + "]"));
            for (const std::string& note : notes)
                FUZZ_CHECK(note.find('\n') == std::string::npos, "a note of two lines: " + note);
            break;
        }
        case 3: // Customers/GetByAccountNumbers
            for (const acd::JsonValue* value : acd::replyValues(*reply))
                (void)acd::parseCustomer(*value);
            break;
        case 4: // Products/Search
            for (const acd::JsonValue* value : acd::replyValues(*reply))
            {
                const acd::Product product = acd::parseProduct(*value);
                checkDecimal(product.price, true);
                for (const auto& image : product.images)
                    FUZZ_CHECK(!image.url.empty(), "an image without a URL kept");
            }
            break;
        }
    }
    catch (const acd::RetailJsonError& e)
    {
        const std::string message = e.what();
        FUZZ_CHECK(!message.empty(), "an empty reason");
        // One line in the log, whatever the reply held.
        FUZZ_CHECK(message.find('\n') == std::string::npos && message.find('\r') == std::string::npos,
                   "a reason of two lines: " + message);
    }
    return 0;
}
