#pragma once

#include "core/Types.h"

#include <Poco/JSON/Object.h>

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

/// The body as a JSON object.
Poco::JSON::Object::Ptr parseReplyObject(const std::string& body);

/// The `value` array of an OData collection reply, each element an object.
std::vector<Poco::JSON::Object::Ptr> replyValues(const Poco::JSON::Object& reply);

Channel parseChannel(const Poco::JSON::Object& object);

/// A ModifiedDateTime that cannot be read leaves the cart untimed and adds a line to
/// `notes` instead of failing the whole page for one cart. `where` prefixes error messages
/// ("value[3]").
Cart parseCart(const Poco::JSON::Object& object, std::vector<std::string>& notes,
               const std::string& where = "");

Customer parseCustomer(const Poco::JSON::Object& object, const std::string& where = "");

Product parseProduct(const Poco::JSON::Object& object, const std::string& where = "");

} // namespace acd
