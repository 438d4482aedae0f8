#pragma once
// Pages the product writes, opened the way a reader's browser opens them: Debian's chromium,
// headless, with a profile of its own in the test's folder.
#include "Harness.h"

#include <string>
#include <vector>

namespace acd::test {

inline const std::string ChromiumPath = "/usr/bin/chromium";

bool chromiumInstalled();

/// chromium --headless … `args`, its HOME and profile in `dir`, for at most 60 s.
RunResult runChromium(const TempDir& dir, const std::vector<std::string>& args);

/// How many pixels of one colour ("rrggbb") a PNG holds, by tests/integration/png_pixels.py.
struct PixelCount
{
    std::size_t width = 0;
    std::size_t height = 0;
    std::size_t count = 0;
};
PixelCount pixelsOf(const std::string& png, const std::string& colour);

/// With ACD_TEST_ARTIFACTS set to a folder, a copy of `path` goes there as `name` (to look at a
/// screenshot after the run). Returns where it went, "" when not kept.
std::string keepArtifact(const std::string& path, const std::string& name);

} // namespace acd::test
