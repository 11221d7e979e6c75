// Shared plumbing of the micro-benchmarks: temp dirs, random record pools, and
// opening the engine and the raw RocksDB baseline with comparable settings.
#pragma once

#include <rocksdb/db.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tidelog/engine.h"

namespace tidelog::bench {

// Shards of the append stream; the raw baseline spreads keys over as many.
inline constexpr uint32_t kAppendShards = 4;
inline constexpr std::string_view kStreamName = "bench";
inline constexpr size_t kPartitionKeyBytes = 16;

// Bytes storage/record.fbs's FlatBuffers Record adds around a 16-byte
// partition key and the data (root offset, vtable, arrival time, string and
// vector headers, alignment): measured 52 at 100 B, 56 at 1 KiB. The raw
// baseline writes values this much larger than pk + data.
inline constexpr size_t kRecordFramingBytes = 56;

// A fresh directory under $TMPDIR (default /tmp), removed with its contents by
// the destructor.
class TempDir {
 public:
  explicit TempDir(std::string_view tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Hands out pre-generated random records (partition key, data window, and the
// shard the raw baseline files the record under) so generation stays out of
// the timed loops. Each thread owns its cursor; the pools are shared read-only.
class RecordCursor {
 public:
  RecordCursor(size_t data_bytes, uint64_t seed);
  void Next(std::string_view* partition_key, std::string_view* data, uint32_t* raw_shard);

 private:
  size_t data_bytes_;
  size_t key_index_;
  size_t data_offset_;
};

// Opens an engine in `dir` (quotas off, no background retention) and creates
// kStreamName with `shards` shards, waiting until it is ACTIVE. Returns an
// empty string on success, else what failed.
std::string OpenBenchEngine(const std::string& dir, Durability durability, int32_t shards,
                            std::unique_ptr<Engine>* engine);

// The options storage/log_store.cc opens its DB and segment column families
// with (WAL, memtable budget, block cache, table and compression settings),
// applied to the raw baseline's default column family.
rocksdb::Options RawOptions();
std::string OpenRawDb(const std::string& dir, std::unique_ptr<rocksdb::DB>* db);

// Storage key layout: shard id u64 big-endian ‖ sequence u64 big-endian.
void EncodeRawKey(uint64_t shard, uint64_t sequence, char out[16]);
// A value of the same size as the storage's record: arrival time, partition
// key and data plus framing, laid out with memcpy (no FlatBuffers builder).
void EncodeRawValue(int64_t arrival_millis, std::string_view partition_key, std::string_view data,
                    std::string* out);

int64_t NowMillis();

}  // namespace tidelog::bench
