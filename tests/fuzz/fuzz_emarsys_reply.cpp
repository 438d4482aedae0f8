// notify/EmarsysReply and ReplyText: the envelope of every Emarsys answer and the per-contact
// errors of a trigger reply (DESIGN §4.1). Whatever Emarsys sends becomes one-line details.
#include "FuzzCheck.h"
#include "notify/EmarsysReply.h"
#include "notify/ReplyText.h"

namespace {

void checkQuoted(const std::string& text, const std::string& what)
{
    FUZZ_CHECK(!text.empty(), what + " is empty");
    for (const char c : text)
        FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F, what + " has a control character");
    FUZZ_CHECK(text.size() <= 203, what + " has " + std::to_string(text.size()) + " bytes");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string body(reinterpret_cast<const char*>(data), size);
    const std::string quoted = acd::quoteReply(body);
    checkQuoted(quoted, "quoteReply");
    FUZZ_CHECK(!acd::fuzz::isUtf8(body) || acd::fuzz::isUtf8(quoted), "quoteReply cut a character");

    const acd::EmarsysReply reply = acd::EmarsysReply::read(body);
    const std::string described = reply.describe(body);
    FUZZ_CHECK(described.find_first_of("\r\n") == std::string::npos, "describe: two lines");
    FUZZ_CHECK(!reply.replyCode || reply.object, "a replyCode without an object");

    std::string why;
    if (const auto errors = acd::emarsysContactErrors(reply, why))
    {
        for (const auto& [address, error] : *errors)
        {
            checkQuoted(error.detail, "the detail for " + address);
            for (const char c : address)
                FUZZ_CHECK(!(c >= 'A' && c <= 'Z'), "an address not folded: " + address);
        }
    }
    else
        FUZZ_CHECK(!why.empty(), "no reason for unreadable errors");
    return 0;
}
