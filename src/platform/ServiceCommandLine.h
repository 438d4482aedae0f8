#pragma once

#include <string>
#include <vector>

namespace acd::platform {

/// The arguments of the command line this process was started with, after the program name.
/// A Windows service needs them: Poco's ServerApplication initialises a service with the
/// start parameters the service manager passes to ServiceMain (none for an automatic start),
/// not with the service's own command line (its ImagePath), where the installer puts
/// /config=FILE. Elsewhere options arrive as given, and this returns nothing.
std::vector<std::string> serviceCommandLine();

} // namespace acd::platform
