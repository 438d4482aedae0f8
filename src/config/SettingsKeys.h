#pragma once

// Internal to acd_config: the table of keys that Settings::load walks, with the value checks
// behind it, and the Emarsys authentication texts that the importer shares with Settings.

#include "config/Settings.h"

#include <string>
#include <variant>
#include <vector>

namespace acd::configkeys {

using Field = std::variant<std::string Settings::*, int Settings::*, bool Settings::*,
                           std::vector<std::string> Settings::*>;

struct Key
{
    const char* name;
    Field field;
    int min = 0; // integers
    int max = 0;
    void (*check)(const std::string& key, const std::string& value) = nullptr; // text
    const char* requiredFor = nullptr;     // "" always, else the notify.provider that needs the key
    const char* requiredForAuth = nullptr; // with requiredFor: only when emarsys.auth is this
    const char* why = nullptr;
};

/// Every key we read, in DESIGN §6 order: this order is the order of validation.
const std::vector<Key>& keyTable();

// emarsys.auth and the URLs whose defaults follow it (DESIGN §4.1).
inline constexpr const char* authOAuth2 = "oauth2";
inline constexpr const char* authWsse = "wsse";
inline constexpr const char* v3TriggerUrl = "https://api.emarsys.net/api/v3/event/{0}/trigger";
inline constexpr const char* v3ContactDeleteUrl = "https://api.emarsys.net/api/v3/contact/delete";
inline constexpr const char* v2TriggerUrl = "https://api.emarsys.net/api/v2/event/{0}/trigger";
inline constexpr const char* v2ContactDeleteUrl = "https://api.emarsys.net/api/v2/contact/delete";

/// Given whenever the effective auth is wsse for the emarsys provider; the importer leaves it
/// out of its notes, which say the same for the file they head.
extern const char* const wsseRetirementWarning;

[[noreturn]] void fail(const std::string& key, const std::string& value, const std::string& expected);
[[noreturn]] void failRequired(const std::string& key, const std::string& why);

/// `value` in double quotes, with whatever could break a one-line message escaped.
std::string quoted(const std::string& value);

/// The value of `key`, trimmed; "" when absent. An empty value counts as not set, so that a
/// line left as `key =` keeps the default.
std::string textOf(const Poco::Util::AbstractConfiguration& config, const std::string& key);

int parseInt(const std::string& key, const std::string& value, int min, int max);
bool parseBool(const std::string& key, const std::string& value);
std::vector<std::string> parseSecretSources(const std::string& key, const std::string& value);

} // namespace acd::configkeys
