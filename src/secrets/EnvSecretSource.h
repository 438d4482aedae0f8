#pragma once

#include "secrets/SecretSource.h"

namespace acd {

/// `ACD_SECRET_` + the name in upper case with every character outside A-Z and 0-9 turned
/// into `_` (DESIGN §6): `emarsys-user` -> `ACD_SECRET_EMARSYS_USER`.
std::string envVariableFor(const std::string& secretName);

/// "env": secrets from environment variables, for development and tests. An empty
/// variable counts as unset.
class EnvSecretSource : public SecretSource
{
public:
    std::string name() const override { return "env"; }
    std::optional<std::string> lookup(const std::string& secretName) override;
};

} // namespace acd
