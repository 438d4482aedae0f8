#pragma once

#include "HttpTypes.h"

#include <Poco/JSON/Object.h>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace acd::sim {

/// One registered fault (POST /_sim/faults).
struct Fault
{
    enum class Action
    {
        Status,    // reply `status` without doing the work
        Malformed, // do the work, then reply 200 with the body cut short
        Drop,      // do the work, then close the connection without a reply
        Slow,      // wait delayMs, then reply normally (or with `status` when given)
        Hostile,   // do the work, then reply 200 with what a hostile server sends (`mode`)
    };

    std::string kind; // a RequestKinds name or "any"
    Action action = Action::Status;
    std::optional<int> status;
    int delayMs = 0;
    int times = 1;
    int afterMatches = 0;
    HeaderList headers;           // Retry-After, X-RateLimit-Reset, ...
    std::optional<int> replyCode; // Emarsys API kinds: the body's replyCode and replyText
    std::optional<std::string> replyText;
    // Hostile: the mode and its parameters (README.md, "Hostile replies").
    std::string mode;
    int depth = 100000;           // deep: how many '['
    std::string field;            // hugeString: the member whose string values grow
    std::size_t bytes = 50 << 20; // hugeString: their length
    int count = 0;                // bigPage: entries; 0 = 10 × $top + 1
    int intervalMs = 1000;        // trickle: time between bytes
    int seen = 0;                 // matching requests since registration

    /// Throws SimError naming the bad field.
    static Fault fromJson(const Poco::JSON::Object::Ptr& spec);
};

/// Faults apply to the next `times` matching requests, in order of registration. Each
/// fault counts every matching request from its registration on, so `afterMatches` means
/// "let that many through first" whatever other faults are doing.
class FaultInjector
{
public:
    void add(Fault fault);
    void clear();
    std::optional<Fault> take(const std::string& kind);
    std::string json() const;

private:
    mutable std::mutex _mutex;
    std::vector<Fault> _faults;
};

} // namespace acd::sim
