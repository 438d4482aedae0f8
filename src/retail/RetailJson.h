#pragma once

#include "core/Json.h"
#include "core/Types.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace acd {

/// A Retail Server reply that does not have the shape DESIGN §3 describes. The message is
/// the reason only ("value[2].CartLines[0].Quantity is not a decimal: \"abc\""); RetailClient
/// puts the call's name in front of it.
class RetailJsonError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// Parsing of Retail Server's OData JSON into the core types, as tolerant as DESIGN §3 asks:
/// optional fields may be null or absent, unknown fields and `@odata.*` annotations are
/// ignored, Edm.Decimal may be a number or a string, ids may be numbers or numeric strings.
/// Whatever else is wrong throws RetailJsonError naming the field.

/// The body as a JSON object. The pointer keeps the whole parsed reply alive: the nodes
/// replyValues returns, and the strings of every node, point into it.
std::shared_ptr<const JsonValue> parseReplyObject(const std::string& body);

/// The `value` array of an OData collection reply, each element an object; valid as long as
/// the reply parseReplyObject returned.
std::vector<const JsonValue*> replyValues(const JsonValue& reply);

Channel parseChannel(const JsonValue& object);

/// A ModifiedDateTime that cannot be read leaves the cart untimed and adds a line to
/// `notes` instead of failing the whole page for one cart. `where` prefixes error messages
/// ("value[3]").
Cart parseCart(const JsonValue& object, std::vector<std::string>& notes, const std::string& where = "");

Customer parseCustomer(const JsonValue& object, const std::string& where = "");

Product parseProduct(const JsonValue& object, const std::string& where = "");

} // namespace acd
