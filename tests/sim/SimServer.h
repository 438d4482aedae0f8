#pragma once

#include "SimContext.h"

#include <Poco/Net/HTTPRequestHandlerFactory.h>

namespace acd::sim {

/// Hands every connection's requests to the one router: control calls go straight to
/// ControlHandlers; simulated calls get latency, faults and recording around their handler.
class SimHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory
{
public:
    explicit SimHandlerFactory(SimContext& context) : _context(context) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override;

private:
    SimContext& _context;
};

} // namespace acd::sim
