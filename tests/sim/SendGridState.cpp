#include "SendGridState.h"

#include "Json.h"
#include "SimTime.h"

#include <Poco/String.h>

#include <algorithm>

namespace acd::sim {

namespace {

std::string listJson(const std::vector<std::string>& list)
{
    std::string out = "[";
    for (std::size_t i = 0; i < list.size(); ++i)
        out += (i > 0 ? "," : "") + jsonQuote(list[i]);
    return out + "]";
}

} // namespace

void SendGridState::deliver(std::vector<Delivery> deliveries)
{
    std::lock_guard lock(_mutex);
    for (Delivery& delivery : deliveries)
        _deliveries.push_back(std::move(delivery));
}

bool SendGridState::isContact(const std::string& email,
                              const std::optional<std::vector<std::string>>& listed) const
{
    const std::string key = Poco::toLower(email);
    {
        std::lock_guard lock(_mutex);
        if (_deleted.contains(key))
            return false;
    }
    if (!listed)
        return true;
    return std::any_of(listed->begin(), listed->end(),
                       [&](const std::string& contact) { return Poco::toLower(contact) == key; });
}

void SendGridState::deleteContact(const std::string& email)
{
    std::lock_guard lock(_mutex);
    _deletes.push_back(email);
    _deleted.insert(Poco::toLower(email));
}

void SendGridState::suppress(const std::string& email)
{
    std::lock_guard lock(_mutex);
    _suppressions.push_back(email);
}

std::string SendGridState::deliveriesJson() const
{
    std::lock_guard lock(_mutex);
    std::string out = "[";
    for (std::size_t i = 0; i < _deliveries.size(); ++i)
    {
        const Delivery& d = _deliveries[i];
        out += std::string(i > 0 ? "," : "") + R"({"email":)" + jsonQuote(d.email) + R"(,"name":)" +
               jsonQuote(d.name) + R"(,"trigger_id":)" + (d.triggerId ? jsonQuote(*d.triggerId) : "null") +
               R"(,"data":)" + d.dataJson + R"(,"template_id":)" + jsonQuote(d.templateId) +
               R"(,"group_id":)" + (d.groupId ? std::to_string(*d.groupId) : "null") + R"(,"message_id":)" +
               jsonQuote(d.messageId) + R"(,"time":")" + formatTicks(d.ticks, TimeStyle::Z7) + "\"}";
    }
    return out + "]";
}

std::string SendGridState::deletesJson() const
{
    std::lock_guard lock(_mutex);
    return listJson(_deletes);
}

std::string SendGridState::suppressionsJson() const
{
    std::lock_guard lock(_mutex);
    return listJson(_suppressions);
}

void SendGridState::clearRecords()
{
    std::lock_guard lock(_mutex);
    _deliveries.clear();
    _deletes.clear();
    _suppressions.clear();
}

void SendGridState::forget()
{
    std::lock_guard lock(_mutex);
    _deliveries.clear();
    _deletes.clear();
    _deleted.clear();
    _suppressions.clear();
}

} // namespace acd::sim
