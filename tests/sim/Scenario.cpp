#include "Scenario.h"

#include "Json.h"
#include "SimTime.h"

#include <Poco/JSONString.h>
#include <Poco/String.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace acd::sim {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

const std::set<std::string> TopLevelKeys = {
    "description", "tenantId", "clientId",  "clientSecret", "operatingUnitNumber", "channel",   "emarsys",
    "sendgrid",    "mandrill", "mailchimp", "keyVault",     "managedIdentity",     "customers", "products",
    "carts",       "orders",   "wire"};

std::int64_t fetchLimit(const Object::Ptr& emarsys, const std::string& key, std::int64_t fallback)
{
    const std::int64_t limit = optInt(emarsys, key, "emarsys").value_or(fallback);
    // 0 is allowed: a test may want every fetch refused.
    if (limit < 0 || limit > 1'000'000'000)
        throw SimError("emarsys." + key + " must be between 0 and 1000000000");
    return limit;
}

std::string elementPath(const std::string& array, std::size_t index)
{
    return array + "[" + std::to_string(index) + "]";
}

Object::Ptr elementObject(const Array::Ptr& array, std::size_t index, const std::string& path)
{
    const Poco::Dynamic::Var value = array->get(static_cast<unsigned>(index));
    if (value.type() != typeid(Object::Ptr))
        throw SimError(path + " must be an object");
    return value.extract<Object::Ptr>();
}

/// The entity as written, with an @odata.type annotation in front when the wire options
/// ask for annotations and the scenario did not write one.
std::string annotated(const Object::Ptr& source, const WireOptions& wire, const std::string& type)
{
    if (!wire.annotations || source->has("@odata.type"))
        return toJson(source);
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("@odata.type", "#Microsoft.Dynamics.Commerce.Runtime.DataModel." + type);
    for (const std::string& name : source->getNames())
        out->set(name, source->get(name));
    return toJson(out);
}

WireOptions parseWire(const Object::Ptr& wire)
{
    WireOptions options;
    if (!wire)
        return options;
    if (const auto dates = optString(wire, "dates", "wire"))
    {
        if (*dates == "mixed")
            options.dates = WireOptions::Dates::Mixed;
        else if (*dates == "utc7")
            options.dates = WireOptions::Dates::Utc7;
        else if (*dates == "z7")
            options.dates = WireOptions::Dates::Z7;
        else
            throw SimError("wire.dates is '" + *dates + "', expected mixed, utc7 or z7");
    }
    if (const auto decimals = optString(wire, "decimals", "wire"))
    {
        if (*decimals == "mixed")
            options.decimals = WireOptions::Decimals::Mixed;
        else if (*decimals == "numbers")
            options.decimals = WireOptions::Decimals::Numbers;
        else if (*decimals == "strings")
            options.decimals = WireOptions::Decimals::Strings;
        else
            throw SimError("wire.decimals is '" + *decimals + "', expected mixed, numbers or strings");
    }
    options.annotations = optBool(wire, "annotations", "wire").value_or(true);
    return options;
}

ManagedIdentityFlow parseManagedIdentity(const Object::Ptr& managedIdentity)
{
    if (!managedIdentity)
        return ManagedIdentityFlow::Auto;
    const std::string flow = optString(managedIdentity, "flow", "managedIdentity").value_or("auto");
    if (flow == "auto")
        return ManagedIdentityFlow::Auto;
    if (flow == "imds")
        return ManagedIdentityFlow::Imds;
    if (flow == "arc")
        return ManagedIdentityFlow::Arc;
    throw SimError("managedIdentity.flow is '" + flow + "', expected auto, imds or arc");
}

std::string channelConfiguration(const Object::Ptr& channel, ScenarioSettings& settings)
{
    std::string currency = "USD";
    if (channel)
    {
        settings.channelRecordId = optInt(channel, "RecordId", "channel").value_or(settings.channelRecordId);
        currency = optString(channel, "Currency", "channel").value_or(currency);
    }
    // The fields a real GetOrgUnitConfiguration() also returns, so that clients meet unknown ones.
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("RecordId", settings.channelRecordId);
    out->set("Currency", currency);
    out->set("ChannelNaturalId", "SIM-" + settings.operatingUnitNumber);
    out->set("CompanyCurrency", currency);
    out->set("DefaultLanguageId", "en-us");
    out->set("TimeZoneInfoId", "UTC");
    out->set("InventLocation", "SIM-WH");
    out->set("PickupDeliveryModeCode", Poco::Dynamic::Var());
    out->set("ExtensionProperties", Array::Ptr(new Array));
    if (channel)
    {
        for (const std::string& name : channel->getNames())
            out->set(name, channel->get(name));
    }
    return toJson(out);
}

/// `"mandrill": {"apiKey", "templates": [...], "queued": [...], "scheduled": [...],
/// "invalid": [...], "rejected": {"<email>": "<reject_reason>"}}`.
void parseMandrill(const Object::Ptr& mandrill, ScenarioSettings& settings)
{
    for (const std::string& name : mandrill->getNames())
        if (name != "apiKey" && name != "templates" && name != "queued" && name != "scheduled" &&
            name != "invalid" && name != "rejected")
            throw SimError("unknown key mandrill." + name +
                           " (expected apiKey, templates, queued, scheduled, invalid, rejected)");
    settings.mandrillApiKey = optString(mandrill, "apiKey", "mandrill").value_or(settings.mandrillApiKey);
    const auto strings = [&](const std::string& key) {
        std::vector<std::string> out;
        if (const auto array = optArray(mandrill, key, "mandrill"))
            for (std::size_t i = 0; i < array->size(); ++i)
            {
                const Poco::Dynamic::Var value = array->get(static_cast<unsigned>(i));
                if (!value.isString())
                    throw SimError(elementPath("mandrill." + key, i) + " must be a string");
                out.push_back(value.extract<std::string>());
            }
        return out;
    };
    if (mandrill->has("templates"))
        settings.mandrillTemplates = strings("templates");
    for (const char* status : {"queued", "scheduled", "invalid"})
        for (const std::string& email : strings(status))
            settings.mandrillStatuses[Poco::toLower(email)] = {status, ""};
    if (const auto rejected = optObject(mandrill, "rejected", "mandrill"))
        for (const std::string& email : rejected->getNames())
            settings.mandrillStatuses[Poco::toLower(email)] = {
                "rejected",
                required(optString(rejected, email, "mandrill.rejected"), "mandrill.rejected." + email)};
}

} // namespace

std::unique_ptr<Scenario> Scenario::load(const Object::Ptr& root, const std::optional<GenerateSpec>& generate,
                                         std::int64_t nowTicks)
{
    for (const std::string& name : root->getNames())
    {
        if (!TopLevelKeys.count(name))
            throw SimError(
                "unknown scenario key '" + name +
                "' (expected tenantId, clientId, clientSecret, operatingUnitNumber, channel, emarsys, "
                "sendgrid, mandrill, mailchimp, keyVault, managedIdentity, customers, products, carts, "
                "orders, wire, "
                "description)");
    }
    std::unique_ptr<Scenario> scenario(new Scenario);
    ScenarioSettings& settings = scenario->_settings;
    // Whole milliseconds, so that a relative time also fits the short `Z` forms exactly.
    settings.loadedAtTicks = nowTicks - nowTicks % TicksPerMillisecond;
    settings.tenantId = optString(root, "tenantId", "").value_or(settings.tenantId);
    settings.clientId = optString(root, "clientId", "").value_or(settings.clientId);
    settings.clientSecret = optString(root, "clientSecret", "").value_or(settings.clientSecret);
    settings.operatingUnitNumber =
        optText(root, "operatingUnitNumber", "").value_or(settings.operatingUnitNumber);
    settings.wire = parseWire(optObject(root, "wire", ""));
    settings.managedIdentity = parseManagedIdentity(optObject(root, "managedIdentity", ""));
    scenario->_channelJson = channelConfiguration(optObject(root, "channel", ""), settings);

    if (const auto emarsys = optObject(root, "emarsys", ""))
    {
        settings.emarsysUser = optString(emarsys, "user", "emarsys").value_or(settings.emarsysUser);
        settings.emarsysSecret = optString(emarsys, "secret", "emarsys").value_or(settings.emarsysSecret);
        settings.contactKeyId = optText(emarsys, "contactKeyId", "emarsys").value_or(settings.contactKeyId);
        settings.emarsysClientId =
            optString(emarsys, "clientId", "emarsys").value_or(settings.emarsysClientId);
        settings.emarsysClientSecret =
            optString(emarsys, "clientSecret", "emarsys").value_or(settings.emarsysClientSecret);
        settings.emarsysTokenFetchesPerMinute =
            fetchLimit(emarsys, "tokenFetchesPerMinute", settings.emarsysTokenFetchesPerMinute);
        settings.emarsysTokenFetchesPerHour =
            fetchLimit(emarsys, "tokenFetchesPerHour", settings.emarsysTokenFetchesPerHour);
        if (const auto known = optArray(emarsys, "knownContacts", "emarsys"))
        {
            scenario->_knownContacts.emplace();
            for (std::size_t i = 0; i < known->size(); ++i)
            {
                const Poco::Dynamic::Var email = known->get(static_cast<unsigned>(i));
                if (!email.isString())
                    throw SimError(elementPath("emarsys.knownContacts", i) + " must be a string");
                scenario->_knownContacts->insert(email.extract<std::string>());
            }
        }
    }

    if (const auto sendgrid = optObject(root, "sendgrid", ""))
    {
        settings.sendgridApiKey = optString(sendgrid, "apiKey", "sendgrid").value_or(settings.sendgridApiKey);
        const auto addresses = [&](const std::string& key) {
            std::vector<std::string> list;
            const auto array = optArray(sendgrid, key, "sendgrid");
            for (std::size_t i = 0; array && i < array->size(); ++i)
            {
                const Poco::Dynamic::Var email = array->get(static_cast<unsigned>(i));
                if (!email.isString())
                    throw SimError(elementPath("sendgrid." + key, i) + " must be a string");
                list.push_back(email.extract<std::string>());
            }
            return list;
        };
        settings.sendgridInvalidAddresses = addresses("invalidAddresses");
        if (optArray(sendgrid, "contacts", "sendgrid"))
            settings.sendgridContacts = addresses("contacts");
    }
    if (const auto mandrill = optObject(root, "mandrill", ""))
        parseMandrill(mandrill, settings);
    if (const auto mailchimp = optObject(root, "mailchimp", ""))
    {
        for (const std::string& name : mailchimp->getNames())
            if (name != "apiKey" && name != "storeId" && name != "listId")
                throw SimError("unknown key mailchimp." + name + " (expected apiKey, storeId, listId)");
        settings.mailchimpApiKey =
            optString(mailchimp, "apiKey", "mailchimp").value_or(settings.mailchimpApiKey);
        settings.mailchimpStoreId =
            optString(mailchimp, "storeId", "mailchimp").value_or(settings.mailchimpStoreId);
        settings.mailchimpListId =
            optString(mailchimp, "listId", "mailchimp").value_or(settings.mailchimpListId);
    }

    if (const auto keyVault = optObject(root, "keyVault", ""))
    {
        if (const auto secrets = optObject(keyVault, "secrets", "keyVault"))
        {
            for (const std::string& name : secrets->getNames())
                scenario->_secrets[name] =
                    required(optString(secrets, name, "keyVault.secrets"), "keyVault.secrets." + name);
        }
        if (const auto reader = optObject(keyVault, "reader", "keyVault"))
        {
            settings.vaultReaderClientId =
                required(optString(reader, "clientId", "keyVault.reader"), "keyVault.reader.clientId");
            settings.vaultReaderClientSecret = required(optString(reader, "clientSecret", "keyVault.reader"),
                                                        "keyVault.reader.clientSecret");
        }
    }

    if (const auto customers = optArray(root, "customers", ""))
    {
        for (std::size_t i = 0; i < customers->size(); ++i)
        {
            const std::string where = elementPath("customers", i);
            const Object::Ptr customer = elementObject(customers, i, where);
            const std::string account =
                required(optString(customer, "AccountNumber", where), where + ".AccountNumber");
            if (!scenario->_customers.emplace(account, annotated(customer, settings.wire, "Customer")).second)
                throw SimError(where + ".AccountNumber '" + account + "' appears twice");
        }
    }

    if (const auto products = optArray(root, "products", ""))
    {
        for (std::size_t i = 0; i < products->size(); ++i)
        {
            const std::string where = elementPath("products", i);
            const Object::Ptr product = elementObject(products, i, where);
            const std::int64_t recordId = required(optInt(product, "RecordId", where), where + ".RecordId");
            if (!scenario->_products.emplace(recordId, annotated(product, settings.wire, "SimpleProduct"))
                     .second)
                throw SimError(where + ".RecordId " + std::to_string(recordId) + " appears twice");
        }
    }

    if (const auto orders = optObject(root, "orders", ""))
    {
        for (const std::string& account : orders->getNames())
        {
            const std::string where = "orders." + account;
            const Array::Ptr list = optArray(orders, account, "orders");
            std::vector<std::string>& served = scenario->_orders[account];
            for (std::size_t i = 0; list && i < list->size(); ++i)
                served.push_back(
                    annotated(elementObject(list, i, elementPath(where, i)), settings.wire, "SalesOrder"));
        }
    }

    if (const auto carts = optArray(root, "carts", ""))
    {
        for (std::size_t i = 0; i < carts->size(); ++i)
        {
            const std::string where = elementPath("carts", i);
            CartRecord cart = scenario->parseCart(elementObject(carts, i, where), i, nowTicks, where);
            if (!scenario->_cartById.emplace(cart.id, scenario->_carts.size()).second)
                throw SimError(where + ".Id '" + cart.id + "' appears twice");
            scenario->_carts.push_back(std::move(cart));
        }
    }

    if (generate)
    {
        const Generator& generator = scenario->_generator.emplace(*generate);
        for (auto& [ticks, generated] : generator.carts(settings.loadedAtTicks, settings.wire))
        {
            CartRecord cart{generator.cartId(generated.index), ticks, false, generated};
            if (!scenario->_cartById.emplace(cart.id, scenario->_carts.size()).second)
                throw SimError("scenario cart Id '" + cart.id + "' clashes with a generated cart");
            scenario->_carts.push_back(std::move(cart));
        }
    }

    scenario->rebuildIndex();
    return scenario;
}

CartRecord Scenario::parseCart(const Object::Ptr& source, std::size_t index, std::int64_t nowTicks,
                               const std::string& where) const
{
    CartRecord cart;
    cart.id = required(optString(source, "Id", where), where + ".Id");
    if (cart.id.empty())
        throw SimError(where + ".Id must not be empty");
    cart.anonymous = optString(source, "CustomerId", where).value_or("").empty();

    const auto minutesAgo = optNumber(source, "modifiedMinutesAgo", where);
    const bool hasLiteral = source->has("ModifiedDateTime");
    if (minutesAgo && hasLiteral)
        throw SimError(where + " gives both modifiedMinutesAgo and ModifiedDateTime: give one");
    if (!minutesAgo && !hasLiteral)
        throw SimError(where + " needs modifiedMinutesAgo, or ModifiedDateTime (null for an untimed cart)");
    if (minutesAgo)
    {
        const std::int64_t ref = nowTicks - nowTicks % TicksPerMillisecond;
        cart.ticks = ref - std::llround(*minutesAgo * static_cast<double>(TicksPerMinute));
    }
    else if (const auto literal = optString(source, "ModifiedDateTime", where))
    {
        cart.ticks = parseIsoTicks(*literal);
    }

    const WireOptions& wire = _settings.wire;
    Object::Ptr served = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    if (wire.annotations && !source->has("@odata.type"))
        served->set("@odata.type", "#Microsoft.Dynamics.Commerce.Runtime.DataModel.Cart");
    if (wire.annotations && !source->has("@odata.etag"))
        served->set("@odata.etag", "W/\"" + std::to_string(cart.ticks.value_or(0)) + "\"");
    for (const std::string& name : source->getNames())
    {
        if (name == "modifiedMinutesAgo")
            served->set("ModifiedDateTime", formatTicks(*cart.ticks, wire.timeStyle(index)));
        else
            served->set(name, source->get(name));
    }
    cart.body = toJson(served);
    return cart;
}

void Scenario::rebuildIndex()
{
    _order.resize(_carts.size());
    std::iota(_order.begin(), _order.end(), 0U);
    std::sort(_order.begin(), _order.end(), [this](std::uint32_t a, std::uint32_t b) {
        const CartRecord& x = _carts[a];
        const CartRecord& y = _carts[b];
        if (x.ticks.has_value() != y.ticks.has_value())
            return !x.ticks.has_value();
        if (x.ticks != y.ticks)
            return *x.ticks < *y.ticks;
        return x.id < y.id;
    });
    _untimedCount = static_cast<std::size_t>(std::count_if(
        _carts.begin(), _carts.end(), [](const CartRecord& c) { return !c.ticks.has_value(); }));
    _namedBefore.assign(_order.size() + 1, 0);
    for (std::size_t i = 0; i < _order.size(); ++i)
        _namedBefore[i + 1] = _namedBefore[i] + (_carts[_order[i]].anonymous ? 0 : 1);
}

void Scenario::appendCart(std::string& out, const CartRecord& cart) const
{
    if (const auto* text = std::get_if<std::string>(&cart.body))
        out += *text;
    else
        _generator->appendCartJson(out, std::get<GeneratedCart>(cart.body), *cart.ticks,
                                   _settings.channelRecordId, _settings.wire);
}

void Scenario::appendCarts(const CartQuery& query, std::string& out) const
{
    const auto timedBegin = _order.begin() + static_cast<std::ptrdiff_t>(_untimedCount);
    const auto lo =
        std::lower_bound(timedBegin, _order.end(), query.from,
                         [this](std::uint32_t i, std::int64_t t) { return *_carts[i].ticks < t; });
    const auto hi = std::upper_bound(
        lo, _order.end(), query.to, [this](std::int64_t t, std::uint32_t i) { return t < *_carts[i].ticks; });
    // Untimed carts are always part of the result; then the timed ones inside the window.
    const std::pair<std::size_t, std::size_t> segments[] = {
        {0, _untimedCount},
        {static_cast<std::size_t>(lo - _order.begin()), static_cast<std::size_t>(hi - _order.begin())}};

    std::size_t skip = query.skip;
    std::size_t remaining = query.top;
    bool first = true;
    for (const auto& [begin, end] : segments)
    {
        if (remaining == 0)
            break;
        const std::size_t count =
            query.includeAnonymous ? end - begin : _namedBefore[end] - _namedBefore[begin];
        if (skip >= count)
        {
            skip -= count;
            continue;
        }
        std::size_t position = begin + skip;
        if (!query.includeAnonymous)
        {
            // The first position whose named-count reaches skip + 1, found from the prefix counts
            // so that a deep page costs a binary search, not a walk over every earlier cart.
            const auto it = std::lower_bound(_namedBefore.begin() + static_cast<std::ptrdiff_t>(begin) + 1,
                                             _namedBefore.begin() + static_cast<std::ptrdiff_t>(end) + 1,
                                             _namedBefore[begin] + skip + 1);
            position = static_cast<std::size_t>(it - _namedBefore.begin()) - 1;
        }
        skip = 0;
        for (; position < end && remaining > 0; ++position)
        {
            const CartRecord& cart = _carts[_order[position]];
            if (cart.anonymous && !query.includeAnonymous)
                continue;
            if (!first)
                out += ',';
            first = false;
            appendCart(out, cart);
            --remaining;
        }
    }
}

std::optional<std::string> Scenario::cartJson(const std::string& id) const
{
    const auto it = _cartById.find(id);
    if (it == _cartById.end())
        return std::nullopt;
    std::string out;
    appendCart(out, _carts[it->second]);
    return out;
}

std::optional<std::string> Scenario::customerJson(const std::string& accountNumber) const
{
    if (const auto it = _customers.find(accountNumber); it != _customers.end())
        return it->second;
    if (_generator)
        return _generator->customerJson(accountNumber, _settings.wire);
    return std::nullopt;
}

std::optional<std::string> Scenario::productJson(std::int64_t recordId) const
{
    if (const auto it = _products.find(recordId); it != _products.end())
        return it->second;
    if (_generator)
        return _generator->productJson(recordId, _settings.wire);
    return std::nullopt;
}

const std::vector<std::string>& Scenario::orders(const std::string& accountNumber) const
{
    static const std::vector<std::string> none;
    const auto it = _orders.find(accountNumber);
    return it == _orders.end() ? none : it->second;
}

bool Scenario::isKnownContact(const std::string& email) const
{
    return !_knownContacts || _knownContacts->count(email) || (_generator && _generator->isKnownEmail(email));
}

std::optional<std::string> Scenario::secret(const std::string& name) const
{
    const auto it = _secrets.find(name);
    if (it == _secrets.end())
        return std::nullopt;
    return it->second;
}

void Scenario::upsertCarts(const Array::Ptr& carts, std::int64_t nowTicks)
{
    // Everything is parsed before anything changes, so a bad element leaves the carts as they were.
    std::vector<std::pair<std::size_t, CartRecord>> updates;
    std::unordered_map<std::string, std::size_t> added;
    for (std::size_t i = 0; i < carts->size(); ++i)
    {
        const std::string where = elementPath("carts", i);
        const Object::Ptr source = elementObject(carts, i, where);
        const std::string id = required(optString(source, "Id", where), where + ".Id");
        std::size_t position;
        if (const auto existing = _cartById.find(id); existing != _cartById.end())
            position = existing->second;
        else if (const auto again = added.find(id); again != added.end())
            position = again->second;
        else
            position = added.emplace(id, _carts.size() + added.size()).first->second;
        updates.emplace_back(position, parseCart(source, position, nowTicks, where));
    }
    _carts.resize(_carts.size() + added.size());
    for (auto& [position, cart] : updates)
    {
        _cartById[cart.id] = position;
        _carts[position] = std::move(cart);
    }
    rebuildIndex();
}

bool Scenario::removeCart(const std::string& id)
{
    const auto it = _cartById.find(id);
    if (it == _cartById.end())
        return false;
    const std::size_t position = it->second;
    _cartById.erase(it);
    if (position != _carts.size() - 1)
    {
        _carts[position] = std::move(_carts.back());
        _cartById[_carts[position].id] = position;
    }
    _carts.pop_back();
    rebuildIndex();
    return true;
}

} // namespace acd::sim
