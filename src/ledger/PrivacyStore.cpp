#include "ledger/PrivacyStore.h"

#include "core/Email.h"
#include "core/KeyedHash.h"
#include "core/Timestamp.h"
#include "ledger/AuditLog.h"
#include "ledger/LedgerInternals.h"
#include "ledger/LedgerStore.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <set>

namespace acd {

namespace {

const char* const PurgedReason = "purged";

std::string yesNo(bool value)
{
    return value ? "yes" : "no";
}

std::string emailSubject(const std::string& emailHash)
{
    return "email:" + emailHash;
}

} // namespace

PrivacyStore::PrivacyStore(LedgerStore& ledger)
    : _ledger(ledger), _isOptedOut(std::make_unique<SQLite::Statement>(
                           ledger.database(), "SELECT 1 FROM opt_outs WHERE email_hash = ?1")),
      _isConsented(std::make_unique<SQLite::Statement>(ledger.database(),
                                                       "SELECT 1 FROM consents WHERE email_hash = ?1"))
{
    ledger.keyedHash(); // refuse now, not at the first lookup, when the key is missing
}

PrivacyStore::~PrivacyStore() = default;

std::set<std::string> PrivacyStore::listed(SQLite::Statement& lookup,
                                           const std::vector<std::string>& normalizedEmails)
{
    const KeyedHash& hash = _ledger.keyedHash();
    const ReadTransaction read(_ledger.database());
    std::set<std::string> found;
    for (const std::string& email : normalizedEmails)
    {
        if (email.empty() || found.contains(email))
            continue;
        lookup.reset();
        lookup.bind(1, hash.email(email));
        if (lookup.executeStep())
            found.insert(email);
    }
    lookup.reset();
    return found;
}

std::set<std::string> PrivacyStore::optedOut(const std::vector<std::string>& normalizedEmails)
{
    return listed(*_isOptedOut, normalizedEmails);
}

std::set<std::string> PrivacyStore::consented(const std::vector<std::string>& normalizedEmails)
{
    return listed(*_isConsented, normalizedEmails);
}

std::map<std::string, SkipReason> PrivacyStore::refusals(const std::vector<std::string>& normalizedEmails,
                                                         bool consentRequired)
{
    std::map<std::string, SkipReason> refused;
    for (const std::string& email : optedOut(normalizedEmails))
        refused.emplace(email, SkipReason::OptedOut);
    if (consentRequired)
    {
        const std::set<std::string> allowed = consented(normalizedEmails);
        for (const std::string& email : normalizedEmails)
            if (!allowed.contains(email))
                refused.emplace(email, SkipReason::NoConsent);
    }
    return refused;
}

std::string PrivacyStore::checkedAddress(const std::string& email) const
{
    std::string normalized = normalizeEmail(email);
    if (!isUsableEmail(normalized))
        throw InvalidAddress("\"" + email + "\" is not an e-mail address (expected name@domain)");
    return normalized;
}

bool PrivacyStore::setListed(const std::string& table, bool present, const std::string& emailHash,
                             const std::string& actor, const std::string& now)
{
    // `table` is one of our two list tables, never input.
    SQLite::Statement change(_ledger.database(),
                             present ? "INSERT INTO " + table +
                                           " (email_hash, created_at, actor) VALUES (?1, ?2, ?3) "
                                           "ON CONFLICT (email_hash) DO NOTHING"
                                     : "DELETE FROM " + table + " WHERE email_hash = ?1");
    change.bind(1, emailHash);
    if (present)
    {
        change.bind(2, now);
        change.bind(3, actor);
    }
    return change.exec() > 0;
}

bool PrivacyStore::optOut(const std::string& email, const std::string& actor)
{
    const std::string emailHash = _ledger.keyedHash().email(checkedAddress(email));
    const std::string now = Timestamp::now().toIso();
    SQLite::Transaction transaction(_ledger.database(), SQLite::TransactionBehavior::IMMEDIATE);
    const bool added = setListed("opt_outs", true, emailHash, actor, now);
    _ledger.audit().append({actor, "opt_out", emailSubject(emailHash), "changed=" + yesNo(added)}, now);
    transaction.commit();
    return added;
}

bool PrivacyStore::removeOptOut(const std::string& email, const std::string& actor)
{
    const std::string emailHash = _ledger.keyedHash().email(checkedAddress(email));
    const std::string now = Timestamp::now().toIso();
    SQLite::Transaction transaction(_ledger.database(), SQLite::TransactionBehavior::IMMEDIATE);
    const bool removed = setListed("opt_outs", false, emailHash, actor, now);
    _ledger.audit().append({actor, "opt_out_removed", emailSubject(emailHash), "changed=" + yesNo(removed)},
                           now);
    transaction.commit();
    return removed;
}

bool PrivacyStore::optIn(const std::string& email, const std::string& actor)
{
    const std::string emailHash = _ledger.keyedHash().email(checkedAddress(email));
    const std::string now = Timestamp::now().toIso();
    SQLite::Transaction transaction(_ledger.database(), SQLite::TransactionBehavior::IMMEDIATE);
    const bool consentAdded = setListed("consents", true, emailHash, actor, now);
    const bool optOutRemoved = setListed("opt_outs", false, emailHash, actor, now);
    _ledger.audit().append(
        {actor, "opt_in", emailSubject(emailHash),
         "consent_added=" + yesNo(consentAdded) + " opt_out_removed=" + yesNo(optOutRemoved)},
        now);
    transaction.commit();
    return consentAdded || optOutRemoved;
}

PurgeResult PrivacyStore::purge(const std::string& email, const std::string& actor, bool keepSubscribed,
                                const Forget& forget, const std::string& providerName)
{
    const std::string address = checkedAddress(email);
    const KeyedHash& hash = _ledger.keyedHash();
    const std::string emailHash = hash.email(address);
    SQLite::Database& db = _ledger.database();
    PurgeResult result;

    // secure_delete zeroes what is deleted in the database file itself; the checkpoint at the
    // end empties the write-ahead log, which still holds the pages as they were.
    db.exec("PRAGMA secure_delete = ON");
    std::string now = Timestamp::now().toIso();
    {
        SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);

        // The reminders to the address: through the keyed hash every reminder keeps, and through
        // the outbox for reminders queued before the hash was recorded.
        const std::vector<std::int64_t> hashed = _ledger.retention().notificationsTo(emailHash);
        std::set<std::int64_t> notifications(hashed.begin(), hashed.end());
        SQLite::Statement queuedTo(db, "SELECT notification_id FROM outbox WHERE email = ?1");
        queuedTo.bind(1, address);
        while (queuedTo.executeStep())
            notifications.insert(queuedTo.getColumn(0).getInt64());
        queuedTo.reset();

        // Their customers. Every reminder has its account number while it is pending or holds
        // an outbox row (retention and purges hash it only once it is final and forgotten), so
        // withdrawing and forgetting per customer below takes the address's reminders too.
        SQLite::Statement accountOf(db, "SELECT customer_id FROM notifications WHERE id = ?1");
        std::set<std::string> customers;
        for (const std::int64_t id : notifications)
        {
            accountOf.reset();
            accountOf.bind(1, id);
            if (accountOf.executeStep())
            {
                std::string customer = accountOf.getColumn(0).getString();
                if (!customer.empty() && !customer.starts_with("h:"))
                    customers.insert(std::move(customer));
            }
        }
        accountOf.reset();

        SQLite::Statement withdrawCustomer(db, R"sql(
            UPDATE notifications SET status = 'skipped', reason = ?1, updated_at = ?2
            WHERE status = 'pending' AND customer_id = ?3)sql");
        SQLite::Statement removeCustomer(db, R"sql(
            DELETE FROM outbox WHERE notification_id IN (SELECT id FROM notifications WHERE customer_id = ?1))sql");
        SQLite::Statement anonymise(db, "UPDATE notifications SET customer_id = ?1 WHERE customer_id = ?2");
        ledger::NotificationCounts counts;
        for (const std::string& customer : customers)
        {
            withdrawCustomer.reset();
            withdrawCustomer.bind(1, PurgedReason);
            withdrawCustomer.bind(2, now);
            withdrawCustomer.bind(3, customer);
            const int withdrawn = withdrawCustomer.exec();
            result.withdrawn += withdrawn;
            counts.moved(NotificationStatus::Skipped, "", PurgedReason, withdrawn);
            removeCustomer.reset();
            removeCustomer.bind(1, customer);
            result.outboxRows += removeCustomer.exec();
            anonymise.reset();
            anonymise.bind(1, "h:" + hash.customer(customer));
            anonymise.bind(2, customer);
            result.notifications += anonymise.exec();
            _ledger.staging().unstageCustomer(customer);
        }
        counts.apply(db);
        // The address itself goes whoever's reminder holds it: nothing above should have left one.
        SQLite::Statement removeAddress(db, "DELETE FROM outbox WHERE email = ?1");
        removeAddress.bind(1, address);
        result.outboxRows += removeAddress.exec();

        if (!keepSubscribed)
        {
            result.optedOut = setListed("opt_outs", true, emailHash, actor, now);
            if (result.optedOut)
                _ledger.audit().append({actor, "opt_out", emailSubject(emailHash), "changed=yes by=purge"},
                                       now);
            if (setListed("consents", false, emailHash, actor, now))
                _ledger.audit().append({actor, "consent_withdrawn", emailSubject(emailHash), "by=purge"},
                                       now);
        }
        _ledger.audit().append({actor, "purge", emailSubject(emailHash),
                                "outbox_rows=" + std::to_string(result.outboxRows) +
                                    " notifications=" + std::to_string(result.notifications) +
                                    " withdrawn=" + std::to_string(result.withdrawn) +
                                    " customers=" + std::to_string(customers.size()) +
                                    " subscription=" + (keepSubscribed ? "kept" : "opted_out")},
                               now);
        transaction.commit();
    }

    try
    {
        forget(address);
    }
    catch (const std::exception& e)
    {
        result.providerError = withoutAddresses(e.what());
    }
    now = Timestamp::now().toIso();
    {
        SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
        _ledger.audit().append(
            {actor, "provider_forget", emailSubject(emailHash),
             "provider=" + providerName +
                 (result.providerError.empty() ? " result=done"
                                               : " result=failed error=" + result.providerError)},
            now);
        transaction.commit();
    }
    result.walCleared = _ledger.truncateWal();
    return result;
}

} // namespace acd
