#include "ArcChallenge.h"

#include "TokenStore.h"

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/Path.h>
#include <Poco/Process.h>

namespace acd::sim {

ArcChallenge::ArcChallenge(std::string directory) : _directory(std::move(directory)) {}

ArcChallenge::~ArcChallenge()
{
    if (_path.empty())
        return;
    try
    {
        Poco::File(_path).remove();
    }
    catch (const Poco::Exception&)
    {
        // Left behind in a temp directory; nothing else can be done from a destructor.
    }
}

std::string ArcChallenge::keyFilePath()
{
    std::lock_guard lock(_mutex);
    if (_path.empty())
    {
        Poco::Path path(Poco::Path::forDirectory(_directory));
        path.setFileName("commerce-sim-" + std::to_string(Poco::Process::id()) + "-" + randomHex(4) + ".key");
        const std::string key = randomHex(32);
        Poco::FileOutputStream out(path.toString());
        out << key;
        out.close();
        if (!out.good())
            throw Poco::WriteFileException("cannot write the Azure Arc key file", path.toString());
        Poco::File(path).setReadOnly(true);
        _path = path.toString();
        _key = key;
    }
    return _path;
}

bool ArcChallenge::accepts(const std::string& authorization) const
{
    std::lock_guard lock(_mutex);
    return !_key.empty() && authorization == "Basic " + _key;
}

} // namespace acd::sim
