#define BOOST_TEST_MODULE platform files
#include <boost/test/unit_test.hpp>

#include "Harness.h"
#include "platform/Files.h"

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>

#include <atomic>
#include <csignal>
#include <set>
#include <sys/resource.h>
#include <sys/stat.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace acd;
using namespace acd::test;

namespace {

mode_t modeOf(const std::string& path)
{
    struct stat st;
    BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

/// Every name in the folder, hidden ones included.
std::set<std::string> namesIn(const TempDir& dir)
{
    std::set<std::string> names;
    for (Poco::DirectoryIterator it(dir.path()), end; it != end; ++it)
        names.insert(it.name());
    return names;
}

/// Bytes that a text-mode or truncated copy would not reproduce: every byte value, NULs too.
std::string binaryContent(std::size_t size, char salt)
{
    std::string content(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        content[i] = static_cast<char>((i * 31 + static_cast<unsigned char>(salt)) & 0xff);
    return content;
}

/// Sets the umask for the life of the object.
struct Umask
{
    explicit Umask(mode_t mask) : previous(::umask(mask)) {}
    ~Umask() { ::umask(previous); }
    mode_t previous;
};

} // namespace

BOOST_AUTO_TEST_SUITE(owner_only_files)

BOOST_AUTO_TEST_CASE(a_new_file_is_created_owner_only_whatever_the_umask)
{
    TempDir dir;
    for (const mode_t mask : {mode_t(0), mode_t(022), mode_t(0277)})
    {
        const std::string path = dir.file("created-" + std::to_string(mask));
        {
            Umask umask(mask);
            createOwnerOnlyFile(path);
        }
        BOOST_TEST(modeOf(path) == mode_t(0600));
        BOOST_TEST(isOwnerOnly(path));
        BOOST_TEST(readText(path).empty());
    }
}

BOOST_AUTO_TEST_CASE(an_existing_file_keeps_its_bytes)
{
    TempDir dir;
    const std::string path = dir.file("existing");
    writeText(path, "keep me");
    ::chmod(path.c_str(), 0644);
    createOwnerOnlyFile(path);
    BOOST_TEST(readText(path) == "keep me");
    BOOST_TEST(!isOwnerOnly(path));
}

BOOST_AUTO_TEST_CASE(restrict_to_owner_removes_group_and_other_access_only)
{
    TempDir dir;
    const std::string path = dir.file("shared");
    writeText(path, "x");
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

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(atomic_write)

BOOST_AUTO_TEST_CASE(the_temporary_file_is_hidden_beside_the_file_and_ends_in_tmp)
{
    BOOST_TEST(temporaryFileFor("/var/lib/acd/outbox/acd-1.eml") == "/var/lib/acd/outbox/.acd-1.eml.tmp");
    BOOST_TEST(temporaryFileFor("hash.key") == ".hash.key.tmp");
    BOOST_TEST(temporaryFileFor("./a.b/c") == "./a.b/.c.tmp");
}

BOOST_AUTO_TEST_CASE(the_whole_content_lands_owner_only_whatever_the_umask)
{
    TempDir dir;
    for (const mode_t mask : {mode_t(0), mode_t(022), mode_t(0277)})
    {
        const std::string path = dir.file("written-" + std::to_string(mask));
        const std::string content = binaryContent(1 << 20, static_cast<char>(mask));
        {
            Umask umask(mask);
            BOOST_TEST(writeFileAtomically(path, content));
        }
        BOOST_TEST(readText(path) == content);
        BOOST_TEST(modeOf(path) == mode_t(0600));
    }
    BOOST_TEST(writeFileAtomically(dir.file("empty"), ""));
    BOOST_TEST(readText(dir.file("empty")).empty());
    const std::set<std::string> expected{"empty", "written-0", "written-18", "written-191"};
    BOOST_TEST(namesIn(dir) == expected, boost::test_tools::per_element()); // no .tmp left
}

BOOST_AUTO_TEST_CASE(replace_puts_the_new_file_in_place_of_the_old_one)
{
    TempDir dir;
    const std::string path = dir.file("secret.sealed");
    writeText(path, "an older and longer content");
    ::chmod(path.c_str(), 0644);
    BOOST_TEST(writeFileAtomically(path, "new", ExistingFile::Replace));
    BOOST_TEST(readText(path) == "new");
    BOOST_TEST(modeOf(path) == mode_t(0600));
    BOOST_TEST(namesIn(dir) == std::set<std::string>{"secret.sealed"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(keep_leaves_an_existing_file_alone)
{
    TempDir dir;
    const std::string path = dir.file("hash.key");
    BOOST_TEST(writeFileAtomically(path, "first\n", ExistingFile::Keep));
    BOOST_TEST(readText(path) == "first\n");
    BOOST_TEST(modeOf(path) == mode_t(0600));

    ::chmod(path.c_str(), 0640);
    BOOST_TEST(!writeFileAtomically(path, "second\n", ExistingFile::Keep));
    BOOST_TEST(readText(path) == "first\n");
    BOOST_TEST(modeOf(path) == mode_t(0640)); // not even rewritten
    BOOST_TEST(namesIn(dir) == std::set<std::string>{"hash.key"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_file_that_cannot_be_published_leaves_no_temporary_file)
{
    TempDir dir;
    const std::string path = dir.file("taken");
    Poco::File(path + "/inside").createDirectories(); // a folder by that name: rename cannot replace it
    BOOST_CHECK_EXCEPTION(
        writeFileAtomically(path, "content"), std::system_error,
        [&](const std::system_error& e) { return std::string(e.what()).find(path) != std::string::npos; });
    BOOST_TEST(namesIn(dir) == std::set<std::string>{"taken"}, boost::test_tools::per_element());
    BOOST_TEST(Poco::File(path).isDirectory());

    // A folder that does not exist: nothing is created anywhere.
    BOOST_CHECK_THROW(writeFileAtomically(dir.file("missing/file"), "content"), std::system_error);
    BOOST_TEST(namesIn(dir) == std::set<std::string>{"taken"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_write_that_fails_half_way_leaves_the_old_file_and_no_temporary_file)
{
    TempDir dir;
    const std::string path = dir.file("outbox.eml");
    writeText(path, "the old message");
    // A file size limit makes write() fail part-way (EFBIG), as a full disk would.
    const auto previousHandler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit previous;
    BOOST_REQUIRE(::getrlimit(RLIMIT_FSIZE, &previous) == 0);
    struct rlimit limited = previous;
    limited.rlim_cur = 4096;
    BOOST_REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
    std::string error;
    try
    {
        writeFileAtomically(path, binaryContent(64 * 1024, 'x'));
    }
    catch (const std::system_error& e)
    {
        error = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &previous);
    std::signal(SIGXFSZ, previousHandler);
    BOOST_TEST(error.find("cannot write " + temporaryFileFor(path)) != std::string::npos, error);
    BOOST_TEST(readText(path) == "the old message");
    BOOST_TEST(namesIn(dir) == std::set<std::string>{"outbox.eml"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_temporary_file_left_by_a_crash_is_taken_over)
{
    TempDir dir;
    const std::string path = dir.file("acd-1.html");
    const std::string leftover = temporaryFileFor(path);
    writeText(leftover, "half of an older, much longer message that a crash interrupted");
    ::chmod(leftover.c_str(), 0644);
    BOOST_TEST(writeFileAtomically(path, "<html>whole</html>"));
    BOOST_TEST(readText(path) == "<html>whole</html>");
    BOOST_TEST(modeOf(path) == mode_t(0600));
    BOOST_TEST(namesIn(dir) == std::set<std::string>{"acd-1.html"}, boost::test_tools::per_element());

    // With Keep and the file already there, the leftover goes too.
    writeText(leftover, "half");
    BOOST_TEST(!writeFileAtomically(path, "other", ExistingFile::Keep));
    BOOST_TEST(readText(path) == "<html>whole</html>");
    BOOST_TEST(namesIn(dir) == std::set<std::string>{"acd-1.html"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_symbolic_link_in_place_of_the_temporary_file_is_not_followed)
{
    TempDir dir;
    const std::string victim = dir.file("victim");
    writeText(victim, "untouched");
    const std::string path = dir.file("hash.key");
    BOOST_REQUIRE(::symlink(victim.c_str(), temporaryFileFor(path).c_str()) == 0);
    BOOST_TEST(writeFileAtomically(path, "key\n"));
    BOOST_TEST(readText(victim) == "untouched");
    BOOST_TEST(readText(path) == "key\n");
    const std::set<std::string> expected{"hash.key", "victim"};
    BOOST_TEST(namesIn(dir) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(concurrent_writers_never_publish_a_mixed_or_partial_file)
{
    TempDir dir;
    const std::string path = dir.file("token.sealed");
    constexpr std::size_t Size = 256 * 1024;
    BOOST_REQUIRE(writeFileAtomically(path, std::string(Size, '0')));
    std::atomic<bool> done{false};
    std::atomic<int> torn{0};
    std::atomic<int> reads{0};
    std::thread reader([&] {
        while (!done)
        {
            const std::string seen = readText(path);
            if (seen.size() != Size || seen.find_first_not_of(seen.front()) != std::string::npos)
                ++torn;
            ++reads;
        }
    });
    std::vector<std::thread> writers;
    std::atomic<int> failures{0};
    for (char letter = 'a'; letter < 'e'; ++letter)
        writers.emplace_back([&, letter] {
            const std::string content(Size, letter);
            for (int i = 0; i < 40; ++i)
            {
                try
                {
                    writeFileAtomically(path, content);
                }
                catch (const std::exception&)
                {
                    ++failures;
                }
            }
        });
    for (std::thread& writer : writers)
        writer.join();
    done = true;
    reader.join();
    BOOST_TEST(failures == 0);
    BOOST_TEST(torn == 0);
    BOOST_TEST(reads > 0);
    const std::string last = readText(path);
    BOOST_TEST((last.size() == Size && last.find_first_not_of(last.front()) == std::string::npos));
    BOOST_TEST(namesIn(dir) == std::set<std::string>{"token.sealed"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(of_concurrent_keep_writers_exactly_one_publishes_and_the_others_read_its_file)
{
    for (int round = 0; round < 20; ++round)
    {
        TempDir dir;
        const std::string path = dir.file("hash.key");
        std::atomic<int> ready{0};
        std::vector<int> published(6, 0);
        std::vector<std::thread> writers;
        for (int i = 0; i < 6; ++i)
            writers.emplace_back([&, i] {
                ++ready;
                while (ready < 6)
                    std::this_thread::yield();
                try
                {
                    const std::string content(64 * 1024, char('a' + i));
                    published[i] = writeFileAtomically(path, content, ExistingFile::Keep) ? 1 : 0;
                }
                catch (const std::exception&)
                {
                    published[i] = -1; // a failed writer, refused below
                }
            });
        for (std::thread& writer : writers)
            writer.join();
        int winners = 0;
        int winner = -1;
        for (int i = 0; i < 6; ++i)
        {
            BOOST_TEST_REQUIRE(published[i] >= 0);
            winners += published[i];
            if (published[i] == 1)
                winner = i;
        }
        BOOST_TEST_REQUIRE(winners == 1);
        BOOST_TEST(readText(path) == std::string(64 * 1024, char('a' + winner)));
        BOOST_TEST(namesIn(dir) == std::set<std::string>{"hash.key"}, boost::test_tools::per_element());
    }
}

BOOST_AUTO_TEST_SUITE_END()
