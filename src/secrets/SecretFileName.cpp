#include "secrets/SecretFileName.h"

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

} // namespace acd
