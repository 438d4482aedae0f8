#include "SampleClient.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/URI.h>

#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace acd::bench {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

struct Viewport
{
    const char* media;
    int size;
    bool isDefault;
};
// DESIGN §4's default viewports.
constexpr Viewport Viewports[] = {
    {"(max-width:768px)", 80, false},
    {"(min-width:769px) and (max-width:1599px)", 183, false},
    {"(min-width:1600px)", 315, true},
};

Object::Ptr parseObject(const std::string& text)
{
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Object::Ptr>();
}

std::string text(const Object::Ptr& object, const std::string& key)
{
    const Poco::Dynamic::Var value = object->get(key);
    return value.isEmpty() ? std::string() : value.convert<std::string>();
}

/// "12.50" and 12.5 both become "12.5".
std::string decimal(const Poco::Dynamic::Var& value)
{
    if (value.isEmpty())
        return "";
    std::string number = value.convert<std::string>();
    if (number.find('.') != std::string::npos)
    {
        while (number.back() == '0')
            number.pop_back();
        if (number.back() == '.')
            number.pop_back();
    }
    return number;
}

std::string stringify(const Poco::Dynamic::Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(value, out);
    return out.str();
}

Object::Ptr productImage(const Object::Ptr& product, const SimAccount& account)
{
    Object::Ptr image = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    std::string url;
    std::string altText;
    if (Object::Ptr images = product->getObject("Image"))
    {
        if (Array::Ptr items = images->getArray("Items"); items && items->size() > 0)
        {
            url = text(items->getObject(0), "Url");
            altText = text(items->getObject(0), "AltText");
        }
    }
    image->set("altText", altText.empty() ? text(product, "ProductName") : altText);
    Array::Ptr sized = new Array;
    if (!url.empty())
    {
        for (const Viewport& viewport : Viewports)
        {
            std::string encoded;
            Poco::URI::encode(url, "?#[]@!$&'()*+,;= ", encoded);
            const std::string size = std::to_string(viewport.size);
            Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            entry->set("url", url.starts_with("http") ? url
                                                      : account.imageServerUrl + "/" + encoded +
                                                            "&w=" + size + "&h=" + size + "&q=80&m=6&f=jpg");
            entry->set("media", viewport.media);
            entry->set("useForDefaultImageTag", viewport.isDefault);
            sized->add(entry);
        }
    }
    image->set("viewPortImages", sized);
    return image;
}

class SamplePattern
{
public:
    SamplePattern(const SimAccount& account, int pageSize)
        : _account(account), _pageSize(pageSize), _http(HttpClientOptions{std::chrono::seconds(60)})
    {}

    ClientRun run()
    {
        const auto started = std::chrono::steady_clock::now();
        _token = retailToken(_http, _account);
        const Object::Ptr channel =
            call("channel", retailRequest(_account, _token, "GET", "OrgUnits/GetOrgUnitConfiguration()"));
        _channelId = channel->getValue<Poco::Int64>("RecordId");
        _currency = text(channel, "Currency");

        std::string from = isoMinutesAgo(500);
        const std::string to = isoMinutesAgo(10);
        std::set<std::string> handledAtFrom;
        for (;;)
        {
            const Object::Ptr page =
                call("Carts/Search", retailRequest(_account, _token, "POST",
                                                   "Carts/Search?$top=" + std::to_string(_pageSize) +
                                                       "&$orderby=ModifiedDateTime,Id",
                                                   cartSearchBody(from, to)));
            const Array::Ptr values = page->getArray("value");
            std::vector<Object::Ptr> carts;
            for (std::size_t i = 0; i < values->size(); ++i)
            {
                Object::Ptr cart = values->getObject(i);
                if (!handledAtFrom.contains(text(cart, "Id")) && !text(cart, "ModifiedDateTime").empty())
                    carts.push_back(cart);
            }
            if (carts.empty())
                break;
            _run.carts += static_cast<std::int64_t>(carts.size());
            handlePage(carts);

            const std::string last = text(carts.back(), "ModifiedDateTime");
            if (last != from)
                handledAtFrom.clear();
            from = last;
            for (const Object::Ptr& cart : carts)
                if (text(cart, "ModifiedDateTime") == from)
                    handledAtFrom.insert(text(cart, "Id"));
            if (values->size() < static_cast<std::size_t>(_pageSize))
                break;
        }
        _run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        return _run;
    }

private:
    Object::Ptr call(const std::string& name, const HttpRequest& request)
    {
        const HttpResponse response = _http.send(request);
        expectOk(name, response);
        return parseObject(response.body);
    }

    void handlePage(const std::vector<Object::Ptr>& carts)
    {
        Array::Ptr accounts = new Array;
        Array::Ptr productIds = new Array;
        std::set<std::string> seenAccounts;
        std::set<Poco::Int64> seenProducts;
        for (const Object::Ptr& cart : carts)
        {
            const std::string account = text(cart, "CustomerId");
            if (!account.empty() && seenAccounts.insert(account).second)
                accounts->add(account);
            if (Array::Ptr lines = cart->getArray("CartLines"))
                for (std::size_t i = 0; i < lines->size(); ++i)
                {
                    const Poco::Int64 id = lines->getObject(i)->get("ProductId").convert<Poco::Int64>();
                    if (seenProducts.insert(id).second)
                        productIds->add(id);
                }
        }

        Object::Ptr customerQuery = new Object;
        customerQuery->set("accountNumbers", accounts);
        customerQuery->set("searchLocationValue", 1);
        const Array::Ptr customerList =
            call("Customers/GetByAccountNumbers",
                 retailRequest(_account, _token, "POST",
                               "Customers/GetByAccountNumbers?$top=" + std::to_string(accounts->size()),
                               stringify(customerQuery)))
                ->getArray("value");
        std::map<std::string, Object::Ptr> customers;
        for (std::size_t i = 0; i < customerList->size(); ++i)
            customers[text(customerList->getObject(i), "AccountNumber")] = customerList->getObject(i);

        Object::Ptr context = new Object;
        context->set("ChannelId", _channelId);
        context->set("CatalogId", 0);
        Object::Ptr criteria = new Object;
        criteria->set("Ids", productIds);
        criteria->set("Context", context);
        criteria->set("DataLevelValue", 1);
        criteria->set("SkipVariantExpansion", true);
        criteria->set("IncludeAttributes", false);
        criteria->set("IncludeProductsFromDescendantCategories", false);
        Object::Ptr productQuery = new Object;
        productQuery->set("productSearchCriteria", criteria);
        const Array::Ptr productList =
            call("Products/Search",
                 retailRequest(_account, _token, "POST",
                               "Products/Search?$top=" + std::to_string(productIds->size()),
                               stringify(productQuery)))
                ->getArray("value");
        std::map<Poco::Int64, Object::Ptr> products;
        for (std::size_t i = 0; i < productList->size(); ++i)
            products[productList->getObject(i)->get("RecordId").convert<Poco::Int64>()] =
                productList->getObject(i);

        std::string body = triggerBodyPrefix(_account);
        std::int64_t contacts = 0;
        for (const Object::Ptr& cart : carts)
        {
            const auto customer = customers.find(text(cart, "CustomerId"));
            if (customer == customers.end() || text(customer->second, "Email").empty())
                continue;
            Array::Ptr details = new Array;
            if (Array::Ptr lines = cart->getArray("CartLines"))
                for (std::size_t i = 0; i < lines->size(); ++i)
                {
                    const Object::Ptr line = lines->getObject(i);
                    const auto product = products.find(line->get("ProductId").convert<Poco::Int64>());
                    if (product == products.end())
                        continue;
                    Object::Ptr detail = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
                    detail->set("productId", text(product->second, "RecordId"));
                    detail->set("productName", text(product->second, "ProductName"));
                    detail->set("quantity", decimal(line->get("Quantity")));
                    detail->set("unitPrice", decimal(line->get("Price")));
                    detail->set("productImage", productImage(product->second, _account));
                    details->add(detail);
                }
            if (details->size() == 0)
                continue;
            Object::Ptr data = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            data->set("firstName", text(customer->second, "FirstName"));
            data->set("lastName", text(customer->second, "LastName"));
            data->set("language", text(customer->second, "Language"));
            data->set("currency", _currency);
            data->set("returnToCartUrl", _account.returnToCartUrl + text(cart, "Id"));
            data->set("orderDetails", details);
            Object::Ptr contact = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            contact->set("external_id", text(customer->second, "Email"));
            contact->set("trigger_id", "sample-" + text(cart, "Id") + "-" + text(cart, "ModifiedDateTime"));
            contact->set("data", data);
            body += (contacts == 0 ? "" : ",") + stringify(contact);
            ++contacts;
        }
        if (contacts == 0)
            return;
        body += "]}";
        const HttpResponse response = _http.send(emarsysTrigger(_account, body));
        expectOk("Emarsys trigger", response);
        _run.contacts += contacts;
        _run.batches += 1;
        _run.bodyBytes += static_cast<std::int64_t>(body.size());
    }

    const SimAccount& _account;
    const int _pageSize;
    HttpClient _http;
    std::string _token;
    Poco::Int64 _channelId = 0;
    std::string _currency;
    ClientRun _run;
};

} // namespace

ClientRun runSamplePattern(const SimAccount& account, int pageSize)
{
    return SamplePattern(account, pageSize).run();
}

} // namespace acd::bench
