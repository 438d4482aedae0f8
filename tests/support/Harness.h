#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Process.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

/// What integration tests share: temporary folders, the Commerce simulator as a child
/// process, and running the real binaries with their output captured.
namespace acd::test {

/// `<build dir>/bin/<name>`.
std::string binaryPath(const std::string& name);
/// `<source dir>/<relative>`.
std::string sourcePath(const std::string& relative);

class TempDir
{
public:
    TempDir();
    ~TempDir();
    const std::string& path() const { return _path; }
    std::string file(const std::string& name) const { return _path + "/" + name; }

private:
    std::string _path;
};

std::string readText(const std::string& path);
/// Every byte of an SQLite database's files as they are on disk: the file, its -wal and -shm.
std::string sqliteFileBytes(const std::string& path);
void writeText(const std::string& path, const std::string& text);

struct RunResult
{
    int exitCode = -1;
    std::string out;
    std::string err;
};

/// Requires a RunResult expression to have exited 0, showing its output otherwise. The
/// expression is evaluated once (a plain macro argument used thrice would run it thrice).
#define REQUIRE_SUCCESS(expr)                                                                                \
    do                                                                                                       \
    {                                                                                                        \
        const ::acd::test::RunResult acdRun_ = (expr);                                                       \
        BOOST_TEST_INFO("exit " << acdRun_.exitCode << "\nstdout: " << acdRun_.out                           \
                                << "\nstderr: " << acdRun_.err);                                             \
        BOOST_REQUIRE_EQUAL(acdRun_.exitCode, 0);                                                            \
    } while (false)

/// Runs a program to its end (killed after `timeoutSeconds`), capturing stdout and stderr;
/// `input` is its standard input.
RunResult runProgram(const std::string& exe, const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env = {}, int timeoutSeconds = 120,
                     const std::string& input = "");

/// A started child process with its output going to files, for tests that signal it.
class ChildProcess
{
public:
    ChildProcess(const std::string& exe, const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env, const std::string& logPath);
    ~ChildProcess();
    int pid() const;
    void kill();      // SIGKILL
    void terminate(); // SIGTERM (graceful)
    int wait();
    bool running() const;

private:
    std::unique_ptr<Poco::ProcessHandle> _handle;
    bool _reaped = false;
};

/// `commerce-sim` on a free loopback port with a scenario file; stopped on destruction.
class CommerceSim
{
public:
    explicit CommerceSim(const std::string& scenarioPath, const std::vector<std::string>& extraArgs = {});
    ~CommerceSim();

    std::string url() const;
    int port() const { return _port; }

    std::string get(const std::string& path) const;
    std::string post(const std::string& path, const std::string& body) const;
    std::string del(const std::string& path) const;

    Poco::JSON::Array::Ptr deliveries() const;         // contacts accepted by the simulated Emarsys
    Poco::JSON::Array::Ptr sendgridDeliveries() const; // personalizations the simulated SendGrid accepted
    Poco::JSON::Object::Ptr stats() const;
    Poco::JSON::Array::Ptr requests() const;
    void fault(const std::string& json) const;

private:
    TempDir _dir;
    std::unique_ptr<ChildProcess> _process;
    int _port = 0;
};

/// A Python helper of tests/integration (smtp_server.py, image_server.py) run by Debian's
/// /usr/bin/python3, not a python found on PATH, listening on a free loopback port that it
/// writes to a port file. `args` are its options besides --port-file; its output goes to
/// log(). Stopped (SIGTERM) on destruction.
class PythonServer
{
public:
    PythonServer(const std::string& script, const std::vector<std::string>& args);
    ~PythonServer();
    int port() const { return _port; }
    std::string log() const;

private:
    TempDir _dir;
    std::unique_ptr<ChildProcess> _process;
    int _port = 0;
};

/// Whether `program` exists and may be executed.
bool isExecutable(const std::string& program);

/// A properties file for the simulator: every required key set, overridable.
std::string writeConfig(const TempDir& dir, const CommerceSim& sim,
                        const std::map<std::string, std::string>& overrides = {});
/// The overrides of writeConfig() that put Emarsys on WSSE and v2 (its default is OAuth 2.0
/// and v3 against the simulator).
std::map<std::string, std::string> emarsysWsseKeys(const CommerceSim& sim);
/// The overrides of writeConfig() that make SendGrid the provider, against the simulator.
std::map<std::string, std::string> sendgridKeys(const CommerceSim& sim);
/// The overrides of writeConfig() that make Mailchimp Transactional (Mandrill) the provider,
/// against the simulator.
std::map<std::string, std::string> mandrillKeys(const CommerceSim& sim);
/// The overrides of writeConfig() that make Mailchimp Marketing e-commerce the provider, against
/// the simulator (its store acd-store and audience a1b2c3d4e5).
std::map<std::string, std::string> mailchimpKeys(const CommerceSim& sim);
/// The env secrets matching the simulator's default scenario credentials (OAuth and WSSE).
std::map<std::string, std::string> simSecrets();

Poco::JSON::Object::Ptr parseObject(const std::string& json);
Poco::JSON::Array::Ptr parseArray(const std::string& json);

} // namespace acd::test
