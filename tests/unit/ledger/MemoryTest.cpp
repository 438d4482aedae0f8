#define BOOST_TEST_MODULE platform memory
#include <boost/test/unit_test.hpp>

#include "platform/Memory.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <malloc.h>
#include <memory>
#include <string>
#include <thread>
#include <vector>

// glibc's behaviour, which the daemon relies on between cycles: these tests run on Linux only.

namespace {

long residentKib()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stol(line.substr(6));
    return -1;
}

/// Heaps (arenas) glibc has made so far, from malloc_info's XML.
int arenas()
{
    char* text = nullptr;
    std::size_t size = 0;
    FILE* out = open_memstream(&text, &size);
    malloc_info(0, out);
    std::fclose(out);
    int count = 0;
    for (const char* at = text; (at = std::strstr(at, "<heap nr=")) != nullptr; ++at)
        ++count;
    std::free(text);
    return count;
}

} // namespace

BOOST_AUTO_TEST_CASE(threads_share_one_heap_and_freed_memory_goes_back)
{
    acd::platform::useOneAllocatorArena();
    // Under glibc's defaults a thread that allocates while another holds the heap gets a heap
    // of its own; the threads here would make at least one.
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([] {
            for (int i = 0; i < 20000; ++i)
                std::make_unique<char[]>(512)[0] = 1;
        });
    for (std::thread& thread : threads)
        thread.join();
    BOOST_TEST(arenas() == 1);

    // 40 MB in small blocks, then a block above them that stays: freeing the others leaves
    // them inside the heap, where only a trim gives them back.
    std::vector<std::unique_ptr<char[]>> blocks;
    for (int i = 0; i < 40 * 1024; ++i)
    {
        blocks.push_back(std::make_unique<char[]>(1000));
        std::memset(blocks.back().get(), 1, 1000);
    }
    const auto keep = std::make_unique<char[]>(1000);
    const long full = residentKib();
    blocks.clear();
    const long freed = residentKib();
    acd::platform::returnFreeMemory();
    const long trimmed = residentKib();
    BOOST_TEST_MESSAGE("VmRSS kB: full " << full << ", freed " << freed << ", trimmed " << trimmed);
    BOOST_TEST(freed > full - 8 * 1024); // free() alone kept most of it
    BOOST_TEST(trimmed < full - 30 * 1024);
}
