// notify/MimeMessage: the e-mail the outbox and SMTP providers hand on, built from hostile
// names, subjects and bodies. A message either is refused with invalid_argument or is a valid
// 7-bit RFC 5322 message whose header block holds our headers only, each once.
#include "FuzzCheck.h"
#include "MimeCheck.h"
#include "core/Utf8.h"
#include "notify/MimeMessage.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    FuzzedDataProvider input(data, size);
    acd::MimeInput mime;
    // Addresses within RFC 5321's 254 characters: longer ones are cut where they are read.
    // Every text the product holds is UTF-8 (JSON, the properties file, our own ids); the names
    // and the subject are given raw, since the message encodes them itself.
    mime.messageId = acd::toValidUtf8(input.ConsumeRandomLengthString(120));
    mime.from = acd::toValidUtf8(input.ConsumeRandomLengthString(300));
    mime.to = acd::toValidUtf8(input.ConsumeRandomLengthString(254));
    mime.toName = input.ConsumeRandomLengthString(400);
    mime.subject = input.ConsumeRandomLengthString(1000);
    mime.unsubscribeUrl = acd::toValidUtf8(input.ConsumeRandomLengthString(600));
    // From 1970 to 2100: a message is dated now.
    mime.date = acd::Timestamp::fromUnixSeconds(input.ConsumeIntegralInRange<std::int64_t>(0, 4'102'444'800));
    mime.text = input.ConsumeRandomLengthString(4000);
    mime.html = input.ConsumeRemainingBytesAsString();

    const std::string encoded = acd::encodeHeaderText(mime.subject);
    FUZZ_CHECK(acd::fuzz::headerTextFault(encoded).empty(), acd::fuzz::headerTextFault(encoded));

    std::string message;
    try
    {
        message = acd::buildMimeMessage(mime);
    }
    catch (const std::invalid_argument& e)
    {
        const std::string why = e.what();
        FUZZ_CHECK(why.find_first_of("\r\n") == std::string::npos, "a reason of two lines: " + why);
        return 0;
    }
    const std::string fault = acd::fuzz::messageFault(message, !mime.unsubscribeUrl.empty());
    FUZZ_CHECK(fault.empty(), fault);
    FUZZ_CHECK(acd::headerAddress(acd::fuzz::headerValue(message, "To")) == mime.to,
               "the To header names another address");
    return 0;
}
