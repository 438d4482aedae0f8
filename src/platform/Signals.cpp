#include "platform/Signals.h"

#ifndef _WIN32
#include <csignal>
#include <pthread.h>
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace acd::platform {

void blockTerminationSignals()
{
#ifndef _WIN32
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGQUIT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
#endif
}

void useOneAllocatorArena()
{
#if defined(__GLIBC__)
    mallopt(M_ARENA_MAX, 1);
#endif
}

void returnFreeMemory()
{
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

} // namespace acd::platform
