#pragma once

#include "core/Timestamp.h"
#include "core/Types.h"
#include "net/RemoteError.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace acd {

class HttpClient;
class TokenSource;

/// A Retail Server call failed: the message names the call (`Carts/Search`), the HTTP
/// status and a short excerpt of the reply, or says "malformed reply from <call>: <reason>".
class RetailError : public RemoteError
{
public:
    using RemoteError::RemoteError;
};

struct RetailClientOptions
{
    /// retailServer.url: the calls go to {baseUrl}/Commerce/…; a URL that already ends
    /// in /Commerce (as LCS shows it) is taken as is.
    std::string baseUrl;
    std::string operatingUnitNumber;
    std::string apiVersion = "7.3";
    int pageSize = 100; // 1..1000
    /// Tries of one call when the answer is 429, 5xx or no answer at all (a 401 followed by
    /// a token refresh does not count): the RetryPolicy's maxAttempts.
    int maxAttempts = 4;
    /// Waits between tries; tests replace it to avoid sleeping.
    std::function<void(std::chrono::milliseconds)> sleep;
    /// Receives what was tolerated in a reply (a cart whose ModifiedDateTime cannot be read).
    /// By default these go to the "acd.retail" Poco logger as warnings. Two rounds of
    /// searchCartPages may be parsed at once (the cycle's read phase): it must be thread-safe.
    std::function<void(const std::string&)> note;
};

/// The Retail Server calls of DESIGN §3. Every call carries the Entra token, the OUN and
/// the api-version, and goes through the one retry loop (net sendWithRetries): a 401 refreshes
/// the token and tries once more; 429, 5xx and transport failures are retried under the
/// RetryPolicy. Throws RetailError (and TokenError when no token can be had).
class RetailClient
{
public:
    RetailClient(HttpClient& http, TokenSource& tokens, RetailClientOptions options);
    ~RetailClient();
    RetailClient(const RetailClient&) = delete;
    RetailClient& operator=(const RetailClient&) = delete;

    /// OrgUnits/GetOrgUnitConfiguration(): the channel's RecordId and currency.
    Channel channel();

    /// One page of Carts/Search, ordered by ModifiedDateTime, Id; a page shorter than
    /// pageSize is the last.
    std::vector<Cart> searchCarts(Timestamp from, Timestamp to, int skip);

    /// `pageCount` consecutive pages from `firstSkip`, fetched concurrently, in order. The last
    /// page is read first and `onLastPage(full)` is called with whether it holds pageSize carts
    /// (the window goes on), before the other pages are read: the caller can send the next
    /// requests meanwhile.
    std::vector<std::vector<Cart>> searchCartPages(Timestamp from, Timestamp to, int firstSkip, int pageCount,
                                                   const std::function<void(bool full)>& onLastPage = {});

    /// Customers/GetByAccountNumbers: one request per `perRequest` (at most 1000) account
    /// numbers, the requests in flight at once. Accounts Retail Server does not know are simply
    /// not in the result.
    std::vector<Customer> customers(const std::vector<std::string>& accountNumbers,
                                    std::size_t perRequest = 1000);

    /// Products/Search in the channel: one request per 1000 ids. Unknown ids are not in the result.
    std::vector<Product> products(std::int64_t channelId, const std::vector<std::int64_t>& ids);

    /// Carts('{id}'); nothing when the cart is gone (checked out or deleted).
    std::optional<Cart> cart(const std::string& id);

    int pageSize() const;

private:
    struct Impl;
    std::unique_ptr<Impl> _impl;
};

} // namespace acd
