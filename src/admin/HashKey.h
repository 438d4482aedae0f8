#pragma once

#include "config/Settings.h"

#include <functional>
#include <string>

namespace acd {

class SecretStore;

/// The installation's key for keyed hashes (privacy.hashKeySecretName, default acd-hash-key).
/// Looked up in `hash.key` beside the ledger first (written there by an earlier run when no
/// source could hold it), then in the secret sources. When neither
/// holds it, 32 random bytes (as hex) are generated and stored in the first writable source
/// (libsecret, dpapi), or else in `hash.key` (owner-only); `note` receives one line saying where,
/// for the log. The same key is found on every later run. Throws SecretError when a source
/// holds the key but cannot give it now (Key Vault unreachable without a sealed copy): a new
/// key then would silently stop matching every opt-out.
std::string installationHashKey(const Settings& settings, SecretStore& secrets,
                                const std::function<void(const std::string&)>& note);

/// Where installationHashKey() keeps the key when no secret source can be written.
std::string hashKeyFilePath(const Settings& settings);

} // namespace acd
