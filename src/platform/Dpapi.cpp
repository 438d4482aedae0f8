#include "platform/Dpapi.h"

#include <stdexcept>

#include <windows.h>

#include <dpapi.h>

namespace acd {

namespace {

DATA_BLOB blobOf(const std::string& bytes)
{
    DATA_BLOB blob;
    blob.cbData = static_cast<DWORD>(bytes.size());
    blob.pbData = reinterpret_cast<BYTE*>(const_cast<char*>(bytes.data()));
    return blob;
}

std::string takeBlob(DATA_BLOB& blob)
{
    std::string bytes(reinterpret_cast<const char*>(blob.pbData), blob.cbData);
    SecureZeroMemory(blob.pbData, blob.cbData);
    LocalFree(blob.pbData);
    return bytes;
}

} // namespace

std::string dpapiProtect(const std::string& plain, const std::string& entropy)
{
    DATA_BLOB in = blobOf(plain);
    DATA_BLOB extra = blobOf(entropy);
    DATA_BLOB out{};
    if (!CryptProtectData(&in, L"abandoned-cartd", &extra, nullptr, nullptr,
                          CRYPTPROTECT_LOCAL_MACHINE | CRYPTPROTECT_UI_FORBIDDEN, &out))
        throw std::runtime_error("CryptProtectData failed (Windows error " + std::to_string(GetLastError()) +
                                 ")");
    return takeBlob(out);
}

std::string dpapiUnprotect(const std::string& blob, const std::string& entropy)
{
    DATA_BLOB in = blobOf(blob);
    DATA_BLOB extra = blobOf(entropy);
    DATA_BLOB out{};
    if (!CryptUnprotectData(&in, nullptr, &extra, nullptr, nullptr, CRYPTPROTECT_UI_FORBIDDEN, &out))
        throw std::runtime_error("CryptUnprotectData failed (Windows error " +
                                 std::to_string(GetLastError()) + ")");
    return takeBlob(out);
}

} // namespace acd
