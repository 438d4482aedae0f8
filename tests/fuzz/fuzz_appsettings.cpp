// config/AppSettingsImporter: the sample's appSettings.json turned into a properties file
// (DESIGN §6). Whatever the JSON holds, the result is a properties file whose keys are ours and
// whose notes stay comments: a value cannot smuggle in a key of its own.
#include "FuzzCheck.h"
#include "config/AppSettingsImporter.h"
#include "config/Settings.h"
#include "config/SettingsKeys.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <set>
#include <sstream>

namespace {

void collectKeys(const Poco::Util::AbstractConfiguration& config, const std::string& prefix,
                 std::vector<std::string>& keys)
{
    Poco::Util::AbstractConfiguration::Keys children;
    config.keys(prefix, children);
    if (children.empty() && !prefix.empty())
        keys.push_back(prefix);
    for (const std::string& child : children)
    {
        const std::string key = prefix.empty() ? child : prefix + "." + child;
        if (key == prefix) // the empty key's child is itself
            keys.push_back("(empty)");
        else
            collectKeys(config, key, keys);
    }
}

bool isOurKey(const std::string& key)
{
    static const std::set<std::string> known = [] {
        std::set<std::string> names;
        for (const auto& entry : acd::configkeys::keyTable())
            names.insert(entry.name);
        return names;
    }();
    return known.count(key) > 0 || key.starts_with("media.viewports.");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string json(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> notes;
    std::string properties;
    try
    {
        properties = acd::importAppSettings(json, notes);
    }
    catch (const acd::ConfigError& e)
    {
        const std::string message = e.what();
        FUZZ_CHECK(message.find_first_of("\r\n") == std::string::npos, "a message of two lines: " + message);
        return 0;
    }
    for (const std::string& note : notes)
    {
        FUZZ_CHECK(note.find_first_of("\r\n") == std::string::npos, "a note of two lines: " + note);
        FUZZ_CHECK(properties.find("# " + note + "\n") != std::string::npos,
                   "a note not in the text: " + note);
    }

    std::istringstream in(properties);
    Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> config =
        new Poco::Util::PropertyFileConfiguration(in);
    std::vector<std::string> keys;
    collectKeys(*config, "", keys);
    for (const std::string& key : keys)
        FUZZ_CHECK(isOurKey(key), "the result sets a key of its own: " + key);
    return 0;
}
