// Parsing and formatting of SigV4 timestamps, in UTC, without the C locale.
#include "server/auth/amz_date.h"

#include <array>
#include <chrono>
#include <cstdio>

namespace tidelog::server::sigv4 {
namespace {

bool ParseDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool ToMillis(int year, int month, int day, int hour, int minute, int second, int64_t* out) {
  using namespace std::chrono;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 60) return false;
  year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                     std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return false;
  // A leap second (60) reads as the next minute's first, except on the last day of year 9999:
  // the result must stay in the four-digit years the formatters can spell.
  if (second == 60 && year == 9999 && month == 12 && day == 31 && hour == 23 && minute == 59) {
    return false;
  }
  int64_t days = sys_days(ymd).time_since_epoch().count();
  *out = ((days * 24 + hour) * 60 + minute) * 60'000LL + second * 1000LL;
  return true;
}

}  // namespace

std::string FormatAmzDate(int64_t unix_millis) {
  using namespace std::chrono;
  int64_t secs = unix_millis >= 0 ? unix_millis / 1000 : (unix_millis - 999) / 1000;
  sys_seconds tp{seconds{secs}};
  sys_days day_point = floor<days>(tp);
  year_month_day ymd{day_point};
  hh_mm_ss hms{tp - day_point};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

bool ParseAmzDate(std::string_view s, int64_t* unix_millis) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return false;
  int y, mo, d, h, mi, se;
  if (!ParseDigits(s, 0, 4, &y) || !ParseDigits(s, 4, 2, &mo) || !ParseDigits(s, 6, 2, &d) ||
      !ParseDigits(s, 9, 2, &h) || !ParseDigits(s, 11, 2, &mi) || !ParseDigits(s, 13, 2, &se)) {
    return false;
  }
  return ToMillis(y, mo, d, h, mi, se, unix_millis);
}

bool ParseHttpDate(std::string_view s, int64_t* unix_millis) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed width, 29 characters.
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return false;
  }
  int month = 0;
  for (size_t i = 0; i < kMonths.size(); ++i)
    if (s.substr(8, 3) == kMonths[i]) month = static_cast<int>(i) + 1;
  int y, d, h, mi, se;
  if (month == 0 || !ParseDigits(s, 5, 2, &d) || !ParseDigits(s, 12, 4, &y) ||
      !ParseDigits(s, 17, 2, &h) || !ParseDigits(s, 20, 2, &mi) || !ParseDigits(s, 23, 2, &se)) {
    return false;
  }
  return ToMillis(y, month, d, h, mi, se, unix_millis);
}

}  // namespace tidelog::server::sigv4
