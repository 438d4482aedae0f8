#pragma once

#include "config/Settings.h"

#include <memory>
#include <string>
#include <vector>

namespace acd {

class EmailProvider;
class HttpClient;
class SecretStore;

/// Provider requests in flight at once (Emarsys batches): the provider's HttpClient keeps as
/// many connections.
constexpr int ProviderBatchesInFlight = 4;

/// The one place where configuration names become objects: secret sources in
/// `secrets.sources` order, and the provider named by `notify.provider`.
std::unique_ptr<SecretStore> makeSecretStore(const Settings& settings, HttpClient& http);
std::unique_ptr<EmailProvider> makeEmailProvider(const Settings& settings, SecretStore& secrets,
                                                 HttpClient& http);
/// Whether the provider named by `notify.provider` keeps its own suppression list that our
/// opt-outs are mirrored to (EmailProvider::mirrorOptOut), so that the others are not even built.
bool providerMirrorsOptOuts(const Settings& settings);

} // namespace acd
