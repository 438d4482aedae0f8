#pragma once

namespace acd::platform {

/// Keeps the C allocator to one heap for all threads (glibc's M_ARENA_MAX = 1), and large blocks
/// out of it (a fixed M_MMAP_THRESHOLD). The cycle hands Retail Server and provider calls to
/// short-lived threads; with a heap per thread, freed memory stayed spread over several heaps:
/// measured at 100 000 carts, 82 MB peak and 31 MB idle with glibc's default arenas against
/// 68 MB and 24 MB with one (docs/benchmark.md). Called before any other thread starts.
/// Nothing to do elsewhere.
void useOneAllocatorArena();

/// Gives the C allocator's free memory back to the system (glibc's malloc_trim), so that the
/// daemon idles small between cycles. Nothing to do elsewhere.
void returnFreeMemory();

} // namespace acd::platform
