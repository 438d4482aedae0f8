#include "platform/Files.h"

#include <algorithm>
#include <cerrno>
#include <system_error>

#ifdef _WIN32
#include <Poco/File.h>
#include <Poco/UnicodeConverter.h>
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace acd {

#ifdef _WIN32
constexpr const char* PathSeparators = "/\\";
#else
constexpr const char* PathSeparators = "/";
#endif

std::string temporaryFileFor(const std::string& path)
{
    const auto separator = path.find_last_of(PathSeparators);
    const std::size_t nameAt = separator == std::string::npos ? 0 : separator + 1;
    return path.substr(0, nameAt) + "." + path.substr(nameAt) + ".tmp";
}

#ifdef _WIN32

void createOwnerOnlyFile(const std::string&) {}

void restrictToOwner(const std::string&) {}

bool isOwnerOnly(const std::string& path)
{
    return Poco::File(path).exists();
}

namespace {

[[noreturn]] void throwLastError(const std::string& what, const std::string& path)
{
    const DWORD error = GetLastError(); // before building the message, which may allocate
    throw std::system_error(static_cast<int>(error), std::system_category(), what + " " + path);
}

std::wstring wide(const std::string& utf8)
{
    std::wstring text;
    Poco::UnicodeConverter::toUTF16(utf8, text);
    return text;
}

/// The temporary file open for this writer alone. Other writers are kept out by the sharing
/// mode: they ask for write access, which it does not share; deleting and renaming it, which
/// it does share, is how it leaves.
class TemporaryFile
{
public:
    explicit TemporaryFile(const std::string& path) : _path(path), _name(wide(path))
    {
        // A writer holds the file for the time of one write: wait up to about 10 s for it.
        for (int attempt = 0;; ++attempt)
        {
            _handle = CreateFileW(_name.c_str(), GENERIC_WRITE, FILE_SHARE_DELETE, nullptr, CREATE_ALWAYS,
                                  FILE_ATTRIBUTE_NORMAL, nullptr);
            if (_handle != INVALID_HANDLE_VALUE)
                return;
            const DWORD error = GetLastError();
            // Access denied is also what a file being deleted answers.
            if ((error != ERROR_SHARING_VIOLATION && error != ERROR_ACCESS_DENIED) || attempt == 1000)
                throwLastError("cannot create", _path);
            Sleep(10);
        }
    }

    ~TemporaryFile()
    {
        if (!_published)
            DeleteFileW(_name.c_str());
        CloseHandle(_handle);
    }

    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;

    void write(std::string_view content)
    {
        while (!content.empty())
        {
            const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(content.size(), 1u << 30));
            DWORD written = 0;
            if (!WriteFile(_handle, content.data(), chunk, &written, nullptr))
                throwLastError("cannot write", _path);
            content.remove_prefix(written);
        }
    }

    /// False when `target` exists and `replace` is false.
    bool publishAs(const std::wstring& target, bool replace, const std::string& shown)
    {
        if (!MoveFileExW(_name.c_str(), target.c_str(), replace ? MOVEFILE_REPLACE_EXISTING : 0))
        {
            const DWORD error = GetLastError();
            if (!replace && (error == ERROR_ALREADY_EXISTS || error == ERROR_FILE_EXISTS))
                return false;
            throwLastError("cannot replace", shown);
        }
        _published = true;
        return true;
    }

private:
    std::string _path;
    std::wstring _name;
    HANDLE _handle = INVALID_HANDLE_VALUE;
    bool _published = false;
};

} // namespace

bool writeFileAtomically(const std::string& path, std::string_view content, ExistingFile existing)
{
    const std::wstring target = wide(path);
    TemporaryFile temporary(temporaryFileFor(path));
    const bool replace = existing == ExistingFile::Replace;
    if (!replace && GetFileAttributesW(target.c_str()) != INVALID_FILE_ATTRIBUTES)
        return false;
    temporary.write(content);
    return temporary.publishAs(target, replace, path);
}

#else

namespace {

[[noreturn]] void throwErrno(const std::string& what, const std::string& path)
{
    const int error = errno; // before building the message, which may allocate
    throw std::system_error(error, std::generic_category(), what + " " + path);
}

constexpr mode_t OwnerReadWrite = S_IRUSR | S_IWUSR;

/// The temporary file of one write, open and locked for this writer alone. Writers of the
/// same path lock the same file, so they take turns; the lock dies with its process, so a
/// crash's leftover is simply the next writer's file. Unless published, the file is removed
/// while still locked: the writer waiting for it then finds it gone and starts over.
class TemporaryFile
{
public:
    explicit TemporaryFile(const std::string& path) : _path(path)
    {
        for (int attempt = 0; attempt < 100; ++attempt)
        {
            try
            {
                if (takeOver())
                    return;
            }
            catch (...)
            {
                if (_locked)
                    ::unlink(_path.c_str());
                closeFile();
                throw;
            }
            closeFile();
        }
        errno = EBUSY;
        throwErrno("cannot take over", _path);
    }

    ~TemporaryFile()
    {
        if (_locked && !_published)
            ::unlink(_path.c_str());
        closeFile();
    }

    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;

    void write(std::string_view content)
    {
        while (!content.empty())
        {
            const ssize_t written = ::write(_fd, content.data(), content.size());
            if (written < 0)
            {
                if (errno == EINTR)
                    continue;
                throwErrno("cannot write", _path);
            }
            content.remove_prefix(static_cast<std::size_t>(written));
        }
    }

    void publishAs(const std::string& target)
    {
        if (::rename(_path.c_str(), target.c_str()) != 0)
            throwErrno("cannot replace", target);
        _published = true;
    }

private:
    /// Opens the file at _path and locks it; true when it is this writer's to write now.
    bool takeOver()
    {
        // O_NOFOLLOW: a symbolic link put in its place must not lead the write elsewhere.
        _fd = ::open(_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, OwnerReadWrite);
        if (_fd < 0)
        {
            if (errno == ELOOP && ::unlink(_path.c_str()) == 0)
                return false;
            // Another user's leftover: removing it could pull the file from under its writer.
            throwErrno("cannot create", _path);
        }
        if (::flock(_fd, LOCK_EX) != 0)
            throwErrno("cannot lock", _path);
        struct stat held;
        struct stat named;
        if (::fstat(_fd, &held) != 0)
            throwErrno("cannot read the permissions of", _path);
        // The writer we waited for has published or removed this file: start over.
        if (::lstat(_path.c_str(), &named) != 0 || named.st_ino != held.st_ino || named.st_dev != held.st_dev)
            return false;
        _locked = true;
        if (!S_ISREG(held.st_mode) || held.st_uid != ::geteuid())
        {
            ::unlink(_path.c_str());
            _locked = false;
            return false;
        }
        // A leftover may be readable by others: owner-only before any byte of ours goes in.
        if ((held.st_mode & 07777) != OwnerReadWrite && ::fchmod(_fd, OwnerReadWrite) != 0)
            throwErrno("cannot set owner-only permissions on", _path);
        if (held.st_size != 0 && ::ftruncate(_fd, 0) != 0)
            throwErrno("cannot truncate", _path);
        return true;
    }

    void closeFile()
    {
        if (_fd >= 0)
            ::close(_fd);
        _fd = -1;
        _locked = false;
    }

    std::string _path;
    int _fd = -1;
    bool _locked = false; // the file at _path is the one this writer holds locked
    bool _published = false;
};

} // namespace

bool writeFileAtomically(const std::string& path, std::string_view content, ExistingFile existing)
{
    TemporaryFile temporary(temporaryFileFor(path));
    // Every writer of `path` holds this lock to publish, so nobody can create it between this
    // look and the rename below.
    struct stat st;
    if (existing == ExistingFile::Keep && ::lstat(path.c_str(), &st) == 0)
        return false;
    temporary.write(content);
    temporary.publishAs(path);
    return true;
}

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
