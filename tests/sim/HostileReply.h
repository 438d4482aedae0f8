#pragma once

#include "HttpTypes.h"

#include <string>

namespace acd::sim {

struct Fault;

/// The names of the `hostile` fault's modes, as the control API takes them.
bool isHostileMode(const std::string& mode);
/// Whether `mode` can apply to `kind` ("bigPage" needs a reply with a `value` page).
bool hostileModeFits(const std::string& mode, const std::string& kind);

/// Turns the reply the work produced into what a hostile or broken server sends instead
/// (tests/sim/README.md lists the modes). `request` gives `$top` for bigPage.
void makeHostile(SimReply& reply, const Fault& fault, const SimRequest& request);

} // namespace acd::sim
