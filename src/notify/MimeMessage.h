#pragma once

#include "core/Timestamp.h"
#include "notify/EmailProvider.h"
#include "notify/ReminderRenderer.h"

#include <string>

namespace acd {

/// What one reminder e-mail is made of.
struct MimeInput
{
    std::string messageId;      // without the angle brackets, e.g. "acd-…@abandoned-cartd"
    std::string from;           // an address, optionally as "Name <address>"
    std::string to;             // the recipient's address
    std::string toName;         // display name: any text, encoded as needed
    std::string subject;        // any text: encoded (RFC 2047) when not plain ASCII
    std::string text;           // plain-text body
    std::string html;           // HTML body
    std::string unsubscribeUrl; // "" = no List-Unsubscribe headers
    Timestamp date = Timestamp::now();
};

/// The RFC 5322 message: multipart/alternative with the text part first and the HTML part
/// second, both UTF-8 and quoted-printable, CRLF line ends. With an unsubscribe URL, the
/// `List-Unsubscribe` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` headers of
/// RFC 8058. Throws std::invalid_argument when an address or the message id could inject
/// header text (line breaks, angle brackets, commas, quotes).
std::string buildMimeMessage(const MimeInput& input);

/// `text` as it may stand in a header: unchanged when it is printable ASCII, otherwise
/// RFC 2047 encoded words (UTF-8, base64) of at most 75 characters each, never cutting a
/// character in two, separated by folding whitespace. Control characters become spaces.
std::string encodeHeaderText(const std::string& text);

/// One reminder as the outbox and SMTP providers hand it on.
struct ComposedReminder
{
    std::string mime; // the whole message, as buildMimeMessage writes it
    std::string html; // its HTML part alone
};

/// Renders `reminder` and builds its message: Message-ID `<trigger_id@abandoned-cartd>`,
/// From `from`, To the customer's name and address. Throws std::invalid_argument when the
/// data or an address cannot make a message (the text says which).
ComposedReminder composeReminder(const ReminderRenderer& renderer, const Reminder& reminder,
                                 const std::string& from);

/// The bare address of a To/From header value: the part in angle brackets, or the whole
/// value trimmed.
std::string headerAddress(const std::string& value);

} // namespace acd
