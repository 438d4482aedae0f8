#pragma once

#include <memory>
#include <string>

namespace acd {

/// An exclusive lock on a file, held by this process until the object goes: only one process
/// at a time runs cycles on a ledger, so that a start may take whatever a stopped process left
/// half done (a cycle 'running', requests on their way) as interrupted. The operating system
/// releases it when the process dies, however it dies.
class ProcessLock
{
public:
    /// Creates `path` when missing (owner-only). Nothing when another process holds it.
    /// Throws std::system_error naming the path when it cannot be opened or locked.
    static std::unique_ptr<ProcessLock> tryAcquire(const std::string& path);
    ~ProcessLock();
    ProcessLock(const ProcessLock&) = delete;
    ProcessLock& operator=(const ProcessLock&) = delete;

private:
    struct Handle;
    explicit ProcessLock(std::unique_ptr<Handle> handle);
    std::unique_ptr<Handle> _handle;
};

} // namespace acd
