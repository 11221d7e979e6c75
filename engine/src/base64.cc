// Strict base64 codec; see tidelog/base64.h.
#include "tidelog/base64.h"

#include <array>
#include <cstdint>

namespace tidelog {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr std::array<int8_t, 256> kDecode = MakeDecodeTable();

}  // namespace

void Base64EncodeTo(std::string_view in, char* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  size_t n = in.size();
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    *out++ = kAlphabet[(v >> 18) & 63];
    *out++ = kAlphabet[(v >> 12) & 63];
    *out++ = kAlphabet[(v >> 6) & 63];
    *out++ = kAlphabet[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = uint32_t{p[i]} << 16;
    *out++ = kAlphabet[(v >> 18) & 63];
    *out++ = kAlphabet[(v >> 12) & 63];
    *out++ = '=';
    *out++ = '=';
  } else if (n - i == 2) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8);
    *out++ = kAlphabet[(v >> 18) & 63];
    *out++ = kAlphabet[(v >> 12) & 63];
    *out++ = kAlphabet[(v >> 6) & 63];
    *out++ = '=';
  }
}

std::string Base64Encode(std::string_view in) {
  std::string out(Base64EncodedLength(in.size()), '\0');
  Base64EncodeTo(in, out.data());
  return out;
}

bool Base64Decode(std::string_view in, std::string* out) {
  if (in.size() % 4 != 0) return false;
  if (in.empty()) return true;
  size_t pad = 0;
  if (in.back() == '=') pad = (in[in.size() - 2] == '=') ? 2 : 1;
  const size_t base = out->size();
  out->resize(base + in.size() / 4 * 3 - pad);
  char* o = out->data() + base;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const size_t full = in.size() - (pad ? 4 : 0);
  for (size_t i = 0; i < full; i += 4) {
    int a = kDecode[p[i]], b = kDecode[p[i + 1]], c = kDecode[p[i + 2]], d = kDecode[p[i + 3]];
    if ((a | b | c | d) < 0) {
      out->resize(base);
      return false;
    }
    uint32_t v = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6) | uint32_t(d);
    *o++ = static_cast<char>(v >> 16);
    *o++ = static_cast<char>(v >> 8);
    *o++ = static_cast<char>(v);
  }
  if (pad) {
    const unsigned char* q = p + full;
    int a = kDecode[q[0]], b = kDecode[q[1]];
    int c = pad == 1 ? kDecode[q[2]] : 0;
    bool ok = a >= 0 && b >= 0 && c >= 0;
    if (ok && pad == 2) ok = (b & 0x0f) == 0;  // unused bits must be zero
    if (ok && pad == 1) ok = (c & 0x03) == 0;
    if (!ok) {
      out->resize(base);
      return false;
    }
    uint32_t v = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6);
    *o++ = static_cast<char>(v >> 16);
    if (pad == 1) *o++ = static_cast<char>(v >> 8);
  }
  return true;
}

}  // namespace tidelog
