#pragma once

#include "core/Timestamp.h"

#include <optional>
#include <stdexcept>
#include <string>

namespace acd {

/// A secret could not be had. The message names the secret and the cause, never a value.
class SecretError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// Where secret values come from (DESIGN §5). A source answers nothing when it does not
/// hold the name, and throws SecretError when it holds it but cannot give it now.
class SecretSource
{
public:
    virtual ~SecretSource() = default;
    virtual std::string name() const = 0;
    virtual std::optional<std::string> lookup(const std::string& secretName) = 0;
    /// True when the value the last lookup() returned is a sealed local copy, given because the
    /// service behind the source could not be reached (health reports this "offline" state).
    virtual bool servedSealedCopy() const { return false; }
    /// When that sealed copy was sealed, when known (servedSealedCopy() true only).
    virtual std::optional<Timestamp> sealedAt() const { return std::nullopt; }
    /// Why the service could not be reached (servedSealedCopy() true only).
    virtual std::string sealedCopyCause() const { return {}; }
    /// Sources abandoned-cartd can write to (the machine's own protected stores) override
    /// this; the others answer false and leave writing to their own tools.
    virtual bool writable() const { return false; }
    virtual void store(const std::string& secretName, const std::string& value);
};

} // namespace acd
