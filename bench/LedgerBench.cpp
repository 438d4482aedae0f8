// Notifications written per second by LedgerStore, in the batch sizes a cycle uses: the
// reminders queued with their outbox rows, the delivery results, the skips, the staging of
// carts for the per-customer choice. On a file in the temporary directory (WAL, as in production).

#include "ledger/LedgerStore.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace acd;

const std::string Oun = "128";

/// A reminder's data of the usual size: two lines, three image sizes each (about 2 KB).
std::string typicalData()
{
    std::string line =
        R"json({"productId":"90000000001","productName":"Generated product 00001","quantity":"2",)json"
        R"json("unitPrice":"19.99","productImage":{"altText":"Generated product 00001","viewPortImages":[)json";
    for (const int size : {80, 183, 315})
    {
        const std::string px = std::to_string(size);
        line +=
            std::string(size == 80 ? "" : ",") +
            R"json({"url":"https://images.example.com/cms/Products%2FGenerated%2FGEN-00001_000_001.png&w=)json" +
            px + "&h=" + px + R"json(&q=80&m=6&f=jpg","media":"(min-width:)json" + px +
            R"json(px)","useForDefaultImageTag":)json" + (size == 315 ? "true" : "false") + "}";
    }
    line += "]}}";
    return R"json({"firstName":"Zoë","lastName":"O'Brien","language":"en-us","currency":"USD",)json"
           R"json("returnToCartUrl":"https://shop.example.com/cart?id=gencart-0000001","orderDetails":[)json" +
           line + "," + line + "]}";
}

/// A fresh ledger file per benchmark, removed afterwards.
class BenchLedger
{
public:
    BenchLedger()
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "acd-ledger-bench.XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("cannot create a temporary directory");
        _dir = pattern;
        store = std::make_unique<LedgerStore>(_dir + "/ledger.sqlite");
        store->setHashKey(std::string(64, 'a'));
        cycle = store->cycles().begin(Oun, Timestamp::now().plusSeconds(-3600), Timestamp::now());
    }
    ~BenchLedger()
    {
        store.reset();
        std::filesystem::remove_all(_dir);
    }

    std::unique_ptr<LedgerStore> store;
    std::int64_t cycle = 0;

private:
    std::string _dir;
};

std::string cartId(std::int64_t n)
{
    return "cart-" + std::to_string(n);
}

std::vector<QueuedReminder> reminders(std::int64_t first, std::int64_t count, const std::string& data)
{
    std::vector<QueuedReminder> batch;
    batch.reserve(static_cast<std::size_t>(count));
    for (std::int64_t n = first; n < first + count; ++n)
        batch.push_back({cartId(n), "2026-11-25T14:03:11.1230000Z", "C" + std::to_string(n),
                         "trigger-" + std::to_string(n), "c" + std::to_string(n) + "@example.com", data});
    return batch;
}

void setRate(benchmark::State& state, std::int64_t perIteration)
{
    state.counters["notifications/s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * perIteration), benchmark::Counter::kIsRate);
}

/// queueReminders: a pending notification and its outbox row (address, payload) per reminder.
void queueReminders(benchmark::State& state)
{
    BenchLedger ledger;
    const std::string data = typicalData();
    std::int64_t next = 0;
    for (auto _ : state)
    {
        state.PauseTiming();
        const auto batch = reminders(next, state.range(0), data);
        state.ResumeTiming();
        ledger.store->deliveries().queueReminders(ledger.cycle, Oun, batch, {});
        next += state.range(0);
    }
    setRate(state, state.range(0));
}
BENCHMARK(queueReminders)->Arg(1)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

/// recordDeliveries: the provider's results, each final (the outbox row goes).
void recordDeliveries(benchmark::State& state)
{
    BenchLedger ledger;
    const std::string data = typicalData();
    std::int64_t next = 0;
    for (auto _ : state)
    {
        state.PauseTiming();
        ledger.store->deliveries().queueReminders(ledger.cycle, Oun, reminders(next, state.range(0), data),
                                                  {});
        std::vector<DeliveryOutcome> outcomes;
        for (const OutboxItem& item :
             ledger.store->deliveries().pendingOutbox(0, static_cast<int>(state.range(0))))
            outcomes.push_back({item.notificationId, DeliveryState::Sent, "", "emarsys"});
        state.ResumeTiming();
        ledger.store->deliveries().recordDeliveries(outcomes);
        next += state.range(0);
    }
    setRate(state, state.range(0));
}
BENCHMARK(recordDeliveries)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

/// recordSkips: carts set aside with their reason.
void recordSkips(benchmark::State& state)
{
    BenchLedger ledger;
    std::int64_t next = 0;
    for (auto _ : state)
    {
        state.PauseTiming();
        std::vector<SkippedCart> skips;
        for (std::int64_t n = next; n < next + state.range(0); ++n)
            skips.push_back(
                {cartId(n), "2026-11-25T14:03:11.1230000Z", "C" + std::to_string(n), SkipReason::Empty});
        state.ResumeTiming();
        ledger.store->deliveries().recordSkips(ledger.cycle, Oun, skips);
        next += state.range(0);
    }
    setRate(state, state.range(0));
}
BENCHMARK(recordSkips)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

/// stageCandidates: a page of eligible carts kept for the per-customer choice.
void stageCandidates(benchmark::State& state)
{
    BenchLedger ledger;
    std::int64_t next = 0;
    for (auto _ : state)
    {
        state.PauseTiming();
        std::vector<Cart> carts;
        for (std::int64_t n = next; n < next + state.range(0); ++n)
        {
            Cart cart;
            cart.id = cartId(n);
            cart.customerId = "C" + std::to_string(n);
            cart.modifiedDateTime = Timestamp::parse("2026-11-25T14:03:11.1230000Z");
            cart.cartTypeValue = 1;
            cart.channelId = 5637144592;
            cart.totalAmount = "39.98";
            cart.lines = {{"line-1", 90000000001, "GEN-00001", "2", "19.99"}};
            carts.push_back(std::move(cart));
        }
        state.ResumeTiming();
        ledger.store->staging().stageCandidates(ledger.cycle, Oun, carts);
        next += state.range(0);
    }
    setRate(state, state.range(0));
}
BENCHMARK(stageCandidates)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

} // namespace

BENCHMARK_MAIN();
