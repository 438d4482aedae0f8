#pragma once

#include <stdexcept>
#include <string>

namespace acd {

/// What went wrong with a remote service, as far as the caller's next step depends on it.
enum class RemoteFailure
{
    Unreachable, // no answer, a timeout, or the service failing (5xx): try again later
    Throttled,   // the service limits how often it may be called (429): try again later
    Refused,     // our credentials were turned down (401, 403, invalid_client): fix the configuration
    Malformed,   // an answer that cannot be read (not JSON, a field missing)
    Rejected,    // the request itself was turned down (another 4xx): fix the request or the configuration
};

/// A remote service failed: the one base of Retail Server, token service, Key Vault and email
/// provider failures. The message names the service, the URL without its query and what was
/// wrong, never a secret or a token.
class RemoteError : public std::runtime_error
{
public:
    RemoteError(RemoteFailure kind, const std::string& message) : std::runtime_error(message), _kind(kind) {}

    RemoteFailure kind() const { return _kind; }
    /// An outage that passes by itself (unreachable, throttled), as opposed to a fault that
    /// needs someone to change something.
    bool transient() const
    {
        return _kind == RemoteFailure::Unreachable || _kind == RemoteFailure::Throttled;
    }

private:
    RemoteFailure _kind;
};

} // namespace acd
