#pragma once

#include "secrets/SealedStore.h"
#include "secrets/SecretSource.h"

namespace acd {

/// "libsecret": the desktop keyring through the Secret Service API (gnome-keyring, KWallet),
/// items of the schema "org.abandoned-cartd.Secret" keyed by the attribute "name", in the
/// default collection. Needs a D-Bus session with an unlocked keyring: a headless server has
/// none (use systemd-creds there). Built only when libsecret-1 was found (ACD_HAVE_LIBSECRET).
class LibsecretSource : public SecretSource
{
public:
    std::string name() const override { return "libsecret"; }
    std::optional<std::string> lookup(const std::string& secretName) override;
    /// Adds or replaces the item (what `secret-tool store --label=… name <secretName>` does).
    bool writable() const override { return true; }
    void store(const std::string& secretName, const std::string& value) override;
};

/// Sealed Key Vault copies in the keyring, under their own schema
/// ("org.abandoned-cartd.Sealed"), so the "libsecret" source never serves them as its own.
class LibsecretSealedStore : public SealedStore
{
public:
    std::string kind() const override { return "libsecret"; }
    void seal(const std::string& secretName, const std::string& value) override;
    std::optional<std::string> unseal(const std::string& secretName) override;
    /// The keyring item's modification time.
    std::optional<Timestamp> sealedAt(const std::string& secretName) override;
};

} // namespace acd
