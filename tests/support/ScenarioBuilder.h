#pragma once

#include "Harness.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <string>
#include <vector>

namespace acd::test {

/// A commerce-sim scenario (tests/sim/README.md) written by the test itself, so that each test
/// states exactly the store it needs. The credentials are the ones of simSecrets().
class ScenarioBuilder
{
public:
    static constexpr std::int64_t ChannelId = 5637144592;

    struct Line
    {
        std::int64_t product;
        int quantity;
        std::string price; // Edm.Decimal as Retail Server may send it: a string
    };

    ScenarioBuilder();

    ScenarioBuilder& currency(const std::string& code);
    /// `email` "" gives a customer whose Email is null.
    ScenarioBuilder& customer(const std::string& account, const std::string& first, const std::string& last,
                              const std::string& email, const std::string& language = "en-us");
    /// `image` "" gives a product without images.
    ScenarioBuilder& product(std::int64_t id, const std::string& name, const std::string& price,
                             const std::string& image);
    /// `minutesAgo` < 0 gives an untimed cart; no lines an empty one.
    ScenarioBuilder& cartWith(const std::string& id, const std::string& customer, double minutesAgo,
                              const std::vector<Line>& lines);
    /// Line n (from 1) of each product has quantity n, at 10.50.
    ScenarioBuilder& cart(const std::string& id, const std::string& customer, double minutesAgo,
                          const std::vector<std::int64_t>& products);
    /// A cart whose ModifiedDateTime is given as Retail Server would write it.
    ScenarioBuilder& cartAt(const std::string& id, const std::string& customer, const std::string& modified,
                            const std::vector<std::int64_t>& products);
    /// A top-level scenario key set from JSON text (`keyVault`, say), replacing what was there;
    /// for `emarsys`, the members given are added to the builder's own.
    ScenarioBuilder& section(const std::string& key, const std::string& json);
    /// Emarsys knows only these contacts; the others get per-contact error 2008.
    ScenarioBuilder& knownContacts(const std::vector<std::string>& emails);
    /// SendGrid refuses these addresses as invalid (400 naming personalizations.N.to.0.email).
    ScenarioBuilder& sendgridInvalidAddresses(const std::vector<std::string>& emails);

    /// The simulated Mailchimp Transactional account (tests/sim/README.md, "mandrill"), e.g.
    /// {"rejected":{"bounced@example.com":"hard-bounce"},"queued":["slow@example.com"]}.
    ScenarioBuilder& mandrill(const std::string& json);

    /// {"carts":[…]} of the carts added, for POST /_sim/carts (carts changed while a test runs).
    std::string cartsJson() const;
    /// Writes dir/scenario.json and returns its path.
    std::string write(const TempDir& dir) const;

private:
    static std::vector<Line> linesOf(const std::vector<std::int64_t>& products);
    Poco::JSON::Object::Ptr makeCart(const std::string& id, const std::string& customer,
                                     const std::vector<Line>& lines) const;

    Poco::JSON::Object::Ptr _root = new Poco::JSON::Object;
    Poco::JSON::Array::Ptr _customers = new Poco::JSON::Array;
    Poco::JSON::Array::Ptr _products = new Poco::JSON::Array;
    Poco::JSON::Array::Ptr _carts = new Poco::JSON::Array;
};

} // namespace acd::test
