#include "secrets/SecretFileName.h"

#include <Poco/Exception.h>
#include <Poco/File.h>

namespace acd {

std::string secretFileName(const std::string& secretName)
{
    static constexpr char Hex[] = "0123456789ABCDEF";
    std::string fileName;
    for (const char c : secretName)
    {
        const auto byte = static_cast<unsigned char>(c);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '_')
            fileName += c;
        else
            fileName += {'%', Hex[byte >> 4], Hex[byte & 0x0F]};
    }
    return fileName;
}

std::optional<Timestamp> fileWrittenAt(const std::string& path)
{
    try
    {
        Poco::File file(path);
        if (!file.exists())
            return std::nullopt;
        // Poco's timestamps count microseconds since the Unix epoch; ours 100 ns ticks.
        return Timestamp(file.getLastModified().epochMicroseconds() * 10);
    }
    catch (const Poco::Exception&) // gone or unreadable meanwhile: the time is not known
    {
        return std::nullopt;
    }
}

} // namespace acd
