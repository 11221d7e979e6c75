// SinkLogger: formats RocksDB's info-log lines and hands them to a LogSink.
#include "storage/rocksdb_logger.h"

#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <string>

namespace tidelog::storage {

LogSink StderrLogSink() {
  return [](LogLevel level, std::string_view line) {
    if (level == LogLevel::kInfo) return;
    std::string out = level == LogLevel::kError ? "rocksdb ERROR: " : "rocksdb WARN: ";
    out.append(line).push_back('\n');
    const char* p = out.data();
    size_t left = out.size();
    while (left > 0) {
      ssize_t n = ::write(STDERR_FILENO, p, left);
      if (n <= 0) return;
      p += n;
      left -= static_cast<size_t>(n);
    }
  };
}

SinkLogger::SinkLogger(LogSink sink, rocksdb::InfoLogLevel level)
    : rocksdb::Logger(level), sink_(sink ? std::move(sink) : StderrLogSink()) {}

void SinkLogger::Logv(const char* format, va_list ap) {
  Emit(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
}

void SinkLogger::Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) {
  if (level < GetInfoLogLevel()) return;
  Emit(level, format, ap);
}

void SinkLogger::Emit(rocksdb::InfoLogLevel level, const char* format, va_list ap) {
  char small[512];
  va_list copy;
  va_copy(copy, ap);
  const int n = std::vsnprintf(small, sizeof(small), format, copy);
  va_end(copy);
  if (n < 0) return;
  std::string line;
  if (static_cast<size_t>(n) < sizeof(small)) {
    line.assign(small, static_cast<size_t>(n));
  } else {
    line.resize(static_cast<size_t>(n) + 1);
    std::vsnprintf(line.data(), line.size(), format, ap);
    line.resize(static_cast<size_t>(n));
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  LogLevel out = level >= rocksdb::InfoLogLevel::ERROR_LEVEL  ? LogLevel::kError
                 : level >= rocksdb::InfoLogLevel::WARN_LEVEL ? LogLevel::kWarning
                                                              : LogLevel::kInfo;
  sink_(out, line);
}

}  // namespace tidelog::storage
