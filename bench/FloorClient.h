#pragma once

#include "BenchProtocol.h"

#include <cstddef>
#include <string>
#include <vector>

namespace acd::bench {

struct FloorPlan
{
    int pageSize = 1000;
    int concurrency = 4;     // Retail Server requests in flight (retailServer.concurrency)
    int emarsysInFlight = 4; // Emarsys batches in flight (the daemon's provider connection pool)
    /// The contacts the daemon sent, in its order and bytes: the floor posts the same batches.
    std::vector<std::string> contacts;
    std::size_t maxContacts = 1000;
    std::size_t maxBytes = 1000000;
};

/// Baseline 2, the I/O floor: the requests our daemon must make and nothing else. Pages
/// fetched `concurrency` at a time ($skip paging), then one customers request per 1000
/// accounts and one products request per 1000 distinct ids, then the daemon's own contacts in
/// Emarsys batches filled to the same limits, `emarsysInFlight` at a time. The replies are only scanned for
/// the account numbers, product ids and addresses the next requests need: no JSON parsing, no choice per
/// customer, no ledger.
ClientRun runIoFloor(const SimAccount& account, const FloorPlan& plan);

} // namespace acd::bench
