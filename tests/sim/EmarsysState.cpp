#include "EmarsysState.h"

#include "Json.h"
#include "SimTime.h"

namespace acd::sim {

bool EmarsysState::useNonce(const std::string& nonce)
{
    std::lock_guard lock(_mutex);
    return _nonces.insert(nonce).second;
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
    _deliveries.clear();
    _deletes.clear();
}

} // namespace acd::sim
