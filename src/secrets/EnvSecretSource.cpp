#include "secrets/EnvSecretSource.h"

#include <Poco/Environment.h>

namespace acd {

std::string envVariableFor(const std::string& secretName)
{
    std::string variable = "ACD_SECRET_";
    for (const char c : secretName)
    {
        if (c >= 'a' && c <= 'z')
            variable += static_cast<char>(c - 'a' + 'A');
        else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            variable += c;
        else
            variable += '_';
    }
    return variable;
}

std::optional<std::string> EnvSecretSource::lookup(const std::string& secretName)
{
    std::string value = Poco::Environment::get(envVariableFor(secretName), "");
    if (value.empty())
        return std::nullopt;
    return value;
}

} // namespace acd
