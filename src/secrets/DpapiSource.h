#pragma once

#include "secrets/SealedStore.h"
#include "secrets/SecretSource.h"

namespace acd {

/// "dpapi" (Windows): each secret is a DPAPI blob (machine scope, our own entropy) in the
/// file `<directory>/<name>.dpapi`, written by store(). Built only on Windows.
class DpapiSource : public SecretSource
{
public:
    explicit DpapiSource(std::string directory);

    std::string name() const override { return "dpapi"; }
    std::optional<std::string> lookup(const std::string& secretName) override;
    bool writable() const override { return true; }
    void store(const std::string& secretName, const std::string& value) override;
    /// When the secret's blob was last written; nothing when there is none.
    std::optional<Timestamp> writtenAt(const std::string& secretName) const;

private:
    std::string pathFor(const std::string& secretName) const;

    std::string _directory;
};

/// Sealed Key Vault copies as DPAPI blobs in a directory of their own, so the "dpapi"
/// source never serves them as its own.
class DpapiSealedStore : public SealedStore
{
public:
    explicit DpapiSealedStore(std::string directory) : _blobs(std::move(directory)) {}

    std::string kind() const override { return "dpapi"; }
    void seal(const std::string& secretName, const std::string& value) override
    {
        _blobs.store(secretName, value);
    }
    std::optional<std::string> unseal(const std::string& secretName) override
    {
        return _blobs.lookup(secretName);
    }
    std::optional<Timestamp> sealedAt(const std::string& secretName) override
    {
        return _blobs.writtenAt(secretName);
    }

private:
    DpapiSource _blobs;
};

} // namespace acd
