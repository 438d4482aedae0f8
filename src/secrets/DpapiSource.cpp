#include "secrets/DpapiSource.h"

#include "platform/Dpapi.h"
#include "platform/Files.h"
#include "secrets/SecretFileName.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace fs = std::filesystem;

namespace acd {

namespace {

// Changing it makes every existing blob unreadable: it is part of the file format.
const std::string Entropy = "org.abandoned-cartd.dpapi.v1";

} // namespace

DpapiSource::DpapiSource(std::string directory) : _directory(std::move(directory))
{
    if (_directory.empty())
        throw SecretError("the directory for DPAPI secret files is not set");
}

std::string DpapiSource::pathFor(const std::string& secretName) const
{
    return (fs::path(_directory) / (secretFileName(secretName) + ".dpapi")).string();
}

std::optional<Timestamp> DpapiSource::writtenAt(const std::string& secretName) const
{
    return fileWrittenAt(pathFor(secretName));
}

std::optional<std::string> DpapiSource::lookup(const std::string& secretName)
{
    const std::string path = pathFor(secretName);
    std::error_code ec;
    if (!fs::exists(path, ec))
        return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    const std::string blob((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
        throw SecretError("cannot read the DPAPI file of secret '" + secretName + "': " + path);
    try
    {
        return dpapiUnprotect(blob, Entropy);
    }
    catch (const std::runtime_error& e)
    {
        throw SecretError("cannot decrypt the DPAPI file of secret '" + secretName + "' (" + path +
                          "): " + e.what());
    }
}

void DpapiSource::store(const std::string& secretName, const std::string& value)
{
    std::string blob;
    try
    {
        blob = dpapiProtect(value, Entropy);
    }
    catch (const std::runtime_error& e)
    {
        throw SecretError("cannot protect secret '" + secretName + "' with DPAPI: " + e.what());
    }
    const std::string path = pathFor(secretName);
    std::error_code ec;
    fs::create_directories(_directory, ec);
    try
    {
        writeFileAtomically(path, blob);
    }
    catch (const std::system_error& e)
    {
        throw SecretError("cannot write the DPAPI file of secret '" + secretName + "': " + e.what());
    }
}

} // namespace acd
