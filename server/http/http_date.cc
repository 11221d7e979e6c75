// IMF-fixdate formatting with a per-thread one-second cache.
#include "server/http/http_date.h"

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace tidelog::server {

std::string FormatHttpDate(int64_t unix_seconds) {
  using namespace std::chrono;
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  sys_seconds tp{seconds{unix_seconds}};
  sys_days day_point = floor<days>(tp);
  year_month_day ymd{day_point};
  weekday wd{day_point};
  hh_mm_ss hms{tp - day_point};
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%s, %02u %s %04d %02d:%02d:%02d GMT", kDays[wd.c_encoding()],
                static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
                static_cast<int>(ymd.year()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return buf;
}

const std::string& CurrentHttpDate() {
  thread_local int64_t cached_second = -1;
  thread_local std::string cached;
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  if (now != cached_second) {
    cached = FormatHttpDate(now);
    cached_second = now;
  }
  return cached;
}

}  // namespace tidelog::server
