#pragma once

#include "net/HttpClient.h"

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

/// The child processes of a benchmark run (Linux: wait4 and /proc).
namespace acd::bench {

struct Usage
{
    int exitCode = -1;
    double wallSeconds = 0;
    double cpuSeconds = 0; // user + system
    long peakRssKb = 0;    // VmHWM of the child's program, sampled (ru_maxrss when none was read)
};

/// A started program; its stdout and stderr go to `logPath`. Terminated (SIGTERM) and reaped
/// on destruction if still running.
class Child
{
public:
    Child(const std::string& exe, const std::vector<std::string>& args,
          const std::map<std::string, std::string>& extraEnv, const std::string& logPath);
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return _pid; }
    /// Waits for the end, with the child's own resource usage (wait4).
    Usage wait();
    void terminate();
    /// True once the child has ended (it is not reaped: wait() still reports how).
    bool ended() const;

private:
    pid_t _pid = -1;
    double _started = 0;
};

/// Resident memory (VmRSS) and CPU time so far of a running process, from /proc.
struct ProcessSample
{
    long rssKb = 0;
    double cpuSeconds = 0;
};
ProcessSample sampleProcess(pid_t pid);

/// `commerce-sim` on a free loopback port, with its control API.
class Sim
{
public:
    Sim(const std::string& exe, const std::string& workDir, const std::vector<std::string>& args);

    const std::string& url() const { return _url; }
    pid_t pid() const { return _child->pid(); }
    std::string get(const std::string& path);

private:
    std::unique_ptr<Child> _child;
    std::string _url;
    HttpClient _http;
};

double monotonicSeconds();
std::string readText(const std::string& path);
void writeText(const std::string& path, const std::string& text);
/// Size in bytes, 0 when the file does not exist.
long long fileSize(const std::string& path);

} // namespace acd::bench
