// SIGTERM / SIGINT / SIGHUP handling for tidelogd: the signals are blocked in
// every thread and taken synchronously by the main thread with sigwait().
#pragma once

#include <functional>

namespace tidelog::server {

// Call first in main(), before any thread exists, so that every thread
// inherits the mask. Also ignores SIGPIPE.
void BlockTerminationSignals();

// Blocks until SIGTERM or SIGINT arrives; returns the signal number. Each
// SIGHUP meanwhile runs `on_hangup` (on the calling thread).
int WaitForTerminationSignal(const std::function<void()>& on_hangup = {});

}  // namespace tidelog::server
