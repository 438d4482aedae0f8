#pragma once

#include "core/Timestamp.h"

#include <optional>
#include <string>

namespace acd {

/// A local, encrypted copy of secret values read from Key Vault, so that the daemon keeps
/// working while Key Vault cannot be reached (DESIGN §5). Errors are SecretError naming the
/// secret and the cause, never a value.
class SealedStore
{
public:
    virtual ~SealedStore() = default;
    /// What the copy is kept in, for messages: "libsecret", "dpapi", "encrypted-file".
    virtual std::string kind() const = 0;
    virtual void seal(const std::string& secretName, const std::string& value) = 0;
    /// Nothing when no copy of that secret was sealed.
    virtual std::optional<std::string> unseal(const std::string& secretName) = 0;
    /// When the copy of that secret was last sealed (that is, last read from Key Vault);
    /// nothing when there is none or the store does not know. Never throws.
    virtual std::optional<Timestamp> sealedAt(const std::string&) { return std::nullopt; }
};

} // namespace acd
