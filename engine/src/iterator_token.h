// IteratorToken: opaque, unforgeable shard iterators.
//
// token = base64(flatbuffer ‖ first 16 bytes of HMAC-SHA256(key, flatbuffer)).
// The key is random per data directory and persisted, so iterators survive a
// restart but cannot be made or altered by clients.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tidelog {

struct IteratorPosition {
  uint64_t stream_uid = 0;
  uint64_t shard_uid = 0;
  uint64_t after_seq = 0;
  int64_t created_ms = 0;
};

class IteratorCodec {
 public:
  explicit IteratorCodec(std::string key) : key_(std::move(key)) {}
  std::string Encode(const IteratorPosition& pos) const;
  // false when the token is malformed or its MAC does not verify.
  bool Decode(std::string_view token, IteratorPosition* pos) const;

 private:
  std::string key_;
};

}  // namespace tidelog
