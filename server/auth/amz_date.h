// Timestamps in SigV4: ISO 8601 basic format (X-Amz-Date, 20150830T123600Z)
// and the RFC 1123 HTTP-date a client may send in `Date` instead.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tidelog::server::sigv4 {

// "yyyymmddTHHMMSSZ" (UTC) of a Unix time in milliseconds (truncated to s).
std::string FormatAmzDate(int64_t unix_millis);

// Strict "yyyymmddTHHMMSSZ". False on any other shape or an invalid date.
bool ParseAmzDate(std::string_view text, int64_t* unix_millis);

// "Sun, 06 Nov 1994 08:49:37 GMT". False otherwise.
bool ParseHttpDate(std::string_view text, int64_t* unix_millis);

}  // namespace tidelog::server::sigv4
