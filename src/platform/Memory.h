#pragma once

namespace acd::platform {

/// Keeps the C allocator to one heap for all threads (glibc's M_ARENA_MAX = 1). The cycle hands
/// Retail Server and provider calls to short-lived threads; with one heap per thread, memory
/// freed by one thread and reused by another piled up (160 MB peak instead of 55 MB over
/// 100 000 carts). Called before any other thread starts. Nothing to do elsewhere.
void useOneAllocatorArena();

/// Gives the C allocator's free memory back to the system (glibc's malloc_trim), so that the
/// daemon idles small between cycles. Nothing to do elsewhere.
void returnFreeMemory();

} // namespace acd::platform
