#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace acd::sim {

/// What Emarsys remembers (nonces, accepted trigger_ids, OAuth token fetches) and what it delivered.
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
    /// Counts one token fetch with the right client credentials at `ticks`; false when it is
    /// over `perMinute` in the last 60 s or `perHour` in the last hour, this one included.
    bool fetchToken(std::int64_t ticks, std::int64_t perMinute, std::int64_t perHour);
    /// False when the trigger_id was accepted before: Emarsys does not deliver it twice.
    bool deliver(Delivery delivery);
    void recordDelete(const std::string& email);

    std::string deliveriesJson() const;
    std::string deletesJson() const;
    /// POST /_sim/reset-log: forget the records, keep the memory of nonces, trigger_ids and
    /// token fetches.
    void clearRecords();
    /// A new scenario is a new Emarsys account: forget everything.
    void forget();

private:
    mutable std::mutex _mutex;
    std::unordered_set<std::string> _nonces;
    std::unordered_set<std::string> _triggerIds;
    std::deque<std::int64_t> _tokenFetches; // ticks, oldest first, the last hour only
    std::vector<Delivery> _deliveries;
    std::vector<std::string> _deletes;
};

} // namespace acd::sim
