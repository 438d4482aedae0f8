#pragma once

#include "ArcChallenge.h"
#include "EmarsysState.h"
#include "FaultInjector.h"
#include "MailchimpState.h"
#include "MandrillState.h"
#include "RequestLog.h"
#include "Scenario.h"
#include "SendGridState.h"
#include "TokenStore.h"

#include <Poco/Event.h>

#include <string>

namespace acd::sim {

/// Everything the request handlers share. Each member guards itself.
struct SimContext
{
    SimContext(std::string arcKeyDirectory, int latencyMilliseconds)
        : arc(std::move(arcKeyDirectory)), latencyMs(latencyMilliseconds)
    {}

    ScenarioStore scenario;
    TokenStore tokens;
    EmarsysState emarsys;
    SendGridState sendgrid;
    MandrillState mandrill;
    MailchimpState mailchimp;
    RequestLog log;
    FaultInjector faults;
    ArcChallenge arc;
    int latencyMs = 0;
    int port = 0;
    Poco::Event stopping{Poco::Event::EVENT_MANUALRESET};

    std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(port); }
    ScenarioSettings settings() const
    {
        return scenario.read([](const Scenario& s) { return s.settings(); });
    }
    /// Sleeps, but wakes up at once when the simulator is stopping.
    void pause(int milliseconds)
    {
        if (milliseconds > 0)
            stopping.tryWait(milliseconds);
    }
};

} // namespace acd::sim
