#include "secrets/SystemdCredsSource.h"

#include <Poco/Environment.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace acd {

std::optional<std::string> readCredentialFile(const std::string& fileName, bool stripTrailingNewline)
{
    const std::string directory = Poco::Environment::get("CREDENTIALS_DIRECTORY", "");
    // systemd credential names are plain file names: anything else cannot be there, and
    // must not reach outside the directory.
    if (directory.empty() || fileName.empty() || fileName == "." || fileName == ".." ||
        fileName.find_first_of("/\\") != std::string::npos || fileName.find('\0') != std::string::npos)
        return std::nullopt;

    const std::filesystem::path path = std::filesystem::path(directory) / fileName;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        return std::nullopt;

    if (!std::filesystem::is_regular_file(path, ec))
        throw SecretError("credential " + path.string() + " is not a regular file");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw SecretError("cannot read credential file " + path.string() + ": " + std::strerror(errno));
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad())
        throw SecretError("cannot read credential file " + path.string());
    if (stripTrailingNewline && !content.empty() && content.back() == '\n')
        content.pop_back();
    return content;
}

std::optional<std::string> SystemdCredsSource::lookup(const std::string& secretName)
{
    return readCredentialFile(secretName);
}

} // namespace acd
