// Helpers shared by the fuzz targets: property checks that abort with a message.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

// Aborts (a libFuzzer crash, saved as an artifact) when `cond` is false.
#define FUZZ_CHECK(cond, ...)                                                          \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      ::tidelog::fuzz::Detail(__VA_ARGS__);                                            \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)

namespace tidelog::fuzz {

inline void Detail() {}
// Prints `what` with non-printable bytes escaped, for the crash log.
inline void Detail(std::string_view what) {
  std::string out;
  for (unsigned char c : what) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out.append(buf);
    }
  }
  std::fprintf(stderr, "  detail: %s\n", out.c_str());
}

inline std::string_view AsView(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace tidelog::fuzz
