// RecordChunk: the value of a segment entry. One shard's consecutive records
// of one group commit, packed under one key (shard ‖ seq of the chunk's last
// record), so the memtable and the SSTs hold one entry per chunk instead of
// one per record (as Kafka's record batches).
//
// Layout, little-endian, every entry starting 8-byte aligned:
//   chunk  := magic:u32 count:u32 entry{count}
//   entry  := seq:u64 size:u32 zero:u32 value[size] zero-padding to 8 bytes
// Sequence numbers strictly increase within a chunk; the last one is the key's.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tidelog::storage {

// Builds one chunk without copying record bytes: values are referenced, and
// the encoding is handed out as pieces (headers, values, padding) for
// rocksdb::WriteBatch's SliceParts Put, which makes the only copy. Not
// thread-safe; reusable after Finish() via Reset().
class ChunkBuilder {
 public:
  static constexpr size_t kHeaderBytes = 8;  // size_bytes() of an empty chunk

  ChunkBuilder() { Reset(); }

  // `seq` must be greater than every seq added since Reset(). `value` is not
  // copied: it must stay valid until the pieces of Finish() are consumed.
  void Add(uint64_t seq, std::string_view value);
  // The encoded chunk as consecutive pieces, valid until the next Add() or
  // Reset().
  const std::vector<std::string_view>& Finish();
  void Reset();

  bool empty() const { return values_.empty(); }
  uint64_t last_seq() const { return last_seq_; }
  // Bytes of the encoded chunk.
  size_t size_bytes() const { return size_bytes_; }

 private:
  std::string headers_;  // chunk header, then one entry header per value
  std::vector<std::string_view> values_;
  std::vector<std::string_view> pieces_;
  size_t size_bytes_ = 0;
  uint64_t last_seq_ = 0;
};

enum class ChunkWalk {
  kEnd,      // every entry was visited or skipped
  kStopped,  // the visitor returned false, or an entry's seq exceeded `upto`
  kCorrupt,  // malformed; nothing past the damage was visited
};

// Visits the entries of `chunk`, stored under a key whose seq is `key_seq`,
// with after < seq <= upto, in order, until `visit` returns false. `value`
// views point into `chunk`. A chunk whose last seq is not `key_seq` is
// corrupt (noticed when the walk reaches its end).
ChunkWalk WalkChunk(std::string_view chunk, uint64_t key_seq, uint64_t after, uint64_t upto,
                    const std::function<bool(uint64_t seq, std::string_view value)>& visit);

}  // namespace tidelog::storage
