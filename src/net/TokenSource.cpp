#include "net/TokenSource.h"

#include <algorithm>
#include <stdexcept>

namespace acd {

TokenKeeper::TokenKeeper(TokenKeeperOptions options) : _options(std::move(options))
{
    if (!_options.clock)
        throw std::invalid_argument(_options.what + ": no clock given");
}

std::string TokenKeeper::token(const std::function<IssuedToken(Timestamp requestedAt)>& fetch)
{
    const Timestamp now = _options.clock();
    if (!_token.empty() && now < _refreshAt)
        return _token;
    if (_options.cache)
    {
        std::optional<CachedToken> kept;
        try
        {
            kept = _options.cache->load();
        }
        catch (const std::exception& e)
        {
            warnOnce(std::string("the kept token cannot be read, a new one is fetched: ") + e.what());
        }
        // A token the service refused stays refused even where the cache could not forget it.
        if (kept && kept->owner == _options.owner && !kept->value.empty() && kept->value != _refused &&
            now < kept->expiresAt)
        {
            _token = std::move(kept->value);
            _refreshAt = kept->expiresAt;
            return _token;
        }
    }

    IssuedToken fresh = fetch(now);
    // Refresh 5 minutes ahead; a token that lives less than 10 minutes is kept for half its life.
    const std::int64_t margin = std::min<std::int64_t>(300, fresh.lifetimeSeconds / 2);
    _token = std::move(fresh.value);
    _refreshAt = now.plusSeconds(fresh.lifetimeSeconds - margin);
    if (_options.cache)
    {
        try
        {
            _options.cache->store({_token, _refreshAt, _options.owner});
        }
        catch (const std::exception& e)
        {
            warnOnce(std::string("the token cannot be kept for the next run, which will fetch its own: ") +
                     e.what());
        }
    }
    return _token;
}

void TokenKeeper::invalidate()
{
    _refused = std::move(_token);
    _token.clear();
    if (!_options.cache)
        return;
    try
    {
        _options.cache->clear();
    }
    catch (const std::exception& e)
    {
        warnOnce(std::string("the refused token could not be removed from where it is kept: ") + e.what());
    }
}

void TokenKeeper::warnOnce(const std::string& line)
{
    if (_warned || !_options.warn)
        return;
    _warned = true;
    _options.warn(_options.what + ": " + line);
}

} // namespace acd
