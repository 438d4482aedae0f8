#include "HeadlessChromium.h"

#include <Poco/File.h>

#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace acd::test {

bool chromiumInstalled()
{
    return isExecutable(ChromiumPath);
}

RunResult runChromium(const TempDir& dir, const std::vector<std::string>& args)
{
    std::vector<std::string> all{"--headless",
                                 "--no-sandbox",
                                 "--disable-gpu",
                                 "--no-first-run",
                                 "--disable-extensions",
                                 "--disable-background-networking",
                                 "--user-data-dir=" + dir.file("chromium-profile")};
    all.insert(all.end(), args.begin(), args.end());
    return runProgram(ChromiumPath, all, {{"HOME", dir.path()}}, 60);
}

PixelCount pixelsOf(const std::string& png, const std::string& colour)
{
    const RunResult counted =
        runProgram("/usr/bin/python3", {sourcePath("tests/integration/png_pixels.py"), png, colour}, {}, 60);
    if (counted.exitCode != 0)
        throw std::runtime_error("png_pixels.py " + png + " failed: " + counted.out + counted.err);
    PixelCount result;
    std::istringstream in(counted.out);
    in >> result.width >> result.height >> result.count;
    return result;
}

std::string keepArtifact(const std::string& path, const std::string& name)
{
    const char* folder = std::getenv("ACD_TEST_ARTIFACTS");
    if (folder == nullptr || *folder == '\0')
        return "";
    Poco::File(folder).createDirectories();
    const std::string kept = std::string(folder) + "/" + name;
    Poco::File(path).copyTo(kept);
    return kept;
}

} // namespace acd::test
