#pragma once

#include "secrets/SecretSource.h"

namespace acd {

/// "systemd-creds": the files systemd puts in `$CREDENTIALS_DIRECTORY` for a unit's
/// `LoadCredential=` / `LoadCredentialEncrypted=` lines, one file per secret name. One
/// trailing newline is dropped (files written by `echo` have one). Without
/// CREDENTIALS_DIRECTORY (not started by systemd) the source holds nothing.
class SystemdCredsSource : public SecretSource
{
public:
    std::string name() const override { return "systemd-creds"; }
    std::optional<std::string> lookup(const std::string& secretName) override;
};

/// The content of `$CREDENTIALS_DIRECTORY/<fileName>`, or nothing when the variable is unset,
/// the name cannot be a file name there, or the file does not exist. Throws SecretError
/// naming the file when it exists but cannot be read. Binary credentials (keys) keep every
/// byte: pass `stripTrailingNewline` false.
std::optional<std::string> readCredentialFile(const std::string& fileName, bool stripTrailingNewline = true);

} // namespace acd
