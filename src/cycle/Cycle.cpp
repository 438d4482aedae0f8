#include "cycle/Cycle.h"

#include "core/CartFilter.h"
#include "core/CartWindow.h"
#include "core/Email.h"
#include "core/ReminderDecision.h"
#include "core/ReminderPayload.h"
#include "core/TriggerId.h"
#include "cycle/DeliveryPump.h"
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

constexpr int ReminderStage = 1;
/// Reminders written to the outbox in one transaction.
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
        << counts.remindersPending << " pending, " << counts.remindersUncertain << " uncertain, "
        << counts.skipped << " skipped";
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

Cycle::Cycle(const Settings& settings, const CycleParts& parts, Poco::Logger& logger,
             const std::atomic<bool>& stopRequested)
    : _settings(settings), _ledger(parts.ledger), _deliveryLedger(parts.deliveryLedger),
      _retail(parts.retail), _provider(parts.provider), _requestsAtOnce(parts.providerRequestsAtOnce),
      _logger(logger), _stopRequested(stopRequested), _privacy(parts.ledger)
{
    _ledger.deliveries().setResendUncertain(settings.resendUncertain);
    _deliveryLedger.deliveries().setResendUncertain(settings.resendUncertain);
}

CycleResult Cycle::run()
{
    const auto started = std::chrono::steady_clock::now();
    const std::string& oun = _settings.operatingUnitNumber;
    CycleResult result;
    const CartWindow window = computeCartWindow(_ledger.cycles().windowStart(oun), Timestamp::now(),
                                                _settings.includeModifiedSinceLastMinutes,
                                                _settings.excludeModifiedSinceLastMinutes);
    result.cycleId = _ledger.cycles().begin(oun, window.from, window.to);
    try
    {
        recoverInterruptedSends(result);
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
    _ledger.staging().clearCandidates(result.cycleId);
    try
    {
        _ledger.retention().indexEmailHashes();
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
    result.counts.remindersPending = _ledger.deliveries().pendingCount();
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    _ledger.cycles().finish(result.cycleId, result.counts, result.status, result.error);
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
            _ledger.deliveries().recordSkips(cycleId, oun, skips);
            countSkips(skips, result);
            _ledger.staging().stageCandidates(cycleId, oun, eligible);
            if (static_cast<int>(page.size()) < pageSize)
                break;
        }
        if (lastRound)
            break;
        round = std::move(next);
    }
    const int superseded = _ledger.staging().resolveSuperseded(cycleId, oun);
    if (superseded > 0)
    {
        result.skipsByReason[toString(SkipReason::Superseded)] += superseded;
        result.counts.skipped += superseded;
    }
}

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
            _ledger.staging().candidates(cycleId, afterCustomer, _settings.pageSize * _settings.concurrency);
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
                ? _ledger.deliveries().customersRemindedSince(accountNumbers, cooldownStart)
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
            _ledger.deliveries().queueReminders(cycleId, oun, reminders, skips);
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

void Cycle::recoverInterruptedSends(CycleResult& result)
{
    const InterruptedSends found = _ledger.deliveries().recoverInterruptedSends(
        _provider.name(), _provider.idempotency() == Idempotency::DropsRepeats);
    result.counts.remindersUncertain += found.uncertain;
    if (found.resumed > 0)
        _logger.warning("%?d reminder(s) were on their way to %s when the process stopped: sent again under "
                        "the same trigger ids, which it keeps once",
                        found.resumed, _provider.name());
    if (found.uncertain > 0)
        _logger.warning(
            "%?d reminder(s) were on their way when the process stopped and the provider cannot "
            "tell a repeat: they are uncertain (%s); SELECT * FROM uncertain_reminders lists them",
            found.uncertain,
            std::string(_settings.resendUncertain ? "sent again: notify.resendUncertain = true"
                                                  : "not sent again"));
}

void Cycle::decideAndDeliver(std::int64_t cycleId, const CartWindow& window, CycleResult& result)
{
    DeliveryPump delivery(_settings, _ledger.deliveries(), _deliveryLedger.deliveries(), _privacy, _provider,
                          _requestsAtOnce, _stopRequested, result);
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
        _ledger.cycles().setWindowStart(_settings.operatingUnitNumber, window.to);
    }
    delivery.finish();
}

void Cycle::applyRetention()
{
    RetentionResult removed;
    try
    {
        const Timestamp now = Timestamp::now();
        removed = _ledger.retention().applyRetention(now, _settings.retentionDays);
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
