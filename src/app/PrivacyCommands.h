#pragma once

#include "config/Settings.h"
#include "ledger/PrivacyStore.h"

#include <memory>
#include <string>

namespace Poco {
class Logger;
}

namespace acd {

class AdminServer;
class LedgerStore;
class SecretStore;

// One-shot commands of the AdminCommands table. Addresses are normalised (trimmed, lower
// case) and stored only as the installation's keyed hash; each request is audited with the
// operating-system user as actor (cli:<user>). Nothing they print holds the address.

/// `--opt-out=EMAIL`: the address gets nothing from now on; mirrored to a provider with its own
/// suppression list (SendGrid, Mandrill), exit 69 when that failed (run it again).
int optOutCommand(const Settings& settings, const std::string& email);
/// `--opt-in=EMAIL`: onto the opt-in list (detection.requireConsent) and off the opt-out list.
int optInCommand(const Settings& settings, const std::string& email);
/// `--purge=EMAIL`: every personal datum of the address leaves the ledger and the provider,
/// and the address is opted out. Exit 69 when the provider could not forget it (run it again).
/// The opt-out is not mirrored to the provider: that would hand it the purged address again.
int purgeCommand(const Settings& settings, const std::string& email);
/// `--purge-keep-subscribed=EMAIL`: the same purge without the opt-out (the customer asked
/// for their data to be erased, not to stop receiving reminders).
int purgeKeepSubscribedCommand(const Settings& settings, const std::string& email);
/// `--audit-verify`: exit 0 "audit trail intact: N rows", else 65 naming the first bad row.
int auditVerifyCommand(const Settings& settings, const std::string&);
/// `--audit-export=FILE.csv` (`-` for stdout): the audit log as RFC 4180 CSV.
int auditExportCommand(const Settings& settings, const std::string& file);
/// `--audit-subject=EMAIL` or `--audit-subject=customer:ACCOUNT`: prints the subject under which
/// the audit log records that customer, for auditors' queries (docs/auditing.md).
int auditSubjectCommand(const Settings& settings, const std::string& value);

/// Run mode, once at start: gives the ledger the installation's hash key (generating it on the
/// first run) and audits the start: the SHA-256 of the effective configuration, and each secret
/// whose source changed since the last start.
void preparePrivacy(const Settings& settings, LedgerStore& ledger, SecretStore& secrets,
                    Poco::Logger& logger);

/// The provider's deletion of a contact for purges, building the provider at each call so that
/// it can run on any thread.
PrivacyStore::Forget providerForgetter(const Settings& settings, SecretStore& secrets);

/// The provider's mirror of an opt-out (its own suppression list), built at each call like
/// providerForgetter; empty when the provider keeps no such list.
PrivacyStore::Forget providerOptOutMirror(const Settings& settings, SecretStore& secrets);

/// The admin API, started, when admin.port is set; nullptr otherwise. Throws naming the cause
/// when it cannot start (token secret missing, address in use).
std::unique_ptr<AdminServer> startAdminServer(const Settings& settings, SecretStore& secrets,
                                              Poco::Logger& logger);

} // namespace acd
