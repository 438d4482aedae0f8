#define BOOST_TEST_MODULE platform files
#include <boost/test/unit_test.hpp>

#include "LedgerTestSupport.h"
#include "platform/Files.h"

#include <sys/stat.h>
#include <system_error>

using namespace acd;
using namespace acd::test;

namespace {

mode_t modeOf(const std::string& path)
{
    struct stat st;
    BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_new_file_is_created_owner_only_whatever_the_umask)
{
    TempDir dir;
    for (const mode_t mask : {mode_t(0), mode_t(022), mode_t(0277)})
    {
        const mode_t previous = ::umask(mask);
        const std::string path = dir.file("created-" + std::to_string(mask));
        createOwnerOnlyFile(path);
        ::umask(previous);
        BOOST_TEST(modeOf(path) == mode_t(0600));
        BOOST_TEST(isOwnerOnly(path));
        BOOST_TEST(readBytes(path).empty());
    }
}

BOOST_AUTO_TEST_CASE(an_existing_file_keeps_its_bytes)
{
    TempDir dir;
    const std::string path = dir.file("existing");
    writeBytes(path, "keep me");
    ::chmod(path.c_str(), 0644);
    createOwnerOnlyFile(path);
    BOOST_TEST(readBytes(path) == "keep me");
    BOOST_TEST(!isOwnerOnly(path));
}

BOOST_AUTO_TEST_CASE(restrict_to_owner_removes_group_and_other_access_only)
{
    TempDir dir;
    const std::string path = dir.file("shared");
    writeBytes(path, "x");
    ::chmod(path.c_str(), 0664);
    restrictToOwner(path);
    BOOST_TEST(modeOf(path) == mode_t(0600));

    ::chmod(path.c_str(), 0444);
    restrictToOwner(path);
    BOOST_TEST(modeOf(path) == mode_t(0400));

    BOOST_CHECK_NO_THROW(restrictToOwner(dir.file("missing")));
    BOOST_TEST(!isOwnerOnly(dir.file("missing")));
}

BOOST_AUTO_TEST_CASE(a_file_that_cannot_be_created_is_reported_by_path)
{
    TempDir dir;
    const std::string path = dir.file("no-such-dir/file");
    BOOST_CHECK_EXCEPTION(createOwnerOnlyFile(path), std::system_error, [&](const std::system_error& e) {
        return std::string(e.what()).find(path) != std::string::npos &&
               e.code() == std::errc::no_such_file_or_directory;
    });
}
