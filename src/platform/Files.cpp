#include "platform/Files.h"

#include <cerrno>
#include <system_error>

#ifdef _WIN32
#include <Poco/File.h>
#else
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace acd {

#ifdef _WIN32

void createOwnerOnlyFile(const std::string&) {}

void restrictToOwner(const std::string&) {}

bool isOwnerOnly(const std::string& path)
{
    return Poco::File(path).exists();
}

#else

namespace {

[[noreturn]] void throwErrno(const std::string& what, const std::string& path)
{
    throw std::system_error(errno, std::generic_category(), what + " " + path);
}

} // namespace

void createOwnerOnlyFile(const std::string& path)
{
    // O_EXCL: the file is either ours from its first byte or someone else's that we leave alone.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd < 0)
    {
        if (errno == EEXIST)
            return;
        throwErrno("cannot create", path);
    }
    // A restrictive umask (e.g. 0277) could have left the owner without write access.
    if (::fchmod(fd, S_IRUSR | S_IWUSR) != 0)
    {
        const int error = errno;
        ::close(fd);
        errno = error;
        throwErrno("cannot set owner-only permissions on", path);
    }
    ::close(fd);
}

void restrictToOwner(const std::string& path)
{
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
    {
        if (errno == ENOENT)
            return;
        throwErrno("cannot read the permissions of", path);
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) == 0)
        return;
    if (::chmod(path.c_str(), st.st_mode & S_IRWXU) != 0)
        throwErrno("cannot set owner-only permissions on", path);
}

bool isOwnerOnly(const std::string& path)
{
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) == 0;
}

#endif

} // namespace acd
