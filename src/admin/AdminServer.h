#pragma once

#include "ledger/PrivacyStore.h"

#include <cstddef>
#include <memory>
#include <string>

namespace acd {

class SecretStore;

struct AdminServerOptions
{
    std::string bindAddress = "127.0.0.1";
    int port = 0;                // 0: any free port (tests); the daemon starts no server for admin.port = 0
    std::string tokenSecretName; // admin.tokenSecretName; "" disables /v1/* and leaves /metrics open
    std::string ledgerPath;
    std::string hashKey;      // the installation's key (installationHashKey)
    std::string providerName; // for the audit of purges
    /// Mirrors an opt-out to the provider's own suppression list (Mandrill's rejects); empty
    /// when the provider keeps none. Called from request threads; throws when it could not.
    PrivacyStore::Forget mirrorOptOut;
    std::size_t maxBodyBytes = 16 * 1024;
    int threads = 4;
};

/// The admin API (DESIGN §2, docs/auditing.md), a Poco HTTPServer:
///
///   GET    /healthz              open: liveness, the last cycle's result, secrets freshness
///   GET    /metrics              Prometheus text: cycles, carts, reminders, skips, last success
///   POST   /v1/opt-outs          {"email": "..."}           opt the address out (and mirror it to
///                                  the provider, 502 provider_failed when that failed)
///   DELETE /v1/opt-outs/{email}                             remove its opt-out
///   POST   /v1/opt-ins           {"email": "..."}           as --opt-in: consent, no opt-out
///   POST   /v1/purge             {"email": "...", "keepSubscribed": false}
///   POST   /v1/unsubscribe       {"email": "...", "token": "..."}  the reminder's unsubscribe
///                                  link, forwarded by the shop's page; the token is the proof
///
/// /metrics and /v1/* (but /v1/unsubscribe) need `Authorization: Bearer <token>` (the secret
/// admin.tokenSecretName, read at each request so that a rotated token takes effect, compared in constant
/// time). Without a configured token /v1/* are refused and /metrics is open (the configuration allows that on
/// loopback only). Bodies over maxBodyBytes get 413; every error is JSON
/// {"error": {"code": "...", "message": "..."}}.
///
/// It opens its own ledger connection (SQLite WAL lets it read and write beside the cycle's),
/// used by one request at a time.
class AdminServer
{
public:
    /// `secrets` must outlive the server; `forget` is called from request threads.
    AdminServer(AdminServerOptions options, SecretStore& secrets, PrivacyStore::Forget forget);
    /// Stops, waiting for requests in flight.
    ~AdminServer();
    AdminServer(const AdminServer&) = delete;
    AdminServer& operator=(const AdminServer&) = delete;

    /// Binds and starts serving. Throws std::runtime_error naming the address when it cannot bind.
    void start();
    void stop();
    /// The bound port (useful when options.port was 0).
    int port() const;

    struct Impl;

private:
    std::unique_ptr<Impl> _impl;
};

} // namespace acd
