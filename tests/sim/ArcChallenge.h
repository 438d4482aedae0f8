#pragma once

#include <mutex>
#include <string>

namespace acd::sim {

/// Azure Arc's managed-identity challenge: the agent writes a random key to a file only a
/// privileged local user can read, names the file in `WWW-Authenticate: Basic realm=<path>`,
/// and expects its contents back as `Authorization: Basic <key>`.
class ArcChallenge
{
public:
    explicit ArcChallenge(std::string directory);
    ~ArcChallenge();
    ArcChallenge(const ArcChallenge&) = delete;
    ArcChallenge& operator=(const ArcChallenge&) = delete;

    /// Writes the key file on first use. Throws Poco::Exception when it cannot.
    std::string keyFilePath();
    bool accepts(const std::string& authorization) const;

private:
    mutable std::mutex _mutex;
    std::string _directory;
    std::string _path;
    std::string _key;
};

} // namespace acd::sim
