#include "net/CurlEasy.h"

#include <curl/curl.h>

#include <mutex>
#include <stdexcept>

namespace acd {

void initCurlOnce()
{
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            throw std::runtime_error("libcurl could not be initialised");
    });
}

CurlEasy::CurlEasy()
{
    initCurlOnce();
    _handle = curl_easy_init();
    if (_handle == nullptr)
        throw std::runtime_error("libcurl could not create a handle");
}

CurlEasy::~CurlEasy()
{
    curl_easy_cleanup(_handle);
}

std::string curlErrorText(int code, const char* errorBuffer)
{
    std::string text = curl_easy_strerror(static_cast<CURLcode>(code));
    if (errorBuffer != nullptr && errorBuffer[0] != '\0' && text != errorBuffer)
        text += std::string(" (") + errorBuffer + ")";
    return text;
}

} // namespace acd
