#include "notify/SmtpProvider.h"

#include "core/Backoff.h"
#include "notify/MimeMessage.h"
#include "notify/ReplyText.h"
#include "platform/TlsSocket.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SMTPClientSession.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/String.h>

#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace acd {

namespace {

Timestamp plus(Timestamp t, std::chrono::milliseconds d)
{
    return Timestamp(t.ticks() + d.count() * (Timestamp::TicksPerSecond / 1000));
}

/// One reply that did not complete a step, or the failure to get one (code 0).
struct SmtpFailure : std::runtime_error
{
    SmtpFailure(int code, const std::string& text, bool senderRefused = false)
        : std::runtime_error(text), code(code), senderRefused(senderRefused)
    {}
    int code;
    bool senderRefused; // MAIL FROM: a verdict on our configuration, not on one reminder
};

/// The connection failed after the message's data had started to go: the server may have it.
struct AnswerLost : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

bool isTransient(int code)
{
    return code == 0 || (code >= 400 && code < 500);
}

/// Poco's session, with STARTTLS against the host name we connected to (Poco's own
/// SecureSMTPClientSession only knows it when it opens the connection itself, without a
/// connect timeout). The TLS socket comes from platform/TlsSocket.h (OpenSSL on Linux,
/// Schannel on Windows), the server always verified.
class Session : public Poco::Net::SMTPClientSession
{
public:
    using SMTPClientSession::SMTPClientSession;

    void startTls(const std::string& host, const std::string& caFile, Poco::Timespan timeout)
    {
        socket() = acd::startTls(socket(), host, caFile, timeout);
        noDelay();
    }

    /// Each command is a small write answered before the next: with Nagle's algorithm every
    /// one would wait for the server's delayed acknowledgement (40 ms on Linux).
    void noDelay() { socket().setNoDelay(true); }

    /// Drops the connection without a QUIT: used when it is already broken.
    void abort()
    {
        try
        {
            socket().close();
        }
        catch (const Poco::Exception&)
        {}
    }
};

std::string ehloCapabilities(Session& session, const std::string& heloName)
{
    std::string response;
    int code = session.sendCommand("EHLO", heloName, response);
    if (code >= 500)
        code = session.sendCommand("HELO", heloName, response);
    if (code / 100 != 2)
        throw SmtpFailure(code, "EHLO refused: " + quoteReply(response));
    return response;
}

/// The AUTH mechanisms of an EHLO reply ("250-AUTH PLAIN LOGIN"), upper case, space-separated.
std::string authMechanisms(const std::string& ehlo)
{
    std::istringstream lines(ehlo);
    for (std::string line; std::getline(lines, line);)
    {
        std::string upper = Poco::toUpper(Poco::trim(line));
        if (upper.size() > 4)
            upper = upper.substr(4); // "250-" or "250 "
        if (upper.starts_with("AUTH ") || upper.starts_with("AUTH="))
            return " " + upper.substr(5) + " ";
    }
    return "";
}

} // namespace

class SmtpProvider::Connection
{
public:
    explicit Connection(const SmtpOptions& options)
    {
        const Poco::Timespan timeout(options.timeoutSeconds, 0);
        const Poco::Net::SocketAddress address(options.host, static_cast<Poco::UInt16>(options.port));
        if (options.tls == "implicit")
        {
            _session = std::make_unique<Session>(connectTls(address, options.host, options.caFile, timeout));
        }
        else
        {
            Poco::Net::StreamSocket socket;
            socket.connect(address, timeout);
            _session = std::make_unique<Session>(socket);
        }
        _session->setTimeout(timeout);
        _session->noDelay();
        try
        {
            _session->open();
        }
        catch (const Poco::Net::SMTPException& e)
        {
            throw SmtpFailure(e.code(), "greeting: " + quoteReply(e.message()));
        }
        std::string capabilities = ehloCapabilities(*_session, options.heloName);
        if (options.tls == "starttls")
        {
            if (Poco::toUpper(capabilities).find("STARTTLS") == std::string::npos)
                throw SmtpFailure(0, "smtp.tls is starttls but " + options.host +
                                         " does not offer STARTTLS; the message was not sent in clear");
            std::string response;
            const int code = _session->sendCommand("STARTTLS", response);
            if (code != 220)
                throw SmtpFailure(code, "STARTTLS refused: " + quoteReply(response));
            _session->startTls(options.host, options.caFile, timeout);
            capabilities = ehloCapabilities(*_session, options.heloName);
        }
        if (!options.user.empty())
            authenticate(options, authMechanisms(capabilities));
    }

    ~Connection()
    {
        try
        {
            if (_broken)
                _session->abort();
            else
                _session->close();
        }
        catch (...)
        {}
    }

    void markBroken() { _broken = true; }

    /// One message for one recipient: MAIL FROM, RCPT TO, DATA, the message. Throws
    /// SmtpFailure with the step and the server's reply when a step is refused, and
    /// AnswerLost when the connection failed once the message was on its way.
    void send(const std::string& from, const std::string& to, const std::string& message)
    {
        step("MAIL FROM:", "<" + from + ">", 2, "MAIL FROM refused", true);
        step("RCPT TO:", "<" + to + ">", 2, "RCPT TO refused");
        step("DATA", "", 3, "DATA refused");
        std::istringstream in(message);
        try
        {
            _session->sendMessage(in);
        }
        catch (const Poco::Net::SMTPException& e)
        {
            // Code 0: the connection ended where the answer was due. The server may have taken
            // the whole message and its 250 be what was lost.
            if (e.code() == 0)
                throw AnswerLost("no answer to the message: " + quoteReply(e.message()));
            throw SmtpFailure(e.code(), "message refused: " + quoteReply(e.message()));
        }
        catch (const Poco::Exception& e)
        {
            throw AnswerLost(e.displayText());
        }
    }

private:
    void authenticate(const SmtpOptions& options, const std::string& mechanisms)
    {
        using Method = Poco::Net::SMTPClientSession::LoginMethod;
        Method method;
        if (mechanisms.find(" PLAIN ") != std::string::npos)
            method = Method::AUTH_PLAIN;
        else if (mechanisms.find(" LOGIN ") != std::string::npos)
            method = Method::AUTH_LOGIN;
        else
            throw SmtpFailure(0, options.host + " offers neither AUTH PLAIN nor AUTH LOGIN (it offers:" +
                                     (mechanisms.empty() ? std::string(" nothing") : mechanisms) + ")");
        try
        {
            _session->login(options.heloName, method, options.user, options.password);
        }
        catch (const Poco::Net::SMTPException& e)
        {
            if (e.code() >= 500)
                throw ProviderAuthError("the SMTP server " + options.host +
                                        " refused the credentials of user " + options.user + ": " +
                                        quoteReply(e.message()));
            throw SmtpFailure(e.code(), "AUTH: " + quoteReply(e.message()));
        }
    }

    void step(const std::string& command, const std::string& argument, int expectedClass, const char* what,
              bool isSender = false)
    {
        std::string response;
        const int code = argument.empty() ? _session->sendCommand(command, response)
                                          : _session->sendCommand(command, argument, response);
        if (code / 100 == expectedClass)
            return;
        // The transaction is abandoned; RSET makes the connection ready for the next message.
        std::string ignored;
        if (code != 421)
            _session->sendCommand("RSET", ignored);
        throw SmtpFailure(code, std::string(what) + ": " + quoteReply(response), isSender);
    }

    std::unique_ptr<Session> _session;
    bool _broken = false;
};

SmtpProvider::SmtpProvider(SmtpOptions options) : _options(std::move(options)), _renderer(_options.rendering)
{
    if (_options.host.empty())
        throw std::invalid_argument("smtp.host is empty: expected the mail server to send through");
    if (_options.port < 1 || _options.port > 65535)
        throw std::invalid_argument("smtp.port = " + std::to_string(_options.port) + ": expected 1 to 65535");
    if (_options.tls != "none" && _options.tls != "starttls" && _options.tls != "implicit")
        throw std::invalid_argument("smtp.tls = \"" + _options.tls +
                                    "\": expected none, starttls or implicit");
    if (headerAddress(_options.from).find('@') == std::string::npos)
        throw std::invalid_argument("smtp.from = \"" + _options.from +
                                    "\": expected the sender's e-mail address");
    if (_options.user.empty() != _options.password.empty())
        throw std::invalid_argument("the SMTP user and password must be given together");
    if (_options.maxAttemptsPerMessage < 1)
        throw std::invalid_argument("the SMTP maxAttemptsPerMessage must be at least 1");
    sleeper = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    random01 = [engine = std::make_shared<std::mt19937_64>(std::random_device{}())]() {
        return std::uniform_real_distribution<double>(0.0, 1.0)(*engine);
    };
    clock = [] { return Timestamp::now(); };
}

SmtpProvider::~SmtpProvider() = default;

void SmtpProvider::deliver(const std::vector<Reminder>& reminders, Timestamp deadline,
                           DeliveryJournal& journal)
{
    std::string unreachable;
    try
    {
        for (const Reminder& reminder : reminders)
        {
            DeliveryResult result;
            if (!unreachable.empty())
                result = {reminder.notificationId, DeliveryStatus::Retry, "not attempted: " + unreachable};
            else if (clock() >= deadline)
                result = {reminder.notificationId, DeliveryStatus::Retry,
                          "delivery deadline reached before this reminder was sent"};
            else
            {
                result = deliverOne(reminder, deadline, journal);
                // No connection could be made at all: the others would only wait for the same.
                if (!_connection && result.status == DeliveryStatus::Retry)
                    unreachable = result.detail;
            }
            // Each message is recorded the moment its 250 is in: SMTP cannot tell a repeat, so
            // a crash may leave at most the message under way uncertain (DESIGN §11).
            journal.answered({result});
        }
    }
    catch (const ProviderAuthError&)
    {
        // What the server accepted before is recorded already; the rest stays pending.
        _connection.reset();
        throw;
    }
    _connection.reset();
}

DeliveryResult SmtpProvider::deliverOne(const Reminder& reminder, Timestamp deadline,
                                        DeliveryJournal& journal)
{
    ComposedReminder composed;
    try
    {
        composed = composeReminder(_renderer, reminder, _options.from);
    }
    catch (const std::invalid_argument& e)
    {
        return {reminder.notificationId, DeliveryStatus::Rejected, e.what()};
    }
    const std::string from = headerAddress(_options.from);
    for (int attempt = 1;; ++attempt)
    {
        std::string failure;
        try
        {
            if (!_connection)
                _connection = std::make_unique<Connection>(_options);
            journal.sending({reminder.notificationId});
            _connection->send(from, reminder.email, composed.mime);
            return {reminder.notificationId, DeliveryStatus::Sent, ""};
        }
        catch (const AnswerLost& e)
        {
            _connection->markBroken();
            _connection.reset();
            return {reminder.notificationId, DeliveryStatus::Uncertain,
                    "the connection to " + _options.host +
                        " failed while the server had the message, before its "
                        "answer: " +
                        std::string(e.what())};
        }
        catch (const SmtpFailure& e)
        {
            if (e.code == 530)
            {
                _connection.reset();
                throw ProviderAuthError("the SMTP server " + _options.host +
                                        " requires authentication: " + std::string(e.what()));
            }
            if (!isTransient(e.code))
            {
                // A refused sender concerns every reminder, not this one: they stay pending.
                if (e.senderRefused)
                    return {reminder.notificationId, DeliveryStatus::Retry, e.what()};
                return {reminder.notificationId, DeliveryStatus::Rejected, e.what()};
            }
            if (e.code == 0 || e.code == 421)
            {
                if (_connection)
                    _connection->markBroken();
                _connection.reset();
            }
            failure = e.what();
        }
        catch (const Poco::Exception& e)
        {
            if (_connection)
                _connection->markBroken();
            _connection.reset();
            failure = "connection to " + _options.host + ":" + std::to_string(_options.port) +
                      " failed: " + e.displayText();
        }

        if (attempt >= _options.maxAttemptsPerMessage)
            return {reminder.notificationId, DeliveryStatus::Retry,
                    failure + " (after " + std::to_string(attempt) + " attempts)"};
        const Timestamp now = clock();
        const std::chrono::milliseconds wait = retryDelay(attempt, "", "", now, random01());
        if (plus(now, wait) > deadline)
            return {reminder.notificationId, DeliveryStatus::Retry,
                    failure + " (after " + std::to_string(attempt) +
                        " attempts, no time left before the delivery deadline)"};
        sleeper(wait);
    }
}

void SmtpProvider::forget(const std::string&)
{
    // Documented in the header: there is nothing held here to delete.
}

} // namespace acd
