#pragma once

#include "core/Timestamp.h"
#include "secrets/SecretSource.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace acd {

/// The secret values the daemon needs, from an ordered list of sources (`secrets.sources`).
/// Values are kept in memory for a while so that a cycle does not call Key Vault for each
/// use; they are never logged. Safe to share between threads.
/// Where a secret's value comes from and how old it is (`--secret-check`); never the value.
struct SecretStatus
{
    std::string source;
    Timestamp readAt;                  // when the store read it from that source
    bool sealed = false;               // a sealed local copy, Key Vault being unreachable
    std::optional<Timestamp> sealedAt; // for a sealed copy: when it was sealed, when known
};

class SecretStore
{
public:
    using Clock = std::function<Timestamp()>;
    using WarningHandler = std::function<void(const std::string&)>;

    /// How long a sealed copy is used before Key Vault is asked again (at most the TTL).
    static constexpr std::chrono::seconds SealedCopyTtl{300};

    /// `ttl` 0 disables the cache (`secrets.cacheSeconds`). Throws SecretError when `sources`
    /// is empty.
    explicit SecretStore(std::vector<std::unique_ptr<SecretSource>> sources,
                         std::chrono::seconds ttl = std::chrono::seconds(3600),
                         Clock clock = &Timestamp::now);

    /// The value from the first source that has it. Throws SecretError naming the secret
    /// (never a value): "secret 'x' not found in any of: keyvault, env", an empty value, or
    /// the error of the source that holds it but cannot give it now.
    std::string get(const std::string& name);

    /// The name of the source the value of `name` comes from (reading it as get() does).
    std::string sourceOf(const std::string& name);

    /// The source and age of the value of `name` (reading it as get() does).
    SecretStatus status(const std::string& name);

    /// Writes the value to the first writable source (libsecret, dpapi) and returns its name.
    /// Throws SecretError when no configured source can be written.
    std::string store(const std::string& name, const std::string& value);

    /// Forgets every cached value, and with them the "offline" state.
    void invalidate();

    /// True when a value now in use is a sealed local copy because Key Vault was unreachable.
    bool usedSealedCopy() const;

    /// Called once each time the store goes offline (see usedSealedCopy), with a line fit
    /// for the log; outside the store's lock.
    void setWarningHandler(WarningHandler handler);

    /// The sources' names, in the order they are tried.
    std::vector<std::string> sourceNames() const;

private:
    struct Entry
    {
        std::string value;
        std::string source;
        Timestamp fetchedAt;
        bool sealed = false;
        std::optional<Timestamp> sealedAt;
    };

    Entry fetch(const std::string& name);
    const Entry& resolveLocked(const std::string& name, std::string& warning);
    bool anySealedLocked() const;

    std::vector<std::unique_ptr<SecretSource>> _sources;
    std::chrono::seconds _ttl;
    Clock _clock;
    WarningHandler _warn;
    std::map<std::string, Entry> _cache;
    mutable std::mutex _mutex;
};

} // namespace acd
