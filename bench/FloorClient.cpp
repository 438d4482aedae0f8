#include "FloorClient.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <set>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace acd::bench {

namespace {

constexpr std::size_t MaxIdsPerRequest = 1000;

/// Every value of `"key":` in `body`, string or number, in order — a scan, not a parse.
template <typename Each> void scanValues(std::string_view body, std::string_view key, Each each)
{
    const std::string needle = "\"" + std::string(key) + "\":";
    for (std::size_t at = body.find(needle); at != std::string_view::npos; at = body.find(needle, at))
    {
        at += needle.size();
        while (at < body.size() && body[at] == ' ')
            ++at;
        if (at < body.size() && body[at] == '"')
        {
            const std::size_t end = body.find('"', at + 1);
            each(body.substr(at + 1, end - at - 1));
            at = end;
        }
        else
        {
            const std::size_t end = body.find_first_of(",}]", at);
            each(body.substr(at, end - at));
            at = end;
        }
    }
}

void expectAllOk(const std::string& call, const std::vector<HttpClient::Outcome>& outcomes)
{
    for (const HttpClient::Outcome& outcome : outcomes)
    {
        if (!outcome.transportError.empty())
            throw std::runtime_error(call + ": " + outcome.transportError);
        expectOk(call, outcome.response);
    }
}

std::string joined(const std::vector<std::string>& items, std::size_t first, std::size_t last, bool quoted)
{
    std::string text;
    for (std::size_t i = first; i < last; ++i)
        text += (i == first ? "" : ",") + (quoted ? "\"" + items[i] + "\"" : items[i]);
    return text;
}

} // namespace

ClientRun runIoFloor(const SimAccount& account, const FloorPlan& plan)
{
    if (plan.contacts.empty())
        throw std::invalid_argument("the I/O floor needs the daemon's contacts to post");
    HttpClient retail(
        HttpClientOptions{std::chrono::seconds(60), std::chrono::seconds(10), plan.concurrency});
    HttpClient emarsys(
        HttpClientOptions{std::chrono::seconds(60), std::chrono::seconds(10), plan.emarsysInFlight});
    ClientRun run;
    const auto started = std::chrono::steady_clock::now();

    const std::string token = retailToken(retail, account);
    // Fetched once, as the daemon keeps its own across the run.
    const std::string emarsysBearer = emarsysToken(emarsys, account);
    const HttpResponse channelReply =
        retail.send(retailRequest(account, token, "GET", "OrgUnits/GetOrgUnitConfiguration()"));
    expectOk("channel", channelReply);
    std::string channelId;
    scanValues(channelReply.body, "RecordId", [&](std::string_view value) { channelId = value; });

    const std::string window = cartSearchBody(isoMinutesAgo(500), isoMinutesAgo(10));
    std::vector<std::string> accounts;
    std::vector<std::string> productIds;
    std::set<std::string> knownProducts;
    for (int skip = 0, lastSize = plan.pageSize; lastSize == plan.pageSize;)
    {
        std::vector<HttpRequest> pages;
        for (int i = 0; i < plan.concurrency; ++i, skip += plan.pageSize)
            pages.push_back(retailRequest(account, token, "POST",
                                          "Carts/Search?$top=" + std::to_string(plan.pageSize) + "&$skip=" +
                                              std::to_string(skip) + "&$orderby=ModifiedDateTime,Id",
                                          window));
        const auto outcomes = retail.sendAll(pages);
        expectAllOk("Carts/Search", outcomes);
        for (const HttpClient::Outcome& outcome : outcomes)
        {
            if (lastSize < plan.pageSize)
                break;
            const std::size_t before = accounts.size();
            scanValues(outcome.response.body, "CustomerId",
                       [&](std::string_view value) { accounts.emplace_back(value); });
            scanValues(outcome.response.body, "ProductId", [&](std::string_view value) {
                if (knownProducts.emplace(value).second)
                    productIds.emplace_back(value);
            });
            lastSize = static_cast<int>(accounts.size() - before);
        }
    }
    run.carts = static_cast<std::int64_t>(accounts.size());

    std::vector<HttpRequest> lookups;
    for (std::size_t first = 0; first < accounts.size(); first += MaxIdsPerRequest)
    {
        const std::size_t last = std::min(accounts.size(), first + MaxIdsPerRequest);
        lookups.push_back(retailRequest(account, token, "POST",
                                        "Customers/GetByAccountNumbers?$top=" + std::to_string(last - first),
                                        R"({"accountNumbers":[)" + joined(accounts, first, last, true) +
                                            R"(],"searchLocationValue":1})"));
    }
    const std::size_t customerRequests = lookups.size();
    for (std::size_t first = 0; first < productIds.size(); first += MaxIdsPerRequest)
    {
        const std::size_t last = std::min(productIds.size(), first + MaxIdsPerRequest);
        lookups.push_back(retailRequest(
            account, token, "POST", "Products/Search?$top=" + std::to_string(last - first),
            R"({"productSearchCriteria":{"Ids":[)" + joined(productIds, first, last, false) +
                R"(],"Context":{"ChannelId":)" + channelId +
                R"(,"CatalogId":0},"DataLevelValue":1,"SkipVariantExpansion":true,"IncludeAttributes":false,)"
                R"("IncludeProductsFromDescendantCategories":false}})"));
    }
    const auto replies = retail.sendAll(lookups);
    expectAllOk("Customers/GetByAccountNumbers or Products/Search", replies);
    // The addresses are in the replies; the contacts posted are the daemon's, which hold them.
    std::size_t addresses = 0;
    for (std::size_t i = 0; i < customerRequests; ++i)
        scanValues(replies[i].response.body, "Email",
                   [&](std::string_view value) { addresses += !value.empty() && value != "null" ? 1 : 0; });
    if (addresses < plan.contacts.size())
        throw std::runtime_error("the I/O floor found " + std::to_string(addresses) +
                                 " addresses for the daemon's " + std::to_string(plan.contacts.size()) +
                                 " contacts");

    const std::string prefix = triggerBodyPrefix(account);
    std::vector<HttpRequest> batches;
    std::string body = prefix;
    std::size_t inBody = 0;
    const auto flush = [&](bool last) {
        if (inBody > 0)
        {
            body += "]}";
            run.batches += 1;
            run.contacts += static_cast<std::int64_t>(inBody);
            run.bodyBytes += static_cast<std::int64_t>(body.size());
            batches.push_back(emarsysTriggerV3(account, emarsysBearer, body));
            body = prefix;
            inBody = 0;
        }
        if (batches.size() == static_cast<std::size_t>(plan.emarsysInFlight) || (last && !batches.empty()))
        {
            expectAllOk("Emarsys trigger", emarsys.sendAll(batches));
            batches.clear();
        }
    };
    for (const std::string& contact : plan.contacts)
    {
        if (inBody == plan.maxContacts || body.size() + 1 + contact.size() + 2 > plan.maxBytes)
            flush(false);
        body += (inBody == 0 ? "" : ",") + contact;
        ++inBody;
    }
    flush(true);
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return run;
}

} // namespace acd::bench
