#define BOOST_TEST_MODULE process lock
#include <boost/test/unit_test.hpp>

#include "Harness.h" // TempDir
#include "platform/Files.h"
#include "platform/ProcessLock.h"

#include <Poco/Process.h>
#include <Poco/Thread.h>

using namespace acd;

BOOST_AUTO_TEST_CASE(one_holder_at_a_time_and_free_again_when_it_goes)
{
    test::TempDir dir;
    const std::string path = dir.file("ledger.sqlite.lock");
    auto first = ProcessLock::tryAcquire(path);
    BOOST_REQUIRE(first);
    BOOST_TEST(isOwnerOnly(path));
    BOOST_TEST(!ProcessLock::tryAcquire(path));
    first.reset();
    BOOST_TEST(static_cast<bool>(ProcessLock::tryAcquire(path)));
}

BOOST_AUTO_TEST_CASE(another_process_holding_it_is_seen_and_its_death_frees_it)
{
    test::TempDir dir;
    const std::string path = dir.file("ledger.sqlite.lock");
    // Another process takes the same kind of lock (flock) and holds it until it is killed.
    Poco::ProcessHandle holder = Poco::Process::launch(
        "/usr/bin/python3",
        {"-c",
         "import fcntl, sys, time\nf = open(sys.argv[1], 'a')\nfcntl.flock(f, fcntl.LOCK_EX)\ntime.sleep(30)",
         path});
    bool seen = false;
    for (int i = 0; i < 200 && !seen; ++i)
    {
        seen = !ProcessLock::tryAcquire(path);
        if (!seen)
            Poco::Thread::sleep(10);
    }
    BOOST_TEST(seen);
    Poco::Process::kill(holder); // SIGKILL: no chance to unlock
    holder.wait();
    BOOST_TEST(static_cast<bool>(ProcessLock::tryAcquire(path)));
}
