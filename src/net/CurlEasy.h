#pragma once

#include <string>

// As curl.h declares it, so that this header, and those that include it, stay free of curl.h.
typedef void CURL;

namespace acd {

/// libcurl's global state, set up once for the process before the first handle (every user
/// of libcurl here goes through this, so that no two threads race to do it). Throws
/// std::runtime_error when libcurl cannot be initialised.
void initCurlOnce();

/// One libcurl easy handle, cleaned up with its owner. A handle keeps its connections, DNS
/// and TLS sessions for the next transfer on it.
class CurlEasy
{
public:
    /// Throws std::runtime_error when libcurl cannot be initialised or cannot make a handle.
    CurlEasy();
    ~CurlEasy();
    CurlEasy(const CurlEasy&) = delete;
    CurlEasy& operator=(const CurlEasy&) = delete;

    CURL* get() const { return _handle; }

private:
    CURL* _handle;
};

/// libcurl's words for a failed transfer: its text for `code` (a CURLcode), followed by what
/// the transfer's error buffer says beyond it, in parentheses.
std::string curlErrorText(int code, const char* errorBuffer);

} // namespace acd
