#include "platform/ProcessLock.h"

#include "platform/Files.h"

#include <system_error>

#ifdef _WIN32
#include <windows.h>
#else
#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#endif

namespace acd {

#ifdef _WIN32

struct ProcessLock::Handle
{
    HANDLE file = INVALID_HANDLE_VALUE;
    ~Handle()
    {
        if (file != INVALID_HANDLE_VALUE)
            CloseHandle(file);
    }
};

std::unique_ptr<ProcessLock> ProcessLock::tryAcquire(const std::string& path)
{
    auto handle = std::make_unique<Handle>();
    // No sharing: a second process cannot open the file while this one has it open.
    handle->file = CreateFileA(path.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_ALWAYS,
                               FILE_ATTRIBUTE_NORMAL, nullptr);
    if (handle->file == INVALID_HANDLE_VALUE)
    {
        const DWORD error = GetLastError();
        if (error == ERROR_SHARING_VIOLATION || error == ERROR_LOCK_VIOLATION)
            return nullptr;
        throw std::system_error(static_cast<int>(error), std::system_category(), "cannot open " + path);
    }
    return std::unique_ptr<ProcessLock>(new ProcessLock(std::move(handle)));
}

#else

struct ProcessLock::Handle
{
    int fd = -1;
    ~Handle()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

std::unique_ptr<ProcessLock> ProcessLock::tryAcquire(const std::string& path)
{
    createOwnerOnlyFile(path);
    auto handle = std::make_unique<Handle>();
    handle->fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (handle->fd < 0)
        throw std::system_error(errno, std::generic_category(), "cannot open " + path);
    if (::flock(handle->fd, LOCK_EX | LOCK_NB) != 0)
    {
        if (errno == EWOULDBLOCK)
            return nullptr;
        throw std::system_error(errno, std::generic_category(), "cannot lock " + path);
    }
    return std::unique_ptr<ProcessLock>(new ProcessLock(std::move(handle)));
}

#endif

ProcessLock::ProcessLock(std::unique_ptr<Handle> handle) : _handle(std::move(handle)) {}

ProcessLock::~ProcessLock() = default;

} // namespace acd
