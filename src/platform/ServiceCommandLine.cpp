#include "platform/ServiceCommandLine.h"

#ifdef _WIN32
#include <Poco/UnicodeConverter.h>

#include <windows.h>

#include <shellapi.h>
#endif

namespace acd::platform {

std::vector<std::string> serviceCommandLine()
{
    std::vector<std::string> args;
#ifdef _WIN32
    int count = 0;
    LPWSTR* argv = CommandLineToArgvW(GetCommandLineW(), &count);
    if (!argv)
        return args;
    for (int i = 1; i < count; ++i)
    {
        std::string arg;
        Poco::UnicodeConverter::toUTF8(argv[i], arg);
        args.push_back(std::move(arg));
    }
    LocalFree(argv);
#endif
    return args;
}

} // namespace acd::platform
