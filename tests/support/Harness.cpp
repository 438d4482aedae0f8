#include "Harness.h"

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Path.h>
#include <Poco/PipeStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/TemporaryFile.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace acd::test {

std::string binaryPath(const std::string& name)
{
    return std::string(ACD_BINARY_DIR) + "/bin/" + name;
}
std::string sourcePath(const std::string& relative)
{
    return std::string(ACD_SOURCE_DIR) + "/" + relative;
}

TempDir::TempDir()
{
    // mkdtemp, not a name from the pid: a folder left by an earlier process with the same pid
    // (or one in another pid namespace sharing /tmp) must never be reused.
    std::string pattern = Poco::Path(Poco::Path::temp()).append("acd-test-XXXXXX").toString();
    if (::mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("cannot create a temporary folder from " + pattern);
    _path = pattern;
}

TempDir::~TempDir()
{
    try
    {
        Poco::File(_path).remove(true);
    }
    catch (...)
    {}
}

std::string readText(const std::string& path)
{
    Poco::FileInputStream in(path);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    return text;
}

std::string sqliteFileBytes(const std::string& path)
{
    std::string bytes;
    for (const char* suffix : {"", "-wal", "-shm"})
        if (Poco::File(path + suffix).exists())
            bytes += readText(path + suffix);
    return bytes;
}

void writeText(const std::string& path, const std::string& text)
{
    Poco::FileOutputStream out(path);
    out << text;
}

namespace {

/// Waits for the child, up to `timeoutSeconds`, then kills it. Returns its exit code, or
/// 128 + signal when a signal ended it.
int waitWithTimeout(int pid, int timeoutSeconds)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
    int status = 0;
    for (;;)
    {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid)
            break;
        if (std::chrono::steady_clock::now() > deadline)
        {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

std::string httpCall(int port, const std::string& method, const std::string& path, const std::string& body)
{
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!body.empty())
    {
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    if (response.getStatus() >= 400)
        throw std::runtime_error("commerce-sim " + method + " " + path + " -> " +
                                 std::to_string(static_cast<int>(response.getStatus())) + ": " + text);
    return text;
}

} // namespace

RunResult runProgram(const std::string& exe, const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env, int timeoutSeconds,
                     const std::string& input)
{
    // A program that exits without reading its input must not take the test down with SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    Poco::Pipe inPipe, outPipe, errPipe;
    Poco::ProcessHandle handle = Poco::Process::launch(exe, args, "", &inPipe, &outPipe, &errPipe, env);
    std::thread inWriter([&] {
        Poco::PipeOutputStream in(inPipe);
        try
        {
            in << input;
            in.close();
        }
        catch (const Poco::Exception&)
        {}
    });
    RunResult result;
    std::thread outReader([&] {
        Poco::PipeInputStream in(outPipe);
        Poco::StreamCopier::copyToString(in, result.out);
    });
    std::thread errReader([&] {
        Poco::PipeInputStream in(errPipe);
        Poco::StreamCopier::copyToString(in, result.err);
    });
    result.exitCode = waitWithTimeout(handle.id(), timeoutSeconds);
    inWriter.join();
    outReader.join();
    errReader.join();
    return result;
}

ChildProcess::ChildProcess(const std::string& exe, const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env, const std::string& logPath)
{
    // The shell only redirects, then exec replaces it: the pid is the program's own.
    std::vector<std::string> shellArgs{"-c", "exec \"$0\" \"$@\" >>'" + logPath + "' 2>&1", exe};
    shellArgs.insert(shellArgs.end(), args.begin(), args.end());
    _handle = std::make_unique<Poco::ProcessHandle>(
        Poco::Process::launch("/bin/sh", shellArgs, "", nullptr, nullptr, nullptr, env));
}

ChildProcess::~ChildProcess()
{
    if (!_reaped)
    {
        ::kill(pid(), SIGKILL);
        wait();
    }
}

int ChildProcess::pid() const
{
    return _handle->id();
}
void ChildProcess::kill()
{
    ::kill(pid(), SIGKILL);
}
void ChildProcess::terminate()
{
    ::kill(pid(), SIGTERM);
}

int ChildProcess::wait()
{
    if (_reaped)
        return -1;
    _reaped = true;
    return waitWithTimeout(pid(), 120);
}

bool ChildProcess::running() const
{
    if (_reaped)
        return false;
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid()), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == 0;
}

CommerceSim::CommerceSim(const std::string& scenarioPath, const std::vector<std::string>& extraArgs)
{
    const std::string portFile = _dir.file("port");
    std::vector<std::string> args{"--scenario=" + scenarioPath, "--port=0", "--port-file=" + portFile};
    args.insert(args.end(), extraArgs.begin(), extraArgs.end());
    _process = std::make_unique<ChildProcess>(binaryPath("commerce-sim"), args,
                                              std::map<std::string, std::string>{}, _dir.file("sim.log"));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!Poco::File(portFile).exists())
    {
        if (std::chrono::steady_clock::now() > deadline || !_process->running())
            throw std::runtime_error("commerce-sim did not start: " + readText(_dir.file("sim.log")));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    _port = std::stoi(readText(portFile));
}

CommerceSim::~CommerceSim()
{
    _process->terminate();
    _process->wait();
}

std::string CommerceSim::url() const
{
    return "http://127.0.0.1:" + std::to_string(_port);
}
std::string CommerceSim::get(const std::string& path) const
{
    return httpCall(_port, "GET", path, "");
}
std::string CommerceSim::post(const std::string& path, const std::string& body) const
{
    return httpCall(_port, "POST", path, body);
}
std::string CommerceSim::del(const std::string& path) const
{
    return httpCall(_port, "DELETE", path, "");
}
Poco::JSON::Array::Ptr CommerceSim::deliveries() const
{
    return parseArray(get("/_sim/emarsys/deliveries"));
}
Poco::JSON::Array::Ptr CommerceSim::sendgridDeliveries() const
{
    return parseArray(get("/_sim/sendgrid/deliveries"));
}
Poco::JSON::Object::Ptr CommerceSim::stats() const
{
    return parseObject(get("/_sim/stats"));
}
Poco::JSON::Array::Ptr CommerceSim::requests() const
{
    return parseArray(get("/_sim/requests"));
}
void CommerceSim::fault(const std::string& json) const
{
    post("/_sim/faults", json);
}

PythonServer::PythonServer(const std::string& script, const std::vector<std::string>& args)
{
    const std::string portFile = _dir.file("port");
    std::vector<std::string> all{script, "--port-file=" + portFile};
    all.insert(all.end(), args.begin(), args.end());
    _process = std::make_unique<ChildProcess>("/usr/bin/python3", all, std::map<std::string, std::string>{},
                                              _dir.file("server.log"));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!Poco::File(portFile).exists())
    {
        if (std::chrono::steady_clock::now() > deadline || !_process->running())
            throw std::runtime_error(script + " did not start: " + log());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    _port = std::stoi(readText(portFile));
}

PythonServer::~PythonServer()
{
    _process->terminate();
    _process->wait();
}

std::string PythonServer::log() const
{
    return Poco::File(_dir.file("server.log")).exists() ? readText(_dir.file("server.log")) : "";
}

bool isExecutable(const std::string& program)
{
    return ::access(program.c_str(), X_OK) == 0;
}

std::string writeConfig(const TempDir& dir, const CommerceSim& sim,
                        const std::map<std::string, std::string>& overrides)
{
    std::map<std::string, std::string> keys{
        {"retailServer.url", sim.url()},
        {"retailServer.authority", sim.url()},
        {"retailServer.tenantId", "tenant-1"},
        {"retailServer.operatingUnitNumber", "128"},
        {"retailServer.appIdSecretName", "retail-app-id"},
        {"retailServer.appSecretSecretName", "retail-app-secret"},
        {"detection.returnToCartUrl", "https://shop.example.com/cart?id={cartId}&c={customerId}"},
        {"ledger.path", dir.file("ledger.sqlite")},
        {"notify.provider", "emarsys"},
        {"emarsys.auth", "oauth2"},
        {"emarsys.tokenUrl", sim.url() + "/oauth2/token"},
        {"emarsys.apiUrl", sim.url() + "/api/v3/event/{0}/trigger"},
        {"emarsys.contactDeleteUrl", sim.url() + "/api/v3/contact/delete"},
        {"emarsys.externalEventId", "1234"},
        {"emarsys.clientIdSecretName", "emarsys-client-id"},
        {"emarsys.clientSecretSecretName", "emarsys-client-secret"},
        {"media.imageServerUrl", "https://images.example.com/cms"},
        {"secrets.sources", "env"},
        {"notify.retryBudgetSeconds", "20"},
    };
    for (const auto& [key, value] : overrides)
        keys[key] = value;
    std::ostringstream text;
    for (const auto& [key, value] : keys)
        if (!value.empty())
            text << key << " = " << value << '\n';
    const std::string path = dir.file("abandoned-cartd.properties");
    writeText(path, text.str());
    return path;
}

std::map<std::string, std::string> emarsysWsseKeys(const CommerceSim& sim)
{
    return {{"emarsys.auth", "wsse"},
            {"emarsys.tokenUrl", ""},
            {"emarsys.apiUrl", sim.url() + "/api/v2/event/{0}/trigger"},
            {"emarsys.contactDeleteUrl", sim.url() + "/api/v2/contact/delete"},
            {"emarsys.clientIdSecretName", ""},
            {"emarsys.clientSecretSecretName", ""},
            {"emarsys.apiUserNameSecretName", "emarsys-api-user"},
            {"emarsys.apiSecretSecretName", "emarsys-api-secret"}};
}

std::map<std::string, std::string> sendgridKeys(const CommerceSim& sim)
{
    return {{"notify.provider", "sendgrid"},
            {"sendgrid.apiUrl", sim.url() + "/v3/mail/send"},
            {"sendgrid.apiKeySecretName", "sendgrid-api-key"},
            {"sendgrid.templateId", "d-0123456789abcdef0123456789abcdef"},
            {"sendgrid.from", "Contoso Outdoor <shop@contoso.example>"},
            {"emarsys.externalEventId", ""}};
}

std::map<std::string, std::string> mandrillKeys(const CommerceSim& sim)
{
    return {{"notify.provider", "mandrill"},
            {"mandrill.apiUrl", sim.url() + "/api/1.0"},
            {"mandrill.apiKeySecretName", "mandrill-api-key"},
            {"mandrill.templateName", "abandoned-cart"}};
}

std::map<std::string, std::string> mailchimpKeys(const CommerceSim& sim)
{
    return {{"notify.provider", "mailchimp"},
            {"mailchimp.apiUrl", sim.url() + "/3.0"},
            {"mailchimp.apiKeySecretName", "mailchimp-api-key"},
            {"mailchimp.storeId", "acd-store"},
            {"mailchimp.listId", "a1b2c3d4e5"},
            {"emarsys.externalEventId", ""}};
}

std::map<std::string, std::string> simSecrets()
{
    return {{"ACD_SECRET_RETAIL_APP_ID", "app-id"},
            {"ACD_SECRET_RETAIL_APP_SECRET", "app-secret"},
            {"ACD_SECRET_EMARSYS_CLIENT_ID", "emarsys-client"},
            {"ACD_SECRET_EMARSYS_CLIENT_SECRET", "emarsys-client-secret"},
            {"ACD_SECRET_EMARSYS_API_USER", "emarsys-user"},
            {"ACD_SECRET_EMARSYS_API_SECRET", "emarsys-secret"},
            {"ACD_SECRET_SENDGRID_API_KEY", "SG.sim-api-key"},
            {"ACD_SECRET_MANDRILL_API_KEY", "mandrill-key"},
            {"ACD_SECRET_MAILCHIMP_API_KEY", "0123456789abcdef0123456789abcdef-us21"}};
}

Poco::JSON::Object::Ptr parseObject(const std::string& json)
{
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Array::Ptr parseArray(const std::string& json)
{
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Array::Ptr>();
}

} // namespace acd::test
