#pragma once

#include "BenchProtocol.h"

#include <cstddef>
#include <string>

namespace acd::bench {

struct FloorPlan
{
    int pageSize = 1000;
    int concurrency = 4;     // Retail Server requests in flight (retailServer.concurrency)
    int emarsysInFlight = 4; // Emarsys batches in flight (the daemon's provider connection pool)
    /// One `data` object as the daemon sent it, reused for every contact so that the batches
    /// have the daemon's sizes without building anything.
    std::string contactData;
    std::size_t maxContacts = 1000;
    std::size_t maxBytes = 1000000;
};

/// Baseline 2, the I/O floor: the requests our daemon must make and nothing else. Pages
/// fetched `concurrency` at a time ($skip paging), then one customers request per 1000
/// accounts and one products request per 1000 distinct ids, then the Emarsys batches filled to
/// the limits, `emarsysInFlight` at a time. The replies are only scanned for the account
/// numbers, product ids and addresses the next requests need: no JSON parsing, no choice per
/// customer, no ledger.
ClientRun runIoFloor(const SimAccount& account, const FloorPlan& plan);

} // namespace acd::bench
