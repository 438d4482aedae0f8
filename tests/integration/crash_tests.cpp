#define BOOST_TEST_MODULE crash_tests
#include <boost/test/unit_test.hpp>

#include "CrashStore.h"
#include "Harness.h"

#include <Poco/File.h>
#include <SQLiteCpp/Database.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

// DESIGN §11 measured: the real daemon is SIGKILLed at random moments of cycles over thousands of
// carts, for each kind of provider, and a clean cycle then settles what the kills left. Providers
// that drop repeats (Emarsys, Mailchimp's cart ids, the outbox) must lose nothing; none may send anything
// twice; SMTP may leave at most the one message it had in flight uncertain per kill, SendGrid and Mandrill
// the one request.
//
// Knobs: ACD_CRASH_KILLS (kills per provider, default 20), ACD_CRASH_SEED (replays the draws of a
// reported run; the timing of the machine is not replayed, only where the kills were aimed).

using namespace acd::test;
using namespace crash;
using Clock = std::chrono::steady_clock;

namespace {

const std::string Daemon = binaryPath("abandoned-cartd");
constexpr int KilledBySigkill = 128 + 9;

int killsWanted()
{
    const char* text = std::getenv("ACD_CRASH_KILLS");
    return text != nullptr && *text != '\0' ? std::max(1, std::atoi(text)) : 20;
}

std::uint64_t runSeed()
{
    static const std::uint64_t seed = [] {
        const char* text = std::getenv("ACD_CRASH_SEED");
        if (text != nullptr && *text != '\0')
            return static_cast<std::uint64_t>(std::strtoull(text, nullptr, 10));
        return (static_cast<std::uint64_t>(std::random_device{}()) << 32) | std::random_device{}();
    }();
    return seed;
}

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Everything one provider's run adds up to, for the line the README quotes.
struct Tally
{
    int kills = 0;
    int stores = 0;
    int ranToEnd = 0; // attempts that finished before their kill came
    int killsStarting = 0, killsDeciding = 0, killsDelivering = 0, killsInFlight = 0;
    std::int64_t maxInFlightAtKill = 0;
    int shortestKillMs = -1, longestKillMs = 0;
    Outcome total;

    void add(const Outcome& o)
    {
        total.expected += o.expected;
        total.delivered += o.delivered;
        total.doubled += o.doubled;
        total.uncertain += o.uncertain;
        total.uncertainReceived += o.uncertainReceived;
        total.lost += o.lost;
        total.tokensIssued += o.tokensIssued;
        total.refusedWith429 += o.refusedWith429;
        total.repeatsDropped += o.repeatsDropped;
    }
};

/// Keeps a failing store's folder (ledger, daemon log, received messages) for a post-mortem.
void keepForPostMortem(const Store& store, const std::string& name)
{
    const std::string kept = "/tmp/acd-crash-" + name;
    try
    {
        Poco::File(kept).remove(true);
    }
    catch (...)
    {}
    Poco::File(store.dir.path()).copyTo(kept);
    BOOST_TEST_MESSAGE("kept for a post-mortem: " << kept << " (daemon.log, ledger.sqlite)");
}

/// The end of a log, enough to show how the last cycles ended.
std::string tail(const std::string& path)
{
    const std::string text = Poco::File(path).exists() ? readText(path) : "";
    return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
}

/// Kills aimed at one store: a cycle resumed after a kill carries on where the last one stopped,
/// so moments drawn over one whole cycle and taken in order land all over the store's work.
constexpr int KillsPerStore = 6;

/// One store: SIGKILLs at moments drawn over `cycleMs` and a tenth more (so that a cycle's last
/// moments are hit too), until an attempt outruns its kill; then clean cycles, and the checks.
/// Returns how long the store's cycles ran in all: the next store's estimate of a whole cycle.
double crashOneStore(const Plan& plan, int storeNumber, std::mt19937_64& random, double cycleMs,
                     int killsLeft, Tally& tally)
{
    Store store(plan, random() % 1000000);
    ++tally.stores;
    std::vector<int> moments(KillsPerStore);
    std::uniform_int_distribution<int> moment(0, static_cast<int>(cycleMs * 1.1));
    for (int& m : moments)
        m = moment(random);
    std::sort(moments.begin(), moments.end());
    const auto started = Clock::now();
    std::int64_t cyclesBefore = 0;
    int kills = 0, previous = 0;
    for (const int at : moments)
    {
        if (kills == killsLeft)
            break;
        const int delayMs = at - previous;
        previous = at;
        auto child = store.start();
        const auto deadline = Clock::now() + std::chrono::milliseconds(delayMs);
        while (child->running() && Clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        if (child->running())
            child->kill();
        const int code = child->wait();
        if (code != KilledBySigkill)
        {
            // The store's work is done: later kills would only find empty cycles. Ending on its
            // own, this one was a clean cycle and must have succeeded.
            ++tally.ranToEnd;
            BOOST_TEST(code == 0, plan.name << " store " << storeNumber << ": a cycle resumed after " << kills
                                            << " kill(s) exited " << code << ":\n"
                                            << tail(store.log()));
            break;
        }
        ++kills;
        const KillPoint point = killPoint(store);
        tally.shortestKillMs = tally.shortestKillMs < 0 ? delayMs : std::min(tally.shortestKillMs, delayMs);
        tally.longestKillMs = std::max(tally.longestKillMs, delayMs);
        tally.maxInFlightAtKill = std::max(tally.maxInFlightAtKill, point.sending);
        if (point.cycles <= cyclesBefore)
            ++tally.killsStarting;
        else if (!point.windowAdvanced)
            ++tally.killsDeciding;
        else
            ++tally.killsDelivering;
        tally.killsInFlight += point.sending > 0 ? 1 : 0;
        cyclesBefore = std::max(cyclesBefore, point.cycles);
        // SMTP holds one message at a time on its one connection, SendGrid and Mandrill one request: a kill
        // may leave only that one.
        if (atRiskPerKill(plan.kind) > 0)
            BOOST_TEST(point.sending <= atRiskPerKill(plan.kind),
                       plan.name << " store " << storeNumber << ": the kill after " << delayMs << " ms left "
                                 << point.sending << " reminders sending");
    }
    tally.kills += kills;

    RunResult clean = store.once();
    BOOST_TEST(clean.exitCode == 0, plan.name << " store " << storeNumber << ": the clean cycle exited "
                                              << clean.exitCode << ":\n"
                                              << clean.err);
    if (clean.exitCode == 0 && check(store).count("pending") > 0)
    {
        // A reminder deferred by the provider (a retry past its budget) waits for the next cycle.
        clean = store.once();
        BOOST_TEST(clean.exitCode == 0, plan.name << " store " << storeNumber
                                                  << ": the second clean cycle exited " << clean.exitCode
                                                  << ":\n"
                                                  << clean.err);
    }
    const double ranMs = secondsSince(started) * 1000;
    const Outcome o = check(store);
    tally.add(o);
    const std::string where = plan.name + " store " + std::to_string(storeNumber) + " (" +
                              std::to_string(kills) + " kills, seed " + std::to_string(runSeed()) + ")";
    std::ostringstream statuses;
    for (const auto& [status, count] : o.statuses)
        statuses << ' ' << status << '=' << count;
    bool fine = true;
    BOOST_TEST_CONTEXT(where << ": ledger" << statuses.str() << "; delivered " << o.delivered << ", doubled "
                             << o.doubled << ", unexpected " << o.unexpected << ", lost " << o.lost
                             << " (sent yet missing " << o.sentMissing << "); the log ends:\n"
                             << tail(store.log()))
    {
        auto expect = [&](bool ok, const char* what) {
            BOOST_TEST(ok, what);
            fine = fine && ok;
        };
        expect(o.expected == plan.carts, "one reminder per cart");
        expect(o.count("skipped") == 0, "nothing skipped");
        expect(o.doubled == 0, "nothing doubled");
        expect(o.unexpected == 0, "nothing received that the ledger does not know");
        expect(o.lost == 0, "nothing lost");
        expect(o.count("pending") == 0, "nothing pending");
        expect(ledgerCount(store, "SELECT count(*) FROM deliveries_in_flight") == 0, "nothing on its way");
        expect(o.count("failed") == 0, "nothing refused");
        if (atRiskPerKill(plan.kind) > 0)
        {
            expect(o.uncertain <= kills * atRiskPerKill(plan.kind),
                   "at most one message or request uncertain per kill");
            expect(o.count("sent") + o.uncertain == plan.carts, "every reminder sent or uncertain");
        }
        else
        {
            expect(o.uncertain == 0, "nothing uncertain");
            expect(o.count("sent") == plan.carts, "every reminder sent");
        }
        if (plan.kind == Kind::Outbox)
        {
            expect(o.leftovers == 0, "no temporary file left");
            expect(o.withoutHtml == 0, "every .eml has its .html");
        }
        // The auditor's list is exactly the ledger's uncertain rows.
        SQLite::Database db(store.ledger(), SQLite::OPEN_READONLY);
        expect(ids(db, "SELECT notification_id FROM uncertain_reminders ORDER BY notification_id") ==
                   ids(db, "SELECT id FROM notifications WHERE status = 'uncertain' ORDER BY id"),
               "uncertain_reminders lists the uncertain rows");
    }
    if (!fine)
        keepForPostMortem(store,
                          plan.name + "-" + std::to_string(runSeed()) + "-" + std::to_string(storeNumber));
    return ranMs;
}

void crashRun(const Plan& plan)
{
    const int wanted = killsWanted();
    // Each provider draws from its own sequence: one test case run alone replays the same draws.
    std::mt19937_64 random(runSeed() + static_cast<std::uint64_t>(plan.kind) * 0x9E3779B97F4A7C15ULL);
    const auto started = Clock::now();

    // The first store's kills are drawn over an undisturbed cycle of the same size; later ones over
    // what the store before them took, which follows the machine's load.
    double cycleMs = 0;
    {
        Store calibration(plan, random() % 1000000);
        const auto before = Clock::now();
        REQUIRE_SUCCESS(calibration.once());
        cycleMs = secondsSince(before) * 1000;
        BOOST_REQUIRE_EQUAL(check(calibration).count("sent"), plan.carts);
    }
    BOOST_TEST_MESSAGE(plan.name << ": seed " << runSeed() << " (ACD_CRASH_SEED), " << wanted
                                 << " kills (ACD_CRASH_KILLS); an undisturbed cycle of " << plan.carts
                                 << " carts took " << static_cast<int>(cycleMs) << " ms");
    Tally tally;
    while (tally.kills < wanted)
        cycleMs = crashOneStore(plan, tally.stores + 1, random, cycleMs, wanted - tally.kills, tally);

    const Outcome& t = tally.total;
    std::ostringstream line;
    line.setf(std::ios::fixed);
    line.precision(1);
    line << plan.name << ": " << tally.kills << " kills, " << tally.stores * plan.carts << " carts ("
         << tally.stores << " stores of " << plan.carts << "), " << t.expected << " reminders expected, "
         << t.delivered << " delivered, " << t.doubled << " doubled, " << t.uncertain << " uncertain ("
         << t.uncertainReceived << " of them received), " << t.lost << " lost, " << secondsSince(started)
         << " s; seed " << runSeed();
    BOOST_TEST_MESSAGE(line.str());
    BOOST_TEST_MESSAGE(
        plan.name << ": kills landed " << tally.killsStarting << " before the cycle began, "
                  << tally.killsDeciding << " before every cart was decided, " << tally.killsDelivering
                  << " after; " << tally.killsInFlight << " with a request in flight (at most "
                  << tally.maxInFlightAtKill << " reminders sending); each " << tally.shortestKillMs << ".."
                  << tally.longestKillMs << " ms after its cycle started; " << tally.ranToEnd
                  << " cycles ended before their kill"
                  << (plan.kind == Kind::Mailchimp
                          ? "; carts Mailchimp already had (sent again after a kill) " +
                                std::to_string(t.repeatsDropped)
                          : std::string())
                  << (plan.kind == Kind::Emarsys
                          ? "; Emarsys tokens issued " + std::to_string(t.tokensIssued) + ", 429 replies " +
                                std::to_string(t.refusedWith429) + ", repeated trigger ids dropped " +
                                std::to_string(t.repeatsDropped)
                          : std::string()));
    BOOST_TEST(tally.kills >= wanted);
    BOOST_TEST(t.lost == 0);
    BOOST_TEST(t.doubled == 0);
    if (atRiskPerKill(plan.kind) > 0)
        BOOST_TEST(t.uncertain <= tally.kills * atRiskPerKill(plan.kind));
    else
        BOOST_TEST(t.uncertain == 0);
}

} // namespace

BOOST_AUTO_TEST_CASE(emarsys_loses_and_doubles_nothing_through_sigkills)
{
    crashRun({Kind::Emarsys, "emarsys", 5000});
}

BOOST_AUTO_TEST_CASE(the_outbox_loses_and_doubles_nothing_through_sigkills)
{
    crashRun({Kind::Outbox, "outbox", 3000});
}

BOOST_AUTO_TEST_CASE(smtp_doubles_nothing_and_leaves_at_most_one_uncertain_reminder_per_sigkill)
{
    crashRun({Kind::Smtp, "smtp", 3000});
}

BOOST_AUTO_TEST_CASE(sendgrid_doubles_nothing_and_leaves_at_most_one_request_uncertain_per_sigkill)
{
    crashRun({Kind::SendGrid, "sendgrid", 3000});
}

BOOST_AUTO_TEST_CASE(mailchimp_loses_and_doubles_no_cart_through_sigkills)
{
    crashRun({Kind::Mailchimp, "mailchimp", 3000});
}

BOOST_AUTO_TEST_CASE(mandrill_doubles_nothing_and_leaves_at_most_one_request_uncertain_per_sigkill)
{
    crashRun({Kind::Mandrill, "mandrill", 3000});
}
