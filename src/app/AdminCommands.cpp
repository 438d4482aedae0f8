#include "app/AdminCommands.h"

#include "app/PrivacyCommands.h"
#include "app/SecretCommands.h"

namespace acd {

const std::vector<AdminCommand>& adminCommands()
{
    static const std::vector<AdminCommand> commands{
        {"secret-set", "NAME", "store the value read from stdin as secret NAME in the first writable source",
         &secretSet},
        {"secret-list", nullptr, "list the configured secret names and their sources (never values)",
         &secretList},
        {"secret-check", nullptr, "resolve every configured secret; report its source and age", &secretCheck},
        {"opt-out", "EMAIL", "the address gets no reminder from now on (any letter case)", &optOutCommand},
        {"opt-in", "EMAIL",
         "put the address on the opt-in list (detection.requireConsent) and remove its opt-out",
         &optInCommand},
        {"purge", "EMAIL",
         "remove every personal datum of the address from the ledger and the provider, and opt it out",
         &purgeCommand},
        {"purge-keep-subscribed", "EMAIL", "the same purge, without the opt-out",
         &purgeKeepSubscribedCommand},
        {"audit-verify", nullptr,
         "check the audit log's hash chain: exit 0 when nothing was removed or altered", &auditVerifyCommand},
        {"audit-export", "FILE", "write the audit log to FILE as CSV (RFC 4180; - for stdout)",
         &auditExportCommand},
        {"audit-subject", "EMAIL", "print the audit log's subject for an address (or customer:ACCOUNT)",
         &auditSubjectCommand},
    };
    return commands;
}

} // namespace acd
