#include "ScenarioBuilder.h"

#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace acd::test {

using Poco::JSON::Array;
using Poco::JSON::Object;

ScenarioBuilder::ScenarioBuilder()
{
    _root->set("tenantId", "tenant-1");
    _root->set("clientId", "app-id");
    _root->set("clientSecret", "app-secret");
    _root->set("operatingUnitNumber", "128");
    Object::Ptr channel = new Object;
    channel->set("RecordId", ChannelId);
    channel->set("Currency", "EUR");
    _root->set("channel", channel);
    Object::Ptr emarsys = new Object;
    emarsys->set("user", "emarsys-user");
    emarsys->set("secret", "emarsys-secret");
    emarsys->set("contactKeyId", "3");
    _root->set("emarsys", emarsys);
    _root->set("customers", _customers);
    _root->set("products", _products);
    _root->set("carts", _carts);
}

ScenarioBuilder& ScenarioBuilder::section(const std::string& key, const std::string& json)
{
    const Object::Ptr value = parseObject(json);
    if (key != "emarsys")
    {
        _root->set(key, value);
        return *this;
    }
    for (const std::string& name : value->getNames())
        _root->getObject("emarsys")->set(name, value->get(name));
    return *this;
}

ScenarioBuilder& ScenarioBuilder::currency(const std::string& code)
{
    _root->getObject("channel")->set("Currency", code);
    return *this;
}

ScenarioBuilder& ScenarioBuilder::customer(const std::string& account, const std::string& first,
                                           const std::string& last, const std::string& email,
                                           const std::string& language)
{
    Object::Ptr c = new Object;
    c->set("AccountNumber", account);
    c->set("FirstName", first);
    c->set("LastName", last);
    c->set("Email", email.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(email));
    c->set("Language", language);
    _customers->add(c);
    return *this;
}

ScenarioBuilder& ScenarioBuilder::product(std::int64_t id, const std::string& name, const std::string& price,
                                          const std::string& image)
{
    Object::Ptr p = new Object;
    p->set("RecordId", id);
    p->set("ProductName", name);
    p->set("ItemId", "item-" + std::to_string(id));
    p->set("Price", price);
    if (!image.empty())
    {
        Object::Ptr item = new Object;
        item->set("Url", image);
        item->set("AltText", Poco::Dynamic::Var());
        Array::Ptr items = new Array;
        items->add(item);
        Object::Ptr images = new Object;
        images->set("Items", items);
        p->set("Image", images);
    }
    _products->add(p);
    return *this;
}

ScenarioBuilder& ScenarioBuilder::cartWith(const std::string& id, const std::string& customer,
                                           double minutesAgo, const std::vector<Line>& lines)
{
    Object::Ptr c = makeCart(id, customer, lines);
    if (minutesAgo < 0)
        c->set("ModifiedDateTime", Poco::Dynamic::Var());
    else
        c->set("modifiedMinutesAgo", minutesAgo);
    _carts->add(c);
    return *this;
}

ScenarioBuilder& ScenarioBuilder::cart(const std::string& id, const std::string& customer, double minutesAgo,
                                       const std::vector<std::int64_t>& products)
{
    return cartWith(id, customer, minutesAgo, linesOf(products));
}

ScenarioBuilder& ScenarioBuilder::cartAt(const std::string& id, const std::string& customer,
                                         const std::string& modified,
                                         const std::vector<std::int64_t>& products)
{
    Object::Ptr c = makeCart(id, customer, linesOf(products));
    c->set("ModifiedDateTime", modified);
    _carts->add(c);
    return *this;
}

ScenarioBuilder& ScenarioBuilder::knownContacts(const std::vector<std::string>& emails)
{
    Array::Ptr known = new Array;
    for (const std::string& email : emails)
        known->add(email);
    _root->getObject("emarsys")->set("knownContacts", known);
    return *this;
}

ScenarioBuilder& ScenarioBuilder::sendgridInvalidAddresses(const std::vector<std::string>& emails)
{
    Array::Ptr invalid = new Array;
    for (const std::string& email : emails)
        invalid->add(email);
    Object::Ptr sendgrid = new Object;
    sendgrid->set("invalidAddresses", invalid);
    _root->set("sendgrid", sendgrid);
    return *this;
}

ScenarioBuilder& ScenarioBuilder::mandrill(const std::string& json)
{
    _root->set("mandrill", parseObject(json));
    return *this;
}

std::string ScenarioBuilder::cartsJson() const
{
    Object::Ptr body = new Object;
    body->set("carts", _carts);
    std::ostringstream json;
    Poco::JSON::Stringifier::condense(body, json);
    return json.str();
}

std::string ScenarioBuilder::write(const TempDir& dir) const
{
    std::ostringstream json;
    Poco::JSON::Stringifier::condense(_root, json);
    const std::string path = dir.file("scenario.json");
    writeText(path, json.str());
    return path;
}

std::vector<ScenarioBuilder::Line> ScenarioBuilder::linesOf(const std::vector<std::int64_t>& products)
{
    std::vector<Line> lines;
    for (std::int64_t product : products)
        lines.push_back({product, static_cast<int>(lines.size()) + 1, "10.50"});
    return lines;
}

Object::Ptr ScenarioBuilder::makeCart(const std::string& id, const std::string& customer,
                                      const std::vector<Line>& lines) const
{
    Object::Ptr c = new Object;
    c->set("Id", id);
    c->set("CustomerId", customer);
    c->set("CartTypeValue", 1);
    c->set("ChannelId", ChannelId);
    Array::Ptr cartLines = new Array;
    double total = 0;
    for (const Line& line : lines)
    {
        Object::Ptr l = new Object;
        l->set("LineId", id + "-l" + std::to_string(cartLines->size() + 1));
        l->set("ProductId", line.product);
        l->set("ItemId", "item-" + std::to_string(line.product));
        l->set("Quantity", line.quantity);
        l->set("Price", line.price);
        cartLines->add(l);
        total += std::stod(line.price) * line.quantity;
    }
    c->set("CartLines", cartLines);
    c->set("TotalAmount", total);
    return c;
}

} // namespace acd::test
