#pragma once

#include "notify/EmailProvider.h"
#include "notify/ReminderRenderer.h"

#include <string>
#include <vector>

namespace acd {

struct OutboxOptions
{
    std::string dir;                                // outbox.dir
    std::string from = "abandoned-cartd@localhost"; // smtp.from when set
    RendererOptions rendering;
};

/// `notify.provider = outbox`: each reminder becomes `<trigger_id>.eml` (the RFC 5322
/// message an SMTP server would get) and `<trigger_id>.html` (its HTML part, to open in a
/// browser) in outbox.dir. Nothing leaves the machine: for trials, demos and for shops that
/// collect the files with their own mailer.
///
/// Each file is written to a temporary name in the same folder, then renamed, so a reader
/// never sees half a message. A trigger_id whose .eml exists counts as sent without being
/// written again: a second delivery of the same reminder (a retry after a crash) adds nothing.
class OutboxProvider : public EmailProvider
{
public:
    /// Creates outbox.dir when missing. Throws std::invalid_argument naming the folder when it
    /// cannot be created, or the template problem (see ReminderRenderer).
    explicit OutboxProvider(OutboxOptions options);

    std::string name() const override { return "outbox"; }
    Idempotency idempotency() const override { return Idempotency::DropsRepeats; }
    void deliver(const std::vector<Reminder>& reminders, Timestamp deadline,
                 DeliveryJournal& journal) override;

    /// Deletes the .eml and .html files of every message whose To header is this address.
    void forget(const std::string& email) override;
    /// Deletes the .eml and .html files last written before `before`.
    void expire(Timestamp before) override;

private:
    DeliveryResult deliverOne(const Reminder& reminder);

    OutboxOptions _options;
    ReminderRenderer _renderer;
};

} // namespace acd
