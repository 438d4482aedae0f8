#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace acd {

namespace platform {
class HmacSha256;
}

/// HMAC-SHA256 under the installation's key (privacy.hashKeySecretName): how the ledger
/// refers to a customer without holding the address or the account in the clear (opt-outs,
/// consents, the audit log, anonymised notifications). Without the key the hashes cannot be
/// recomputed from a guessed address, so the opt-out list is not itself a list of addresses.
class KeyedHash
{
public:
    /// Throws std::invalid_argument when `key` is empty.
    explicit KeyedHash(const std::string& key);
    ~KeyedHash();
    KeyedHash(const KeyedHash&) = delete;
    KeyedHash& operator=(const KeyedHash&) = delete;

    /// HMAC-SHA256(key, text) as 64 lowercase hex characters.
    std::string hex(std::string_view text) const;

    /// The hash of an address already normalised (normalizeEmail). The prefixes keep an
    /// address and an account number that happen to be the same text apart.
    std::string email(std::string_view normalizedEmail) const;
    /// The hash of a Retail Server customer account number.
    std::string customer(std::string_view accountNumber) const;
    /// The `{token}` of notify.unsubscribeUrl: proves that an unsubscribe request for this
    /// address came from one of our reminders (POST /v1/unsubscribe checks it).
    std::string unsubscribeToken(std::string_view normalizedEmail) const;

private:
    std::unique_ptr<platform::HmacSha256> _hmac; // keyed once: a cycle computes several per cart
};

/// SHA-256 of `text` as 64 lowercase hex characters (audit chain, configuration hash).
std::string sha256Hex(std::string_view text);

/// Equality in a time that does not depend on where, or whether, the strings differ: a bearer
/// token must not be guessable byte by byte from response times.
bool constantTimeEquals(std::string_view a, std::string_view b);

} // namespace acd
