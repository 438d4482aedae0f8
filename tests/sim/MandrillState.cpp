#include "MandrillState.h"

#include "Json.h"
#include "SimTime.h"

namespace acd::sim {

void MandrillState::record(std::vector<Message> messages)
{
    std::lock_guard lock(_mutex);
    for (Message& message : messages)
        _messages.push_back(std::move(message));
}

void MandrillState::addReject(const std::string& emailLowerCase, const std::string& comment)
{
    std::lock_guard lock(_mutex);
    _rejectsAdded.emplace_back(emailLowerCase, comment);
    _rejected.insert(emailLowerCase);
}

bool MandrillState::isRejected(const std::string& emailLowerCase) const
{
    std::lock_guard lock(_mutex);
    return _rejected.contains(emailLowerCase);
}

std::string MandrillState::messagesJson() const
{
    std::lock_guard lock(_mutex);
    std::string out = "[";
    for (std::size_t i = 0; i < _messages.size(); ++i)
    {
        const Message& m = _messages[i];
        out += std::string(i > 0 ? "," : "") + R"({"email":)" + jsonQuote(m.email) + R"(,"template":)" +
               jsonQuote(m.templateName) + R"(,"trigger_id":)" + jsonQuote(m.triggerId) + R"(,"vars":)" +
               m.varsJson + R"(,"status":)" + jsonQuote(m.status) + R"(,"reject_reason":)" +
               (m.rejectReason.empty() ? "null" : jsonQuote(m.rejectReason)) + R"(,"time":")" +
               formatTicks(m.ticks, TimeStyle::Z7) + "\"}";
    }
    return out + "]";
}

std::string MandrillState::rejectsJson() const
{
    std::lock_guard lock(_mutex);
    std::string out = "[";
    for (std::size_t i = 0; i < _rejectsAdded.size(); ++i)
        out += std::string(i > 0 ? "," : "") + R"({"email":)" + jsonQuote(_rejectsAdded[i].first) +
               R"(,"comment":)" + jsonQuote(_rejectsAdded[i].second) + "}";
    return out + "]";
}

void MandrillState::clearRecords()
{
    std::lock_guard lock(_mutex);
    _messages.clear();
    _rejectsAdded.clear();
}

void MandrillState::forget()
{
    std::lock_guard lock(_mutex);
    _messages.clear();
    _rejectsAdded.clear();
    _rejected.clear();
}

} // namespace acd::sim
