// The HTTP `Date` header value (RFC 7231 IMF-fixdate), cached per thread and
// refreshed once a second.
#pragma once

#include <string>

namespace tidelog::server {

// "Sun, 06 Nov 1994 08:49:37 GMT" for now. The reference is valid until the
// calling thread's next call.
const std::string& CurrentHttpDate();

// IMF-fixdate of a Unix time in seconds.
std::string FormatHttpDate(int64_t unix_seconds);

}  // namespace tidelog::server
