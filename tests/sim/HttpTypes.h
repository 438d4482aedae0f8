#pragma once

#include <Poco/URI.h>

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace acd::sim {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// What the simulator counts, records and injects faults into. The names are part of the
/// control API (stats keys, fault kinds), so they match tests/sim/README.md.
inline constexpr std::array<std::string_view, 23> RequestKinds = {
    "token",
    "channel",
    "cartSearch",
    "customers",
    "products",
    "cart",
    "orders",
    "emarsysToken",
    "emarsysTrigger",
    "contactDelete",
    "keyVault",
    "imds",
    "unknown",
    "sendgridMail",
    "sendgridContacts",
    "sendgridSuppression",
    "mandrillSend",
    "mandrillRejectsAdd",
    "mailchimpCustomer",
    "mailchimpCustomerDelete",
    "mailchimpProduct",
    "mailchimpCart",
    "mailchimpMemberDelete",
};

/// A request read in full (the body is small enough for every contract of DESIGN §3-§5).
struct SimRequest
{
    std::string method;
    std::string path; // percent-decoded
    std::string rawQuery;
    Poco::URI::QueryParameters query; // decoded
    HeaderList headers;
    std::string body;

    std::optional<std::string> queryParam(const std::string& name) const;
    /// Case-insensitive; nothing when the header is absent.
    std::optional<std::string> header(const std::string& name) const;
};

struct SimReply
{
    int status = 200;
    std::string body; // JSON, unless a hostile fault made it something else
    HeaderList headers;
    std::string contentType = "application/json; charset=utf-8";
    int trickleMs = 0; // > 0: the body goes out one byte at a time, this far apart
};

inline SimReply jsonReply(int status, std::string body)
{
    SimReply reply;
    reply.status = status;
    reply.body = std::move(body);
    return reply;
}

/// An `application/x-www-form-urlencoded` body as name -> value, both decoded.
std::map<std::string, std::string> parseForm(const std::string& body);

/// `{"error":{"code":…,"message":…}}`, the error shape of Retail Server (OData) and Key Vault.
SimReply odataError(int status, const std::string& code, const std::string& message);

} // namespace acd::sim
