#pragma once

#include "HttpTypes.h"

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace acd::sim {

struct RecordedRequest
{
    std::string kind;
    std::string method;
    std::string path;
    std::string query; // raw
    HeaderList headers;
    std::string body;
    std::int64_t ticks = 0;
    int status = 0; // 0: the connection was dropped without a reply
};

/// Every simulated request in order, plus exact counters. The log keeps the most recent
/// entries only (by count and by body bytes) so that a benchmark cannot exhaust memory;
/// the counters never lose anything.
class RequestLog
{
public:
    static constexpr std::size_t MaxEntries = 20'000;
    static constexpr std::size_t MaxBodyBytes = 64 * 1024 * 1024;

    RequestLog();

    /// Counts the request under its kind and its status, and keeps it in the log.
    void record(RecordedRequest request);
    /// Extra counters that are not one per request (emarsysContacts, emarsysDuplicates, emarsysTokensIssued).
    void count(const std::string& counter, std::uint64_t n);

    /// JSON array; an empty `kind` means every kind.
    std::string requestsJson(const std::string& kind) const;
    std::string statsJson() const;
    void reset();

private:
    void resetCounters();

    mutable std::mutex _mutex;
    std::deque<RecordedRequest> _entries;
    std::size_t _bodyBytes = 0;
    std::uint64_t _total = 0;
    std::map<std::string, std::uint64_t> _counters;
    std::map<int, std::uint64_t> _statuses;
};

} // namespace acd::sim
