#include "MailchimpState.h"

#include "Json.h"
#include "SimTime.h"

#include <Poco/MD5Engine.h>
#include <Poco/String.h>

namespace acd::sim {

namespace {

std::string memberHash(const std::string& email)
{
    Poco::MD5Engine md5;
    md5.update(Poco::toLower(email));
    return Poco::DigestEngine::digestToHex(md5.digest());
}

} // namespace

void MailchimpState::putCustomer(const std::string& id, Customer customer)
{
    std::lock_guard lock(_mutex);
    // Mailchimp adds (or keeps) the audience member of the customer's address.
    _deletedMembers.erase(memberHash(customer.email));
    _customers[id] = std::move(customer);
}

std::optional<MailchimpState::Customer> MailchimpState::customer(const std::string& id) const
{
    std::lock_guard lock(_mutex);
    const auto found = _customers.find(id);
    return found == _customers.end() ? std::nullopt : std::optional(found->second);
}

void MailchimpState::putProduct(const std::string& id, Product product)
{
    std::lock_guard lock(_mutex);
    product.puts = _products[id].puts + 1;
    _products[id] = std::move(product);
}

bool MailchimpState::hasVariant(const std::string& productId, const std::string& variantId) const
{
    std::lock_guard lock(_mutex);
    return _products.contains(productId) && variantId == productId;
}

bool MailchimpState::addCart(Cart cart)
{
    std::lock_guard lock(_mutex);
    if (!_cartIds.insert(cart.id).second)
        return false;
    _carts.push_back(std::move(cart));
    return true;
}

bool MailchimpState::deleteMember(const std::string& hash)
{
    std::lock_guard lock(_mutex);
    bool found = false;
    for (const auto& [id, customer] : _customers)
        found = found || memberHash(customer.email) == hash;
    if (!found || !_deletedMembers.insert(hash).second)
        return false;
    _deletes.emplace_back("member", hash);
    return true;
}

bool MailchimpState::deleteCustomer(const std::string& id)
{
    std::lock_guard lock(_mutex);
    if (_customers.erase(id) == 0)
        return false;
    _deletes.emplace_back("customer", id);
    return true;
}

std::string MailchimpState::cartsJson() const
{
    std::lock_guard lock(_mutex);
    std::string out = "[";
    for (std::size_t i = 0; i < _carts.size(); ++i)
    {
        const Cart& c = _carts[i];
        out += std::string(i > 0 ? "," : "") + R"({"id":)" + jsonQuote(c.id) + R"(,"customer_id":)" +
               jsonQuote(c.customerId) + R"(,"email":)" + jsonQuote(c.email) + R"(,"cart":)" + c.json +
               R"(,"time":")" + formatTicks(c.ticks, TimeStyle::Z7) + "\"}";
    }
    return out + "]";
}

std::string MailchimpState::customersJson() const
{
    std::lock_guard lock(_mutex);
    std::string out = "[";
    for (const auto& [id, c] : _customers)
        out += std::string(out.size() > 1 ? "," : "") + R"({"id":)" + jsonQuote(id) + R"(,"email_address":)" +
               jsonQuote(c.email) + R"(,"first_name":)" + jsonQuote(c.firstName) + R"(,"last_name":)" +
               jsonQuote(c.lastName) + "}";
    return out + "]";
}

std::string MailchimpState::productsJson() const
{
    std::lock_guard lock(_mutex);
    std::string out = "[";
    for (const auto& [id, p] : _products)
        out += std::string(out.size() > 1 ? "," : "") + R"({"id":)" + jsonQuote(id) + R"(,"title":)" +
               jsonQuote(p.title) + R"(,"price":)" + p.price + R"(,"image_url":)" + jsonQuote(p.imageUrl) +
               R"(,"puts":)" + std::to_string(p.puts) + "}";
    return out + "]";
}

std::string MailchimpState::deletesJson() const
{
    std::lock_guard lock(_mutex);
    std::string out = "[";
    for (std::size_t i = 0; i < _deletes.size(); ++i)
        out += std::string(i > 0 ? "," : "") + R"({"what":)" + jsonQuote(_deletes[i].first) + R"(,"id":)" +
               jsonQuote(_deletes[i].second) + "}";
    return out + "]";
}

void MailchimpState::clearRecords()
{
    std::lock_guard lock(_mutex);
    _carts.clear();
    _deletes.clear();
    for (auto& [id, product] : _products)
        product.puts = 0;
}

void MailchimpState::forget()
{
    std::lock_guard lock(_mutex);
    _customers.clear();
    _products.clear();
    _cartIds.clear();
    _deletedMembers.clear();
    _carts.clear();
    _deletes.clear();
}

} // namespace acd::sim
