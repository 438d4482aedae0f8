#include "Processes.h"

#include <algorithm>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace acd::bench {

Child::Child(const std::string& exe, const std::vector<std::string>& args,
             const std::map<std::string, std::string>& extraEnv, const std::string& logPath)
{
    std::vector<std::string> env;
    for (char** entry = environ; *entry != nullptr; ++entry)
    {
        const std::string text(*entry);
        if (!extraEnv.contains(text.substr(0, text.find('='))))
            env.push_back(text);
    }
    for (const auto& [name, value] : extraEnv)
        env.push_back(name + "=" + value);
    std::vector<char*> argv{const_cast<char*>(exe.c_str())};
    for (const std::string& arg : args)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (std::string& entry : env)
        envp.push_back(entry.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    _started = monotonicSeconds();
    const int error = posix_spawn(&_pid, exe.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0)
        throw std::runtime_error("cannot start " + exe + ": " + std::strerror(error));
}

Child::~Child()
{
    if (_pid <= 0)
        return;
    terminate();
    try
    {
        wait();
    }
    catch (const std::exception&)
    {
        // Already reaped elsewhere: nothing is left to clean up.
    }
}

bool Child::ended() const
{
    siginfo_t info{};
    return _pid > 0 && waitid(P_PID, static_cast<id_t>(_pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == _pid;
}

Usage Child::wait()
{
    Usage usage;
    int status = 0;
    rusage resources{};
    pid_t reaped;
    // ru_maxrss counts the memory the child had between fork() and exec(), i.e. a copy of this
    // process (the baselines make it large): the child's own peak is VmHWM of its program,
    // sampled until it ends (at most the last 20 ms of a run escape it).
    long highWaterKb = 0;
    const std::string statusPath = "/proc/" + std::to_string(_pid) + "/status";
    for (;;)
    {
        reaped = wait4(_pid, &status, WNOHANG, &resources);
        if (reaped != 0 && !(reaped < 0 && errno == EINTR))
            break;
        if (reaped < 0)
            continue;
        std::ifstream file(statusPath);
        bool programRuns = false;
        long hwm = 0;
        for (std::string line; std::getline(file, line);)
        {
            if (line.starts_with("Name:"))
                programRuns = line.find("acd-bench") == std::string::npos;
            else if (line.starts_with("VmHWM:"))
                hwm = std::stol(line.substr(6));
        }
        if (programRuns)
            highWaterKb = std::max(highWaterKb, hwm);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (reaped != _pid)
        throw std::runtime_error(std::string("wait4 failed: ") + std::strerror(errno));
    _pid = -1;
    usage.wallSeconds = monotonicSeconds() - _started;
    usage.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    usage.cpuSeconds = seconds(resources.ru_utime) + seconds(resources.ru_stime);
    usage.peakRssKb = highWaterKb > 0 ? highWaterKb : resources.ru_maxrss;
    return usage;
}

void Child::terminate()
{
    if (_pid > 0)
        ::kill(_pid, SIGTERM);
}

ProcessSample sampleProcess(pid_t pid)
{
    ProcessSample sample;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);)
        if (line.starts_with("VmRSS:"))
            sample.rssKb = std::stol(line.substr(6));
    // Fields 14 and 15 (utime, stime) count from after the command name, which may hold spaces.
    const std::string stat = readText("/proc/" + std::to_string(pid) + "/stat");
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    long long ticks = 0;
    for (int index = 3; fields >> field && index <= 15; ++index)
        if (index >= 14)
            ticks += std::stoll(field);
    sample.cpuSeconds = static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
    return sample;
}

Sim::Sim(const std::string& exe, const std::string& workDir, const std::vector<std::string>& args)
    : _http(HttpClientOptions{std::chrono::seconds(300), std::chrono::seconds(10), 1, true,
                              std::size_t{512} * 1024 * 1024})
{
    const std::string portFile = workDir + "/sim.port";
    ::unlink(portFile.c_str());
    std::vector<std::string> all = args;
    all.push_back("--port-file=" + portFile);
    _child = std::make_unique<Child>(exe, all, std::map<std::string, std::string>{}, workDir + "/sim.log");
    const double deadline = monotonicSeconds() + 120;
    while (fileSize(portFile) <= 0)
    {
        if (_child->ended())
            throw std::runtime_error("commerce-sim stopped at start: " + readText(workDir + "/sim.log"));
        if (monotonicSeconds() > deadline)
            throw std::runtime_error("commerce-sim did not start within 120 s");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    _url = "http://127.0.0.1:" + readText(portFile);
    while (!_url.empty() && (_url.back() == '\n' || _url.back() == ' '))
        _url.pop_back();
}

std::string Sim::get(const std::string& path)
{
    HttpRequest request;
    request.url = _url + path;
    HttpResponse response = _http.send(request);
    if (response.status != 200)
        throw std::runtime_error("commerce-sim " + path + " answered HTTP " +
                                 std::to_string(response.status));
    return std::move(response.body);
}

double monotonicSeconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string readText(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void writeText(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out)
        throw std::runtime_error("cannot write " + path);
}

long long fileSize(const std::string& path)
{
    struct stat info
    {};
    return ::stat(path.c_str(), &info) == 0 ? static_cast<long long>(info.st_size) : 0;
}

} // namespace acd::bench
