#pragma once

#include "Generator.h"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

namespace acd::sim {

enum class ManagedIdentityFlow
{
    Auto, // Azure Arc when api-version=2019-11-01 or an Authorization header is sent, else IMDS
    Imds,
    Arc,
};

/// The scenario's scalar settings; every one has the default of tests/sim/README.md.
struct ScenarioSettings
{
    std::string tenantId = "tenant-1";
    std::string clientId = "app-id";
    std::string clientSecret = "app-secret";
    std::string vaultReaderClientId; // keyVault.reader: a second app Entra accepts; "" = none
    std::string vaultReaderClientSecret;
    std::string operatingUnitNumber = "128";
    std::int64_t channelRecordId = 5637144592;
    std::string emarsysUser = "emarsys-user";
    std::string emarsysSecret = "emarsys-secret";
    std::string contactKeyId = "3";
    std::string emarsysClientId = "emarsys-client"; // OAuth 2.0 (v3 API)
    std::string emarsysClientSecret = "emarsys-client-secret";
    std::int64_t emarsysTokenFetchesPerMinute = 2; // DESIGN §4.1: per client, rolling windows
    std::int64_t emarsysTokenFetchesPerHour = 10;
    std::string sendgridApiKey = "SG.sim-api-key";
    std::vector<std::string> sendgridInvalidAddresses;        // refused as SendGrid refuses a bad address
    std::optional<std::vector<std::string>> sendgridContacts; // marketing contacts; nothing = every address
    // Mailchimp Transactional (mandrill): the account's key, its published templates, and the
    // statuses it gives some addresses (e.g. "rejected" with "hard-bounce"; the rest are "sent").
    std::string mandrillApiKey = "mandrill-key";
    std::vector<std::string> mandrillTemplates = {"abandoned-cart"};
    struct MandrillStatus
    {
        std::string status;
        std::string rejectReason;
    };
    std::map<std::string, MandrillStatus> mandrillStatuses; // by address in lower case
    // Mailchimp Marketing (mailchimp): the key (its suffix is the data centre), the store, its audience.
    std::string mailchimpApiKey = "0123456789abcdef0123456789abcdef-us21";
    std::string mailchimpStoreId = "acd-store";
    std::string mailchimpListId = "a1b2c3d4e5";
    ManagedIdentityFlow managedIdentity = ManagedIdentityFlow::Auto;
    WireOptions wire;
    std::int64_t loadedAtTicks = 0;
};

struct CartRecord
{
    std::string id;
    std::optional<std::int64_t> ticks; // nothing: untimed (ModifiedDateTime null or not a valid instant)
    bool anonymous = false;            // CustomerId absent, null or ""
    std::variant<std::string, GeneratedCart> body; // a scenario cart serialised at load, or a generated one
};

/// One Carts/Search page request, already validated.
struct CartQuery
{
    std::int64_t from = 0;
    std::int64_t to = 0;
    bool includeAnonymous = false;
    std::size_t skip = 0;
    std::size_t top = 0;
};

/// The loaded world: settings, carts (kept sorted for paging), customers, products, orders,
/// Emarsys contacts and Key Vault secrets. Not thread-safe: ScenarioStore guards it.
class Scenario
{
public:
    /// Throws SimError naming the offending field. Relative times are taken from `nowTicks`.
    static std::unique_ptr<Scenario> load(const Poco::JSON::Object::Ptr& root,
                                          const std::optional<GenerateSpec>& generate, std::int64_t nowTicks);

    const ScenarioSettings& settings() const { return _settings; }
    /// The channel configuration object without its @odata.context.
    const std::string& channelJson() const { return _channelJson; }

    /// Appends the page's carts to `out`, comma-separated, in (ModifiedDateTime, Id) order
    /// with untimed carts first.
    void appendCarts(const CartQuery& query, std::string& out) const;
    std::optional<std::string> cartJson(const std::string& id) const;
    std::optional<std::string> customerJson(const std::string& accountNumber) const;
    std::optional<std::string> productJson(std::int64_t recordId) const;
    const std::vector<std::string>& orders(const std::string& accountNumber) const;
    bool isKnownContact(const std::string& email) const;
    std::optional<std::string> secret(const std::string& name) const;

    /// Adds or replaces carts by Id (times relative to `nowTicks`). Throws SimError.
    void upsertCarts(const Poco::JSON::Array::Ptr& carts, std::int64_t nowTicks);
    bool removeCart(const std::string& id);

private:
    Scenario() = default;

    CartRecord parseCart(const Poco::JSON::Object::Ptr& source, std::size_t index, std::int64_t nowTicks,
                         const std::string& where) const;
    void appendCart(std::string& out, const CartRecord& cart) const;
    void rebuildIndex();

    ScenarioSettings _settings;
    std::string _channelJson;
    std::vector<CartRecord> _carts;
    std::unordered_map<std::string, std::size_t> _cartById;
    std::vector<std::uint32_t> _order; // indices into _carts: untimed first, then by (instant, Id)
    std::size_t _untimedCount = 0;
    std::vector<std::uint32_t> _namedBefore; // named (non-anonymous) carts in _order[0, i)
    std::unordered_map<std::string, std::string> _customers;
    std::unordered_map<std::int64_t, std::string> _products;
    std::unordered_map<std::string, std::vector<std::string>> _orders;
    std::optional<std::unordered_set<std::string>> _knownContacts; // nothing: every address is known
    std::unordered_map<std::string, std::string> _secrets;
    std::optional<Generator> _generator;
};

/// The current scenario behind a reader/writer lock: requests read it concurrently, the
/// control API swaps or edits it.
class ScenarioStore
{
public:
    void replace(std::unique_ptr<Scenario> scenario)
    {
        std::unique_lock lock(_mutex);
        _scenario = std::move(scenario);
    }

    template <class F> decltype(auto) read(F&& f) const
    {
        std::shared_lock lock(_mutex);
        return f(static_cast<const Scenario&>(*_scenario));
    }

    template <class F> decltype(auto) write(F&& f)
    {
        std::unique_lock lock(_mutex);
        return f(*_scenario);
    }

private:
    mutable std::shared_mutex _mutex;
    std::unique_ptr<Scenario> _scenario;
};

} // namespace acd::sim
