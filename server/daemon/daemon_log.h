// tidelogd's log: timestamped lines on stderr, one write per line so lines
// from different threads never interleave.
#pragma once

#include <string_view>

namespace tidelog::server {

enum class LogLevel { kInfo, kWarning, kError };

void Log(LogLevel level, std::string_view message);

// The lines tests and scripts wait for, printed verbatim:
// "tidelogd: listening on HOST:PORT" (the plain listener, which also takes
// TLS when it is configured) and "tidelogd: listening for TLS on HOST:PORT"
// (what = "for TLS ", the TLS-only listener).
void LogListening(std::string_view address, std::string_view what = "");
// "tidelogd: tls certificate /absolute/path/cert.pem": what clients trust.
void LogTlsCertificate(std::string_view path);

}  // namespace tidelog::server
