#pragma once

#include "secrets/KeyVaultSource.h"
#include "secrets/SealedStore.h"
#include "secrets/SecretSource.h"

#include <memory>
#include <string>

namespace acd {

class HttpClient;

// The secret sources by their `secrets.sources` names, for the registry in src/app.
// A source this build or platform lacks throws SecretError saying so.

std::unique_ptr<SecretSource> makeEnvSource();          // "env"
std::unique_ptr<SecretSource> makeSystemdCredsSource(); // "systemd-creds"
std::unique_ptr<SecretSource> makeLibsecretSource();    // "libsecret": Linux, built with libsecret-1
/// "dpapi": Windows; `directory` holds the `<name>.dpapi` files.
std::unique_ptr<SecretSource> makeDpapiSource(const std::string& directory);

/// "keyvault": the token from makeDefaultAzureCredential (environment, else managed identity),
/// values sealed into makeSealedStore(sealedDirectory). `http` must outlive the source.
std::unique_ptr<SecretSource> makeKeyVaultSource(HttpClient& http, const std::string& vaultUrl,
                                                 const std::string& sealedDirectory,
                                                 KeyVaultOptions options = {});

/// Where this platform keeps sealed copies: DPAPI blobs in `directory` on Windows. Elsewhere,
/// with a `key` (32 bytes), AES-256-GCM files in `directory` under that key, shared by every
/// process that has it (kept tokens: the daemon and each command line run); without one, the
/// keyring when libsecret is built in and a D-Bus session exists, otherwise such files keyed by
/// the systemd credential `acd-seal-key` (Key Vault copies).
std::unique_ptr<SealedStore> makeSealedStore(const std::string& directory, const std::string& key = "");

} // namespace acd
