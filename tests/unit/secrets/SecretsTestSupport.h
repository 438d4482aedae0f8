#pragma once

// Helpers shared by the secrets tests: scoped environment variables, temporary directories,
// and a leak check that compares messages with the tests' secret values without printing them.

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace acd::test {

inline void setEnv(const std::string& name, const std::optional<std::string>& value)
{
#ifdef _WIN32
    _putenv_s(name.c_str(), value ? value->c_str() : ""); // "" removes the variable
#else
    if (value)
        ::setenv(name.c_str(), value->c_str(), 1);
    else
        ::unsetenv(name.c_str());
#endif
}

/// Sets (or, with nullopt, unsets) a variable for the scope, then puts the old value back.
class ScopedEnv
{
public:
    ScopedEnv(std::string name, const std::optional<std::string>& value) : _name(std::move(name))
    {
        if (const char* old = std::getenv(_name.c_str()))
            _old = old;
        setEnv(_name, value);
    }
    ~ScopedEnv() { setEnv(_name, _old); }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    std::string _name;
    std::optional<std::string> _old;
};

class TempDir
{
public:
    TempDir()
    {
        std::random_device random;
        _path = std::filesystem::temp_directory_path() / ("acd-secrets-test-" + std::to_string(random()));
        std::filesystem::create_directories(_path);
    }
    ~TempDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(_path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return _path; }
    std::string str() const { return _path.string(); }

private:
    std::filesystem::path _path;
};

/// True when `text` holds none of `secrets`.
inline bool leaksNone(const std::string& text, const std::vector<std::string>& secrets)
{
    for (const auto& secret : secrets)
    {
        if (!secret.empty() && text.find(secret) != std::string::npos)
            return false;
    }
    return true;
}

} // namespace acd::test
