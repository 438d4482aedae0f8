#include "secrets/LibsecretSource.h"

#include <libsecret/secret.h>

#include <memory>

namespace acd {

namespace {

SecretSchema schemaNamed(const char* name)
{
    SecretSchema schema{};
    schema.name = name;
    schema.flags = SECRET_SCHEMA_NONE;
    schema.attributes[0] = {"name", SECRET_SCHEMA_ATTRIBUTE_STRING};
    return schema;
}

const SecretSchema* secretSchema()
{
    static const SecretSchema schema = schemaNamed("org.abandoned-cartd.Secret");
    return &schema;
}

const SecretSchema* sealedSchema()
{
    static const SecretSchema schema = schemaNamed("org.abandoned-cartd.Sealed");
    return &schema;
}

struct ErrorDeleter
{
    void operator()(GError* error) const { g_error_free(error); }
};
using ErrorPtr = std::unique_ptr<GError, ErrorDeleter>;

struct PasswordDeleter
{
    void operator()(gchar* password) const { secret_password_free(password); }
};

std::optional<std::string> lookupIn(const SecretSchema* schema, const std::string& secretName,
                                    const char* what)
{
    GError* rawError = nullptr;
    std::unique_ptr<gchar, PasswordDeleter> password(
        secret_password_lookup_sync(schema, nullptr, &rawError, "name", secretName.c_str(), nullptr));
    ErrorPtr error(rawError);
    if (error)
        throw SecretError(std::string("cannot read ") + what + " '" + secretName +
                          "' from the keyring (libsecret): " + error->message);
    if (!password)
        return std::nullopt;
    return std::string(password.get());
}

void storeIn(const SecretSchema* schema, const std::string& secretName, const std::string& value,
             const char* what)
{
    const std::string label = std::string("abandoned-cartd ") + what + " " + secretName;
    GError* rawError = nullptr;
    const gboolean stored =
        secret_password_store_sync(schema, SECRET_COLLECTION_DEFAULT, label.c_str(), value.c_str(), nullptr,
                                   &rawError, "name", secretName.c_str(), nullptr);
    ErrorPtr error(rawError);
    if (error || !stored)
        throw SecretError(std::string("cannot store ") + what + " '" + secretName +
                          "' in the keyring (libsecret): " + (error ? error->message : "refused"));
}

} // namespace

std::optional<std::string> LibsecretSource::lookup(const std::string& secretName)
{
    return lookupIn(secretSchema(), secretName, "secret");
}

void LibsecretSource::store(const std::string& secretName, const std::string& value)
{
    storeIn(secretSchema(), secretName, value, "secret");
}

void LibsecretSealedStore::seal(const std::string& secretName, const std::string& value)
{
    storeIn(sealedSchema(), secretName, value, "the sealed copy of secret");
}

std::optional<std::string> LibsecretSealedStore::unseal(const std::string& secretName)
{
    return lookupIn(sealedSchema(), secretName, "the sealed copy of secret");
}

std::optional<Timestamp> LibsecretSealedStore::sealedAt(const std::string& secretName)
{
    GError* rawError = nullptr;
    GList* items = secret_password_search_sync(sealedSchema(), SECRET_SEARCH_NONE, nullptr, &rawError, "name",
                                               secretName.c_str(), nullptr);
    ErrorPtr error(rawError);
    std::optional<Timestamp> modified;
    if (!error && items)
    {
        // secret_password_store_sync replaces the one item of a name, so there is at most one.
        const guint64 seconds = secret_retrievable_get_modified(SECRET_RETRIEVABLE(items->data));
        if (seconds > 0)
            modified = Timestamp::fromUnixSeconds(static_cast<std::int64_t>(seconds));
    }
    g_list_free_full(items, g_object_unref);
    return modified;
}

} // namespace acd
