#include "secrets/Sources.h"

#include "secrets/AzureCredential.h"
#include "secrets/EnvSecretSource.h"
#include "secrets/SystemdCredsSource.h"

#include <Poco/Environment.h>

#ifdef ACD_HAVE_LIBSECRET
#include "secrets/LibsecretSource.h"
#endif
#ifdef ACD_HAVE_DPAPI
#include "secrets/DpapiSource.h"
#else
#include "secrets/EncryptedFileSealedStore.h"
#endif

namespace acd {

std::unique_ptr<SecretSource> makeEnvSource()
{
    return std::make_unique<EnvSecretSource>();
}

std::unique_ptr<SecretSource> makeSystemdCredsSource()
{
    return std::make_unique<SystemdCredsSource>();
}

std::unique_ptr<SecretSource> makeLibsecretSource()
{
#ifdef ACD_HAVE_LIBSECRET
    return std::make_unique<LibsecretSource>();
#else
    throw SecretError("the secret source 'libsecret' is not in this build (libsecret-1 was not found)");
#endif
}

std::unique_ptr<SecretSource> makeDpapiSource([[maybe_unused]] const std::string& directory)
{
#ifdef ACD_HAVE_DPAPI
    return std::make_unique<DpapiSource>(directory);
#else
    throw SecretError("the secret source 'dpapi' exists only on Windows");
#endif
}

std::unique_ptr<SealedStore> makeSealedStore(const std::string& directory, const std::string& key)
{
#ifdef ACD_HAVE_DPAPI
    (void)key; // DPAPI keys the copies to the machine itself
    return std::make_unique<DpapiSealedStore>(directory);
#else
    if (!key.empty())
        return std::make_unique<EncryptedFileSealedStore>(directory, key);
#ifdef ACD_HAVE_LIBSECRET
    // Without a session bus libsecret can only fail: a headless server seals to files.
    if (!Poco::Environment::get("DBUS_SESSION_BUS_ADDRESS", "").empty())
        return std::make_unique<LibsecretSealedStore>();
#endif
    return std::make_unique<EncryptedFileSealedStore>(directory);
#endif
}

std::unique_ptr<SecretSource> makeKeyVaultSource(HttpClient& http, const std::string& vaultUrl,
                                                 const std::string& sealedDirectory, KeyVaultOptions options)
{
    return std::make_unique<KeyVaultSource>(
        http, vaultUrl, makeDefaultAzureCredential(http, AzureCredentialOptions{"", "", options.clock}),
        makeSealedStore(sealedDirectory), std::move(options));
}

} // namespace acd
