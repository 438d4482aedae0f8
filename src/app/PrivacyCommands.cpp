#include "app/PrivacyCommands.h"

#include "admin/AdminServer.h"
#include "admin/HashKey.h"
#include "app/Registry.h"
#include "core/Email.h"
#include "core/KeyedHash.h"
#include "ledger/AuditLog.h"
#include "ledger/LedgerStore.h"
#include "net/HttpClient.h"
#include "notify/EmailProvider.h"
#include "secrets/SecretStore.h"

#include <Poco/Environment.h>
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/Logger.h>
#include <Poco/Util/Application.h>

#include <functional>
#include <iostream>
#include <sstream>

using App = Poco::Util::Application;

namespace acd {

namespace {

const char* const SecretSuffix = "SecretName";

void logNote(const std::string& line)
{
    Poco::Logger::get("acd.privacy").information(line);
}

std::string cliActor()
{
    const std::string user = Poco::Environment::get("USER", Poco::Environment::get("USERNAME", ""));
    return user.empty() ? "cli" : "cli:" + user;
}

/// What the privacy commands share: the secret store (for the hash key and the provider) and
/// the ledger with its key set.
struct PrivacyContext
{
    explicit PrivacyContext(const Settings& settings)
        : http(httpOptions(settings, 1)), secrets(makeSecretStore(settings, http)),
          ledger(settings.ledgerPath)
    {
        ledger.setHashKey(installationHashKey(settings, *secrets, &logNote));
    }

    HttpClient http;
    std::unique_ptr<SecretStore> secrets;
    LedgerStore ledger;
};

/// Runs a command body, turning each kind of failure into its message and exit code.
int guarded(const std::string& option, const std::function<int()>& body)
{
    const auto fail = [&option](const std::string& message, int code) {
        std::cerr << "abandoned-cartd: --" << option << ": " << message << '\n';
        return code;
    };
    try
    {
        return body();
    }
    catch (const InvalidAddress& e)
    {
        return fail(e.what(), App::EXIT_DATAERR);
    }
    catch (const ConfigError& e)
    {
        return fail(e.what(), App::EXIT_CONFIG);
    }
    catch (const LedgerError& e)
    {
        return fail(e.what(), App::EXIT_CANTCREAT);
    }
    catch (const SecretError& e)
    {
        return fail(e.what(), App::EXIT_UNAVAILABLE);
    }
    catch (const std::exception& e)
    {
        return fail(e.what(), App::EXIT_SOFTWARE);
    }
}

/// The audit commands read an existing ledger; opening a missing one would create it empty.
void requireLedger(const Settings& settings)
{
    if (!Poco::File(settings.ledgerPath).exists())
        throw LedgerError("ledger " + settings.ledgerPath + " does not exist");
}

/// Refuses a bad address before anything is opened, so that bad input leaves no trace.
void requireAddress(const std::string& email)
{
    if (!isUsableEmail(normalizeEmail(email)))
        throw InvalidAddress("\"" + email + "\" is not an e-mail address (expected name@domain)");
}

std::string shortHash(const std::string& hash)
{
    return hash.substr(0, 12) + "…";
}

bool keepsContacts(const Settings& settings, SecretStore& secrets)
{
    HttpClient http;
    return makeEmailProvider(settings, secrets, http)->keepsContacts();
}

int purge(const Settings& settings, const std::string& email, bool keepSubscribed, const std::string& option)
{
    return guarded(option, [&] {
        requireAddress(email);
        PrivacyContext context(settings);
        PrivacyStore privacy(context.ledger);
        const PurgeResult result =
            privacy.purge(email, cliActor(), keepSubscribed, providerForgetter(settings, *context.secrets),
                          settings.provider);
        std::cout << "purged from the ledger: " << result.outboxRows << " outbox row(s) removed, "
                  << result.notifications << " notification(s) anonymised, " << result.withdrawn
                  << " pending reminder(s) withdrawn; "
                  << (keepSubscribed    ? "subscription kept"
                      : result.optedOut ? "opted out"
                                        : "was already opted out")
                  << '\n';
        if (!result.walCleared)
            std::cerr
                << "abandoned-cartd: --" << option
                << ": another process is reading the ledger, so its write-ahead log still holds old pages "
                   "until the next checkpoint (the running daemon's next cycle)\n";
        if (!result.providerError.empty())
        {
            std::cerr << "abandoned-cartd: --" << option << ": the ledger is purged, but "
                      << settings.provider << " could not forget the contact: " << result.providerError
                      << "; run --" << option << " again to retry\n";
            return App::EXIT_UNAVAILABLE;
        }
        if (keepsContacts(settings, *context.secrets))
            std::cout << settings.provider << " forgot the contact\n";
        else
            std::cout << settings.provider << " keeps no contacts: nothing to remove there\n";
        return App::EXIT_OK;
    });
}

/// The secret names the configuration uses: every non-empty `...SecretName` key.
std::vector<std::string> configuredSecretNames(const Settings& settings)
{
    std::vector<std::string> names;
    std::istringstream lines(settings.canonicalText());
    for (std::string line; std::getline(lines, line);)
    {
        const std::string::size_type equals = line.find('=');
        if (equals == std::string::npos)
            continue;
        if (line.substr(0, equals).ends_with(SecretSuffix) && equals + 1 < line.size())
            names.push_back(line.substr(equals + 1));
    }
    return names;
}

} // namespace

int optOutCommand(const Settings& settings, const std::string& email)
{
    return guarded("opt-out", [&] {
        requireAddress(email);
        PrivacyContext context(settings);
        const bool changed = PrivacyStore(context.ledger).optOut(email, cliActor());
        std::cout << (changed ? "opted out" : "already opted out")
                  << " (email:" << shortHash(context.ledger.keyedHash().email(normalizeEmail(email)))
                  << ")\n";
        // Mirrored every time, so that a run after a failed mirror completes it.
        if (const auto mirror = providerOptOutMirror(settings, *context.secrets))
        {
            try
            {
                mirror(normalizeEmail(email));
            }
            catch (const std::exception& e)
            {
                std::cerr << "abandoned-cartd: --opt-out: the address is opted out here, but "
                          << settings.provider << " could not add it to its own list: " << e.what()
                          << "; run --opt-out again to retry\n";
                return App::EXIT_UNAVAILABLE;
            }
            std::cout << settings.provider << " has the opt-out on its own list too\n";
        }
        return App::EXIT_OK;
    });
}

int optInCommand(const Settings& settings, const std::string& email)
{
    return guarded("opt-in", [&] {
        requireAddress(email);
        PrivacyContext context(settings);
        const bool changed = PrivacyStore(context.ledger).optIn(email, cliActor());
        std::cout << (changed ? "opted in" : "already opted in")
                  << " (email:" << shortHash(context.ledger.keyedHash().email(normalizeEmail(email)))
                  << ")\n";
        return App::EXIT_OK;
    });
}

int purgeCommand(const Settings& settings, const std::string& email)
{
    return purge(settings, email, false, "purge");
}

int purgeKeepSubscribedCommand(const Settings& settings, const std::string& email)
{
    return purge(settings, email, true, "purge-keep-subscribed");
}

int auditVerifyCommand(const Settings& settings, const std::string&)
{
    return guarded("audit-verify", [&] {
        requireLedger(settings);
        LedgerStore ledger(settings.ledgerPath);
        const AuditLog::Verification result = ledger.audit().verify();
        if (!result.intact())
        {
            std::cout << "audit trail BROKEN: " << result.problem << '\n';
            return App::EXIT_DATAERR;
        }
        std::cout << "audit trail intact: " << result.rows << " rows";
        if (!result.headHash.empty())
            std::cout << ", head " << result.headHash;
        std::cout << '\n';
        return App::EXIT_OK;
    });
}

int auditExportCommand(const Settings& settings, const std::string& file)
{
    return guarded("audit-export", [&] {
        requireLedger(settings);
        LedgerStore ledger(settings.ledgerPath);
        std::int64_t rows = 0;
        if (file == "-")
            rows = ledger.audit().exportCsv(std::cout);
        else
        {
            Poco::FileOutputStream out(file);
            rows = ledger.audit().exportCsv(out);
            out.close();
            if (!out.good())
                throw std::runtime_error("cannot write " + file);
            std::cerr << "exported " << rows << " audit rows to " << file << '\n';
        }
        return App::EXIT_OK;
    });
}

int auditSubjectCommand(const Settings& settings, const std::string& value)
{
    return guarded("audit-subject", [&] {
        PrivacyContext context(settings);
        const KeyedHash& hash = context.ledger.keyedHash();
        const std::string customerPrefix = "customer:";
        if (value.starts_with(customerPrefix) && value.size() > customerPrefix.size())
        {
            std::cout << "customer:" << hash.customer(value.substr(customerPrefix.size())) << '\n';
            return App::EXIT_OK;
        }
        const std::string email = normalizeEmail(value);
        if (!isUsableEmail(email))
            throw InvalidAddress("\"" + value + "\" is neither an e-mail address nor customer:ACCOUNT");
        std::cout << "email:" << hash.email(email) << '\n';
        return App::EXIT_OK;
    });
}

void preparePrivacy(const Settings& settings, LedgerStore& ledger, SecretStore& secrets, Poco::Logger& logger)
{
    ledger.setHashKey(installationHashKey(settings, secrets,
                                          [&logger](const std::string& line) { logger.information(line); }));

    std::vector<AuditEvent> events{{"start", "config", "sha256:" + sha256Hex(settings.canonicalText()),
                                    std::string("version=") + ACD_VERSION}};
    for (const std::string& name : configuredSecretNames(settings))
    {
        std::string source;
        try
        {
            source = secrets.sourceOf(name);
        }
        catch (const SecretError&)
        {
            if (name != settings.hashKeySecretName || !Poco::File(hashKeyFilePath(settings)).exists())
                continue;
            source = "hash.key file";
        }
        const std::string last = ledger.audit().lastRequestDetail("secret_source", name);
        const std::string detail = "source=" + source;
        if (last == detail || last.starts_with(detail + " "))
            continue;
        events.push_back(
            {"start", "secret_source", name, detail + (last.empty() ? "" : " previous_" + last)});
    }
    ledger.audit().appendAll(events, Timestamp::now().toIso());
}

PrivacyStore::Forget providerForgetter(const Settings& settings, SecretStore& secrets)
{
    return [settings, &secrets](const std::string& email) {
        HttpClient http(httpOptions(settings, 1));
        makeEmailProvider(settings, secrets, http)->forget(email);
    };
}

PrivacyStore::Forget providerOptOutMirror(const Settings& settings, SecretStore& secrets)
{
    if (!providerMirrorsOptOuts(settings))
        return {};
    return [settings, &secrets](const std::string& email) {
        HttpClient http(httpOptions(settings, 1));
        makeEmailProvider(settings, secrets, http)->mirrorOptOut(email);
    };
}

std::unique_ptr<AdminServer> startAdminServer(const Settings& settings, SecretStore& secrets,
                                              Poco::Logger& logger)
{
    if (settings.adminPort == 0)
        return nullptr;
    if (!settings.adminTokenSecretName.empty())
        secrets.get(settings.adminTokenSecretName); // a missing token stops the start, naming the secret
    AdminServerOptions options;
    options.bindAddress = settings.adminBindAddress;
    options.port = settings.adminPort;
    options.tokenSecretName = settings.adminTokenSecretName;
    options.ledgerPath = settings.ledgerPath;
    options.hashKey = installationHashKey(settings, secrets,
                                          [&logger](const std::string& line) { logger.information(line); });
    options.providerName = settings.provider;
    options.mirrorOptOut = providerOptOutMirror(settings, secrets);
    auto server =
        std::make_unique<AdminServer>(std::move(options), secrets, providerForgetter(settings, secrets));
    server->start();
    logger.information("admin API listening on %s:%d%s", settings.adminBindAddress, server->port(),
                       std::string(settings.adminTokenSecretName.empty()
                                       ? " (no admin.tokenSecretName: /v1/* disabled, /metrics open)"
                                       : ""));
    return server;
}

} // namespace acd
