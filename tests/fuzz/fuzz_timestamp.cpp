// core/Timestamp: DateTimeOffset text as Retail Server writes it (DESIGN §3).
#include "FuzzCheck.h"
#include "core/Timestamp.h"

#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto parsed = acd::Timestamp::parse(text))
    {
        // What we send back and key the ledger with must read back as the same instant.
        const std::string iso = parsed->toIso();
        const auto again = acd::Timestamp::parse(iso);
        FUZZ_CHECK(again && *again == *parsed, std::string(text) + " -> " + iso);
        FUZZ_CHECK(iso.size() == 28 && iso.back() == 'Z', std::string(text) + " -> " + iso);
        const std::string seconds = parsed->toIsoSeconds();
        const auto truncated = acd::Timestamp::parse(seconds);
        FUZZ_CHECK(truncated && truncated->ticks() == parsed->unixSeconds() * acd::Timestamp::TicksPerSecond,
                   std::string(text) + " -> " + seconds);
    }
    return 0;
}
