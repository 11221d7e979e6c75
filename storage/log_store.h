// LogStore: every shard's records as an append-only segmented log in RocksDB.
//
// Layout (see ../shared/reference/storage-and-network.md section 1, layout C):
// - "meta" column family: opaque key/value metadata owned by the layer above,
//   written in the same WriteBatch as the records it describes.
// - "seg-<start>-<end>" column families, one per time window [start, end) ms:
//   a record with sequence s lives in the segment covering SeqMillis(s),
//   inside a chunk (record_chunk.h) of that shard's consecutive records of
//   one group commit, under key shard ‖ seq of the chunk's last record. A
//   shard's records therefore appear in sequence order when segments are
//   visited in time order, and retention drops whole segments. The number of
//   segments is bounded by retention / window, never by the shard count.
// - The default column family holds the storage format version; a directory
//   of another format is refused, never misread.
//
// Thread-safety: reads and metadata lookups from any thread. SegmentFor() and
// Write() are called by one writer thread (the GroupCommitter); retention calls
// may run on another thread.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/record_chunk.h"

namespace tidelog::storage {

struct LogStoreOptions {
  std::string dir;
  // Shared LRU block cache for all column families. Default: 64 MiB.
  size_t block_cache_bytes = 64 << 20;
  // One WriteBufferManager caps the memtables of every column family.
  // Default: 64 MiB.
  size_t write_buffer_bytes = 64 << 20;
};

// The RocksDB settings of a LogStore, in one place (the raw-RocksDB baseline
// benchmark uses them too): the DB-wide options with the default and meta
// column families' options, and the options of a segment column family.
rocksdb::Options LogStoreDbOptions(const LogStoreOptions& options);
rocksdb::ColumnFamilyOptions SegmentColumnFamilyOptions(const rocksdb::Options& db);

// A time-window column family. Shared ownership keeps the handle alive while a
// reader iterates even if retention drops the segment meanwhile.
class Segment {
 public:
  Segment(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, int64_t start_ms, int64_t end_ms);
  ~Segment();
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  int64_t start_ms() const { return start_ms_; }
  int64_t end_ms() const { return end_ms_; }
  rocksdb::ColumnFamilyHandle* handle() const { return cf_; }

  static std::string Name(int64_t start_ms, int64_t end_ms);
  static bool ParseName(const std::string& name, int64_t* start_ms, int64_t* end_ms);

 private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
  const int64_t start_ms_;
  const int64_t end_ms_;
};

// Records and metadata that commit atomically in one RocksDB WriteBatch.
// A shard's records are packed into chunks as they come; a chunk enters the
// WriteBatch when it reaches kChunkTargetBytes, when the shard's next record
// belongs to another segment, and at Seal() (LogStore::Write calls it).
class LogBatch {
 public:
  // A chunk is sealed once it holds at least this many bytes: large enough
  // that the memtable sees one entry per few hundred small records, small
  // enough that a read of a few records loads little else.
  static constexpr size_t kChunkTargetBytes = 32 << 10;

  explicit LogBatch(rocksdb::ColumnFamilyHandle* meta) : meta_(meta) {}
  // `seq` must exceed every seq put for `shard` before, in any batch.
  // `value` is not copied until the chunk is sealed: it must stay valid until
  // the batch is written or cleared.
  void PutRecord(const std::shared_ptr<Segment>& segment, uint64_t shard, uint64_t seq,
                 std::string_view value);
  void PutMeta(std::string_view key, std::string_view value);
  void DeleteMeta(std::string_view key);
  size_t ByteSize() const { return batch_.GetDataSize() + open_bytes_; }
  bool empty() const { return batch_.Count() == 0 && open_.empty(); }
  void Clear();
  // Moves every open chunk into the WriteBatch.
  void Seal();
  rocksdb::WriteBatch* raw() { return &batch_; }

 private:
  struct OpenChunk {
    std::shared_ptr<Segment> segment;
    ChunkBuilder chunk;
  };
  void SealChunk(uint64_t shard, OpenChunk* open);

  rocksdb::ColumnFamilyHandle* meta_;
  rocksdb::WriteBatch batch_;
  std::unordered_map<uint64_t, OpenChunk> open_;  // by shard
  size_t open_bytes_ = 0;                         // entries in open chunks
  std::vector<rocksdb::Slice> pieces_;            // SealChunk's scratch
};

// Called for each record in sequence order; return false to stop.
using RecordVisitor = std::function<bool(uint64_t seq, std::string_view value)>;

class LogStore {
 public:
  static rocksdb::Status Open(const LogStoreOptions& options, std::unique_ptr<LogStore>* store);
  ~LogStore();

  // ---- Metadata ----
  rocksdb::Status GetMeta(std::string_view key, std::string* value);
  // Visits every metadata entry whose key starts with `prefix`, in key order.
  rocksdb::Status ScanMeta(std::string_view prefix,
                           const std::function<void(std::string_view, std::string_view)>& fn);

  // ---- Writes (one writer thread) ----
  LogBatch NewBatch() { return LogBatch(meta_); }
  // The segment covering `ms`, created if missing with a window of
  // `window_ms` aligned to multiples of it and clipped to its neighbours.
  rocksdb::Status SegmentFor(int64_t ms, int64_t window_ms, std::shared_ptr<Segment>* segment);
  rocksdb::Status Write(LogBatch* batch, bool sync);
  // Writes metadata alone, synced.
  rocksdb::Status WriteMetaSync(LogBatch* batch) { return Write(batch, true); }

  // ---- Reads ----
  // Visits the records of `shard` with after < seq <= upto, in order.
  // Corruption if a stored chunk is malformed.
  rocksdb::Status ReadShard(uint64_t shard, uint64_t after, uint64_t upto,
                            const RecordVisitor& visit);
  // The largest seq stored for `shard` (0 if none).
  rocksdb::Status LastSeq(uint64_t shard, uint64_t* seq);

  // ---- Retention and reclaim ----
  // Drops every segment whose window ends at or before cutoff_ms.
  rocksdb::Status DropSegmentsEndingBy(int64_t cutoff_ms, int* dropped);
  // Deletes the chunks of `shard` whose last seq is in [from, to) (to ==
  // UINT64_MAX: to the end of the shard) in every segment that may hold them,
  // and queues those ranges for CompactPending(). A chunk straddling `to`
  // stays whole: callers keep reading from `to` on (ReadShard's `after`), and
  // a later call with from = this `to` deletes it.
  rocksdb::Status DeleteShardRange(uint64_t shard, uint64_t from, uint64_t to);
  // Frees the disk of the ranges deleted since the last call: removes SST files
  // entirely inside them and compacts the partly covered ones.
  rocksdb::Status CompactPending();

  struct SegmentStats {
    int64_t start_ms;
    int64_t end_ms;
  };
  std::vector<SegmentStats> Segments();
  size_t SegmentCount();
  rocksdb::Status Flush();
  // Bytes of every file under the data directory.
  uint64_t DiskUsageBytes();

 private:
  LogStore() = default;
  // Refuses a directory of another storage format; marks a new one.
  rocksdb::Status CheckFormat();
  rocksdb::ColumnFamilyOptions SegmentOptions() const;
  std::vector<std::shared_ptr<Segment>> SegmentsOverlapping(int64_t from_ms, int64_t to_ms);

  std::string dir_;
  rocksdb::Options options_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* default_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;

  std::shared_mutex segments_mu_;
  std::map<int64_t, std::shared_ptr<Segment>> segments_;  // by start_ms; guarded

  std::mutex pending_mu_;
  struct PendingRange {
    std::shared_ptr<Segment> segment;
    std::string begin, end;
  };
  std::vector<PendingRange> pending_;  // guarded by pending_mu_
};

}  // namespace tidelog::storage
