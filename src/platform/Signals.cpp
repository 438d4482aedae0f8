#include "platform/Signals.h"

#ifndef _WIN32
#include <csignal>
#include <pthread.h>
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

} // namespace acd::platform
