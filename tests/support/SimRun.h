#pragma once

#include "Harness.h"
#include "ScenarioBuilder.h"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace acd::test {

/// One store against the simulator: a scenario, a ledger folder and a configuration, and the
/// daemon run on them one cycle at a time.
struct SimRun
{
    TempDir dir;
    std::unique_ptr<CommerceSim> sim;
    std::string config;

    explicit SimRun(const ScenarioBuilder& scenario,
                    const std::map<std::string, std::string>& overrides = {});

    /// `abandoned-cartd --once` with the simulator's secrets, `extraEnv` on top.
    RunResult once(const std::map<std::string, std::string>& extraEnv = {}) const;
    /// The daemon with these arguments after --config, with the simulator's secrets.
    RunResult run(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& extraEnv = {}) const;

    /// Each reminder the simulated Emarsys accepted, by its address.
    std::map<std::string, Poco::JSON::Object::Ptr> deliveredByEmail() const;
    /// status/reason of each cart in the ledger: "sent", "skipped:empty", ...
    std::map<std::string, std::string> ledgerStates() const;
    /// The trigger id the ledger gave each cart.
    std::map<std::string, std::string> triggerIds() const;
    std::string notificationReason(const std::string& cartId) const;
    /// One of the simulator's /_sim/stats counters; 0 when it has none of that name.
    std::int64_t stat(const std::string& name) const;
    std::string ledger() const { return dir.file("ledger.sqlite"); }
};

} // namespace acd::test
