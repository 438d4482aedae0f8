#include "notify/SmtpProvider.h"

#include "core/Backoff.h"
#include "net/CurlEasy.h"
#include "notify/MimeMessage.h"
#include "notify/ReplyText.h"
#include "platform/TrustedRoots.h"

#include <curl/curl.h>

#include <Poco/String.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace acd {

namespace {

/// One reply that did not complete a step, or the failure to get one (code 0).
struct SmtpFailure : std::runtime_error
{
    SmtpFailure(int code, const std::string& text, bool senderRefused, bool sessionLost)
        : std::runtime_error(text), code(code), senderRefused(senderRefused), sessionLost(sessionLost)
    {}
    int code;
    bool senderRefused; // MAIL FROM: a verdict on our configuration, not on one reminder
    bool sessionLost;   // no session to send in: the next reminder would only meet the same
};

/// The connection failed once the whole message was handed over, before the server's answer:
/// the server may have it.
struct AnswerLost : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

bool isTransient(int code)
{
    return code == 0 || (code >= 400 && code < 500);
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

/// The commands whose replies decide an outcome. Anything else curl sends is the rest of an
/// AUTH exchange (credentials: never kept) or the QUIT of a connection being closed.
constexpr std::string_view KnownCommands[] = {"EHLO", "HELO", "STARTTLS", "AUTH",
                                              "MAIL", "RCPT", "DATA",     "QUIT"};

/// The refusal of the server's certificate in words an operator can act on, from libcurl's
/// (OpenSSL's and Schannel's differ); the words themselves follow in parentheses.
std::string certificateProblem(const std::string& curlText, const SmtpOptions& options)
{
    const auto says = [&](std::initializer_list<const char*> words) {
        return std::any_of(words.begin(), words.end(),
                           [&](const char* word) { return curlText.find(word) != std::string::npos; });
    };
    std::string problem = "the server's certificate was refused";
    if (says({"UNTRUSTED_ROOT", "PARTIAL_CHAIN", "unable to get local issuer", "self-signed", "self signed"}))
        problem = options.caFile.empty()
                      ? "the server's certificate is not from a certificate authority this computer trusts"
                      : "the server's certificate is not from a certificate authority of " + options.caFile;
    else if (says({"NOT_TIME_VALID", "has expired", "not yet valid"}))
        problem = "the server's certificate has expired or is not yet valid";
    else if (says({"subject name matches", "match connection hostname"}))
        problem = "the server's certificate does not name " + options.host;
    return "TLS with " + options.host + ": " + problem + "; nothing was sent (" + curlText + ")";
}

struct SlistDeleter
{
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

} // namespace

/// One libcurl easy handle for one deliver() call: libcurl keeps its connection open from one
/// message to the next (and opens a new one when the last was closed), and sends QUIT when
/// the handle goes. What the server answered is followed through libcurl's callbacks, since
/// its result code alone cannot tell which step was refused, nor whether the message had gone.
class SmtpProvider::Connection
{
public:
    explicit Connection(const SmtpOptions& options) : _options(options)
    {
        CURL* easy = _easy.get();
        const bool implicitTls = options.tls == "implicit";
        const std::string host = options.host.find(':') != std::string::npos && !options.host.starts_with("[")
                                     ? "[" + options.host + "]"
                                     : options.host;
        // The URL's path is the name given with EHLO.
        char* helo =
            curl_easy_escape(easy, options.heloName.c_str(), static_cast<int>(options.heloName.size()));
        _url = (implicitTls ? "smtps://" : "smtp://") + host + ":" + std::to_string(options.port) + "/" +
               (helo != nullptr ? helo : "");
        curl_free(helo);
        _from = "<" + headerAddress(options.from) + ">";

        curl_easy_setopt(easy, CURLOPT_URL, _url.c_str());
        curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        curl_easy_setopt(easy, CURLOPT_PROXY, ""); // the relay is reached directly, never through a proxy
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
        const long seconds = options.timeoutSeconds;
        curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, seconds);
        curl_easy_setopt(easy, CURLOPT_SERVER_RESPONSE_TIMEOUT, seconds);
        // A message that stops moving for that long fails like a reply that does not come.
        curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, seconds);

        // starttls: CURLUSESSL_ALL, so that nothing goes in clear when the server does not
        // offer STARTTLS. The server is always verified; TLS 1.2 or later.
        curl_easy_setopt(easy, CURLOPT_USE_SSL,
                         static_cast<long>(options.tls == "none" ? CURLUSESSL_NONE : CURLUSESSL_ALL));
        curl_easy_setopt(easy, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
        // Schannel (Windows) checks revocation by default and fails for a private relay CA
        // without a CRL; best effort still refuses a certificate known to be revoked.
        curl_easy_setopt(easy, CURLOPT_SSL_OPTIONS, static_cast<long>(CURLSSLOPT_REVOKE_BEST_EFFORT));
        if (!options.caFile.empty())
        {
            // Only the authorities of caFile: no default directory of system certificates beside it.
            curl_easy_setopt(easy, CURLOPT_CAINFO, options.caFile.c_str());
            curl_easy_setopt(easy, CURLOPT_CAPATH, static_cast<char*>(nullptr));
        }
        else if (std::string roots = trustedRootsPem(); !roots.empty())
        {
            // Windows: the store's roots handed over make libcurl check the chain itself
            // (platform/TrustedRoots.h says why).
            curl_blob blob{roots.data(), roots.size(), CURL_BLOB_COPY};
            curl_easy_setopt(easy, CURLOPT_CAINFO_BLOB, &blob);
        }

        if (!options.user.empty())
        {
            curl_easy_setopt(easy, CURLOPT_USERNAME, options.user.c_str());
            curl_easy_setopt(easy, CURLOPT_PASSWORD, options.password.c_str());
            curl_easy_setopt(easy, CURLOPT_LOGIN_OPTIONS, "AUTH=PLAIN;AUTH=LOGIN"); // PLAIN first
            curl_easy_setopt(easy, CURLOPT_SASL_IR, 1L);
        }
        curl_easy_setopt(easy, CURLOPT_MAIL_FROM, _from.c_str());
        curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(easy, CURLOPT_READFUNCTION, &Connection::onRead);
        curl_easy_setopt(easy, CURLOPT_READDATA, this);
        curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Connection::onReplyLine);
        curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
        // The commands sent reach only the debug callback, which libcurl calls when verbose.
        curl_easy_setopt(easy, CURLOPT_VERBOSE, 1L);
        curl_easy_setopt(easy, CURLOPT_DEBUGFUNCTION, &Connection::onDebug);
        curl_easy_setopt(easy, CURLOPT_DEBUGDATA, this);
        curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, &Connection::onSessionReady);
        curl_easy_setopt(easy, CURLOPT_PREREQDATA, this);
        curl_easy_setopt(easy, CURLOPT_SOCKOPTFUNCTION, &Connection::onNewSocket);
        curl_easy_setopt(easy, CURLOPT_SOCKOPTDATA, this);
        curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, _errorBuffer);
    }

    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// True when the last send() failed without a session to send in (no connection, TLS or
    /// EHLO refused, the connection lost): the next message would only meet the same.
    bool sessionLost() const { return _sessionLost; }

    /// One message for one recipient: MAIL FROM, RCPT TO, DATA, the message. `beforeMail` runs
    /// once the session stands (connected, TLS, AUTH), right before MAIL FROM; what it throws
    /// stops the message there and comes out of send(). Throws SmtpFailure with the step and
    /// the server's reply when a step is refused or the connection fails before the whole
    /// message went, AnswerLost when it failed after that and before the answer, and
    /// ProviderAuthError when the server refuses the credentials.
    void send(const std::string& to, const std::string& message, const std::function<void()>& beforeMail)
    {
        CURL* easy = _easy.get();
        _recipients.reset(curl_slist_append(nullptr, ("<" + to + ">").c_str()));
        if (!_recipients)
            throw std::bad_alloc();
        curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, _recipients.get());
        curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
        _message = &message;
        _offset = 0;
        _bodyHandedOver = false;
        _beforeMail = &beforeMail;
        _beforeMailError = nullptr;
        _gate.reset();
        _command.clear();
        _quitting = false;
        _replyText.clear();
        _reply.clear();
        _code = 0;
        _answeredAfterBody = false;
        _errorBuffer[0] = '\0';

        const CURLcode result = curl_easy_perform(easy);
        _message = nullptr;
        _beforeMail = nullptr;
        _sessionLost = false;
        if (_beforeMailError)
            std::rethrow_exception(_beforeMailError);
        if (result == CURLE_OK)
            return; // libcurl ends the transfer well only on the 250 to the message
        try
        {
            fail(result);
        }
        catch (const SmtpFailure& e)
        {
            _sessionLost = e.sessionLost;
            throw;
        }
    }

private:
    [[noreturn]] void fail(CURLcode result)
    {
        if (_gate)
            throw *_gate;
        const std::string curlText = curlErrorText(result, _errorBuffer);
        if (_bodyHandedOver && !_answeredAfterBody)
            throw AnswerLost(curlText);
        const std::string& host = _options.host;
        if (_code >= 400)
        {
            const std::string reply = quoteReply(_reply);
            if (_command == "AUTH")
            {
                if (_code >= 500)
                    throw ProviderAuthError("the SMTP server " + host + " refused the credentials of user " +
                                            _options.user + ": " + reply);
                throw SmtpFailure(_code, "AUTH: " + reply, false, true);
            }
            const bool lost = _code == 421;
            if (_command == "MAIL")
                throw SmtpFailure(_code, "MAIL FROM refused: " + reply, true, lost);
            if (_command == "RCPT")
                throw SmtpFailure(_code, "RCPT TO refused: " + reply, false, lost);
            if (_command == "DATA")
                throw SmtpFailure(_code,
                                  (_answeredAfterBody ? "message refused: " : "DATA refused: ") + reply,
                                  false, lost);
            // Greeting, EHLO, STARTTLS: the server will not hold a session with us.
            throw SmtpFailure(_code, (_command.empty() ? "greeting" : _command) + " refused: " + reply, false,
                              _code != 530);
        }
        // No refusal from the server: libcurl's own verdict, or the connection.
        if (result == CURLE_USE_SSL_FAILED)
            throw SmtpFailure(0,
                              "smtp.tls is starttls but " + host +
                                  " does not offer STARTTLS; the message was not sent in clear",
                              false, true);
        if (result == CURLE_LOGIN_DENIED)
            throw SmtpFailure(0, offersNeither(), false, true);
        if (result == CURLE_PEER_FAILED_VERIFICATION)
            throw SmtpFailure(0, certificateProblem(curlText, _options), false, true);
        if (result == CURLE_SSL_CONNECT_ERROR || result == CURLE_SSL_CACERT_BADFILE)
            throw SmtpFailure(0, "TLS with " + host + " failed; nothing was sent (" + curlText + ")", false,
                              true);
        throw SmtpFailure(
            0, "connection to " + host + ":" + std::to_string(_options.port) + " failed: " + curlText, false,
            true);
    }

    std::string offersNeither() const
    {
        const std::string mechanisms = authMechanisms(_capabilities);
        return _options.host + " offers neither AUTH PLAIN nor AUTH LOGIN (it offers:" +
               (mechanisms.empty() ? std::string(" nothing") : mechanisms) + ")";
    }

    static std::size_t onRead(char* buffer, std::size_t size, std::size_t count, void* user)
    {
        auto* self = static_cast<Connection*>(user);
        if (self->_message == nullptr)
            return 0;
        const std::size_t n = std::min(size * count, self->_message->size() - self->_offset);
        std::memcpy(buffer, self->_message->data() + self->_offset, n);
        self->_offset += n;
        self->_bodyHandedOver = self->_offset == self->_message->size();
        return n;
    }

    /// One line of a server reply ("250-…" continues, "250 …" ends it), CRLF included.
    static std::size_t onReplyLine(char* data, std::size_t size, std::size_t count, void* user)
    {
        auto* self = static_cast<Connection*>(user);
        const std::size_t bytes = size * count;
        if (self->_quitting)
            return bytes;
        std::string_view line(data, bytes);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
            line.remove_suffix(1);
        if (!self->_replyText.empty())
            self->_replyText += ' ';
        self->_replyText += line;
        if (self->_command == "EHLO" || self->_command == "HELO")
            self->_capabilities.append(line).append("\n");
        const bool last = line.size() < 4 || line[3] != '-';
        if (!last)
            return bytes;
        self->_reply = std::move(self->_replyText);
        self->_replyText.clear();
        self->_code = 0;
        if (line.size() >= 3 &&
            std::all_of(line.begin(), line.begin() + 3, [](char c) { return c >= '0' && c <= '9'; }))
            self->_code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        if (self->_command == "AUTH" && self->_code == 235)
            self->_authenticated = true;
        if (self->_bodyHandedOver)
            self->_answeredAfterBody = true;
        return bytes;
    }

    /// Only the command's first word is looked at: the rest may be credentials.
    static int onDebug(CURL*, curl_infotype type, char* data, std::size_t size, void* user)
    {
        if (type != CURLINFO_HEADER_OUT)
            return 0;
        auto* self = static_cast<Connection*>(user);
        const std::string_view text(data, size);
        const std::string_view word = text.substr(0, text.find_first_of(" \r\n"));
        // A longer word is no command of ours but a line of credentials: not even copied.
        const std::string verb = word.size() <= 8 ? Poco::toUpper(std::string(word)) : std::string();
        const auto* known = std::find(std::begin(KnownCommands), std::end(KnownCommands), verb);
        if (known != std::end(KnownCommands))
        {
            // The QUIT of a connection being closed says nothing about the message.
            if (verb == "QUIT")
            {
                self->_quitting = true;
                return 0;
            }
            self->_command = verb;
            if (verb == "EHLO" || verb == "HELO")
                self->_capabilities.clear();
        }
        self->_reply.clear();
        self->_replyText.clear();
        self->_code = 0;
        return 0;
    }

    /// Called with the session standing, before MAIL FROM. A server that did not let us
    /// authenticate (no AUTH offered) gets nothing: the credentials were configured for a reason.
    static int onSessionReady(void* user, char*, char*, int, int)
    {
        auto* self = static_cast<Connection*>(user);
        if (!self->_options.user.empty() && !self->_authenticated)
        {
            self->_gate.emplace(0, self->offersNeither(), false, true);
            return CURL_PREREQFUNC_ABORT;
        }
        try
        {
            (*self->_beforeMail)();
        }
        catch (...)
        {
            self->_beforeMailError = std::current_exception();
            return CURL_PREREQFUNC_ABORT;
        }
        return CURL_PREREQFUNC_OK;
    }

    /// A new connection: what the last one offered and granted no longer holds.
    static int onNewSocket(void* user, curl_socket_t, curlsocktype)
    {
        auto* self = static_cast<Connection*>(user);
        self->_authenticated = false;
        self->_capabilities.clear();
        return CURL_SOCKOPT_OK;
    }

    const SmtpOptions& _options;
    std::string _url;
    std::string _from;
    std::unique_ptr<curl_slist, SlistDeleter> _recipients;
    char _errorBuffer[CURL_ERROR_SIZE] = {};

    // The connection libcurl holds now.
    std::string _capabilities; // the last EHLO reply, one line each
    bool _authenticated = false;

    // The message under way.
    const std::string* _message = nullptr;
    std::size_t _offset = 0;      // bytes of it handed to libcurl
    bool _bodyHandedOver = false; // all of them: the server may have it from here on
    const std::function<void()>* _beforeMail = nullptr;
    std::exception_ptr _beforeMailError;
    std::optional<SmtpFailure> _gate;
    std::string _command;   // the last command sent, "" before the first (the greeting)
    bool _quitting = false; // QUIT is sent: later replies are the connection's end
    std::string _replyText; // the reply being read
    std::string _reply;     // the last whole reply to _command
    int _code = 0;          // its code; 0 while none came
    bool _answeredAfterBody = false;
    bool _sessionLost = false;

    // Last, so that libcurl's QUIT on destruction still finds every field above.
    CurlEasy _easy;
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
    // The connection is the call's: closed (QUIT) when it ends, however it ends.
    struct CloseAtEnd
    {
        std::unique_ptr<Connection>& connection;
        ~CloseAtEnd() { connection.reset(); }
    } closeAtEnd{_connection};

    std::string unreachable;
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
            // No session could be had at all: the others would only wait for the same.
            if (result.status == DeliveryStatus::Retry && _connection && _connection->sessionLost())
                unreachable = result.detail;
        }
        // Each message is recorded the moment its 250 is in: SMTP cannot tell a repeat, so
        // a crash may leave at most the message under way uncertain (DESIGN §11).
        journal.answered({result});
    }
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
    if (!_connection)
        _connection = std::make_unique<Connection>(_options);
    const std::function<void()> reportSending = [&] { journal.sending({reminder.notificationId}); };
    RetryPolicy policy;
    policy.maxAttempts = _options.maxAttemptsPerMessage;
    RetryState retry(policy, deadline);
    for (;;)
    {
        std::string failure;
        try
        {
            _connection->send(reminder.email, composed.mime, reportSending);
            return {reminder.notificationId, DeliveryStatus::Sent, ""};
        }
        catch (const AnswerLost& e)
        {
            return {
                reminder.notificationId, DeliveryStatus::Uncertain,
                "the connection to " + _options.host +
                    " failed while the server had the message, before its answer: " + std::string(e.what())};
        }
        catch (const SmtpFailure& e)
        {
            if (e.code == 530)
                throw ProviderAuthError("the SMTP server " + _options.host +
                                        " requires authentication: " + std::string(e.what()));
            if (!isTransient(e.code))
            {
                // A refused sender, or a server that refuses the session, concerns every
                // reminder, not this one: they stay pending.
                if (e.senderRefused || e.sessionLost)
                    return {reminder.notificationId, DeliveryStatus::Retry, e.what()};
                return {reminder.notificationId, DeliveryStatus::Rejected, e.what()};
            }
            failure = e.what();
        }

        // SMTP has no Retry-After: backoff alone decides, within the attempts and the deadline.
        const std::optional<std::chrono::milliseconds> wait =
            retry.afterFailure(RetryHints{}, clock(), random01());
        if (!wait)
            return {reminder.notificationId, DeliveryStatus::Retry, failure + " (" + retry.gaveUp() + ")"};
        sleeper(*wait);
    }
}

void SmtpProvider::forget(const std::string&)
{
    // Documented in the header: there is nothing held here to delete.
}

} // namespace acd
