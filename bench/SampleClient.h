#pragma once

#include "BenchProtocol.h"

namespace acd::bench {

/// Baseline 1, the call pattern of Microsoft's .NET sample: strictly sequential. A
/// Carts/Search of `pageSize` carts from the window start, then for that page one
/// Customers/GetByAccountNumbers, one Products/Search and one Emarsys trigger, each waiting
/// for the previous one; then the window start moves to the last cart's ModifiedDateTime
/// (inclusive, so that cart comes back first and is dropped as already handled). The window
/// is the daemon's default one: 500 to 10 minutes ago. Real JSON both ways, real WSSE.
ClientRun runSamplePattern(const SimAccount& account, int pageSize = 100);

} // namespace acd::bench
