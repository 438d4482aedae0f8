#pragma once

#include "net/TokenSource.h"
#include "secrets/SealedStore.h"

#include <memory>
#include <string>

namespace acd {

/// Tokens kept between processes the way secret copies are sealed (DESIGN §5): DPAPI, the
/// keyring, or an AES-256-GCM file, under the name `name`. Never in the ledger or a log.
class SealedTokenCache : public TokenCache
{
public:
    SealedTokenCache(std::unique_ptr<SealedStore> store, std::string name);

    std::optional<CachedToken> load() override;
    void store(const CachedToken& token) override;
    void clear() override;

private:
    std::unique_ptr<SealedStore> _store;
    std::string _name;
};

} // namespace acd
