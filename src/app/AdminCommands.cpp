#include "app/AdminCommands.h"

#include "app/SecretCommands.h"

namespace acd {

const std::vector<AdminCommand>& adminCommands()
{
    static const std::vector<AdminCommand> commands{
        {"secret-set", "NAME", "store the value read from stdin as secret NAME in the first writable source",
         &secretSet},
        {"secret-list", nullptr, "list the configured secret names and their sources (never values)",
         &secretList},
        {"secret-check", nullptr, "resolve every configured secret; report its source and age", &secretCheck},
    };
    return commands;
}

} // namespace acd
