#pragma once

#include "SimTime.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace acd::sim {

/// How served values are written (scenario "wire" object). The mixes are chosen by the
/// entity's index, so a run is reproducible.
struct WireOptions
{
    enum class Dates
    {
        Mixed, // most Utc7, some ZTrimmed, some Minus5
        Utc7,
        Z7,
    };
    enum class Decimals
    {
        Mixed, // some JSON numbers, some strings such as "12.50"
        Numbers,
        Strings,
    };

    Dates dates = Dates::Mixed;
    Decimals decimals = Decimals::Mixed;
    bool annotations = true; // @odata.type / @odata.etag on served entities

    TimeStyle timeStyle(std::size_t index) const;
    /// `salt` varies the mix between fields of one entity (Price vs Quantity vs TotalAmount).
    bool decimalAsString(std::size_t index, unsigned salt) const;
};

/// --generate=carts=N[,customers=N][,products=N][,seed=N]
struct GenerateSpec
{
    static constexpr std::size_t MaxCarts = 5'000'000;

    std::size_t carts = 0;
    std::size_t customers = 0;
    std::size_t products = 500;
    std::uint64_t seed = 1;

    /// Throws SimError naming the bad part.
    static GenerateSpec parse(const std::string& text);
};

/// A generated cart kept compact; its JSON is written only when a page asks for it.
struct GeneratedCart
{
    std::uint32_t index = 0;
    std::uint32_t customer = 0;
    std::uint8_t lineCount = 0;
    std::array<std::uint32_t, 4> products{};
    std::array<std::uint8_t, 4> quantities{};
};

/// Deterministic made-up carts, customers and products (ids GEN…, gencart-…). Customers
/// and products are not stored at all: they are derived from their number and the seed.
class Generator
{
public:
    explicit Generator(const GenerateSpec& spec);

    /// Each cart with its instant: distinct, spread inside (ref - 400 min, ref - 15 min).
    std::vector<std::pair<std::int64_t, GeneratedCart>> carts(std::int64_t refTicks,
                                                              const WireOptions& wire) const;

    std::string cartId(std::uint32_t index) const;

    void appendCartJson(std::string& out, const GeneratedCart& cart, std::int64_t ticks,
                        std::int64_t channelId, const WireOptions& wire) const;
    std::optional<std::string> customerJson(const std::string& accountNumber, const WireOptions& wire) const;
    std::optional<std::string> productJson(std::int64_t recordId, const WireOptions& wire) const;
    bool isKnownEmail(const std::string& email) const;

private:
    std::string accountNumber(std::uint32_t customer) const;
    std::uint64_t hash(std::uint64_t stream, std::uint64_t index) const;
    std::int64_t productPriceCents(std::uint32_t product) const;
    std::optional<std::uint32_t> customerFromNumber(const std::string& text, const std::string& prefix,
                                                    const std::string& suffix) const;

    GenerateSpec _spec;
};

} // namespace acd::sim
