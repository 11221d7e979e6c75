// SinkLogger: RocksDB's info log routed to the embedder's log sink, so
// RocksDB never writes a LOG file on the data disk (a LOG file that hits
// ENOSPC aborts the process in an assertion-enabled librocksdb).
#pragma once

#include <rocksdb/env.h>

#include <functional>
#include <string_view>

namespace tidelog::storage {

enum class LogLevel { kInfo, kWarning, kError };

// Receives one complete line (no trailing newline). Called from RocksDB's
// background threads and from writers: must be thread-safe and must not call
// back into the store.
using LogSink = std::function<void(LogLevel level, std::string_view line)>;

// The sink used when none is given: warnings and errors to stderr, one write
// per line, prefixed "rocksdb: ".
LogSink StderrLogSink();

class SinkLogger final : public rocksdb::Logger {
 public:
  // Lines below `level` are dropped before formatting. An empty `sink` means
  // StderrLogSink().
  SinkLogger(LogSink sink, rocksdb::InfoLogLevel level);

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override;

 private:
  void Emit(rocksdb::InfoLogLevel level, const char* format, va_list ap);
  const LogSink sink_;
};

}  // namespace tidelog::storage
