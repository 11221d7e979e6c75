// Key encodings: fixed-width big-endian integers so byte order is numeric order.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tidelog::storage {

inline void PutBigEndian64(char* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

inline uint64_t GetBigEndian64(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

inline std::string BigEndian64(uint64_t v) {
  std::string s(8, '\0');
  PutBigEndian64(s.data(), v);
  return s;
}

// Record key: shard ‖ seq, 16 bytes.
inline constexpr size_t kRecordKeySize = 16;

struct RecordKey {
  char bytes[kRecordKeySize];
  RecordKey(uint64_t shard, uint64_t seq) {
    PutBigEndian64(bytes, shard);
    PutBigEndian64(bytes + 8, seq);
  }
  std::string_view view() const { return {bytes, kRecordKeySize}; }
};

inline uint64_t RecordKeyShard(std::string_view key) { return GetBigEndian64(key.data()); }
inline uint64_t RecordKeySeq(std::string_view key) { return GetBigEndian64(key.data() + 8); }

}  // namespace tidelog::storage
