#define BOOST_TEST_MODULE config_import
#include <boost/test/unit_test.hpp>

#include "config/AppSettingsImporter.h"
#include "config/Settings.h"

#include <Poco/AutoPtr.h>
#include <Poco/String.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <algorithm>
#include <fstream>
#include <sstream>

using acd::ConfigError;
using acd::importAppSettings;
using acd::Settings;

namespace {

std::string readData(const std::string& name)
{
    std::ifstream in(std::string(ACD_SOURCE_DIR) + "/tests/unit/config/data/" + name);
    BOOST_TEST_REQUIRE(in.good(), "cannot open " << name);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

Settings loadProperties(const std::string& text, std::vector<std::string>& warnings)
{
    std::istringstream in(text);
    Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> config =
        new Poco::Util::PropertyFileConfiguration(in);
    return Settings::load(*config, warnings);
}

const std::string retirementWarningStart =
    "emarsys.auth = wsse: Emarsys retires WSSE authentication at the end of 2026";

const std::string oauthNote =
    "EmarsysClientOptions: the sample uses WSSE, so emarsys.auth = wsse is written; Emarsys retires WSSE at "
    "the "
    "end of 2026 (developer changelog, 2024-11-08): before then create OAuth 2.0 credentials (Emarsys \u2192 "
    "Management \u2192 Security Settings \u2192 Create API credentials \u2192 OpenID Connect), add "
    "emarsys.clientIdSecretName and emarsys.clientSecretSecretName naming their secrets, and set "
    "emarsys.auth = "
    "oauth2";

bool hasNote(const std::vector<std::string>& notes, const std::string& note)
{
    return std::find(notes.begin(), notes.end(), note) != notes.end();
}

std::size_t countMentions(const std::vector<std::string>& notes, const std::string& text)
{
    return std::count_if(notes.begin(), notes.end(),
                         [&](const std::string& note) { return note.find(text) != std::string::npos; });
}

bool hasNoteStartingWith(const std::vector<std::string>& notes, const std::string& start)
{
    return std::any_of(notes.begin(), notes.end(),
                       [&](const std::string& note) { return note.starts_with(start); });
}

std::string errorOf(const std::string& json)
{
    std::vector<std::string> notes;
    try
    {
        importAppSettings(json, notes);
    }
    catch (const ConfigError& e)
    {
        return e.what();
    }
    return "(no error)";
}

} // namespace

BOOST_AUTO_TEST_CASE(the_sample_converts_into_a_configuration_that_loads)
{
    std::vector<std::string> notes;
    const std::string text = importAppSettings(readData("appSettings.sample.json"), notes);
    BOOST_TEST_MESSAGE(text);

    std::vector<std::string> warnings;
    const Settings s = loadProperties(text, warnings);
    BOOST_TEST_REQUIRE(warnings.size() == 1u);
    BOOST_TEST(warnings[0].starts_with(retirementWarningStart));
    BOOST_TEST(s.keyVaultUrl == "https://contoso-carts.vault.azure.net");
    BOOST_TEST(s.secretSources == std::vector<std::string>{"keyvault"});
    BOOST_TEST(s.tenantId == "00000000-1111-2222-3333-444444444444");
    BOOST_TEST(s.audienceId == "https://commerce.dynamics.com");
    BOOST_TEST(s.appIdSecretName == "AbandonedCartAppId");
    BOOST_TEST(s.appSecretSecretName == "AbandonedCartAppSecret");
    BOOST_TEST(s.retailServerUrl == "https://contoso.commerce.dynamics.com");
    BOOST_TEST(s.operatingUnitNumber == "128");
    BOOST_TEST(s.includeModifiedSinceLastMinutes == 120);
    BOOST_TEST(s.excludeModifiedSinceLastMinutes == 30);
    BOOST_TEST(s.returnToCartUrl == "https://www.contoso.com/cart?cartId={cartId}");
    BOOST_TEST(s.ledgerPath == "/var/lib/abandoned-cartd/ledger.sqlite");
    BOOST_TEST(s.provider == "emarsys");
    BOOST_TEST(s.emarsysAuth == "wsse");
    BOOST_TEST(text.find("\nnotify.provider = emarsys\n") != std::string::npos);
    BOOST_TEST(text.find("\nemarsys.auth = wsse\n") != std::string::npos);
    BOOST_TEST(s.emarsysApiUrl == "https://api.emarsys.net/api/v2/event/{0}/trigger");
    BOOST_TEST(s.emarsysContactDeleteUrl == "https://api.emarsys.net/api/v2/contact/delete");
    BOOST_TEST(s.emarsysExternalEventId == "1234");
    BOOST_TEST(s.emarsysUserSecretName == "EmarsysApiUserName");
    BOOST_TEST(s.emarsysSecretSecretName == "EmarsysApiSecret");
    BOOST_TEST(s.emarsysContactKeyId == "3");
    BOOST_TEST(
        s.imageServerUrl ==
        "https://images-us-prod.cms.commerce.dynamics.com/cms/api/contoso/imageFileData/search?fileName=/");

    BOOST_TEST_REQUIRE(s.viewports.size() == 3u);
    BOOST_TEST(s.viewports[0].name == "xs");
    BOOST_TEST(s.viewports[0].media == "(max-width:768px)");
    BOOST_TEST(s.viewports[0].width == 80);
    BOOST_TEST(s.viewports[1].name == "md");
    BOOST_TEST(s.viewports[1].height == 183);
    BOOST_TEST(s.viewports[2].name == "lg");
    BOOST_TEST(s.viewports[2].media == "(min-width:1600px)");
    BOOST_TEST(s.viewports[2].useForDefaultImageTag);

    BOOST_TEST(hasNoteStartingWith(
        notes, "AzureCosmosOptions dropped: the ledger replaces Cosmos DB; ledger.path set "
               "to /var/lib/abandoned-cartd/ledger.sqlite"));
    BOOST_TEST(hasNoteStartingWith(notes, "section Logging not converted"));
    BOOST_TEST(!hasNoteStartingWith(notes, "not ready yet"));
    BOOST_TEST(text.find("FAKE-COSMOS-PRIMARY-KEY") == std::string::npos);

    // The sample's ApiUrl is the v2 one, which would be wrong once the auth is oauth2.
    const std::string oauthNoteForV2Url =
        oauthNote + ", removing emarsys.apiUrl (a v2 URL) so that the v3 default applies";
    BOOST_TEST(hasNote(notes, oauthNoteForV2Url), oauthNoteForV2Url);
    // Said once: the load's own warning on WSSE is left out of the notes.
    BOOST_TEST(countMentions(notes, "retires WSSE") == 1u);
}

BOOST_AUTO_TEST_CASE(following_the_oauth_note_gives_a_configuration_that_loads_without_warnings)
{
    std::vector<std::string> notes;
    std::string text = importAppSettings(readData("appSettings.sample.json"), notes);
    const std::string wsseLine = "\nemarsys.auth = wsse\n";
    const std::string apiUrlLine = "\nemarsys.apiUrl = https://api.emarsys.net/api/v2/event/{0}/trigger\n";
    BOOST_TEST_REQUIRE(text.find(wsseLine) != std::string::npos);
    BOOST_TEST_REQUIRE(text.find(apiUrlLine) != std::string::npos);
    text.replace(text.find(wsseLine), wsseLine.size(), "\nemarsys.auth = oauth2\n");
    text.replace(text.find(apiUrlLine), apiUrlLine.size(), "\n");
    text += "emarsys.clientIdSecretName = EmarsysClientId\nemarsys.clientSecretSecretName = "
            "EmarsysClientSecret\n";

    std::vector<std::string> warnings;
    const Settings s = loadProperties(text, warnings);
    BOOST_TEST(warnings.empty(), Poco::cat(std::string("; "), warnings.begin(), warnings.end()));
    BOOST_TEST(s.emarsysAuth == "oauth2");
    BOOST_TEST(s.emarsysClientIdSecretName == "EmarsysClientId");
    BOOST_TEST(s.emarsysApiUrl == "https://api.emarsys.net/api/v3/event/{0}/trigger");
    BOOST_TEST(s.emarsysContactDeleteUrl == "https://api.emarsys.net/api/v3/contact/delete");
}

BOOST_AUTO_TEST_CASE(the_oauth_note_follows_the_emarsys_section)
{
    std::vector<std::string> notes;
    const std::string text = importAppSettings(
        R"({"EmarsysClientOptions": {"ExternalEventId": "1", "ApiUserNameKeyVaultSecretName": "u",
            "ApiSecretKeyVaultSecretName": "s"}})",
        notes);
    BOOST_TEST(hasNote(notes, oauthNote), oauthNote);
    BOOST_TEST(text.find("\nemarsys.auth = wsse\n") != std::string::npos);
    BOOST_TEST(text.find("emarsys.apiUserNameSecretName = u\n") != std::string::npos);
    BOOST_TEST(countMentions(notes, "retires WSSE") == 1u);

    notes.clear();
    const std::string withoutEmarsys =
        importAppSettings(R"({"RetailServerClientOptions": {"TenantId": "t"}})", notes);
    BOOST_TEST(withoutEmarsys.find("emarsys.") == std::string::npos);
    BOOST_TEST(countMentions(notes, "WSSE") == 0u);
}

BOOST_AUTO_TEST_CASE(notes_head_the_output_as_comments)
{
    std::vector<std::string> notes;
    const std::string text = importAppSettings(readData("appSettings.sample.json"), notes);
    BOOST_TEST_REQUIRE(!notes.empty());
    for (const auto& note : notes)
        BOOST_TEST(text.find("\n# " + note + "\n") != std::string::npos, note);
    BOOST_TEST(text.find("# ") == 0u);
}

BOOST_AUTO_TEST_CASE(the_other_spellings_with_comments_and_trailing_commas_convert_too)
{
    std::vector<std::string> notes;
    const std::string text = importAppSettings(readData("appSettings.variant.json"), notes);
    BOOST_TEST_MESSAGE(text);

    std::vector<std::string> warnings;
    const Settings s = loadProperties(text, warnings);
    BOOST_TEST_REQUIRE(warnings.size() == 1u);
    BOOST_TEST(warnings[0].starts_with(retirementWarningStart));
    BOOST_TEST(s.keyVaultUrl == "https://contoso-carts.vault.azure.net");
    BOOST_TEST(s.secretSources == std::vector<std::string>{"keyvault"});
    BOOST_TEST(s.tenantId == "contoso.onmicrosoft.com");
    BOOST_TEST(s.retailServerUrl == "https://contoso.commerce.dynamics.com");
    BOOST_TEST(s.operatingUnitNumber == "128");
    BOOST_TEST(s.includeModifiedSinceLastMinutes == 600);
    BOOST_TEST(s.excludeModifiedSinceLastMinutes == 15);
    BOOST_TEST(s.emarsysExternalEventId == "5678");
    BOOST_TEST(s.emarsysAuth == "wsse");
    BOOST_TEST(s.imageServerUrl == "https://images.contoso.com/search?fileName=/");

    BOOST_TEST_REQUIRE(s.viewports.size() == 2u);
    BOOST_TEST(s.viewports[0].name == "v1");
    BOOST_TEST(s.viewports[0].media == "(max-width:599px)");
    BOOST_TEST(s.viewports[0].width == 100);
    BOOST_TEST(!s.viewports[0].useForDefaultImageTag);
    BOOST_TEST(s.viewports[1].name == "v2");
    BOOST_TEST(s.viewports[1].width == 400);
    BOOST_TEST(s.viewports[1].height == 300);
    BOOST_TEST(s.viewports[1].useForDefaultImageTag);

    BOOST_TEST(hasNoteStartingWith(notes, "KeyVaultOptions.KeyVaultUrl has no scheme: https:// added"));
    BOOST_TEST(
        hasNoteStartingWith(notes, "unknown key RetailServerClientOptions.CartPollingIntervalSeconds"));
    BOOST_TEST(!hasNoteStartingWith(notes, "AzureCosmosOptions"));
}

BOOST_AUTO_TEST_CASE(what_still_keeps_the_result_from_loading_is_noted)
{
    std::vector<std::string> notes;
    const std::string text = importAppSettings(
        R"({"RetailServerClientOptions": {"TenantId": "t", "RetailServerUrl": ""}})", notes);
    BOOST_TEST(hasNoteStartingWith(notes, "not ready yet: retailServer.url is required: "));
    BOOST_TEST(text.find("ledger.path = /var/lib/abandoned-cartd/ledger.sqlite\n") != std::string::npos);
    BOOST_TEST(text.find("retailServer.url =") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(values_are_escaped_for_the_properties_format)
{
    std::vector<std::string> notes;
    const std::string text = importAppSettings(
        R"({"RetailServerClientOptions": {"ReturnToCartUrl": "https://x.example.com/a\\b"}})", notes);
    BOOST_TEST(text.find("detection.returnToCartUrl = https://x.example.com/a\\\\b\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_value_with_a_nul_is_noted_not_written)
{
    // Poco would end the value at the NUL and read the rest as a key of its own (fuzz_appsettings).
    std::vector<std::string> notes;
    const std::string text = importAppSettings(
        R"({"RetailServerClientOptions": {"ReturnToCartUrl": "https://x.example.com/\u0000retailServer.url=https://evil.example.com"}})",
        notes);
    BOOST_TEST(text.find('\0') == std::string::npos);
    BOOST_TEST(text.find("evil") == std::string::npos);
    BOOST_TEST(hasNoteStartingWith(notes, "detection.returnToCartUrl not written: its value holds a NUL"));
}

BOOST_AUTO_TEST_CASE(invalid_json_names_the_line_and_column)
{
    BOOST_TEST(errorOf("{\n  \"KeyVaultOptions\": {\n    \"KeyVaultURI\" \"x\"\n  }\n}") ==
               "appSettings.json: invalid JSON at line 3, column 19: Missing a colon after a name of object "
               "member.");
    BOOST_TEST(errorOf("{\n  \"a\": [1, 2,, 3]\n}") ==
               "appSettings.json: invalid JSON at line 2, column 14: Invalid value.");
    BOOST_TEST(errorOf("{\"a\": tru}") ==
               "appSettings.json: invalid JSON at line 1, column 10: Invalid value.");
    BOOST_TEST(
        errorOf("{\"a\": 1") ==
        "appSettings.json: invalid JSON at line 1, column 8: Missing a comma or '}' after an object member.");
    BOOST_TEST(errorOf("{\"a\": 1} x") ==
               "appSettings.json: invalid JSON at line 1, column 10: The document root "
               "must not be followed by other values.");
    BOOST_TEST(errorOf("{/* open") ==
               "appSettings.json: invalid JSON at line 1, column 9: Comment not closed "
               "with */, or a '/' that opens none.");
    BOOST_TEST(errorOf("[1, 2]") == "appSettings.json: expected a JSON object at the top level");
    // Comments and trailing commas, as .NET allows them; a repeated trailing comma is still wrong.
    std::vector<std::string> notes;
    BOOST_TEST(
        importAppSettings("{// c\n\"RetailServerClientOptions\": {\"TenantId\": \"t\", /* x */},}", notes)
            .find("retailServer.tenantId = t\n") != std::string::npos);
    BOOST_TEST(errorOf("{\"a\": 1,,}") ==
               "appSettings.json: invalid JSON at line 1, column 9: Missing a name for "
               "object member.");
}
