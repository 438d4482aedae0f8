#define BOOST_TEST_MODULE config_emarsys_auth
#include <boost/test/unit_test.hpp>

#include "config/Settings.h"

#include "SettingsValues.h"

#include <sstream>

using acd::ConfigError;
using acd::Settings;
using namespace acd::test;

namespace {

const std::string v2Trigger = "https://api.emarsys.net/api/v2/event/{0}/trigger";
const std::string v2Delete = "https://api.emarsys.net/api/v2/contact/delete";
const std::string v3Trigger = "https://api.emarsys.net/api/v3/event/{0}/trigger";
const std::string v3Delete = "https://api.emarsys.net/api/v3/contact/delete";

const std::string retirementWarning =
    "emarsys.auth = wsse: Emarsys retires WSSE authentication at the end of 2026 (announced in its "
    "developer changelog on 2024-11-08); create OAuth 2.0 credentials in Emarsys (Management \u2192 "
    "Security Settings \u2192 Create API credentials \u2192 OpenID Connect), name their secrets in "
    "emarsys.clientIdSecretName and emarsys.clientSecretSecretName, and set emarsys.auth = oauth2";

const std::string inferredWarning =
    "emarsys.auth not set: wsse assumed, as emarsys.apiUserNameSecretName and emarsys.apiSecretSecretName "
    "are set and emarsys.clientIdSecretName and emarsys.clientSecretSecretName are not (a configuration "
    "from an earlier version); set emarsys.auth to oauth2 or wsse to say which";

/// What a file written for the previous version holds for Emarsys: WSSE keys, no emarsys.auth.
Values previousVersion()
{
    Values values =
        without(without(required(), "emarsys.clientIdSecretName"), "emarsys.clientSecretSecretName");
    values["emarsys.apiUserNameSecretName"] = "emarsys-user";
    values["emarsys.apiSecretSecretName"] = "emarsys-secret";
    return values;
}

/// The keys a WSSE installation sets, saying so.
Values wsse()
{
    return with(previousVersion(), {{"emarsys.auth", "wsse"}});
}

std::vector<std::string> warningsOf(const Values& values)
{
    std::vector<std::string> warnings;
    load(values, warnings);
    return warnings;
}

std::vector<std::string> warningsOfFailedLoad(const Values& values)
{
    std::vector<std::string> warnings;
    BOOST_CHECK_THROW(load(values, warnings), ConfigError);
    return warnings;
}

std::string canonicalLine(const Settings& s, const std::string& key)
{
    std::istringstream in(s.canonicalText());
    for (std::string line; std::getline(in, line);)
        if (line.starts_with(key + "="))
            return line;
    return "(missing " + key + ")";
}

} // namespace

BOOST_AUTO_TEST_CASE(the_auth_is_oauth2_or_wsse)
{
    BOOST_TEST(load(required()).emarsysAuth == "oauth2");
    BOOST_TEST(load(with(required(), {{"emarsys.auth", "oauth2"}})).emarsysAuth == "oauth2");
    BOOST_TEST(load(wsse()).emarsysAuth == "wsse");
    for (const std::string bad : {"OAuth2", "WSSE", "basic", "oauth", "oauth2 wsse"})
    {
        BOOST_TEST_CONTEXT(bad)
        {
            BOOST_TEST(errorOf(with(required(), {{"emarsys.auth", bad}})) ==
                       "emarsys.auth = \"" + bad + "\": expected oauth2 or wsse");
        }
    }
    // Checked whatever the provider: a wrong value is wrong before it matters.
    BOOST_TEST(errorOf(with(required(), {{"notify.provider", "outbox"},
                                         {"outbox.dir", "/var/spool/acd"},
                                         {"emarsys.auth", "basic"}})) ==
               R"(emarsys.auth = "basic": expected oauth2 or wsse)");
}

BOOST_AUTO_TEST_CASE(the_url_defaults_follow_the_auth)
{
    const Settings oauth2 = load(required());
    BOOST_TEST(oauth2.emarsysApiUrl == v3Trigger);
    BOOST_TEST(oauth2.emarsysContactDeleteUrl == v3Delete);
    BOOST_TEST(oauth2.emarsysTokenUrl == "https://auth.emarsys.net/oauth2/token");

    const Settings wsseSettings = load(wsse());
    BOOST_TEST(wsseSettings.emarsysApiUrl == v2Trigger);
    BOOST_TEST(wsseSettings.emarsysContactDeleteUrl == v2Delete);

    const Settings inferred = load(previousVersion());
    BOOST_TEST(inferred.emarsysApiUrl == v2Trigger);
    BOOST_TEST(inferred.emarsysContactDeleteUrl == v2Delete);
}

BOOST_AUTO_TEST_CASE(an_explicit_url_always_wins)
{
    const Values sim = {{"emarsys.apiUrl", "http://127.0.0.1:4000/api/v2/event/{0}/trigger"},
                        {"emarsys.contactDeleteUrl", "http://127.0.0.1:4000/api/v2/contact/delete"}};
    const Settings wsseSim = load(with(wsse(), sim));
    BOOST_TEST(wsseSim.emarsysApiUrl == "http://127.0.0.1:4000/api/v2/event/{0}/trigger");
    BOOST_TEST(wsseSim.emarsysContactDeleteUrl == "http://127.0.0.1:4000/api/v2/contact/delete");

    const Settings oauth2Sim = load(with(required(), sim));
    BOOST_TEST(oauth2Sim.emarsysApiUrl == "http://127.0.0.1:4000/api/v2/event/{0}/trigger");
    BOOST_TEST(oauth2Sim.emarsysContactDeleteUrl == "http://127.0.0.1:4000/api/v2/contact/delete");

    const Settings wsseV3 =
        load(with(wsse(), {{"emarsys.apiUrl", v3Trigger}, {"emarsys.contactDeleteUrl", v3Delete}}));
    BOOST_TEST(wsseV3.emarsysApiUrl == v3Trigger);
    BOOST_TEST(wsseV3.emarsysContactDeleteUrl == v3Delete);

    // One explicit, the other following the auth.
    const Settings mixed = load(with(wsse(), {{"emarsys.apiUrl", "https://emarsys.example.com/e/{0}"}}));
    BOOST_TEST(mixed.emarsysApiUrl == "https://emarsys.example.com/e/{0}");
    BOOST_TEST(mixed.emarsysContactDeleteUrl == v2Delete);
}

BOOST_AUTO_TEST_CASE(the_token_url_is_checked_like_the_other_urls)
{
    BOOST_TEST(errorOf(with(required(), {{"emarsys.tokenUrl", "http://auth.emarsys.net/oauth2/token"}})) ==
               R"(emarsys.tokenUrl = "http://auth.emarsys.net/oauth2/token": expected https:// )"
               "(plain http:// only for loopback hosts)");
    BOOST_TEST(errorOf(with(required(), {{"emarsys.tokenUrl", "https://id:secret@auth.emarsys.net/token"}}))
                   .starts_with("emarsys.tokenUrl: expected a URL without user:password@"));
    BOOST_TEST(load(with(required(), {{"emarsys.tokenUrl", "http://localhost:4000/oauth2/token"}}))
                   .emarsysTokenUrl == "http://localhost:4000/oauth2/token");
}

BOOST_AUTO_TEST_CASE(oauth2_requires_the_client_keys_and_not_the_wsse_ones)
{
    BOOST_TEST(
        errorOf(without(required(), "emarsys.clientIdSecretName")) ==
        "emarsys.clientIdSecretName is required: notify.provider is emarsys and emarsys.auth is oauth2 (the "
        "default); the name of the secret holding the OAuth 2.0 client id (Emarsys \u2192 Management \u2192 "
        "Security Settings \u2192 Create API credentials \u2192 OpenID Connect)");
    BOOST_TEST(
        errorOf(without(required(), "emarsys.clientSecretSecretName")) ==
        "emarsys.clientSecretSecretName is required: notify.provider is emarsys and emarsys.auth is oauth2 "
        "(the default); the name of the secret holding the OAuth 2.0 client secret");
    const Settings s = load(required());
    BOOST_TEST(s.emarsysClientIdSecretName == "emarsys-client-id");
    BOOST_TEST(s.emarsysClientSecretSecretName == "emarsys-client-secret");
    BOOST_TEST(s.emarsysUserSecretName.empty());
    BOOST_TEST(errorOf(with(required(), {{"emarsys.clientIdSecretName", "../id"}}))
                   .starts_with(R"(emarsys.clientIdSecretName = "../id": expected a secret name)"));
}

BOOST_AUTO_TEST_CASE(wsse_requires_the_wsse_keys_and_not_the_client_ones)
{
    BOOST_TEST(
        errorOf(without(wsse(), "emarsys.apiUserNameSecretName")) ==
        "emarsys.apiUserNameSecretName is required: notify.provider is emarsys and emarsys.auth is wsse; the "
        "name of the secret holding the API user name");
    BOOST_TEST(
        errorOf(without(wsse(), "emarsys.apiSecretSecretName")) ==
        "emarsys.apiSecretSecretName is required: notify.provider is emarsys and emarsys.auth is wsse; the "
        "name of the secret holding the API secret");
    const Settings s = load(wsse());
    BOOST_TEST(s.emarsysUserSecretName == "emarsys-user");
    BOOST_TEST(s.emarsysSecretSecretName == "emarsys-secret");
    BOOST_TEST(s.emarsysClientIdSecretName.empty());
}

BOOST_AUTO_TEST_CASE(no_emarsys_key_is_required_for_another_provider)
{
    Values outbox = with(required(), {{"notify.provider", "outbox"}, {"outbox.dir", "/var/spool/acd"}});
    for (const char* key :
         {"emarsys.externalEventId", "emarsys.clientIdSecretName", "emarsys.clientSecretSecretName"})
        outbox.erase(key);
    BOOST_TEST(load(outbox).provider == "outbox");
    BOOST_TEST(load(with(outbox, {{"emarsys.auth", "wsse"}})).emarsysAuth == "wsse");
    BOOST_TEST(warningsOf(with(outbox, {{"emarsys.auth", "wsse"}})).empty());
}

BOOST_AUTO_TEST_CASE(a_configuration_of_the_previous_version_keeps_wsse_with_warnings)
{
    for (const Values& old : {previousVersion(), with(previousVersion(), {{"notify.provider", "emarsys"}})})
    {
        std::vector<std::string> warnings;
        const Settings s = load(old, warnings);
        BOOST_TEST(s.emarsysAuth == "wsse");
        BOOST_TEST(s.emarsysUserSecretName == "emarsys-user");
        BOOST_TEST(s.emarsysSecretSecretName == "emarsys-secret");
        BOOST_TEST(warnings == (std::vector<std::string>{inferredWarning, retirementWarning}),
                   boost::test_tools::per_element());
        // The audit log's hash records the auth that is in effect, not the key's absence.
        BOOST_TEST(canonicalLine(s, "emarsys.auth") == "emarsys.auth=wsse");
    }
}

BOOST_AUTO_TEST_CASE(only_the_old_shape_is_read_as_wsse)
{
    // Half-way through the move to OAuth 2.0: the missing OAuth key is asked for.
    BOOST_TEST(errorOf(with(previousVersion(), {{"emarsys.clientIdSecretName", "emarsys-client-id"}}))
                   .starts_with("emarsys.clientSecretSecretName is required: "));
    BOOST_TEST(errorOf(with(previousVersion(), {{"emarsys.clientSecretSecretName", "emarsys-client-secret"}}))
                   .starts_with("emarsys.clientIdSecretName is required: "));
    // Both kinds complete and no emarsys.auth: OAuth 2.0, without a word.
    const Values both =
        with(previousVersion(), {{"emarsys.clientIdSecretName", "emarsys-client-id"},
                                 {"emarsys.clientSecretSecretName", "emarsys-client-secret"}});
    std::vector<std::string> warnings;
    BOOST_TEST(load(both, warnings).emarsysAuth == "oauth2");
    BOOST_TEST(warnings.empty());
    // One WSSE key alone was never a working configuration.
    BOOST_TEST(errorOf(without(previousVersion(), "emarsys.apiSecretSecretName"))
                   .starts_with("emarsys.clientIdSecretName is required: "));
    // Another provider: nothing to infer, nothing to warn about.
    const Values outbox =
        with(previousVersion(), {{"notify.provider", "outbox"}, {"outbox.dir", "/var/spool/acd"}});
    BOOST_TEST(load(outbox).emarsysAuth == "oauth2");
    BOOST_TEST(warningsOf(outbox).empty());
}

BOOST_AUTO_TEST_CASE(an_explicit_oauth2_never_falls_back_to_wsse)
{
    const Values values = with(previousVersion(), {{"emarsys.auth", "oauth2"}});
    std::vector<std::string> warnings;
    try
    {
        load(values, warnings);
        BOOST_FAIL("emarsys.auth = oauth2 loaded without the client keys");
    }
    catch (const ConfigError& e)
    {
        BOOST_TEST(std::string(e.what()).starts_with(
            "emarsys.clientIdSecretName is required: notify.provider is emarsys and emarsys.auth is oauth2"));
    }
    BOOST_TEST(warnings.empty());
}

BOOST_AUTO_TEST_CASE(wsse_for_emarsys_is_always_warned_about)
{
    BOOST_TEST(warningsOf(wsse()) == std::vector<std::string>{retirementWarning},
               boost::test_tools::per_element());
    BOOST_TEST(warningsOf(with(wsse(), {{"notify.provider", "emarsys"}})) ==
               std::vector<std::string>{retirementWarning});
    BOOST_TEST(warningsOf(required()).empty());
    // Given before the values are checked, so that a failed load still shows it.
    BOOST_TEST(warningsOfFailedLoad(without(wsse(), "emarsys.apiSecretSecretName")) ==
               std::vector<std::string>{retirementWarning});
    BOOST_TEST(warningsOfFailedLoad(without(previousVersion(), "retailServer.url")) ==
               (std::vector<std::string>{inferredWarning, retirementWarning}));
}

BOOST_AUTO_TEST_CASE(a_v2_url_with_oauth2_is_warned_about_naming_the_v3_path)
{
    BOOST_TEST(
        warningsOf(with(required(), {{"emarsys.apiUrl", v2Trigger}})) ==
            std::vector<std::string>{
                R"(emarsys.apiUrl = "https://api.emarsys.net/api/v2/event/{0}/trigger" is a v2 URL, which )"
                "takes WSSE only, but emarsys.auth is oauth2: use "
                "https://api.emarsys.net/api/v3/event/{0}/trigger"},
        boost::test_tools::per_element());
    BOOST_TEST(warningsOf(with(required(), {{"emarsys.contactDeleteUrl",
                                             "http://127.0.0.1:4000/api/v2/contact/delete"}})) ==
                   std::vector<std::string>{
                       R"(emarsys.contactDeleteUrl = "http://127.0.0.1:4000/api/v2/contact/delete" )"
                       "is a v2 URL, which takes WSSE only, but emarsys.auth is oauth2: use "
                       "http://127.0.0.1:4000/api/v3/contact/delete"},
               boost::test_tools::per_element());
    BOOST_TEST(
        warningsOf(with(required(), {{"emarsys.apiUrl", v2Trigger}, {"emarsys.contactDeleteUrl", v2Delete}}))
            .size() == 2u);
    BOOST_TEST(
        warningsOf(with(required(), {{"emarsys.apiUrl", v3Trigger}, {"emarsys.contactDeleteUrl", v3Delete}}))
            .empty());
    // v2 is right for wsse: only the retirement is warned about.
    BOOST_TEST(
        warningsOf(with(wsse(), {{"emarsys.apiUrl", v2Trigger}, {"emarsys.contactDeleteUrl", v2Delete}})) ==
        std::vector<std::string>{retirementWarning});
}

BOOST_AUTO_TEST_CASE(the_canonical_text_holds_the_new_keys_with_secret_names_only)
{
    const Settings oauth2 = load(required());
    BOOST_TEST(canonicalLine(oauth2, "emarsys.auth") == "emarsys.auth=oauth2");
    BOOST_TEST(canonicalLine(oauth2, "emarsys.tokenUrl") ==
               "emarsys.tokenUrl=https://auth.emarsys.net/oauth2/token");
    BOOST_TEST(canonicalLine(oauth2, "emarsys.clientIdSecretName") ==
               "emarsys.clientIdSecretName=emarsys-client-id");
    BOOST_TEST(canonicalLine(oauth2, "emarsys.clientSecretSecretName") ==
               "emarsys.clientSecretSecretName=emarsys-client-secret");
    BOOST_TEST(canonicalLine(oauth2, "emarsys.contactDeleteUrl") == "emarsys.contactDeleteUrl=" + v3Delete);
    BOOST_TEST(canonicalLine(oauth2, "notify.resendUncertain") == "notify.resendUncertain=false");

    const Settings wsseSettings = load(wsse());
    BOOST_TEST(canonicalLine(wsseSettings, "emarsys.auth") == "emarsys.auth=wsse");
    BOOST_TEST(canonicalLine(wsseSettings, "emarsys.apiUrl") == "emarsys.apiUrl=" + v2Trigger);
    BOOST_TEST(canonicalLine(wsseSettings, "emarsys.apiUserNameSecretName") ==
               "emarsys.apiUserNameSecretName=emarsys-user");
    // An inferred wsse hashes like a written one: the effective configuration is the same.
    BOOST_TEST(load(previousVersion()).canonicalText() == wsseSettings.canonicalText());
    BOOST_TEST(load(with(required(), {{"emarsys.tokenUrl", "https://auth.example.com/t"}})).canonicalText() !=
               oauth2.canonicalText());
}
