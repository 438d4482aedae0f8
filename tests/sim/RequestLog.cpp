#include "RequestLog.h"

#include "Json.h"
#include "SimTime.h"

namespace acd::sim {

RequestLog::RequestLog()
{
    resetCounters();
}

void RequestLog::resetCounters()
{
    _counters.clear();
    for (const std::string_view kind : RequestKinds)
        _counters[std::string(kind)] = 0;
    _counters["emarsysContacts"] = 0;
    _counters["emarsysDuplicates"] = 0;
    _counters["emarsysTokensIssued"] = 0;
    _statuses.clear();
    _total = 0;
}

void RequestLog::record(RecordedRequest request)
{
    std::lock_guard lock(_mutex);
    ++_total;
    ++_counters[request.kind];
    ++_statuses[request.status];
    _bodyBytes += request.body.size();
    _entries.push_back(std::move(request));
    while (_entries.size() > MaxEntries || (_bodyBytes > MaxBodyBytes && _entries.size() > 1))
    {
        _bodyBytes -= _entries.front().body.size();
        _entries.pop_front();
    }
}

void RequestLog::count(const std::string& counter, std::uint64_t n)
{
    std::lock_guard lock(_mutex);
    _counters[counter] += n;
}

std::string RequestLog::requestsJson(const std::string& kind) const
{
    std::lock_guard lock(_mutex);
    std::string out = "[";
    bool first = true;
    for (const RecordedRequest& entry : _entries)
    {
        if (!kind.empty() && entry.kind != kind)
            continue;
        if (!first)
            out += ',';
        first = false;
        out += R"({"kind":)" + jsonQuote(entry.kind) + R"(,"method":)" + jsonQuote(entry.method) +
               R"(,"path":)" + jsonQuote(entry.path) + R"(,"query":)" + jsonQuote(entry.query) +
               R"(,"headers":{)";
        for (std::size_t i = 0; i < entry.headers.size(); ++i)
        {
            if (i > 0)
                out += ',';
            out += jsonQuote(entry.headers[i].first) + ":" + jsonQuote(entry.headers[i].second);
        }
        out += R"(},"body":)" + jsonQuote(entry.body) + R"(,"time":")" +
               formatTicks(entry.ticks, TimeStyle::Z7) + R"(","status":)" + std::to_string(entry.status) +
               "}";
    }
    out += "]";
    return out;
}

std::string RequestLog::statsJson() const
{
    std::lock_guard lock(_mutex);
    std::string out = R"({"requests":)" + std::to_string(_total);
    for (const auto& [name, value] : _counters)
        out += "," + jsonQuote(name) + ":" + std::to_string(value);
    out += R"(,"statuses":{)";
    bool first = true;
    for (const auto& [status, value] : _statuses)
    {
        if (!first)
            out += ',';
        first = false;
        out += "\"" + std::to_string(status) + "\":" + std::to_string(value);
    }
    out += "}}";
    return out;
}

void RequestLog::reset()
{
    std::lock_guard lock(_mutex);
    _entries.clear();
    _bodyBytes = 0;
    resetCounters();
}

} // namespace acd::sim
