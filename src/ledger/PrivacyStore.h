#pragma once

#include "core/Types.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace SQLite {
class Statement;
}

namespace acd {

class LedgerStore;

/// An address given to an opt-out, opt-in or purge is not usable; the message quotes it.
class InvalidAddress : public std::invalid_argument
{
public:
    using std::invalid_argument::invalid_argument;
};

struct PurgeResult
{
    std::int64_t outboxRows = 0;    // addresses and payloads removed
    std::int64_t notifications = 0; // notifications whose account number became its keyed hash
    std::int64_t withdrawn = 0;     // pending reminders that will not go out
    bool optedOut = false;          // the purge added an opt-out (not asked to keep the subscription)
    std::string providerError;      // "" when the provider forgot the address
    bool walCleared = true;         // false: a reader kept the write-ahead log from being emptied now
};

/// Opt-outs, consents (the opt-in list of detection.requireConsent) and purge, on the ledger's
/// connection. Addresses are normalised (normalizeEmail) and kept only as the installation's
/// keyed hash, so the lists are not lists of addresses. Every change is audited by keyed hash
/// with its actor (cli:<user>, admin-api:<client>), in the transaction that makes it.
/// The ledger's hash key must be set (LedgerStore::setHashKey).
class PrivacyStore
{
public:
    explicit PrivacyStore(LedgerStore& ledger);
    ~PrivacyStore();

    /// The addresses among `normalizedEmails` that opted out.
    std::set<std::string> optedOut(const std::vector<std::string>& normalizedEmails);
    /// The addresses among `normalizedEmails` on the opt-in list.
    std::set<std::string> consented(const std::vector<std::string>& normalizedEmails);
    /// The addresses that must get nothing, with the reason to record: opted out first, then
    /// (when consent is required) not on the opt-in list. For the cycle, when deciding and
    /// again right before delivery.
    std::map<std::string, SkipReason> refusals(const std::vector<std::string>& normalizedEmails,
                                               bool consentRequired);

    /// Each returns true when it changed something (false: it was so already; still audited, so
    /// that the request itself is on record). Throw InvalidAddress for an unusable address.
    bool optOut(const std::string& email, const std::string& actor);
    /// Removes an opt-out only (DELETE /v1/opt-outs/{email}).
    bool removeOptOut(const std::string& email, const std::string& actor);
    /// Adds the address to the opt-in list and removes its opt-out.
    bool optIn(const std::string& email, const std::string& actor);

    /// `forget` asks the provider to delete the contact (EmailProvider::forget); it may throw.
    using Forget = std::function<void(const std::string& normalizedEmail)>;

    /// Removes every personal datum of the address from the ledger in one transaction: its
    /// outbox rows (pending reminders become skipped 'purged'), the account number of every
    /// notification of the customers found through the address (replaced by its keyed hash),
    /// their staged carts; opts the address out unless `keepSubscribed`. Then the provider
    /// forgets the contact, each step is audited, and the write-ahead log is emptied with
    /// secure_delete on, so no copy lingers in the -wal file.
    PurgeResult purge(const std::string& email, const std::string& actor, bool keepSubscribed,
                      const Forget& forget, const std::string& providerName);

private:
    std::set<std::string> listed(SQLite::Statement& lookup, const std::vector<std::string>& normalizedEmails);
    std::string checkedAddress(const std::string& email) const;
    bool setListed(const std::string& table, bool present, const std::string& emailHash,
                   const std::string& actor, const std::string& now);

    LedgerStore& _ledger;
    std::unique_ptr<SQLite::Statement> _isOptedOut;
    std::unique_ptr<SQLite::Statement> _isConsented;
};

} // namespace acd
