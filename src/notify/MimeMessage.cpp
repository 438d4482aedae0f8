#include "notify/MimeMessage.h"

#include "core/Base64.h"
#include "core/Email.h"
#include "core/Utf8.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Net/MailMessage.h>
#include <Poco/Net/StringPartSource.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace acd {

namespace {

// "=?UTF-8?B?" + 52 base64 characters + "?=" is 64: with "Subject: " before it, the line
// stays within RFC 2047's 76 characters for a line that holds an encoded word.
constexpr std::size_t BytesPerWord = 39;

bool isUtf8Continuation(char c)
{
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

std::string withoutControls(const std::string& text)
{
    std::string result = toValidUtf8(text);
    for (char& c : result)
    {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f)
            c = ' ';
    }
    return Poco::trim(result);
}

bool isPrintableAscii(const std::string& text)
{
    for (const char c : text)
    {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte > 0x7e)
            return false;
    }
    return true;
}

/// RFC 5322 atext plus spaces: what a display name may hold without quoting or encoding.
bool isPlainPhrase(const std::string& text)
{
    for (const char c : text)
    {
        if (!std::isalnum(static_cast<unsigned char>(c)) && std::strchr(" !#$%&'*+-/=?^_`{|}~", c) == nullptr)
            return false;
    }
    return !text.empty();
}

std::string encodedWords(const std::string& text)
{
    std::string result;
    std::size_t pos = 0;
    while (pos < text.size())
    {
        std::size_t end = std::min(text.size(), pos + BytesPerWord);
        while (end < text.size() && end > pos && isUtf8Continuation(text[end]))
            --end;
        if (!result.empty())
            result += "\r\n ";
        result += "=?UTF-8?B?" + base64(text.substr(pos, end - pos)) + "?=";
        pos = end;
    }
    return result;
}

void requireSafe(const std::string& value, const char* forbidden, const std::string& what)
{
    for (const char c : value)
    {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte == 0x7f || std::strchr(forbidden, c) != nullptr)
            throw std::invalid_argument(what + " \"" + withoutControls(value) +
                                        "\" cannot be written in a mail header");
    }
    if (value.empty())
        throw std::invalid_argument(what + " is empty");
}

// A URI is ASCII (RFC 3986: anything else is percent-encoded), and a header line ends at 998
// characters (RFC 5322 §2.1.1), of which `List-Unsubscribe: <` and `>` take 20.
void requireHeaderUrl(const std::string& url, const std::string& what)
{
    constexpr std::size_t MaxUrlBytes = 998 - 20;
    const bool ascii =
        std::all_of(url.begin(), url.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (!ascii)
        throw std::invalid_argument(what +
                                    " holds characters that are not ASCII: a URL in a mail header must "
                                    "percent-encode them");
    if (url.size() > MaxUrlBytes)
        throw std::invalid_argument(what + " is " + std::to_string(url.size()) +
                                    " bytes long, more than the " + std::to_string(MaxUrlBytes) +
                                    " a mail header line can hold");
}

void requireAddress(const std::string& address, const std::string& what)
{
    requireSafe(address, "<>,;:\"()[]\\", what);
    const auto at = address.find('@');
    if (at == std::string::npos || at == 0 || at + 1 == address.size())
        throw std::invalid_argument(what + " \"" + address + "\" is not an e-mail address");
    // Longer would not be taken by any server, and would not fit a header line once encoded.
    if (address.size() > MaxEmailBytes)
        throw std::invalid_argument(what + " is " + std::to_string(address.size()) +
                                    " bytes long, more than the " + std::to_string(MaxEmailBytes) +
                                    " an e-mail address may have");
}

std::string mailbox(const std::string& name, const std::string& address)
{
    const std::string cleanName = withoutControls(name);
    if (cleanName.empty())
        return address;
    if (isPlainPhrase(cleanName))
        return cleanName + " <" + address + ">";
    // Folded before the address, so that the line with the last encoded word stays short.
    return encodedWords(cleanName) + "\r\n <" + address + ">";
}

/// Template output has '\n' line ends; a MIME body has CRLF.
std::string crlf(const std::string& text)
{
    std::string result;
    result.reserve(text.size() + text.size() / 32);
    for (std::size_t i = 0; i < text.size(); ++i)
    {
        const char c = text[i];
        if (c == '\r')
        {
            result += "\r\n";
            if (i + 1 < text.size() && text[i + 1] == '\n')
                ++i;
        }
        else if (c == '\n')
        {
            result += "\r\n";
        }
        else
        {
            result += c;
        }
    }
    return result;
}

} // namespace

std::string encodeHeaderText(const std::string& text)
{
    const std::string clean = withoutControls(text);
    if (isPrintableAscii(clean) && clean.find("=?") == std::string::npos)
        return clean;
    return encodedWords(clean);
}

std::string headerAddress(const std::string& value)
{
    const auto open = value.rfind('<');
    const auto close = value.rfind('>');
    if (open != std::string::npos && close != std::string::npos && close > open)
        return Poco::trim(value.substr(open + 1, close - open - 1));
    return Poco::trim(value);
}

std::string buildMimeMessage(const MimeInput& input)
{
    requireSafe(input.messageId, "<>\"(),;:\\[]", "the message id");
    requireAddress(input.to, "the recipient address");
    if (withoutControls(input.from) != input.from)
        throw std::invalid_argument("the sender \"" + withoutControls(input.from) +
                                    "\" cannot be written in a mail header");
    const std::string fromAddress = headerAddress(input.from);
    requireAddress(fromAddress, "the sender address");
    std::string fromName;
    if (const auto open = input.from.rfind('<'); open != std::string::npos)
        fromName = Poco::trim(input.from.substr(0, open));
    if (fromName.size() >= 2 && fromName.front() == '"' && fromName.back() == '"')
        fromName = fromName.substr(1, fromName.size() - 2);

    Poco::Net::MailMessage message;
    // RFC 5322 §3.3: a numeric zone; Poco's setDate() writes the obsolete "GMT".
    message.set("Date", Poco::DateTimeFormatter::format(Poco::Timestamp(input.date.ticks() / 10),
                                                        "%w, %d %b %Y %H:%M:%S +0000"));
    message.setSender(mailbox(fromName, fromAddress));
    message.set("To", mailbox(input.toName, input.to));
    message.setSubject(encodeHeaderText(input.subject));
    message.set("Message-ID", "<" + input.messageId + ">");
    if (!input.unsubscribeUrl.empty())
    {
        requireSafe(input.unsubscribeUrl, "<>\"", "the unsubscribe URL");
        requireHeaderUrl(input.unsubscribeUrl, "the unsubscribe URL");
        message.set("List-Unsubscribe", "<" + input.unsubscribeUrl + ">");
        message.set("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
    }
    message.setContentType("multipart/alternative");
    message.addPart("", new Poco::Net::StringPartSource(crlf(input.text), "text/plain; charset=UTF-8"),
                    Poco::Net::MailMessage::CONTENT_INLINE,
                    Poco::Net::MailMessage::ENCODING_QUOTED_PRINTABLE);
    message.addPart("", new Poco::Net::StringPartSource(crlf(input.html), "text/html; charset=UTF-8"),
                    Poco::Net::MailMessage::CONTENT_INLINE,
                    Poco::Net::MailMessage::ENCODING_QUOTED_PRINTABLE);
    std::ostringstream out;
    message.write(out);
    return out.str();
}

ComposedReminder composeReminder(const ReminderRenderer& renderer, const Reminder& reminder,
                                 const std::string& from)
{
    RenderedReminder rendered = renderer.render(reminder.dataJson, reminder.email);
    MimeInput input;
    input.messageId = reminder.triggerId + "@abandoned-cartd";
    input.from = from;
    input.to = reminder.email;
    input.toName = rendered.recipientName;
    input.subject = rendered.subject;
    input.text = std::move(rendered.text);
    input.html = rendered.html;
    input.unsubscribeUrl = rendered.unsubscribeUrl;
    return {buildMimeMessage(input), std::move(rendered.html)};
}

} // namespace acd
