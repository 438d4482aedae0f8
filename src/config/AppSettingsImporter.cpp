#include "config/AppSettingsImporter.h"

#include "config/Settings.h"
#include "config/SettingsKeys.h"

#include <Poco/JSON/Parser.h>
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

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

const char* const defaultLedgerPath = "/var/lib/abandoned-cartd/ledger.sqlite";

// .NET reads appSettings.json with comments and trailing commas allowed; Poco 1.11's parser
// allows neither and says what is wrong but not where. This pass walks the JSON grammar
// once: it blanks comments and trailing commas with spaces (so every offset stays true) and
// stops at the first syntax error with its line and column.
class JsonCleaner
{
public:
    explicit JsonCleaner(std::string text) : _text(std::move(text)) {}

    std::string run()
    {
        skipSpace();
        value(0);
        skipSpace();
        if (_pos < _text.size())
            error("unexpected text after the end of the JSON document");
        return std::move(_text);
    }

private:
    [[noreturn]] void error(const std::string& what) const
    {
        std::size_t line = 1;
        std::size_t lineStart = 0;
        for (std::size_t i = 0; i < _pos && i < _text.size(); ++i)
        {
            if (_text[i] == '\n')
            {
                ++line;
                lineStart = i + 1;
            }
        }
        throw ConfigError("appSettings.json: invalid JSON at line " + std::to_string(line) + ", column " +
                          std::to_string(_pos - lineStart + 1) + ": " + what);
    }

    bool atEnd() const { return _pos >= _text.size(); }
    char peek() const { return atEnd() ? '\0' : _text[_pos]; }

    void blank(std::size_t from, std::size_t to)
    {
        for (std::size_t i = from; i < to; ++i)
            if (_text[i] != '\n')
                _text[i] = ' ';
    }

    void skipSpace()
    {
        while (!atEnd())
        {
            if (std::isspace(static_cast<unsigned char>(peek())))
                ++_pos;
            else if (_text.compare(_pos, 2, "//") == 0)
            {
                const std::size_t end = std::min(_text.find('\n', _pos), _text.size());
                blank(_pos, end);
                _pos = end;
            }
            else if (_text.compare(_pos, 2, "/*") == 0)
            {
                const std::size_t close = _text.find("*/", _pos + 2);
                if (close == std::string::npos)
                    error("comment not closed with */");
                blank(_pos, close + 2);
                _pos = close + 2;
            }
            else
                return;
        }
    }

    void value(int depth)
    {
        if (depth > 100)
            error("nested more than 100 levels deep");
        const char c = peek();
        if (c == '{' || c == '[')
            container(depth, c == '{' ? '}' : ']');
        else if (c == '"')
            string();
        else if (c == '-' || std::isdigit(static_cast<unsigned char>(c)))
            number();
        else if (!literal("true") && !literal("false") && !literal("null"))
            error(atEnd() ? "unexpected end of the text" : std::string("unexpected character '") + c + "'");
    }

    void container(int depth, char close)
    {
        const bool object = close == '}';
        ++_pos;
        skipSpace();
        if (peek() == close)
        {
            ++_pos;
            return;
        }
        for (;;)
        {
            if (object)
            {
                if (peek() != '"')
                    error("expected a member name in double quotes");
                string();
                skipSpace();
                if (peek() != ':')
                    error("expected ':' after a member name");
                ++_pos;
                skipSpace();
            }
            value(depth + 1);
            skipSpace();
            if (peek() == close)
            {
                ++_pos;
                return;
            }
            if (peek() != ',')
                error(std::string("expected ',' or '") + close + "'");
            const std::size_t comma = _pos++;
            skipSpace();
            if (peek() == close)
            {
                _text[comma] = ' ';
                ++_pos;
                return;
            }
        }
    }

    void string()
    {
        ++_pos;
        while (!atEnd())
        {
            const unsigned char c = static_cast<unsigned char>(_text[_pos]);
            if (c == '"')
            {
                ++_pos;
                return;
            }
            if (c < 0x20)
                error("control character inside a string (write it as an escape such as \\n)");
            if (c == '\\')
            {
                ++_pos;
                if (atEnd() || !std::strchr("\"\\/bfnrtu", peek()))
                    error("invalid escape in a string");
                if (peek() == 'u')
                {
                    for (int i = 1; i <= 4; ++i)
                        if (_pos + i >= _text.size() ||
                            !std::isxdigit(static_cast<unsigned char>(_text[_pos + i])))
                            error("expected four hexadecimal digits after \\u");
                    _pos += 4;
                }
            }
            ++_pos;
        }
        error("string not closed with '\"'");
    }

    void digits()
    {
        if (!std::isdigit(static_cast<unsigned char>(peek())))
            error("expected a digit");
        while (std::isdigit(static_cast<unsigned char>(peek())))
            ++_pos;
    }

    void number()
    {
        if (peek() == '-')
            ++_pos;
        digits();
        if (peek() == '.')
        {
            ++_pos;
            digits();
        }
        if (peek() == 'e' || peek() == 'E')
        {
            ++_pos;
            if (peek() == '+' || peek() == '-')
                ++_pos;
            digits();
        }
    }

    bool literal(const char* word)
    {
        const std::size_t length = std::strlen(word);
        if (_text.compare(_pos, length, word) != 0)
            return false;
        _pos += length;
        return true;
    }

    std::string _text;
    std::size_t _pos = 0;
};

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

/// The member whose name matches one of `names` without case; empty when there is none.
const Var* member(const Object& object, std::initializer_list<const char*> names)
{
    for (const auto& [name, value] : object)
        for (const char* wanted : names)
            if (Poco::icompare(name, std::string(wanted)) == 0)
                return &value;
    return nullptr;
}

class Importer
{
public:
    explicit Importer(std::vector<std::string>& notes) : _notes(notes) {}

    std::string run(const Object& root)
    {
        static const std::set<std::string> converted = {"keyvaultoptions", "retailserverclientoptions",
                                                        "emarsysclientoptions", "mediaoptions",
                                                        "azurecosmosoptions"};
        for (const auto& [name, value] : root)
            if (!converted.count(Poco::toLower(name)))
                note("section " + printable(name) + " not converted: abandoned-cartd has no counterpart");

        if (const Object::Ptr keyVault = section(root, "KeyVaultOptions"))
        {
            convert(*keyVault, "KeyVaultOptions", keyVaultKeys, {});
            if (_properties.count("keyVault.url"))
                emit("secrets.sources", "keyvault");
        }
        _text += "\n";
        if (const Object::Ptr retail = section(root, "RetailServerClientOptions"))
            convert(*retail, "RetailServerClientOptions", retailServerKeys, {});
        _text += "\n# Replaces the sample's Cosmos DB container: where the SQLite ledger is kept.\n";
        emit("ledger.path", defaultLedgerPath);
        if (section(root, "AzureCosmosOptions"))
            note(std::string(
                     "AzureCosmosOptions dropped: the ledger replaces Cosmos DB; ledger.path set to ") +
                 defaultLedgerPath);
        _text += "\n";
        if (const Object::Ptr emarsys = section(root, "EmarsysClientOptions"))
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
        if (const Object::Ptr media = section(root, "MediaOptions"))
        {
            convert(*media, "MediaOptions", mediaKeys, {"ImageViewPorts"});
            if (const Var* viewports = member(*media, {"ImageViewPorts"}))
                convertViewports(*viewports);
        }
        return _text;
    }

private:
    void note(const std::string& text) { _notes.push_back(text); }

    void emit(const std::string& key, const std::string& value)
    {
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

    Object::Ptr section(const Object& root, const char* name)
    {
        const Var* value = member(root, {name});
        if (!value)
            return nullptr;
        if (value->type() != typeid(Object::Ptr))
        {
            note(std::string(name) + " is not a JSON object: not converted");
            return nullptr;
        }
        return value->extract<Object::Ptr>();
    }

    /// Emits the mapped keys of `object` in the mappings' order, and a note for each member
    /// that is neither mapped nor one of `handledElsewhere`.
    template <std::size_t N>
    void convert(const Object& object, const std::string& where, const Mapping (&mappings)[N],
                 std::initializer_list<const char*> handledElsewhere, const std::string& prefix = "")
    {
        for (const Mapping& mapping : mappings)
        {
            for (const auto& [name, value] : object)
            {
                if (!matches(mapping, name))
                    continue;
                if (const auto text = scalar(value, where + "." + name))
                    emit(prefix + mapping.property, property(mapping.property, *text, where + "." + name));
                break;
            }
        }
        for (const auto& [name, value] : object)
        {
            const bool mapped = std::any_of(std::begin(mappings), std::end(mappings),
                                            [&name](const Mapping& m) { return matches(m, name); });
            const bool elsewhere =
                std::any_of(handledElsewhere.begin(), handledElsewhere.end(),
                            [&name](const char* h) { return Poco::icompare(name, std::string(h)) == 0; });
            if (!mapped && !elsewhere)
                note("unknown key " + where + "." + printable(name) + " not converted");
        }
    }

    std::optional<std::string> scalar(const Var& value, const std::string& where)
    {
        if (value.isEmpty())
            return std::nullopt;
        if (!value.isString() && !value.isNumeric() && !value.isBoolean())
        {
            note(printable(where) + " is not a single value: not converted");
            return std::nullopt;
        }
        std::string text = Poco::trim(value.convert<std::string>());
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

    void convertViewports(const Var& viewports)
    {
        if (viewports.type() == typeid(Object::Ptr))
        {
            for (const auto& [name, value] : *viewports.extract<Object::Ptr>())
                convertViewport(viewportName(name), value, "MediaOptions.ImageViewPorts." + printable(name));
        }
        else if (viewports.type() == typeid(Array::Ptr))
        {
            const Array::Ptr list = viewports.extract<Array::Ptr>();
            for (std::size_t i = 0; i < list->size(); ++i)
                convertViewport("v" + std::to_string(i + 1), list->get(i),
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

    void convertViewport(const std::string& name, const Var& value, const std::string& where)
    {
        if (value.type() != typeid(Object::Ptr))
        {
            note(where + " is not a JSON object: not converted");
            return;
        }
        convert(*value.extract<Object::Ptr>(), where, viewportKeys, {}, "media.viewports." + name + ".");
    }

    std::vector<std::string>& _notes;
    std::map<std::string, std::string> _properties;
    std::string _text;
};

Object::Ptr parseObject(const std::string& jsonText)
{
    const std::string clean = JsonCleaner(jsonText).run();
    Var root;
    try
    {
        root = Poco::JSON::Parser().parse(clean);
    }
    catch (const Poco::Exception& e)
    {
        throw ConfigError("appSettings.json: invalid JSON: " + e.message());
    }
    if (root.type() != typeid(Object::Ptr))
        throw ConfigError("appSettings.json: expected a JSON object at the top level");
    return root.extract<Object::Ptr>();
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
    const Object::Ptr root = parseObject(jsonText);
    const std::size_t firstNote = notes.size();
    const std::string body = Importer(notes).run(*root);
    noteWhatKeepsItFromLoading(body, notes);

    std::string text =
        "# Converted from the appSettings.json of Microsoft's abandoned cart connector sample.\n";
    for (std::size_t i = firstNote; i < notes.size(); ++i)
        text += "# " + notes[i] + "\n";
    return text + "\n" + body;
}

} // namespace acd
