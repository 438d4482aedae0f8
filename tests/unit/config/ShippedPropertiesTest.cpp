#define BOOST_TEST_MODULE config_shipped_properties
#include <boost/test/unit_test.hpp>

#include "config/Settings.h"

#include <Poco/AutoPtr.h>
#include <Poco/String.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

using acd::ConfigError;
using acd::Settings;

namespace {

const std::string shippedPath = std::string(ACD_SOURCE_DIR) + "/conf/abandoned-cartd.properties";

std::string shippedText()
{
    std::ifstream in(shippedPath);
    BOOST_TEST_REQUIRE(in.good(), "cannot open " << shippedPath);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// The shipped file with the IT-supplied values filled in on top, as the service sees it.
Settings loadShippedWith(const std::string& text, const std::map<std::string, std::string>& filled,
                         std::vector<std::string>& warnings)
{
    std::istringstream in(text);
    Poco::AutoPtr<Poco::Util::LayeredConfiguration> config = new Poco::Util::LayeredConfiguration;
    config->add(new Poco::Util::PropertyFileConfiguration(in), 0);
    Poco::AutoPtr<Poco::Util::MapConfiguration> overrides = new Poco::Util::MapConfiguration;
    for (const auto& [key, value] : filled)
        overrides->setString(key, value);
    config->add(overrides, -1);
    return Settings::load(*config, warnings);
}

const std::map<std::string, std::string> itValues = {
    {"retailServer.url", "https://fabrikam.commerce.dynamics.com"},
    {"retailServer.tenantId", "fabrikam.onmicrosoft.com"},
    {"retailServer.operatingUnitNumber", "042"},
    {"retailServer.appIdSecretName", "fab-app-id"},
    {"retailServer.appSecretSecretName", "fab-app-secret"},
    {"ledger.path", "/srv/acd/ledger.sqlite"},
    {"emarsys.externalEventId", "99"},
    {"emarsys.clientIdSecretName", "fab-em-client-id"},
    {"emarsys.clientSecretSecretName", "fab-em-client-secret"},
};

/// The Emarsys values of a site set up with the previous version, before emarsys.auth.
std::map<std::string, std::string> previousVersionValues()
{
    std::map<std::string, std::string> values = itValues;
    values.erase("emarsys.clientIdSecretName");
    values.erase("emarsys.clientSecretSecretName");
    values["emarsys.apiUserNameSecretName"] = "fab-em-user";
    values["emarsys.apiSecretSecretName"] = "fab-em-secret";
    return values;
}

/// Every `#key = value` example line of the file, uncommented; Poco's logging keys left out.
std::vector<std::pair<std::string, std::string>> examples(const std::string& text)
{
    static const std::regex example(R"(^#([A-Za-z]+\.[A-Za-z0-9.]+) = (.*)$)");
    std::vector<std::pair<std::string, std::string>> found;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
    {
        std::smatch match;
        if (std::regex_match(line, match, example) && !match[1].str().starts_with("logging."))
            found.emplace_back(match[1], match[2]);
    }
    return found;
}

std::map<std::string, std::string> canonicalMap(const Settings& settings)
{
    std::map<std::string, std::string> values;
    std::istringstream in(settings.canonicalText());
    for (std::string line; std::getline(in, line);)
        values[line.substr(0, line.find('='))] = line.substr(line.find('=') + 1);
    return values;
}

} // namespace

BOOST_AUTO_TEST_CASE(as_shipped_it_asks_for_the_retail_server_url)
{
    std::vector<std::string> warnings;
    try
    {
        loadShippedWith(shippedText(), {}, warnings);
        BOOST_FAIL("the shipped file loaded without the site's values");
    }
    catch (const ConfigError& e)
    {
        BOOST_TEST(std::string(e.what()).starts_with("retailServer.url is required: "));
    }
    BOOST_TEST(warnings.empty());
}

BOOST_AUTO_TEST_CASE(with_the_required_keys_filled_it_loads)
{
    std::vector<std::string> warnings;
    const Settings s = loadShippedWith(shippedText(), itValues, warnings);
    BOOST_TEST(warnings.empty());
    BOOST_TEST(s.retailServerUrl == "https://fabrikam.commerce.dynamics.com");
    BOOST_TEST(s.operatingUnitNumber == "042");
    BOOST_TEST(s.ledgerPath == "/srv/acd/ledger.sqlite");
    BOOST_TEST(s.viewports.size() == 3u);
}

BOOST_AUTO_TEST_CASE(an_upgraded_site_with_only_the_wsse_keys_keeps_sending_and_is_warned)
{
    std::vector<std::string> warnings;
    const Settings s = loadShippedWith(shippedText(), previousVersionValues(), warnings);
    BOOST_TEST(s.emarsysAuth == "wsse");
    BOOST_TEST(s.emarsysApiUrl == "https://api.emarsys.net/api/v2/event/{0}/trigger");
    BOOST_TEST(s.emarsysContactDeleteUrl == "https://api.emarsys.net/api/v2/contact/delete");
    BOOST_TEST_REQUIRE(warnings.size() == 2u);
    BOOST_TEST(warnings[0].starts_with("emarsys.auth not set: wsse assumed"));
    BOOST_TEST(warnings[1].starts_with(
        "emarsys.auth = wsse: Emarsys retires WSSE authentication at the end of 2026"));
}

BOOST_AUTO_TEST_CASE(the_file_says_that_emarsys_retires_wsse)
{
    const std::string text = shippedText();
    BOOST_TEST(text.find("\n# Emarsys retires WSSE at the end of 2026 (developer changelog, 2024-11-08)") !=
               std::string::npos);
    BOOST_TEST(text.find("\n#emarsys.auth = oauth2\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_documented_key_is_known_and_its_example_is_valid)
{
    const std::string text = shippedText();
    const auto lines = examples(text);
    BOOST_TEST(lines.size() > 50u);

    std::string uncommented;
    for (const auto& [key, value] : lines)
        uncommented += key + " = " + value + "\n";
    std::vector<std::string> warnings;
    const Settings s = loadShippedWith(uncommented, {}, warnings);
    BOOST_TEST(warnings.empty(), Poco::cat(std::string("; "), warnings.begin(), warnings.end()));
    BOOST_TEST(s.ledgerPath == "/var/lib/abandoned-cartd/ledger.sqlite");

    // Each documented key appears in the file: nothing read by Settings goes undocumented.
    for (const auto& entry : canonicalMap(s))
    {
        const std::string& key = entry.first; // a structured binding: clang < 16 cannot capture it
        const bool documented =
            std::any_of(lines.begin(), lines.end(), [&](const auto& l) { return l.first == key; });
        BOOST_TEST(documented, key << " is not documented in " << shippedPath);
    }
}

BOOST_AUTO_TEST_CASE(documented_defaults_are_the_real_defaults)
{
    std::vector<std::string> warnings;
    const auto defaults = canonicalMap(loadShippedWith(shippedText(), itValues, warnings));
    for (const auto& [key, example] : examples(shippedText()))
    {
        const auto it = defaults.find(key);
        if (it == defaults.end() || it->second.empty() || itValues.count(key))
            continue; // examples of values that have no default
        BOOST_TEST(example == it->second, key << ": documented " << example << ", default " << it->second);
    }
}
