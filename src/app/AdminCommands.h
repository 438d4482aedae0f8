#pragma once

#include "config/Settings.h"

#include <string>
#include <vector>

namespace acd {

/// A one-shot administration command of the command line (`--secret-list`, `--opt-out=EMAIL`,
/// ...): it runs with the validated settings, prints to stdout/stderr and gives the exit code.
struct AdminCommand
{
    const char* option;   // the long option name
    const char* argument; // the argument's name in --help, or nullptr for a flag
    const char* help;
    int (*run)(const Settings& settings, const std::string& value);
};

const std::vector<AdminCommand>& adminCommands();

} // namespace acd
