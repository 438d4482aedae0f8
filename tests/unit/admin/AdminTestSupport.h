#pragma once

#include "secrets/SecretSource.h"

#include <map>
#include <memory>
#include <string>

namespace acd::test {

/// A secret source over a map the test keeps a handle on: writable or not, or broken (it holds
/// every name but cannot give any, like Key Vault out of reach without a sealed copy).
class MapSource : public SecretSource
{
public:
    using Values = std::shared_ptr<std::map<std::string, std::string>>;

    MapSource(std::string name, Values values, bool writable = false, bool broken = false)
        : _name(std::move(name)), _values(std::move(values)), _writable(writable), _broken(broken)
    {}

    std::string name() const override { return _name; }
    std::optional<std::string> lookup(const std::string& secretName) override
    {
        if (_broken)
            throw SecretError(_name + " cannot be reached for secret '" + secretName + "'");
        auto found = _values->find(secretName);
        if (found == _values->end())
            return std::nullopt;
        return found->second;
    }
    bool writable() const override { return _writable; }
    void store(const std::string& secretName, const std::string& value) override
    {
        (*_values)[secretName] = value;
    }

private:
    std::string _name;
    Values _values;
    bool _writable;
    bool _broken;
};

} // namespace acd::test
