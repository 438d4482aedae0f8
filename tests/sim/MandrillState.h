#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace acd::sim {

/// What the Mandrill account remembers (its rejection list) and what it was handed.
class MandrillState
{
public:
    struct Message
    {
        std::string email;
        std::string templateName;
        std::string triggerId; // recipient_metadata's trigger_id, "" when none
        std::string varsJson;  // {"<name>": <content>, …} of the recipient's merge_vars
        std::string status;    // what the reply said: sent, queued, scheduled, rejected, invalid
        std::string rejectReason;
        std::int64_t ticks = 0;
    };

    void record(std::vector<Message> messages);
    /// rejects/add: the address is refused from now on (reject_reason "custom").
    void addReject(const std::string& emailLowerCase, const std::string& comment);
    bool isRejected(const std::string& emailLowerCase) const;

    std::string messagesJson() const;
    std::string rejectsJson() const;
    /// POST /_sim/reset-log: forget what was handed over, keep the rejection list.
    void clearRecords();
    /// A new scenario is a new account.
    void forget();

private:
    mutable std::mutex _mutex;
    std::vector<Message> _messages;
    std::vector<std::pair<std::string, std::string>> _rejectsAdded; // (email, comment), in order
    std::set<std::string> _rejected;
};

} // namespace acd::sim
