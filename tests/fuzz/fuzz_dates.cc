// Fuzz target: SigV4's X-Amz-Date and HTTP-date parsers against their formatters.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "server/auth/amz_date.h"
#include "server/http/http_date.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

namespace sigv4 = tidelog::server::sigv4;

// Years 0000..9999, the range both four-digit forms can spell.
constexpr int64_t kMinMillis = -62167219200000;  // 0000-01-01T00:00:00Z
constexpr int64_t kMaxMillis = 253402300799999;  // 9999-12-31T23:59:59.999Z

}  // namespace

// The timestamps SigV4 reads (server/auth/amz_date.cc: X-Amz-Date and the HTTP Date header) against
// their formatters, FormatAmzDate and the HTTP layer's FormatHttpDate (server/http/http_date.cc).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = tidelog::fuzz::AsView(data, size);
  int64_t millis = 0;
  if (sigv4::ParseAmzDate(text, &millis)) {
    FUZZ_CHECK(millis % 1000 == 0 && millis >= kMinMillis && millis <= kMaxMillis, text);
    // Second 60 (a leap second) is taken and means the next minute's first.
    const bool leap = text.substr(13, 2) == "60";
    if (!leap) FUZZ_CHECK(sigv4::FormatAmzDate(millis) == text, text);
    int64_t again = 0;
    FUZZ_CHECK(sigv4::ParseAmzDate(sigv4::FormatAmzDate(millis), &again) && again == millis, text);
  }
  if (sigv4::ParseHttpDate(text, &millis)) {
    FUZZ_CHECK(millis % 1000 == 0 && millis >= kMinMillis && millis <= kMaxMillis, text);
    const std::string formatted = tidelog::server::FormatHttpDate(millis / 1000);
    // The day name is not checked by the parser; the rest must match.
    if (text.substr(23, 2) != "60") FUZZ_CHECK(formatted.substr(3) == text.substr(3), text);
    int64_t again = 0;
    FUZZ_CHECK(sigv4::ParseHttpDate(formatted, &again) && again == millis, text);
    // A request may carry Date instead of X-Amz-Date: the verifier converts.
    FUZZ_CHECK(sigv4::ParseAmzDate(sigv4::FormatAmzDate(millis), &again) && again == millis, text);
  }
  // Formatting any instant of the four-digit years gives parseable text.
  if (size >= 8) {
    uint64_t raw = 0;
    std::memcpy(&raw, data, 8);
    const int64_t t =
        kMinMillis + static_cast<int64_t>(raw % static_cast<uint64_t>(kMaxMillis - kMinMillis + 1));
    int64_t back = 0;
    const int64_t floor_seconds = (t >= 0 ? t / 1000 : (t - 999) / 1000) * 1000;
    FUZZ_CHECK(sigv4::ParseAmzDate(sigv4::FormatAmzDate(t), &back) && back == floor_seconds,
               sigv4::FormatAmzDate(t));
    const std::string http = tidelog::server::FormatHttpDate(floor_seconds / 1000);
    FUZZ_CHECK(sigv4::ParseHttpDate(http, &back) && back == floor_seconds, http);
  }
  return 0;
}
