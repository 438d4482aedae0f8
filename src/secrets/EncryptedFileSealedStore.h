#pragma once

#include "secrets/SealedStore.h"

#include <string>

namespace acd {

/// Sealed copies as AES-256-GCM encrypted files (one per secret, owner-only permissions) in
/// a directory, for servers without a keyring. The key is the systemd credential
/// `acd-seal-key` (`$CREDENTIALS_DIRECTORY/acd-seal-key`: 32 bytes, or 64 hex digits), so
/// the files are useless without the credential systemd decrypts for the unit only — or, when
/// one is given, `key` (32 bytes): every process that has it shares the files, wherever it runs.
class EncryptedFileSealedStore : public SealedStore
{
public:
    static constexpr const char* KeyCredentialName = "acd-seal-key";

    /// Throws SecretError when `key` is given and not 32 bytes.
    explicit EncryptedFileSealedStore(std::string directory, std::string key = "");

    std::string kind() const override { return "encrypted-file"; }
    /// Throws SecretError when the key credential is missing or malformed.
    void seal(const std::string& secretName, const std::string& value) override;
    /// Throws SecretError when a copy exists but the key is missing or it does not decrypt.
    std::optional<std::string> unseal(const std::string& secretName) override;
    /// The file's modification time: seal() writes the file anew each time.
    std::optional<Timestamp> sealedAt(const std::string& secretName) override;

private:
    std::string pathFor(const std::string& secretName) const;

    std::string _directory;
    std::string _key; // "" = the credential
};

} // namespace acd
