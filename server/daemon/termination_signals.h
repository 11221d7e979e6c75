// SIGTERM / SIGINT handling for tidelogd: the signals are blocked in every
// thread and taken synchronously by the main thread with sigwait().
#pragma once

namespace tidelog::server {

// Call first in main(), before any thread exists, so that every thread
// inherits the mask. Also ignores SIGPIPE.
void BlockTerminationSignals();

// Blocks until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForTerminationSignal();

}  // namespace tidelog::server
