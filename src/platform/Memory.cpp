#include "platform/Memory.h"

// __GLIBC__ comes from the C library's headers, not from the compiler: one is needed before
// the test below.
#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace acd::platform {

void useOneAllocatorArena()
{
#if defined(__GLIBC__)
    mallopt(M_ARENA_MAX, 1);
    // glibc raises its mmap threshold each time a large block is freed, so that HTTP bodies
    // and parsed pages (about 1 MB each) end up in the heap, where they fragment it; fixed at
    // its default, they are mapped and unmapped on their own (peak over 1 000 000 carts:
    // 57.7 MB instead of 63.0).
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}

void returnFreeMemory()
{
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

} // namespace acd::platform
