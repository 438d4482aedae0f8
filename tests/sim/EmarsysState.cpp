#include "EmarsysState.h"

#include "Json.h"
#include "SimTime.h"

#include <algorithm>

namespace acd::sim {

bool EmarsysState::useNonce(const std::string& nonce)
{
    std::lock_guard lock(_mutex);
    return _nonces.insert(nonce).second;
}

bool EmarsysState::fetchToken(std::int64_t ticks, std::int64_t perMinute, std::int64_t perHour)
{
    constexpr std::int64_t Hour = 60 * TicksPerMinute;
    std::lock_guard lock(_mutex);
    while (!_tokenFetches.empty() && _tokenFetches.front() <= ticks - Hour)
        _tokenFetches.pop_front();
    // Refused fetches count too: a client that asks again at once stays refused, as a client
    // that ignores the limit should.
    _tokenFetches.push_back(ticks);
    const auto lastMinute =
        static_cast<std::int64_t>(std::count_if(_tokenFetches.begin(), _tokenFetches.end(),
                                                [&](std::int64_t t) { return t > ticks - TicksPerMinute; }));
    return lastMinute <= perMinute && static_cast<std::int64_t>(_tokenFetches.size()) <= perHour;
}

bool EmarsysState::deliver(Delivery delivery)
{
    std::lock_guard lock(_mutex);
    if (delivery.triggerId && !_triggerIds.insert(*delivery.triggerId).second)
        return false;
    _deliveries.push_back(std::move(delivery));
    return true;
}

void EmarsysState::recordDelete(const std::string& email)
{
    std::lock_guard lock(_mutex);
    _deletes.push_back(email);
}

std::string EmarsysState::deliveriesJson() const
{
    std::lock_guard lock(_mutex);
    std::string out = "[";
    for (std::size_t i = 0; i < _deliveries.size(); ++i)
    {
        const Delivery& d = _deliveries[i];
        out += std::string(i > 0 ? "," : "") + R"({"eventId":)" + jsonQuote(d.eventId) +
               R"(,"external_id":)" + jsonQuote(d.externalId) + R"(,"trigger_id":)" +
               (d.triggerId ? jsonQuote(*d.triggerId) : "null") + R"(,"data":)" + d.dataJson +
               R"(,"time":")" + formatTicks(d.ticks, TimeStyle::Z7) + "\"}";
    }
    return out + "]";
}

std::string EmarsysState::deletesJson() const
{
    std::lock_guard lock(_mutex);
    std::string out = "[";
    for (std::size_t i = 0; i < _deletes.size(); ++i)
        out += (i > 0 ? "," : "") + jsonQuote(_deletes[i]);
    return out + "]";
}

void EmarsysState::clearRecords()
{
    std::lock_guard lock(_mutex);
    _deliveries.clear();
    _deletes.clear();
}

void EmarsysState::forget()
{
    std::lock_guard lock(_mutex);
    _nonces.clear();
    _triggerIds.clear();
    _tokenFetches.clear();
    _deliveries.clear();
    _deletes.clear();
}

} // namespace acd::sim
