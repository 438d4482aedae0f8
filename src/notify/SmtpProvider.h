#pragma once

#include "notify/EmailProvider.h"
#include "notify/ReminderRenderer.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace acd {

struct SmtpOptions
{
    std::string host;
    int port = 25;
    std::string tls = "starttls"; // none | starttls | implicit
    std::string from;             // smtp.from: an address, or "Name <address>"
    std::string user;             // AUTH credentials; both empty = no AUTH
    std::string password;
    /// PEM file of the certificate authorities to trust instead of the system's (a private
    /// relay's own CA). "" = the system's store. Verification itself is never turned off.
    std::string caFile;
    std::string heloName = "localhost";
    int timeoutSeconds = 30;
    int maxAttemptsPerMessage = 6;
    RendererOptions rendering;
};

/// `notify.provider = smtp`: the messages of the outbox provider, sent through an SMTP relay
/// by libcurl (STARTTLS and `implicit` TLS through libcurl's TLS: OpenSSL on Linux, Schannel
/// on Windows). One connection carries the whole batch; a refused recipient costs a new one
/// (libcurl closes the connection after a failed transaction).
///
/// Replies decide: 4xx (and a connection lost before the message went) is retried with backoff
/// within the deadline, then left for a later cycle; 5xx to RCPT TO, DATA or the message is a
/// permanent refusal of that reminder, recorded with the server's words; 535 (or 530) is
/// ProviderAuthError; a server that cannot be reached, or refuses the session before MAIL FROM,
/// leaves the rest of the batch "not attempted". SMTP cannot tell a repeat: each message is
/// reported sending right before MAIL FROM and answered right after its 250, so a crash, or a
/// connection lost once the whole message was handed over, leaves at most that one message
/// uncertain, never sent twice (DESIGN §11).
class SmtpProvider : public EmailProvider
{
public:
    /// Throws std::invalid_argument naming the option that is wrong, or the template problem.
    explicit SmtpProvider(SmtpOptions options);
    ~SmtpProvider() override;

    std::string name() const override { return "smtp"; }
    Idempotency idempotency() const override { return Idempotency::None; }

    /// Throws ProviderAuthError when the server refuses the credentials (535) or demands
    /// some (530); messages accepted before that stay accepted.
    void deliver(const std::vector<Reminder>& reminders, Timestamp deadline,
                 DeliveryJournal& journal) override;

    /// An SMTP relay keeps nothing for us to delete, and this provider keeps no copy: once a
    /// message is handed on it belongs to the mail system. Nothing to do.
    void forget(const std::string& email) override;

    /// Injectable for tests; by default the real clock, a real sleep and a seeded PRNG.
    std::function<void(std::chrono::milliseconds)> sleeper;
    std::function<double()> random01;
    std::function<Timestamp()> clock;

private:
    class Connection;

    DeliveryResult deliverOne(const Reminder& reminder, Timestamp deadline, DeliveryJournal& journal);

    SmtpOptions _options;
    ReminderRenderer _renderer;
    std::unique_ptr<Connection> _connection;
};

} // namespace acd
