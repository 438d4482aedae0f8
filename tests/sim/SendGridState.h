#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace acd::sim {

/// What the simulated SendGrid received and keeps: one delivery per accepted personalization
/// (repeats included: SendGrid cannot tell one), the marketing contacts deleted, the global
/// suppressions.
class SendGridState
{
public:
    struct Delivery
    {
        std::string email;
        std::string name;
        std::optional<std::string> triggerId; // custom_args.trigger_id
        std::string dataJson;                 // dynamic_template_data as received, or null
        std::string templateId;
        std::string messageId; // the request's X-Message-Id
        std::optional<std::int64_t> groupId;
        std::int64_t ticks = 0;
    };

    void deliver(std::vector<Delivery> deliveries);
    /// Whether the address is a marketing contact: every address unless the scenario lists
    /// them, and none once deleted.
    bool isContact(const std::string& email, const std::optional<std::vector<std::string>>& listed) const;
    void deleteContact(const std::string& email);
    void suppress(const std::string& email);

    std::string deliveriesJson() const;
    std::string deletesJson() const;
    std::string suppressionsJson() const;
    /// POST /_sim/reset-log: forget the records; deleted contacts stay deleted.
    void clearRecords();
    /// A new scenario is a new account.
    void forget();

private:
    mutable std::mutex _mutex;
    std::vector<Delivery> _deliveries;
    std::vector<std::string> _deletes;
    std::set<std::string> _deleted;
    std::vector<std::string> _suppressions;
};

} // namespace acd::sim
