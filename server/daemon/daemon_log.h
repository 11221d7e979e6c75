// tidelogd's log: lines on stderr, as text (the default) or one JSON object
// per line (--log-format json), one write per line so lines from different
// threads never interleave.
#pragma once

#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>

namespace tidelog::server {

enum class LogLevel { kInfo, kWarning, kError };

// text: "2026-01-02T03:04:05.678Z tidelogd INFO message".
// json: {"ts":"2026-01-02T03:04:05.678Z","level":"info","msg":"message",...}
// with level info, warn or error, then the line's fields; every string is
// escaped, and bytes that are not UTF-8 become U+FFFD, so each line parses.
enum class LogFormat { kText, kJson };

// A named value a line carries besides its message (JSON: a key of its own).
struct LogField {
  std::string_view key;
  std::string_view value;
};

// The format of every line from now on. Call once, before other threads log.
void SetLogFormat(LogFormat format);

void Log(LogLevel level, std::string_view message);

// The lines tests and scripts wait for. In text, printed verbatim:
// "tidelogd: listening on HOST:PORT" (the plain listener, which also takes
// TLS when it is configured) and "tidelogd: listening for TLS on HOST:PORT"
// (what = "for TLS ", the TLS-only listener). In JSON, msg "listening on
// HOST:PORT" (or "listening for TLS on ...") with the fields "listener"
// ("plain" or "tls") and "address".
void LogListening(std::string_view address, std::string_view what = "");
// "tidelogd: tls certificate /absolute/path/cert.pem": what clients trust.
// In JSON, msg "tls certificate PATH" with the field "path".
void LogTlsCertificate(std::string_view path);

// One line as Log writes it in `format`, '\n' included. Text appends the
// fields as " key=value".
std::string FormatLogLine(LogFormat format, LogLevel level,
                          std::chrono::system_clock::time_point when, std::string_view message,
                          std::initializer_list<LogField> fields = {});

// Appends `s` as a quoted JSON string: '"', '\\' and control characters
// escaped, invalid UTF-8 replaced by \ufffd.
void AppendJsonLogString(std::string_view s, std::string* out);

}  // namespace tidelog::server
