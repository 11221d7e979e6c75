// stderr logging for tidelogd.
#include "server/daemon/daemon_log.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace tidelog::server {
namespace {

void WriteLine(const std::string& line) {
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

void Log(LogLevel level, std::string_view message) {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const time_t secs = system_clock::to_time_t(now);
  const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  tm utc{};
  gmtime_r(&secs, &utc);
  char stamp[96];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  const char* tag = level == LogLevel::kInfo      ? "INFO"
                    : level == LogLevel::kWarning ? "WARN"
                                                  : "ERROR";
  std::string line = std::string(stamp) + " tidelogd " + tag + " ";
  line.append(message).push_back('\n');
  WriteLine(line);
}

void LogListening(std::string_view address, std::string_view what) {
  std::string line = "tidelogd: listening ";
  line.append(what).append("on ").append(address).push_back('\n');
  WriteLine(line);
}

void LogTlsCertificate(std::string_view path) {
  char resolved[PATH_MAX];
  const std::string file(path);
  std::string line = "tidelogd: tls certificate ";
  line.append(::realpath(file.c_str(), resolved) ? resolved : file).push_back('\n');
  WriteLine(line);
}

}  // namespace tidelog::server
