#pragma once

#include <array>
#include <memory>
#include <string_view>

namespace acd::platform {

using Sha256Digest = std::array<unsigned char, 32>;

/// SHA-256 of `data`. On Linux through OpenSSL, which uses the CPU's SHA instructions: about
/// eight times faster than Poco's portable code, which the Windows build keeps (it has no
/// OpenSSL). The ledger hashes every audit row and several keyed hashes per cart.
Sha256Digest sha256(std::string_view data);

/// HMAC-SHA256 under one key, keyed once: each digest then costs the hashing of its text.
/// Safe to use from several threads.
class HmacSha256
{
public:
    explicit HmacSha256(std::string_view key);
    ~HmacSha256();
    HmacSha256(const HmacSha256&) = delete;
    HmacSha256& operator=(const HmacSha256&) = delete;

    Sha256Digest digest(std::string_view text) const;

private:
    struct State;
    std::unique_ptr<State> _state;
};

} // namespace acd::platform
