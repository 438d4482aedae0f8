#pragma once

#include "Harness.h"

#include <Poco/File.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace acd::test {

/// tests/integration/smtp_server.py (aiosmtpd, Debian's python3 — not a python on PATH) on a
/// free loopback port; stopped on destruction. Messages land in dir()/NNNN.eml.
class SmtpTestServer
{
public:
    explicit SmtpTestServer(const std::vector<std::string>& options = {})
    {
        std::vector<std::string> args{sourcePath("tests/integration/smtp_server.py"),
                                      "--dir=" + _dir.file("mail"), "--port-file=" + _dir.file("port")};
        args.insert(args.end(), options.begin(), options.end());
        _process = std::make_unique<ChildProcess>(
            "/usr/bin/python3", args, std::map<std::string, std::string>{}, _dir.file("server.log"));
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (!Poco::File(_dir.file("port")).exists())
        {
            if (std::chrono::steady_clock::now() > deadline || !_process->running())
                throw std::runtime_error("smtp_server.py did not start: " +
                                         readText(_dir.file("server.log")));
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        _port = std::stoi(readText(_dir.file("port")));
    }

    ~SmtpTestServer()
    {
        _process->terminate();
        _process->wait();
    }

    int port() const { return _port; }
    std::string dir() const { return _dir.file("mail"); }
    std::string message(int number) const { return readText(dir() + "/" + numbered(number) + ".eml"); }
    std::string envelope(int number) const { return readText(dir() + "/" + numbered(number) + ".json"); }
    bool has(int number) const { return Poco::File(dir() + "/" + numbered(number) + ".eml").exists(); }

    /// events.log: "connect", "auth PLAIN ok", "rcpt-rejected …", "data-tempfail …", "accepted …".
    std::vector<std::string> events() const
    {
        std::vector<std::string> lines;
        if (!Poco::File(dir() + "/events.log").exists())
            return lines;
        std::istringstream in(readText(dir() + "/events.log"));
        for (std::string line; std::getline(in, line);)
            lines.push_back(line);
        return lines;
    }

    std::size_t count(const std::string& prefix) const
    {
        std::size_t n = 0;
        for (const std::string& line : events())
            n += line.starts_with(prefix) ? 1 : 0;
        return n;
    }

private:
    static std::string numbered(int number)
    {
        std::string text = std::to_string(number);
        return std::string(4 - std::min<std::size_t>(4, text.size()), '0') + text;
    }

    TempDir _dir;
    std::unique_ptr<ChildProcess> _process;
    int _port = 0;
};

/// A self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI.
struct TestCertificate
{
    TempDir dir;
    std::string cert = dir.file("cert.pem");
    std::string key = dir.file("key.pem");

    TestCertificate()
    {
        const RunResult made = runProgram(
            "/usr/bin/openssl", {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                 "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj",
                                 "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"});
        if (made.exitCode != 0)
            throw std::runtime_error("openssl could not make a test certificate: " + made.err);
    }
};

} // namespace acd::test
