#pragma once

#include "config/Settings.h"

#include <string>

namespace acd {

/// `--secret-set=NAME`: the value comes from stdin (never the command line, where `ps` and
/// shell history would show it) and goes to the first writable source in secrets.sources.
int secretSet(const Settings& settings, const std::string& name);
/// `--secret-list`: every secret name the configuration uses, and which source holds it.
int secretList(const Settings& settings, const std::string&);
/// `--secret-check`: resolves each one and prints its source and age (how long ago it was read,
/// or for a sealed Key Vault copy, when it was sealed); exit 0 only when all resolve.
int secretCheck(const Settings& settings, const std::string&);

} // namespace acd
