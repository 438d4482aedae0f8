#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace acd::sim {

/// What Emarsys remembers (nonces, accepted trigger_ids) and what it delivered.
class EmarsysState
{
public:
    struct Delivery
    {
        std::string eventId;
        std::string externalId;
        std::optional<std::string> triggerId;
        std::string dataJson; // the contact's "data" object as received, or null
        std::int64_t ticks = 0;
    };

    /// False when the nonce was seen before (a replayed X-WSSE header).
    bool useNonce(const std::string& nonce);
    /// False when the trigger_id was accepted before: Emarsys does not deliver it twice.
    bool deliver(Delivery delivery);
    void recordDelete(const std::string& email);

    std::string deliveriesJson() const;
    std::string deletesJson() const;
    /// POST /_sim/reset-log: forget the records, keep the memory of nonces and trigger_ids.
    void clearRecords();
    /// A new scenario is a new Emarsys account: forget everything.
    void forget();

private:
    mutable std::mutex _mutex;
    std::unordered_set<std::string> _nonces;
    std::unordered_set<std::string> _triggerIds;
    std::vector<Delivery> _deliveries;
    std::vector<std::string> _deletes;
};

} // namespace acd::sim
