#pragma once

#include "net/HttpClient.h"

#include <cstdint>
#include <string>

/// The wire contracts of DESIGN §3–4 as the two baseline clients speak them. Written from the
/// design, not from src/retail or src/notify, so that a baseline measures a call pattern and
/// not our own client code; only the X-WSSE header, which is no part of the pattern, is
/// src/notify's makeWsseHeader().
namespace acd::bench {

/// The simulator's default scenario: what `commerce-sim --generate` serves without a file.
struct SimAccount
{
    std::string url; // http://127.0.0.1:PORT
    std::string tenantId = "tenant-1";
    std::string clientId = "app-id";
    std::string clientSecret = "app-secret";
    std::string operatingUnitNumber = "128";
    std::string emarsysUser = "emarsys-user";
    std::string emarsysSecret = "emarsys-secret";
    std::string emarsysClientId = "emarsys-client";
    std::string emarsysClientSecret = "emarsys-client-secret";
    std::string contactKeyId = "3";
    std::string externalEventId = "1234";
    std::string imageServerUrl = "https://images.example.com/cms";
    std::string returnToCartUrl = "https://shop.example.com/cart?id=";
};

/// What one client run did, for the figures the driver prints.
struct ClientRun
{
    double seconds = 0;
    std::int64_t carts = 0;     // distinct carts read
    std::int64_t contacts = 0;  // contacts posted to Emarsys
    std::int64_t batches = 0;   // Emarsys requests
    std::int64_t bodyBytes = 0; // Emarsys request bodies
};

/// The Entra ID client-credentials token for Retail Server.
std::string retailToken(HttpClient& http, const SimAccount& account);

/// A Retail Server call: `pathAndQuery` without api-version, which is added here.
HttpRequest retailRequest(const SimAccount& account, const std::string& token, const std::string& method,
                          const std::string& pathAndQuery, std::string body = {});

/// `{"cartSearchCriteria":{…}}` for the window [from, to] (ISO 8601 text).
std::string cartSearchBody(const std::string& from, const std::string& to);

/// The batch-form trigger request on v2, as the .NET sample sends it: a fresh X-WSSE header
/// (digest = base64 of the lower-case hex SHA-1 of nonce + created + secret).
HttpRequest emarsysTrigger(const SimAccount& account, const std::string& body);

/// Emarsys's OAuth 2.0 token (client credentials in a Basic header), as the daemon fetches it.
std::string emarsysToken(HttpClient& http, const SimAccount& account);

/// The batch-form trigger request on v3 with that bearer token, as the daemon sends it.
HttpRequest emarsysTriggerV3(const SimAccount& account, const std::string& token, const std::string& body);

/// `{"key_id":"3","contacts":[` — the contacts, joined with commas, then `]}`.
std::string triggerBodyPrefix(const SimAccount& account);

/// Throws std::runtime_error naming the call when the reply is not a 200.
void expectOk(const std::string& call, const HttpResponse& response);

/// UTC ISO 8601 with 7 fractional digits and Z, `minutesAgo` before now.
std::string isoMinutesAgo(int minutesAgo);

} // namespace acd::bench
