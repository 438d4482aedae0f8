#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace acd::sim {

/// One Mailchimp store and its audience (DESIGN §4.4): the customers, products and cart ids it
/// holds, and what it was handed, for the tests to compare with the ledger.
class MailchimpState
{
public:
    struct Customer
    {
        std::string email;
        std::string firstName;
        std::string lastName;
    };
    struct Product
    {
        std::string title;
        std::string price; // the variant's, as written
        std::string imageUrl;
        std::int64_t puts = 0;
    };
    struct Cart
    {
        std::string id;
        std::string customerId;
        std::string email; // the customer's when the cart arrived
        std::string json;  // the body as received
        std::int64_t ticks = 0;
    };

    void putCustomer(const std::string& id, Customer customer);
    std::optional<Customer> customer(const std::string& id) const;
    void putProduct(const std::string& id, Product product);
    /// The product's variant ids (one per product here: the product's own id), or nothing.
    bool hasVariant(const std::string& productId, const std::string& variantId) const;
    /// False when the store has a cart with that id already (nothing recorded then).
    bool addCart(Cart cart);
    /// The purge calls: false when there was nothing of that id.
    bool deleteMember(const std::string& hash);
    bool deleteCustomer(const std::string& id);

    std::string cartsJson() const;
    std::string customersJson() const;
    std::string productsJson() const;
    std::string deletesJson() const;
    /// POST /_sim/reset-log: forget what was handed over, keep the store's contents, cart ids included.
    void clearRecords();
    /// A new scenario is a new account.
    void forget();

private:
    mutable std::mutex _mutex;
    std::map<std::string, Customer> _customers;
    std::map<std::string, Product> _products;
    std::set<std::string> _cartIds;
    std::set<std::string> _deletedMembers; // members are made with their customer; purge removes them
    std::vector<Cart> _carts;
    std::vector<std::pair<std::string, std::string>> _deletes; // (what, id), in order
};

} // namespace acd::sim
