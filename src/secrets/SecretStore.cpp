#include "secrets/SecretStore.h"

#include <algorithm>

namespace acd {

void SecretSource::store(const std::string& secretName, const std::string&)
{
    throw SecretError("the " + name() + " source cannot be written by abandoned-cartd (secret '" +
                      secretName + "')");
}

std::string SecretStore::store(const std::string& name, const std::string& value)
{
    std::lock_guard lock(_mutex);
    for (auto& source : _sources)
        if (source->writable())
        {
            source->store(name, value);
            _cache.erase(name);
            return source->name();
        }
    std::string names;
    for (const auto& source : _sources)
        names += (names.empty() ? "" : ", ") + source->name();
    throw SecretError("none of the configured sources (" + names +
                      ") can be written by abandoned-cartd: add libsecret (Linux) or dpapi (Windows) to "
                      "secrets.sources, or store '" +
                      name + "' with that source's own tool");
}

SecretStore::SecretStore(std::vector<std::unique_ptr<SecretSource>> sources, std::chrono::seconds ttl,
                         Clock clock)
    : _sources(std::move(sources)), _ttl(ttl), _clock(std::move(clock))
{
    if (_sources.empty())
        throw SecretError("no secret source configured (secrets.sources is empty)");
    if (std::any_of(_sources.begin(), _sources.end(), [](const auto& source) { return !source; }))
        throw SecretError("a secret source given to the secret store is null");
}

std::string SecretStore::get(const std::string& name)
{
    return fetch(name).value;
}

std::string SecretStore::sourceOf(const std::string& name)
{
    return fetch(name).source;
}

SecretStatus SecretStore::status(const std::string& name)
{
    const Entry entry = fetch(name);
    return SecretStatus{entry.source, entry.fetchedAt, entry.sealed, entry.sealedAt};
}

SecretStore::Entry SecretStore::fetch(const std::string& name)
{
    std::string warning;
    WarningHandler warn;
    Entry entry;
    {
        std::lock_guard lock(_mutex);
        entry = resolveLocked(name, warning);
        warn = _warn;
    }
    // Outside the lock: the handler may well log through code that reads secrets again.
    if (!warning.empty() && warn)
        warn(warning);
    return entry;
}

const SecretStore::Entry& SecretStore::resolveLocked(const std::string& name, std::string& warning)
{
    if (name.empty())
        throw SecretError("a secret name is empty: check the configuration's ...SecretName keys");

    const Timestamp now = _clock();
    if (auto it = _cache.find(name); it != _cache.end())
    {
        // A sealed copy is kept for a shorter while, so that Key Vault is tried again soon
        // and the offline state ends soon after the outage does.
        const auto ttl = it->second.sealed ? std::min(_ttl, SealedCopyTtl) : _ttl;
        // A clock that went backwards makes the entry stale rather than valid for ever.
        const auto fetchedAt = it->second.fetchedAt;
        if (now >= fetchedAt && now < fetchedAt.plusSeconds(ttl.count()))
            return it->second;
    }

    for (const auto& source : _sources)
    {
        auto value = source->lookup(name);
        if (!value)
            continue;
        if (value->empty())
            throw SecretError("secret '" + name + "' from " + source->name() + " is empty");

        const bool wasOffline = anySealedLocked();
        Entry& entry = _cache[name];
        entry = Entry{std::move(*value), source->name(), now, source->servedSealedCopy(),
                      source->servedSealedCopy() ? source->sealedAt() : std::nullopt};
        if (entry.sealed && !wasOffline)
        {
            const std::string cause = source->sealedCopyCause();
            warning = source->name() + " unreachable: using the sealed local copy of secret '" + name + "'" +
                      (cause.empty() ? "" : " " + cause);
        }
        return entry;
    }

    _cache.erase(name);
    std::string list;
    for (const auto& source : sourceNames())
        list += (list.empty() ? "" : ", ") + source;
    throw SecretError("secret '" + name + "' not found in any of: " + list);
}

void SecretStore::invalidate()
{
    std::lock_guard lock(_mutex);
    _cache.clear();
}

bool SecretStore::usedSealedCopy() const
{
    std::lock_guard lock(_mutex);
    return anySealedLocked();
}

bool SecretStore::anySealedLocked() const
{
    return std::any_of(_cache.begin(), _cache.end(), [](const auto& item) { return item.second.sealed; });
}

void SecretStore::setWarningHandler(WarningHandler handler)
{
    std::lock_guard lock(_mutex);
    _warn = std::move(handler);
}

std::vector<std::string> SecretStore::sourceNames() const
{
    std::vector<std::string> names;
    for (const auto& source : _sources)
        names.push_back(source->name());
    return names;
}

} // namespace acd
