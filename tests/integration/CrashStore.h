#pragma once

// The crash test's stores (DESIGN §11): one simulator, ledger and receiving end per store, and
// what the receiving end holds against the ledger once the kills are settled.

#include "Harness.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace crash {

using namespace acd::test;

enum class Kind
{
    Emarsys,
    Outbox,
    Smtp,
    SendGrid,  // one request of at most 100 reminders in flight at a time
    Mandrill,  // likewise
    Mailchimp, // drops repeats: the cart id is the trigger id
};

/// What one kill may leave uncertain: SMTP's one message, SendGrid's or Mandrill's one request.
constexpr std::int64_t atRiskPerKill(Kind kind)
{
    return kind == Kind::Smtp ? 1 : kind == Kind::SendGrid || kind == Kind::Mandrill ? 100 : 0;
}

struct Plan
{
    Kind kind;
    std::string name;
    int carts; // per store; each generated cart has its own customer, so one reminder each
};

/// A fresh store of `plan.carts` generated carts with its own simulator, ledger and receiving end:
/// the kills of one store are settled and checked before the next one starts from nothing.
struct Store
{
    Store(const Plan& plan, std::uint64_t dataSeed);

    std::string ledger() const { return dir.file("ledger.sqlite"); }
    std::string outboxDir() const { return dir.file("outbox"); }
    std::string mailDir() const { return dir.file("mail"); }
    std::string log() const { return dir.file("daemon.log"); }

    /// The daemon's `--once`, to be killed.
    std::unique_ptr<ChildProcess> start() const;
    /// A clean cycle, its output added to the log of the killed ones for a post-mortem.
    RunResult once() const;

    Plan plan;
    TempDir dir;
    CommerceSim sim;
    std::optional<PythonServer> smtp;
    std::string config;
};

struct KillPoint
{
    std::int64_t cycles = -1; // -1: no ledger yet
    std::int64_t sending = 0;
    bool windowAdvanced = false;
};

/// Where the kill found the cycle, from what it left in the ledger.
KillPoint killPoint(const Store& store);
std::int64_t ledgerCount(const Store& store, const std::string& sql);
std::vector<std::int64_t> ids(SQLite::Database& db, const std::string& sql);

/// What one store's receiving end holds against its ledger.
struct Outcome
{
    std::int64_t expected = 0;
    std::int64_t delivered = 0;  // messages or contacts the receiving end holds
    std::int64_t doubled = 0;    // copies beyond the first for one address or one reminder
    std::int64_t unexpected = 0; // received, but no reminder of the ledger has its trigger id
    std::int64_t uncertain = 0;
    std::int64_t uncertainReceived = 0;
    std::int64_t lost = 0;        // a reminder the ledger does not call uncertain, yet never received
    std::int64_t sentMissing = 0; // `sent` in the ledger and not received (part of lost)
    std::int64_t leftovers = 0;   // temporary files left in the outbox
    std::int64_t withoutHtml = 0; // outbox .eml without its browser copy
    std::map<std::string, std::int64_t> statuses;
    std::int64_t tokensIssued = 0;
    std::int64_t refusedWith429 = 0;
    std::int64_t repeatsDropped = 0; // Emarsys 9003: a trigger id sent again after a kill, kept once

    std::int64_t count(const std::string& status) const
    {
        const auto found = statuses.find(status);
        return found == statuses.end() ? 0 : found->second;
    }
};

/// Compares what the store's provider received with its ledger.
Outcome check(const Store& store);

} // namespace crash
