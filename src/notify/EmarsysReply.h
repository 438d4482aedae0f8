#pragma once

#include "core/Json.h"

#include <memory>

#include <optional>
#include <set>
#include <string>
#include <unordered_map>

namespace acd {

/// The Emarsys reply envelope `{"replyCode":…,"replyText":…,"data":…}`, as far as it could be read.
struct EmarsysReply
{
    std::shared_ptr<const JsonDocument> object; // null when the body is not a JSON object
    std::optional<int> replyCode;
    std::string replyText;

    static EmarsysReply read(const std::string& body);
    /// "replyCode 1000: Too many contacts" when the envelope was readable, else the body's text.
    std::string describe(const std::string& body) const;
};

/// One contact's entry in a trigger reply's `data.errors`: `{"2008":"No contact found"}`.
struct EmarsysContactError
{
    std::set<std::string> codes;
    std::string detail; // "2008 No contact found", several joined with "; ", quoted for a detail
};

/// The per-contact errors of a trigger reply with replyCode 0, by address folded to lower case
/// (Emarsys matches addresses that way). Nothing, with `why`, when `data` or `data.errors` is
/// not what the contract says; an absent or empty `errors` is no error at all.
std::optional<std::unordered_map<std::string, EmarsysContactError>>
emarsysContactErrors(const EmarsysReply& reply, std::string& why);

} // namespace acd
