#include "config/AppSettingsImporter.h"

#include "config/Settings.h"
#include "config/SettingsKeys.h"
#include "core/Json.h"

#include <Poco/String.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace acd {

namespace {

const char* const defaultLedgerPath = "/var/lib/abandoned-cartd/ledger.sqlite";

// Names come from the user's file and go into one-line notes.
std::string printable(const std::string& text)
{
    std::string out = text;
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20)
            c = '?';
    return out;
}

std::string escapeProperty(const std::string& value)
{
    std::string out;
    for (char c : value)
    {
        switch (c)
        {
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\f':
            out += "\\f";
            break;
        default:
            out += c;
        }
    }
    return out;
}

struct Mapping
{
    const char* names[2]; // the sample's spelling, and its alternative where there is one
    const char* property;
};

const Mapping keyVaultKeys[] = {
    {{"KeyVaultURI", "KeyVaultUrl"}, "keyVault.url"},
};

const Mapping retailServerKeys[] = {
    {{"RetailServerUrl", "RetailServerUri"}, "retailServer.url"},
    {{"TenantId"}, "retailServer.tenantId"},
    {{"RetailServerAudienceId"}, "retailServer.audienceId"},
    {{"AppIdKeyVaultSecretName"}, "retailServer.appIdSecretName"},
    {{"AppSecretKeyVaultSecretName"}, "retailServer.appSecretSecretName"},
    {{"OperatingUnitNumber"}, "retailServer.operatingUnitNumber"},
    {{"IncludeAbandonedCartsModifiedSinceLastMinutes"}, "detection.includeModifiedSinceLastMinutes"},
    {{"ExcludeAbandonedCartsModifiedSinceLastMinutes"}, "detection.excludeModifiedSinceLastMinutes"},
    {{"ReturnToCartUrl"}, "detection.returnToCartUrl"},
};

const Mapping emarsysKeys[] = {
    {{"ApiUrl"}, "emarsys.apiUrl"},
    {{"ExternalEventId"}, "emarsys.externalEventId"},
    {{"ApiUserNameKeyVaultSecretName"}, "emarsys.apiUserNameSecretName"},
    {{"ApiSecretKeyVaultSecretName"}, "emarsys.apiSecretSecretName"},
    {{"EmarsysContactKeyId"}, "emarsys.contactKeyId"},
};

const Mapping mediaKeys[] = {
    {{"ImageServerUrl"}, "media.imageServerUrl"},
};

const Mapping viewportKeys[] = {
    {{"viewport"}, "media"},
    {{"imageWidth"}, "width"},
    {{"imageHeight"}, "height"},
    {{"useForDefaultImageTag"}, "useForDefaultImageTag"},
};

bool matches(const Mapping& mapping, const std::string& name)
{
    for (const char* candidate : mapping.names)
        if (candidate && Poco::icompare(name, std::string(candidate)) == 0)
            return true;
    return false;
}

std::string nameOf(const JsonValue::Member& member)
{
    return std::string(jsonText(member.name));
}

/// The member whose name matches one of `names` without case; nullptr when there is none.
const JsonValue* member(const JsonValue& object, std::initializer_list<const char*> names)
{
    for (const auto& entry : jsonMembers(object))
        for (const char* wanted : names)
            if (Poco::icompare(nameOf(entry), std::string(wanted)) == 0)
                return &entry.value;
    return nullptr;
}

class Importer
{
public:
    explicit Importer(std::vector<std::string>& notes) : _notes(notes) {}

    std::string run(const JsonValue& root)
    {
        static const std::set<std::string> converted = {"keyvaultoptions", "retailserverclientoptions",
                                                        "emarsysclientoptions", "mediaoptions",
                                                        "azurecosmosoptions"};
        for (const auto& entry : jsonMembers(root))
            if (!converted.count(Poco::toLower(nameOf(entry))))
                note("section " + printable(nameOf(entry)) +
                     " not converted: abandoned-cartd has no counterpart");

        if (const JsonValue* keyVault = section(root, "KeyVaultOptions"))
        {
            convert(*keyVault, "KeyVaultOptions", keyVaultKeys, {});
            if (_properties.count("keyVault.url"))
                emit("secrets.sources", "keyvault");
        }
        _text += "\n";
        if (const JsonValue* retail = section(root, "RetailServerClientOptions"))
            convert(*retail, "RetailServerClientOptions", retailServerKeys, {});
        _text += "\n# Replaces the sample's Cosmos DB container: where the SQLite ledger is kept.\n";
        emit("ledger.path", defaultLedgerPath);
        if (section(root, "AzureCosmosOptions"))
            note(std::string(
                     "AzureCosmosOptions dropped: the ledger replaces Cosmos DB; ledger.path set to ") +
                 defaultLedgerPath);
        _text += "\n";
        if (const JsonValue* emarsys = section(root, "EmarsysClientOptions"))
        {
            emit("notify.provider", "emarsys");
            // Said outright, so that the file does not depend on the inference for old files.
            _text += "# The sample signs with WSSE, which Emarsys retires at the end of 2026: see the notes "
                     "above.\n";
            emit("emarsys.auth", configkeys::authWsse);
            convert(*emarsys, "EmarsysClientOptions", emarsysKeys, {});
            noteOAuthMove();
        }
        _text += "\n";
        if (const JsonValue* media = section(root, "MediaOptions"))
        {
            convert(*media, "MediaOptions", mediaKeys, {"ImageViewPorts"});
            if (const JsonValue* viewports = member(*media, {"ImageViewPorts"}))
                convertViewports(*viewports);
        }
        return _text;
    }

private:
    void note(const std::string& text) { _notes.push_back(text); }

    void emit(const std::string& key, const std::string& value)
    {
        // Poco ends a value at a NUL, and reads what follows as a line of its own: another key
        // (found by fuzz_appsettings). A properties file has no escape for it.
        if (value.find('\0') != std::string::npos)
        {
            note(key + " not written: its value holds a NUL character (\\u0000), which a properties file "
                       "cannot hold");
            return;
        }
        _properties[key] = value;
        _text += key + " = " + escapeProperty(value) + "\n";
    }

    // The imported file keeps working until WSSE goes; the note says what to do before then.
    void noteOAuthMove()
    {
        std::string text =
            "EmarsysClientOptions: the sample uses WSSE, so emarsys.auth = wsse is written; Emarsys retires "
            "WSSE at the end of 2026 (developer changelog, 2024-11-08): before then create OAuth 2.0 "
            "credentials (Emarsys \u2192 Management \u2192 Security Settings \u2192 Create API credentials "
            "\u2192 OpenID Connect), add emarsys.clientIdSecretName and emarsys.clientSecretSecretName "
            "naming their secrets, and set emarsys.auth = oauth2";
        const auto apiUrl = _properties.find("emarsys.apiUrl");
        if (apiUrl != _properties.end() && apiUrl->second.find("/api/v2/") != std::string::npos)
            text += ", removing emarsys.apiUrl (a v2 URL) so that the v3 default applies";
        note(text);
    }

    const JsonValue* section(const JsonValue& root, const char* name)
    {
        const JsonValue* value = member(root, {name});
        if (!value)
            return nullptr;
        if (!value->IsObject())
        {
            note(std::string(name) + " is not a JSON object: not converted");
            return nullptr;
        }
        return value;
    }

    /// Emits the mapped keys of `object` in the mappings' order, and a note for each member
    /// that is neither mapped nor one of `handledElsewhere`.
    template <std::size_t N>
    void convert(const JsonValue& object, const std::string& where, const Mapping (&mappings)[N],
                 std::initializer_list<const char*> handledElsewhere, const std::string& prefix = "")
    {
        for (const Mapping& mapping : mappings)
        {
            for (const auto& entry : jsonMembers(object))
            {
                const std::string name = nameOf(entry);
                if (!matches(mapping, name))
                    continue;
                if (const auto text = scalar(entry.value, where + "." + name))
                    emit(prefix + mapping.property, property(mapping.property, *text, where + "." + name));
                break;
            }
        }
        for (const auto& entry : jsonMembers(object))
        {
            const std::string name = nameOf(entry);
            const bool mapped = std::any_of(std::begin(mappings), std::end(mappings),
                                            [&name](const Mapping& m) { return matches(m, name); });
            const bool elsewhere =
                std::any_of(handledElsewhere.begin(), handledElsewhere.end(),
                            [&name](const char* h) { return Poco::icompare(name, std::string(h)) == 0; });
            if (!mapped && !elsewhere)
                note("unknown key " + where + "." + printable(name) + " not converted");
        }
    }

    std::optional<std::string> scalar(const JsonValue& value, const std::string& where)
    {
        if (value.IsNull())
            return std::nullopt;
        if (!value.IsString() && !value.IsBool())
        {
            note(printable(where) + " is not a single value: not converted");
            return std::nullopt;
        }
        // Numbers as written: 600 stays "600", never "600.0".
        std::string text = Poco::trim(value.IsBool() ? std::string(value.GetBool() ? "true" : "false")
                                                     : std::string(jsonText(value)));
        if (text.empty())
            return std::nullopt;
        return text;
    }

    // The sample documents KeyVaultURI as the vault's DNS name; our key wants a URL.
    std::string property(const char* key, const std::string& value, const std::string& where)
    {
        if (std::strcmp(key, "keyVault.url") == 0 && value.find("://") == std::string::npos)
        {
            note(printable(where) + " has no scheme: https:// added");
            return "https://" + value;
        }
        return value;
    }

    void convertViewports(const JsonValue& viewports)
    {
        if (viewports.IsObject())
        {
            for (const auto& entry : jsonMembers(viewports))
                convertViewport(viewportName(nameOf(entry)), entry.value,
                                "MediaOptions.ImageViewPorts." + printable(nameOf(entry)));
        }
        else if (viewports.IsArray())
        {
            for (rapidjson::SizeType i = 0; i < viewports.Size(); ++i)
                convertViewport("v" + std::to_string(i + 1), viewports[i],
                                "MediaOptions.ImageViewPorts[" + std::to_string(i) + "]");
        }
        else
            note("MediaOptions.ImageViewPorts is neither an object nor an array: not converted");
    }

    // A viewport's name becomes one segment of media.viewports.<name>.*: a '.' would split it.
    std::string viewportName(const std::string& name)
    {
        std::string safe = name;
        for (char& c : safe)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
                c = '_';
        if (safe.empty())
            safe = "_";
        if (safe != name)
            note("viewport " + printable(name) + " renamed " + safe + " (letters, digits, '_' and '-' only)");
        return safe;
    }

    void convertViewport(const std::string& name, const JsonValue& value, const std::string& where)
    {
        if (!value.IsObject())
        {
            note(where + " is not a JSON object: not converted");
            return;
        }
        convert(value, where, viewportKeys, {}, "media.viewports." + name + ".");
    }

    std::vector<std::string>& _notes;
    std::map<std::string, std::string> _properties;
    std::string _text;
};

/// .NET reads appSettings.json with comments and trailing commas allowed, and so does this.
JsonDocument parseObject(const std::string& text)
{
    try
    {
        JsonDocument document(text, JsonSyntax::Relaxed);
        if (!document.root().IsObject())
            throw ConfigError("appSettings.json: expected a JSON object at the top level");
        return document;
    }
    catch (const JsonSyntaxError& e)
    {
        // A person edits this file: the line and column say where to look.
        const std::size_t offset = std::min(e.offset(), text.size());
        std::size_t line = 1;
        std::size_t lineStart = 0;
        for (std::size_t i = 0; i < offset; ++i)
        {
            if (text[i] == '\n')
            {
                ++line;
                lineStart = i + 1;
            }
        }
        const std::size_t column = offset - lineStart + 1;
        throw ConfigError("appSettings.json: invalid JSON at line " + std::to_string(line) + ", column " +
                          std::to_string(column) + ": " + e.reason());
    }
}

// Telling the user now what --config-check would refuse saves a round trip.
void noteWhatKeepsItFromLoading(const std::string& properties, std::vector<std::string>& notes)
{
    std::istringstream in(properties);
    Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> config =
        new Poco::Util::PropertyFileConfiguration(in);
    std::vector<std::string> warnings;
    try
    {
        Settings::load(*config, warnings);
    }
    catch (const ConfigError& e)
    {
        warnings.push_back(std::string("not ready yet: ") + e.what());
    }
    // The importer's own note on WSSE says more, for this very file.
    for (const std::string& warning : warnings)
        if (warning != configkeys::wsseRetirementWarning)
            notes.push_back(warning);
}

} // namespace

std::string importAppSettings(const std::string& jsonText, std::vector<std::string>& notes)
{
    const JsonDocument root = parseObject(jsonText);
    const std::size_t firstNote = notes.size();
    const std::string body = Importer(notes).run(root.root());
    noteWhatKeepsItFromLoading(body, notes);

    std::string text =
        "# Converted from the appSettings.json of Microsoft's abandoned cart connector sample.\n";
    for (std::size_t i = firstNote; i < notes.size(); ++i)
        text += "# " + notes[i] + "\n";
    return text + "\n" + body;
}

} // namespace acd
