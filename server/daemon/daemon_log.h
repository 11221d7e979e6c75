// tidelogd's log: timestamped lines on stderr, one write per line so lines
// from different threads never interleave.
#pragma once

#include <string_view>

namespace tidelog::server {

enum class LogLevel { kInfo, kWarning, kError };

void Log(LogLevel level, std::string_view message);

// The single line tests and scripts wait for, printed verbatim:
// "tidelogd: listening on HOST:PORT".
void LogListening(std::string_view address);

}  // namespace tidelog::server
