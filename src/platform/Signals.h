#pragma once

namespace acd::platform {

/// Makes the calling thread, and the threads it starts afterwards, leave SIGINT/SIGTERM/SIGQUIT
/// to the thread that waits for them (Poco's ServerApplication::waitForTerminationRequest).
/// Without it a worker thread may take the signal and the process dies mid-batch.
/// Nothing to do on Windows, where a service stop arrives through the service manager.
void blockTerminationSignals();

} // namespace acd::platform
