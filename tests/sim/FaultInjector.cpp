#include "FaultInjector.h"

#include "HostileReply.h"
#include "Json.h"

#include <algorithm>

namespace acd::sim {

Fault Fault::fromJson(const Poco::JSON::Object::Ptr& spec)
{
    Fault fault;
    fault.kind = required(optString(spec, "kind", ""), "kind");
    if (fault.kind != "any" &&
        std::find(RequestKinds.begin(), RequestKinds.end(), fault.kind) == RequestKinds.end())
        throw SimError("kind '" + fault.kind + "' is not one of the stats kinds or \"any\"");

    if (const auto status = optInt(spec, "status", ""))
    {
        if (*status < 100 || *status > 599)
            throw SimError("status " + std::to_string(*status) + " is not an HTTP status");
        fault.status = static_cast<int>(*status);
    }
    const std::string action = optString(spec, "action", "").value_or("status");
    if (action == "status")
    {
        if (!fault.status)
            throw SimError("a fault needs \"status\" or an \"action\" (malformed, drop, slow)");
    }
    else if (action == "malformed")
        fault.action = Action::Malformed;
    else if (action == "drop")
        fault.action = Action::Drop;
    else if (action == "slow")
    {
        fault.action = Action::Slow;
        const std::int64_t delay = required(optInt(spec, "delayMs", ""), "delayMs");
        if (delay <= 0 || delay > 600'000)
            throw SimError("delayMs must be between 1 and 600000");
        fault.delayMs = static_cast<int>(delay);
    }
    else if (action == "hostile")
    {
        fault.action = Action::Hostile;
        fault.mode = required(optString(spec, "mode", ""), "mode");
        if (!isHostileMode(fault.mode))
            throw SimError("mode '" + fault.mode +
                           "' is not one of truncated, html, empty, deep, wrongTypes, nan, duplicateKeys, "
                           "badUtf8, hugeString, bigPage, trickle");
        if (!hostileModeFits(fault.mode, fault.kind))
            throw SimError("mode " + fault.mode +
                           " needs a paged kind (cartSearch, customers, products, orders)");
        const auto bounded = [&](const char* name, std::int64_t fallback, std::int64_t low,
                                 std::int64_t high) {
            const std::int64_t value = optInt(spec, name, "").value_or(fallback);
            if (value < low || value > high)
                throw SimError(std::string(name) + " must be between " + std::to_string(low) + " and " +
                               std::to_string(high));
            return value;
        };
        fault.depth = static_cast<int>(bounded("depth", 100000, 1, 10'000'000));
        fault.bytes = static_cast<std::size_t>(bounded("bytes", 50 << 20, 1, 1 << 30));
        fault.count = static_cast<int>(bounded("count", 0, 0, 1'000'000));
        fault.intervalMs = static_cast<int>(bounded("intervalMs", 1000, 1, 600'000));
        fault.field = optString(spec, "field", "").value_or("");
    }
    else
        throw SimError("action '" + action + "' is not one of status, malformed, drop, slow, hostile");
    if (fault.status && (fault.action == Action::Malformed || fault.action == Action::Drop ||
                         fault.action == Action::Hostile))
        throw SimError("status goes only with action status or slow, not " + action);

    const std::int64_t times = optInt(spec, "times", "").value_or(1);
    if (times < 1)
        throw SimError("times must be at least 1");
    fault.times = static_cast<int>(std::min<std::int64_t>(times, 1'000'000'000));
    const std::int64_t after = optInt(spec, "afterMatches", "").value_or(0);
    if (after < 0)
        throw SimError("afterMatches must not be negative");
    fault.afterMatches = static_cast<int>(std::min<std::int64_t>(after, 1'000'000'000));

    const auto replyCode = optInt(spec, "replyCode", "");
    fault.replyText = optString(spec, "replyText", "");
    if (replyCode || fault.replyText)
    {
        if (fault.kind != "emarsysTrigger" && fault.kind != "contactDelete")
            throw SimError("replyCode and replyText go only with kind emarsysTrigger or contactDelete");
        if (!fault.status)
            throw SimError("replyCode and replyText need a status");
        if (replyCode && (*replyCode < 0 || *replyCode > 1'000'000'000))
            throw SimError("replyCode must be between 0 and 1000000000");
        if (replyCode)
            fault.replyCode = static_cast<int>(*replyCode);
    }

    if (const auto retryAfter = optText(spec, "retryAfter", ""))
        fault.headers.emplace_back("Retry-After", *retryAfter);
    if (const auto headers = optObject(spec, "header", ""))
    {
        for (const std::string& name : headers->getNames())
            fault.headers.emplace_back(name, required(optText(headers, name, "header"), "header." + name));
    }
    return fault;
}

void FaultInjector::add(Fault fault)
{
    std::lock_guard lock(_mutex);
    _faults.push_back(std::move(fault));
}

void FaultInjector::clear()
{
    std::lock_guard lock(_mutex);
    _faults.clear();
}

std::optional<Fault> FaultInjector::take(const std::string& kind)
{
    std::lock_guard lock(_mutex);
    std::optional<Fault> fired;
    for (Fault& fault : _faults)
    {
        if (fault.kind != "any" && fault.kind != kind)
            continue;
        ++fault.seen;
        if (!fired && fault.seen > fault.afterMatches)
        {
            --fault.times;
            fired = fault;
        }
    }
    std::erase_if(_faults, [](const Fault& fault) { return fault.times <= 0; });
    return fired;
}

std::string FaultInjector::json() const
{
    static const char* const ActionNames[] = {"status", "malformed", "drop", "slow", "hostile"};
    std::lock_guard lock(_mutex);
    std::string out = "[";
    for (std::size_t i = 0; i < _faults.size(); ++i)
    {
        const Fault& fault = _faults[i];
        out += std::string(i > 0 ? "," : "") + R"({"kind":)" + jsonQuote(fault.kind) + R"(,"action":")" +
               ActionNames[static_cast<int>(fault.action)] + R"(","status":)" +
               (fault.status ? std::to_string(*fault.status) : "null") + R"(,"delayMs":)" +
               std::to_string(fault.delayMs) + R"(,"timesLeft":)" + std::to_string(fault.times) +
               R"(,"afterMatches":)" + std::to_string(fault.afterMatches) + R"(,"seen":)" +
               std::to_string(fault.seen);
        if (fault.replyCode)
            out += R"(,"replyCode":)" + std::to_string(*fault.replyCode);
        if (fault.replyText)
            out += R"(,"replyText":)" + jsonQuote(*fault.replyText);
        if (fault.action == Fault::Action::Hostile)
            out += R"(,"mode":)" + jsonQuote(fault.mode);
        out += "}";
    }
    return out + "]";
}

} // namespace acd::sim
