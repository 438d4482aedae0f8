#include "app/Cycle.h"

#include "app/Registry.h"
#include "core/CartFilter.h"
#include "core/CartWindow.h"
#include "core/Email.h"
#include "core/ReminderDecision.h"
#include "core/ReminderPayload.h"
#include "core/TriggerId.h"
#include "notify/EmailProvider.h"
#include "retail/RetailClient.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <sstream>

namespace acd {

namespace {

/// Raised inside a cycle when a stop was requested: the cycle ends between two batches.
struct StopRequested
{};

constexpr int ReminderStage = 1;
constexpr std::size_t DeliveryBatch = 1000;
/// Products stay cached across the chunks of a cycle; the bound keeps memory flat on
/// catalogues far larger than one cycle needs.
constexpr std::size_t ProductCacheLimit = 20000;

} // namespace

std::string CycleResult::summary() const
{
    std::ostringstream out;
    out << "cycle " << cycleId << ' ' << status << " in " << static_cast<long long>(seconds * 1000)
        << " ms: " << counts.cartsSeen << " carts seen, " << counts.remindersQueued << " reminders queued, "
        << counts.remindersSent << " sent, " << counts.remindersFailed << " refused, "
        << counts.remindersPending << " pending, " << counts.skipped << " skipped";
    if (!skipsByReason.empty())
    {
        out << " (";
        bool first = true;
        for (const auto& [reason, count] : skipsByReason)
        {
            out << (first ? "" : ", ") << reason << ' ' << count;
            first = false;
        }
        out << ')';
    }
    if (!error.empty())
        out << ": " << error;
    return out.str();
}

Cycle::Cycle(const Settings& settings, LedgerStore& ledger, RetailClient& retail, EmailProvider& provider,
             Poco::Logger& logger, const std::atomic<bool>& stopRequested)
    : _settings(settings), _ledger(ledger), _retail(retail), _provider(provider), _logger(logger),
      _stopRequested(stopRequested), _privacy(ledger)
{}

CycleResult Cycle::run()
{
    const auto started = std::chrono::steady_clock::now();
    const std::string& oun = _settings.operatingUnitNumber;
    CycleResult result;
    const CartWindow window = computeCartWindow(_ledger.windowStart(oun), Timestamp::now(),
                                                _settings.includeModifiedSinceLastMinutes,
                                                _settings.excludeModifiedSinceLastMinutes);
    result.cycleId = _ledger.beginCycle(oun, window.from, window.to);
    try
    {
        _channel = _retail.channel();
        if (!window.empty())
            readWindow(result.cycleId, window.from, window.to, result);
        decideAndDeliver(result.cycleId, window, result);
        result.status = "completed";
    }
    catch (const StopRequested&)
    {
        result.status = "interrupted";
        result.error = "stop requested; the window was not advanced and pending reminders stay in the outbox";
    }
    catch (const std::exception& e)
    {
        result.status = "failed";
        result.error = e.what();
    }
    _ledger.clearCandidates(result.cycleId);
    try
    {
        _ledger.indexEmailHashes();
    }
    catch (const std::exception& e)
    {
        // Nothing is lost: a purge reads the rows not yet indexed from notifications.
        _logger.error("indexing the cycle's address hashes failed, it is tried again at the next cycle: %s",
                      std::string(e.what()));
    }
    // Whatever happened to Retail Server or the provider, personal data does not outlive its
    // retention period.
    applyRetention();
    // What is left to send, whatever stopped the cycle: a batch refused as a whole (a 401) or
    // never reached stays pending without a result of its own.
    result.counts.remindersPending = _ledger.pendingCount();
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    _ledger.finishCycle(result.cycleId, result.counts, result.status, result.error);
    return result;
}

void Cycle::readWindow(std::int64_t cycleId, Timestamp from, Timestamp to, CycleResult& result)
{
    const std::string& oun = _settings.operatingUnitNumber;
    const int pageSize = _settings.pageSize;
    const int step = pageSize * _settings.concurrency;
    // The next `concurrency` pages are on their way while this round is read and written to the
    // ledger: Retail Server, the parsing and the ledger work at the same time, with never more
    // than `concurrency` requests out. At most two rounds are in memory. A round's task uses
    // the Retail client until it has its replies; the next round's task starts only then.
    struct Round
    {
        std::future<bool> full; // the round's last page is full: the window goes on
        std::future<std::vector<std::vector<Cart>>> pages;
    };
    const auto fetch = [this, from, to](int skip) {
        auto full = std::make_shared<std::promise<bool>>();
        Round round;
        round.full = full->get_future();
        round.pages = std::async(std::launch::async, [this, from, to, skip, full] {
            bool told = false;
            try
            {
                return _retail.searchCartPages(from, to, skip, _settings.concurrency, [&](bool lastPageFull) {
                    full->set_value(lastPageFull);
                    told = true;
                });
            }
            catch (...)
            {
                if (!told)
                    full->set_exception(std::current_exception());
                throw;
            }
        });
        return round;
    };
    Round round = fetch(0);
    for (int skip = 0;; skip += step)
    {
        Round next;
        if (round.full.get())
            next = fetch(skip + step);
        const std::vector<std::vector<Cart>> pages = round.pages.get();
        // A short page before the last one (carts left the window while it was paged) ends the
        // reading as it always did; the round already asked for is then left unread.
        const bool lastRound =
            !next.pages.valid() ||
            std::any_of(pages.begin(), pages.end(), [pageSize](const std::vector<Cart>& page) {
                return static_cast<int>(page.size()) < pageSize;
            });
        if (_stopRequested)
            throw StopRequested{};
        for (const std::vector<Cart>& page : pages)
        {
            result.counts.cartsSeen += static_cast<std::int64_t>(page.size());
            std::vector<SkippedCart> skips;
            std::vector<Cart> eligible;
            for (const Cart& cart : page)
            {
                if (auto reason = precheckCart(cart))
                    skips.push_back({cart.id, cart.modifiedDateTime ? cart.modifiedDateTime->toIso() : "",
                                     cart.customerId, *reason});
                else
                    eligible.push_back(cart);
            }
            _ledger.recordSkips(cycleId, oun, skips);
            countSkips(skips, result);
            _ledger.stageCandidates(cycleId, oun, eligible);
            if (static_cast<int>(page.size()) < pageSize)
                break;
        }
        if (lastRound)
            break;
        round = std::move(next);
    }
    const int superseded = _ledger.resolveSuperseded(cycleId, oun);
    if (superseded > 0)
    {
        result.skipsByReason[toString(SkipReason::Superseded)] += superseded;
        result.counts.skipped += superseded;
    }
}

/// Hands the outbox to the provider in whole requests while the cycle goes on deciding: the
/// provider's round trips overlap the decisions, and every ledger write stays on the cycle's
/// thread and connection. One request group is out at a time; while it is, reminders wait in
/// the outbox, so at most that group, the next one and one outbox chunk are in memory.
class DeliveryPump
{
public:
    DeliveryPump(const Settings& settings, LedgerStore& ledger, PrivacyStore& privacy,
                 EmailProvider& provider, const std::atomic<bool>& stopRequested, CycleResult& result)
        : _settings(settings), _ledger(ledger), _privacy(privacy), _provider(provider),
          _stopRequested(stopRequested), _result(result)
    {}

    /// Sends the next whole requests if the previous ones are back; returns at once otherwise.
    void pump()
    {
        if (_failure ||
            (_inFlight.valid() && _inFlight.wait_for(std::chrono::seconds(0)) != std::future_status::ready))
            return;
        std::size_t count = 0;
        while ((count = _provider.wholeRequests(_gathered, ProviderBatchesInFlight)) == 0)
            if (!readOutbox())
                return;
        // Each group sent while deciding has the whole budget: its retries run beside the
        // decisions, and the next group waits for it.
        send(count, retryDeadline());
    }

    /// Sends whatever the outbox still holds, the last requests partly filled, and records
    /// every result. A provider refusing a request as a whole (a 401) is thrown from here.
    void finish()
    {
        // Deciding is over: the last sends share one budget, so the cycle ends within it.
        const Timestamp deadline = retryDeadline();
        bool outboxRead = false;
        while (!_failure)
        {
            if (_stopRequested)
            {
                settle();
                throw StopRequested{};
            }
            std::size_t count = _provider.wholeRequests(_gathered, ProviderBatchesInFlight);
            if (count == 0)
            {
                if (!outboxRead)
                {
                    outboxRead = !readOutbox();
                    continue;
                }
                count = _gathered.size(); // the last requests, partly filled
                if (count == 0)
                    break;
            }
            send(count, deadline);
        }
        settle();
        if (_failure)
            std::rethrow_exception(_failure);
    }

    /// Records the results of the requests still out: whatever ends the cycle, what was
    /// handed over is recorded.
    void settle() { record(collect()); }

private:
    Timestamp retryDeadline() const { return Timestamp::now().plusSeconds(_settings.retryBudgetSeconds); }

    /// Reads the next outbox chunk after the last one; false when there is nothing more yet.
    bool readOutbox()
    {
        std::vector<OutboxItem> items = _ledger.pendingOutbox(_after, static_cast<int>(DeliveryBatch));
        if (items.empty())
            return false;
        _after = items.back().notificationId;
        for (OutboxItem& item : items)
            _gathered.push_back({item.notificationId, std::move(item.triggerId), std::move(item.email),
                                 std::move(item.dataJson)});
        return true;
    }

    /// The first `count` gathered reminders go out, once the requests before them are back;
    /// their results are recorded while the new ones travel.
    void send(std::size_t count, Timestamp deadline)
    {
        // Checked again right before sending: an opt-out (or a withdrawn consent) that came
        // after the reminder was queued still stops it, and its data never leaves the machine.
        std::vector<std::string> emails;
        emails.reserve(count);
        for (std::size_t i = 0; i < count; ++i)
            emails.push_back(_gathered[i].email);
        const std::map<std::string, SkipReason> refused = _privacy.refusals(emails, _settings.requireConsent);
        std::vector<WithdrawnReminder> withdrawn;
        std::vector<Reminder> batch;
        batch.reserve(count);
        for (std::size_t i = 0; i < count; ++i)
        {
            if (auto refusal = refused.find(_gathered[i].email); refusal != refused.end())
            {
                withdrawn.push_back({_gathered[i].notificationId, refusal->second});
                ++_result.skipsByReason[toString(refusal->second)];
                ++_result.counts.skipped;
                continue;
            }
            batch.push_back(std::move(_gathered[i]));
        }
        _gathered.erase(_gathered.begin(), _gathered.begin() + static_cast<std::ptrdiff_t>(count));
        if (!withdrawn.empty())
            _ledger.withdrawPending(withdrawn);

        // A refusal of the previous requests (a 401) stops the sending before this batch
        // leaves: it stays pending in the outbox.
        const std::vector<DeliveryResult> previous = collect();
        if (!_failure && !batch.empty())
            _inFlight = std::async(std::launch::async, [this, batch = std::move(batch), deadline] {
                return _provider.deliver(batch, deadline);
            });
        record(previous);
    }

    /// The results of the requests out, once they are back; none after a refusal as a whole.
    std::vector<DeliveryResult> collect()
    {
        if (!_inFlight.valid())
            return {};
        try
        {
            return _inFlight.get();
        }
        catch (...)
        {
            _failure = std::current_exception();
            return {};
        }
    }

    void record(const std::vector<DeliveryResult>& results)
    {
        if (results.empty())
            return;
        std::vector<DeliveryOutcome> outcomes;
        outcomes.reserve(results.size());
        for (const DeliveryResult& delivery : results)
        {
            switch (delivery.status)
            {
            case DeliveryStatus::Sent:
                outcomes.push_back({delivery.notificationId, "sent", delivery.detail, _provider.name()});
                ++_result.counts.remindersSent;
                break;
            case DeliveryStatus::Rejected:
                outcomes.push_back({delivery.notificationId, "failed", delivery.detail, _provider.name()});
                ++_result.counts.remindersFailed;
                break;
            case DeliveryStatus::Retry:
                outcomes.push_back({delivery.notificationId, "pending", delivery.detail, _provider.name()});
                break;
            }
        }
        _ledger.recordDeliveries(outcomes);
    }

    const Settings& _settings;
    LedgerStore& _ledger;
    PrivacyStore& _privacy;
    EmailProvider& _provider;
    const std::atomic<bool>& _stopRequested;
    CycleResult& _result;
    std::vector<Reminder> _gathered; // read from the outbox, waiting to fill whole requests
    std::future<std::vector<DeliveryResult>> _inFlight;
    std::int64_t _after = 0;     // the last notification read from the outbox
    std::exception_ptr _failure; // the provider refused a request as a whole: no more sends
};

namespace {

/// The Retail Server lookups of one chunk of chosen carts.
struct Lookups
{
    std::vector<Customer> customers;
    std::vector<Product> products;
};

} // namespace

void Cycle::decideCandidates(std::int64_t cycleId, DeliveryPump& delivery, CycleResult& result)
{
    const std::string& oun = _settings.operatingUnitNumber;
    const MediaOptions media{_settings.imageServerUrl, _settings.mediaQuality, _settings.mediaMode,
                             _settings.mediaFormat, _settings.viewports};
    std::map<std::int64_t, Product> products;
    std::set<std::int64_t> unknownProducts;
    std::string afterCustomer;

    // As many carts as the search holds in memory at once (concurrency pages): their customers
    // lookups go out together, one request per page of accounts. The next chunk's lookups are
    // on their way while this chunk is decided and written: two chunks are in memory at most.
    const auto readChunk = [&]() {
        std::vector<Cart> carts =
            _ledger.candidates(cycleId, afterCustomer, _settings.pageSize * _settings.concurrency);
        if (!carts.empty())
            afterCustomer = carts.back().customerId;
        return carts;
    };
    // Called on this thread only; the returned future is the only user of the Retail client
    // until it is waited for.
    const auto startLookups = [&](const std::vector<Cart>& carts) {
        std::vector<std::string> accountNumbers;
        std::vector<std::int64_t> missingProducts;
        for (const Cart& cart : carts)
        {
            accountNumbers.push_back(cart.customerId);
            for (const CartLine& line : cart.lines)
                if (!products.contains(line.productId) && !unknownProducts.contains(line.productId))
                {
                    missingProducts.push_back(line.productId);
                    unknownProducts.insert(line.productId); // until the reply says otherwise
                }
        }
        return std::async(std::launch::async, [this, accountNumbers = std::move(accountNumbers),
                                               missingProducts = std::move(missingProducts)] {
            Lookups found;
            found.customers = _retail.customers(accountNumbers, static_cast<std::size_t>(_settings.pageSize));
            if (!missingProducts.empty())
                found.products = _retail.products(_channel.recordId, missingProducts);
            return found;
        });
    };

    std::vector<Cart> carts = readChunk();
    if (carts.empty())
        return;
    std::future<Lookups> pending = startLookups(carts);
    while (!carts.empty())
    {
        Lookups found = pending.get();
        if (_stopRequested)
            throw StopRequested{};
        for (Product& product : found.products)
        {
            unknownProducts.erase(product.recordId);
            products[product.recordId] = std::move(product);
        }
        std::vector<Cart> nextCarts = readChunk();
        if (!nextCarts.empty())
        {
            // The cache stays bounded on catalogues far larger than one cycle needs; what this
            // chunk still needs is kept, so a product it needs is either cached or asked for.
            if (products.size() > ProductCacheLimit)
            {
                std::map<std::int64_t, Product> kept;
                for (const Cart& cart : carts)
                    for (const CartLine& line : cart.lines)
                        if (auto it = products.find(line.productId); it != products.end())
                            kept.insert(*it);
                products = std::move(kept);
                unknownProducts.clear();
            }
            pending = startLookups(nextCarts);
        }

        std::map<std::string, Customer> customers;
        for (Customer& customer : found.customers)
            customers.emplace(customer.accountNumber, std::move(customer));
        std::vector<std::string> accountNumbers;
        accountNumbers.reserve(carts.size());
        for (const Cart& cart : carts)
            accountNumbers.push_back(cart.customerId);
        const Timestamp cooldownStart =
            Timestamp::now().plusSeconds(-static_cast<std::int64_t>(_settings.customerCooldownHours) * 3600);
        const std::set<std::string> remindedRecently =
            _settings.customerCooldownHours > 0
                ? _ledger.customersRemindedSince(accountNumbers, cooldownStart)
                : std::set<std::string>{};

        std::vector<std::string> emails;
        for (const auto& [account, customer] : customers)
            if (isUsableEmail(customer.email))
                emails.push_back(normalizeEmail(customer.email));
        const std::map<std::string, SkipReason> refused = _privacy.refusals(emails, _settings.requireConsent);

        // Reminders go to the outbox DeliveryBatch at a time: their data (a few KB each) is
        // held for one batch only, and the provider gets the first ones sooner.
        std::vector<QueuedReminder> reminders;
        std::vector<SkippedCart> skips;
        const auto queue = [&] {
            if (reminders.empty() && skips.empty())
                return;
            _ledger.queueReminders(cycleId, oun, reminders, skips);
            result.counts.remindersQueued += static_cast<std::int64_t>(reminders.size());
            countSkips(skips, result);
            reminders.clear();
            skips.clear();
            delivery.pump();
        };
        for (const Cart& cart : carts)
        {
            const std::string modifiedAt = cart.modifiedDateTime->toIso();
            auto customerFound = customers.find(cart.customerId);
            const Customer* customer = customerFound == customers.end() ? nullptr : &customerFound->second;
            const auto refusal = customer ? refused.find(normalizeEmail(customer->email)) : refused.end();
            const bool optedOut = refusal != refused.end() && refusal->second == SkipReason::OptedOut;
            const bool consented = refusal == refused.end();
            DecisionInput decision{cart,
                                   customer,
                                   products,
                                   optedOut,
                                   remindedRecently.contains(cart.customerId),
                                   _settings.requireConsent,
                                   consented};
            if (auto reason = decideSkip(decision))
            {
                const bool hasEmail = customer && isUsableEmail(customer->email);
                skips.push_back({cart.id, modifiedAt, cart.customerId, *reason,
                                 hasEmail ? normalizeEmail(customer->email) : ""});
                continue;
            }
            ReminderInput input{cart, *customer, products, _channel, media, _settings.returnToCartUrl};
            reminders.push_back({cart.id, modifiedAt, cart.customerId,
                                 makeTriggerId(oun, cart.id, modifiedAt, ReminderStage),
                                 normalizeEmail(customer->email), buildReminderData(input)});
            if (reminders.size() == DeliveryBatch)
                queue();
        }
        queue();
        carts = std::move(nextCarts);
    }
}

void Cycle::decideAndDeliver(std::int64_t cycleId, const CartWindow& window, CycleResult& result)
{
    DeliveryPump delivery(_settings, _ledger, _privacy, _provider, _stopRequested, result);
    if (!window.empty())
    {
        try
        {
            decideCandidates(cycleId, delivery, result);
        }
        catch (...)
        {
            delivery.settle();
            throw;
        }
        // Every page was read and every choice is in the outbox: the next cycle may start here.
        _ledger.setWindowStart(_settings.operatingUnitNumber, window.to);
    }
    delivery.finish();
}

void Cycle::applyRetention()
{
    RetentionResult removed;
    try
    {
        const Timestamp now = Timestamp::now();
        removed = _ledger.applyRetention(now, _settings.retentionDays);
        _provider.expire(now.plusSeconds(-static_cast<std::int64_t>(_settings.retentionDays) * 86400));
    }
    catch (const std::exception& e)
    {
        _logger.error("retention failed, it is tried again at the next cycle: %s", std::string(e.what()));
        return;
    }
    if (removed.outboxRows > 0 || removed.anonymised > 0 || removed.expired > 0)
        _logger.information("retention (%d days): %?d addresses and payloads removed, %?d notifications "
                            "anonymised, %?d reminders expired undelivered",
                            _settings.retentionDays, removed.outboxRows, removed.anonymised, removed.expired);
    if (!removed.walCleared)
        _logger.warning("retention: a reader kept the write-ahead log from being emptied; it will be at the "
                        "next cycle");
}

void Cycle::countSkips(const std::vector<SkippedCart>& skips, CycleResult& result)
{
    for (const SkippedCart& skip : skips)
        ++result.skipsByReason[toString(skip.reason)];
    result.counts.skipped += static_cast<std::int64_t>(skips.size());
}

} // namespace acd
