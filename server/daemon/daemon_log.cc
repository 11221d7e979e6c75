// stderr logging for tidelogd: text or JSON lines.
#include "server/daemon/daemon_log.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <string>

namespace tidelog::server {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};

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

// RFC 3339 in UTC with milliseconds: 2026-01-02T03:04:05.678Z.
std::string Timestamp(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const time_t secs = system_clock::to_time_t(when);
  const auto millis = duration_cast<milliseconds>(when.time_since_epoch()).count() % 1000;
  tm utc{};
  gmtime_r(&secs, &utc);
  char stamp[96];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis < 0 ? millis + 1000 : millis));
  return stamp;
}

// The length of the well-formed UTF-8 sequence at s[i] (Unicode table 3-7:
// no overlong forms, no surrogates, nothing past U+10FFFF), 0 if there is none.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  size_t length;
  unsigned char low = 0x80, high = 0xBF;  // bounds of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (s.size() - i < length) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

const char* LevelName(LogFormat format, LogLevel level) {
  if (format == LogFormat::kJson) {
    return level == LogLevel::kInfo ? "info" : level == LogLevel::kWarning ? "warn" : "error";
  }
  return level == LogLevel::kInfo ? "INFO" : level == LogLevel::kWarning ? "WARN" : "ERROR";
}

}  // namespace

void AppendJsonLogString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        out->append("\\ufffd");
        ++i;
      } else {
        out->append(s.data() + i, n);
        i += n;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

std::string FormatLogLine(LogFormat format, LogLevel level,
                          std::chrono::system_clock::time_point when, std::string_view message,
                          std::initializer_list<LogField> fields) {
  std::string line;
  if (format == LogFormat::kJson) {
    line.append("{\"ts\":\"").append(Timestamp(when)).append("\",\"level\":\"");
    line.append(LevelName(format, level)).append("\",\"msg\":");
    AppendJsonLogString(message, &line);
    for (const LogField& field : fields) {
      line.push_back(',');
      AppendJsonLogString(field.key, &line);
      line.push_back(':');
      AppendJsonLogString(field.value, &line);
    }
    line.append("}\n");
    return line;
  }
  line.append(Timestamp(when)).append(" tidelogd ").append(LevelName(format, level));
  line.push_back(' ');
  line.append(message);
  for (const LogField& field : fields) {
    line.push_back(' ');
    line.append(field.key).push_back('=');
    line.append(field.value);
  }
  line.push_back('\n');
  return line;
}

void SetLogFormat(LogFormat format) { g_format.store(format, std::memory_order_relaxed); }

void Log(LogLevel level, std::string_view message) {
  WriteLine(FormatLogLine(g_format.load(std::memory_order_relaxed), level,
                          std::chrono::system_clock::now(), message));
}

void LogListening(std::string_view address, std::string_view what) {
  std::string message = "listening ";
  message.append(what).append("on ").append(address);
  if (g_format.load(std::memory_order_relaxed) == LogFormat::kJson) {
    WriteLine(FormatLogLine(LogFormat::kJson, LogLevel::kInfo, std::chrono::system_clock::now(),
                            message,
                            {{"listener", what.empty()             ? "plain"
                                          : what == "for metrics " ? "metrics"
                                                                   : "tls"},
                             {"address", address}}));
    return;
  }
  WriteLine("tidelogd: " + message + "\n");
}

void LogTlsCertificate(std::string_view path) {
  char resolved[PATH_MAX];
  const std::string file(path);
  const std::string absolute = ::realpath(file.c_str(), resolved) ? resolved : file;
  if (g_format.load(std::memory_order_relaxed) == LogFormat::kJson) {
    WriteLine(FormatLogLine(LogFormat::kJson, LogLevel::kInfo, std::chrono::system_clock::now(),
                            "tls certificate " + absolute, {{"path", absolute}}));
    return;
  }
  WriteLine("tidelogd: tls certificate " + absolute + "\n");
}

}  // namespace tidelog::server
