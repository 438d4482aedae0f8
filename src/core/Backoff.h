#pragma once

#include "core/Timestamp.h"

#include <chrono>
#include <cstdint>
#include <string>

namespace acd {

/// How long to wait before retrying a throttled or failed call (429, 5xx, timeout).
/// The server's word wins: `Retry-After` (seconds or an HTTP date) or `X-RateLimit-Reset`
/// (seconds to wait, or a Unix time when larger than a day). Otherwise exponential backoff
/// from `base`, doubled per attempt, capped at `cap`, with "full jitter" drawn from `random01`
/// (a value in [0,1)) so that many clients do not retry in step. `attempt` is 1 for the
/// first retry. A server's value is never negative and is capped at 5 minutes.
std::chrono::milliseconds retryDelay(int attempt, const std::string& retryAfter,
                                     const std::string& rateLimitReset, Timestamp now, double random01,
                                     std::chrono::milliseconds base = std::chrono::milliseconds(500),
                                     std::chrono::milliseconds cap = std::chrono::milliseconds(30000));

} // namespace acd
