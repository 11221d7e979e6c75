// UUID v4 generation from a per-thread 64-bit Mersenne Twister.
#include "server/http/request_id.h"

#include <cstdint>
#include <random>

namespace tidelog::server {

namespace {

std::mt19937_64& ThreadRng() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  return rng;
}

}  // namespace

std::string NewExtendedRequestId() {
  static constexpr char kBase64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::mt19937_64& rng = ThreadRng();
  // 72 bytes = 24 groups of 3 bytes = 96 characters, no padding; each
  // 64-bit draw gives 2 groups (48 bits).
  std::string out;
  out.reserve(96);
  for (int i = 0; i < 12; ++i) {
    const uint64_t v = rng();
    for (int shift = 42; shift >= 0; shift -= 6) out.push_back(kBase64[(v >> shift) & 0x3F]);
  }
  return out;
}

std::string NewRequestId() {
  std::mt19937_64& rng = ThreadRng();
  uint64_t hi = rng();
  uint64_t lo = rng();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                         // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10xx
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  int pos = 0;
  auto put = [&](uint64_t v, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      out[pos++] = kHex[(v >> (4 * i)) & 0xF];
    }
  };
  put(hi, 16);
  put(lo, 16);
  return out;
}

}  // namespace tidelog::server
