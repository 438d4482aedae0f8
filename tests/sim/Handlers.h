#pragma once

#include "HttpTypes.h"
#include "SimContext.h"

#include <optional>
#include <string>

namespace acd::sim {

/// One simulated request kind and the path parameter its handler needs
/// (tenant, cart id, account number, Emarsys event id, Key Vault secret path).
struct Route
{
    std::string kind;   // a RequestKinds name
    std::string method; // the method the kind requires
    std::string param;
};

// Entra ID (EntraHandlers.cpp)
SimReply handleToken(SimContext& context, const SimRequest& request, const std::string& tenant);
SimReply handleManagedIdentity(SimContext& context, const SimRequest& request);
// Retail Server (RetailHandlers.cpp): channel, cartSearch, customers, products, cart, orders
SimReply handleRetail(SimContext& context, const SimRequest& request, const Route& route);
// Emarsys OAuth 2.0 (EmarsysOAuth.cpp): POST /oauth2/token, and the v3 API's bearer check
SimReply handleEmarsysToken(SimContext& context, const SimRequest& request);
/// Why a v3 request is not authenticated, or nothing when its bearer token is good.
std::optional<std::string> emarsysBearerProblem(const SimContext& context, const SimRequest& request);
// Emarsys v2 (WSSE) and v3 (OAuth 2.0) API (EmarsysHandlers.cpp)
SimReply handleEmarsysTrigger(SimContext& context, const SimRequest& request, const std::string& eventId);
SimReply handleContactDelete(SimContext& context, const SimRequest& request);
// SendGrid (SendGridHandlers.cpp): mail send, marketing contacts (search, delete), global suppressions
SimReply handleSendGridMail(SimContext& context, const SimRequest& request);
SimReply handleSendGridContacts(SimContext& context, const SimRequest& request);
SimReply handleSendGridSuppression(SimContext& context, const SimRequest& request);
// Mailchimp Transactional (MandrillHandlers.cpp): send-template and rejects/add
SimReply handleMandrillSend(SimContext& context, const SimRequest& request);
SimReply handleMandrillRejectsAdd(SimContext& context, const SimRequest& request);
/// A `status` fault's reply: Mandrill's error envelope (GeneralError) with that status.
SimReply mandrillFault(int status);
/// The body as the request log keeps it: the API key replaced, so no test output shows it.
std::string redactMandrillKey(const std::string& body);
// Mailchimp Marketing e-commerce (MailchimpHandlers.cpp): customers, products, carts, purge
/// The route of a Mailchimp path (the customers path takes PUT and DELETE), or nothing.
std::optional<Route> mailchimpRoute(const std::string& method, const std::string& path);
SimReply handleMailchimp(SimContext& context, const SimRequest& request, const Route& route);
/// A `status` fault's reply: Mailchimp's problem+json with that status.
SimReply mailchimpFault(int status);
// Key Vault (KeyVaultHandlers.cpp); `secretPath` is "name" or "name/version"
SimReply handleKeyVault(SimContext& context, const SimRequest& request, const std::string& secretPath);
/// The `WWW-Authenticate` value Key Vault sends with every 401 (a `status` 401 fault included).
std::string keyVaultChallenge(const SimContext& context);
// /_sim/ control API (ControlHandlers.cpp)
SimReply handleControl(SimContext& context, const SimRequest& request);

} // namespace acd::sim
