// LogStore: every shard's records as an append-only segmented log in RocksDB.
//
// Layout: time-segment column families, as Kafka's log segments and Pulsar's
// ledgers (retention drops whole units; one column family per shard would cost
// memtables, OPTIONS rewrites and pinned WALs per shard, see RocksDB's wiki
// "Column Families" and facebook/rocksdb#5117):
// - "meta" column family: opaque key/value metadata owned by the layer above,
//   written in the same WriteBatch as the records it describes. Keys starting
//   with '~' are the store's own.
// - "seg-<start>-<end>" column families, one per time window [start, end) ms:
//   a record with sequence s lives in the segment covering SeqMillis(s),
//   inside a chunk (record_chunk.h) of that shard's consecutive records of
//   one group commit, under key shard ‖ seq of the chunk's last record. A
//   shard's records therefore appear in sequence order when segments are
//   visited in time order, and retention drops whole segments. The number of
//   segments is bounded by retention / window, never by the shard count.
// - The default column family holds the storage format version; a directory
//   of another format is refused, never misread.
// - The file TIDELOG-STORE marks a completely created store: a directory that
//   has it but lost RocksDB's CURRENT file is refused as damaged, never opened
//   as a new, empty store.
//
// Thread-safety: reads and metadata lookups from any thread. SegmentFor() and
// Write() are called by one writer thread (the GroupCommitter); retention calls
// may run on another thread.
//
// Recovery: after a write error RocksDB stops writes. The store resumes it
// (DB::Resume()) where RocksDB can; where it cannot (RocksDB 7.8 treats EIO on
// its WAL or MANIFEST as fatal, and cannot resume a failed WAL while no
// memtable holds data), it closes and reopens the database in place, on its
// resumer thread. Every call and every non-empty LogBatch holds the store; a
// reopen waits until no thread does and keeps new holders waiting, so no
// RocksDB object is used across one. What was acknowledged is in the WAL or the SST files, so a
// reopen loses nothing acknowledged; the writer's unwritten group is written
// again after it (GroupCommitter).
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "storage/record_chunk.h"
#include "storage/rocksdb_logger.h"

namespace tidelog::storage {

struct LogStoreOptions {
  std::string dir;
  // Shared LRU block cache for all column families. Default: 64 MiB.
  size_t block_cache_bytes = 64 << 20;
  // One WriteBufferManager caps the memtables of every column family.
  // Default: 64 MiB.
  size_t write_buffer_bytes = 64 << 20;
  // Free-space reserve of the data filesystem. While fewer bytes than this
  // are free, writes of kind WriteKind::kAppend are refused (NoSpace) before
  // they reach RocksDB, so that the space left lets RocksDB flush, compact and
  // apply deletions (WriteKind::kReclaim), which free space. 0 disables the
  // check. Default: 64 MiB: two full memtables' worth (flushes, write_buffer
  // size 32 MiB) plus the MANIFEST/OPTIONS rewrites of a column-family change.
  uint64_t min_free_bytes = 64ULL << 20;
  // RocksDB's info log (warnings and errors; RocksDB writes no LOG file).
  // Default (empty): StderrLogSink(). The store's own disk-full transitions
  // are logged here too.
  LogSink log_sink;
  // The Env RocksDB does its file I/O through. Not owned; must outlive the
  // store. Default (nullptr): rocksdb::Env::Default().
  rocksdb::Env* env = nullptr;
};

// What a write does to disk usage, for admission under a full disk.
enum class WriteKind {
  kAppend,   // adds data (records, new streams or shards): refused below the reserve
  kReclaim,  // deletes or only rewrites metadata: accepted while RocksDB can write
};

// The RocksDB settings of a LogStore, in one place (the raw-RocksDB baseline
// benchmark uses them too): the DB-wide options with the default and meta
// column families' options, and the options of a segment column family.
rocksdb::Options LogStoreDbOptions(const LogStoreOptions& options);
rocksdb::ColumnFamilyOptions SegmentColumnFamilyOptions(const rocksdb::Options& db);

class LogStore;

// A time-window column family. Shared ownership keeps the object alive while
// a reader or a batch uses it even if retention drops the segment meanwhile.
// Its handle belongs to the store's current RocksDB instance: read it only
// while holding the store (LogStore::Hold; every LogStore call and every
// non-empty LogBatch does). When the store reopens RocksDB it swaps in the new
// handle, or nullptr for a column family that no longer exists.
class Segment {
 public:
  Segment(LogStore* store, rocksdb::ColumnFamilyHandle* cf, int64_t start_ms, int64_t end_ms);
  ~Segment();  // hands the handle back to the store, which destroys it
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  int64_t start_ms() const { return start_ms_; }
  int64_t end_ms() const { return end_ms_; }
  rocksdb::ColumnFamilyHandle* handle() const { return cf_; }

  static std::string Name(int64_t start_ms, int64_t end_ms);
  static bool ParseName(const std::string& name, int64_t* start_ms, int64_t* end_ms);

 private:
  friend class LogStore;
  LogStore* const store_;
  rocksdb::ColumnFamilyHandle* cf_;  // swapped by LogStore::Reopen() only
  const int64_t start_ms_;
  const int64_t end_ms_;
};

// Records and metadata that commit atomically in one RocksDB WriteBatch.
// A shard's records are packed into chunks as they come; a chunk enters the
// WriteBatch when it reaches kChunkTargetBytes, when the shard's next record
// belongs to another segment, and at Seal() (LogStore::Write calls it).
// A batch holds its store (LogStore::Hold) from its first Put until Write()
// or Clear(), so the column family handles it uses stay valid: the store
// cannot reopen RocksDB under a batch being built.
class LogBatch {
 public:
  // A chunk is sealed once it holds at least this many bytes: large enough
  // that the memtable sees one entry per few hundred small records, small
  // enough that a read of a few records loads little else.
  static constexpr size_t kChunkTargetBytes = 32 << 10;

  explicit LogBatch(LogStore* store) : store_(store) {}
  ~LogBatch();
  LogBatch(const LogBatch&) = delete;
  LogBatch& operator=(const LogBatch&) = delete;

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
  // Holds the store now, before the first put (a batch holds it from its
  // first put otherwise); Write() and Clear() let go, as ReleaseStore() does.
  void HoldStore();
  void ReleaseStore();
  // True if a put found its column family gone (the store is closed after a
  // failed reopen, or retention dropped the segment): Write() refuses the batch.
  bool lost_column_family() const { return lost_cf_; }
  rocksdb::WriteBatch* raw() { return &batch_; }

 private:
  friend class LogStore;
  struct OpenChunk {
    std::shared_ptr<Segment> segment;
    ChunkBuilder chunk;
  };
  void SealChunk(uint64_t shard, OpenChunk* open);

  LogStore* const store_;
  bool held_ = false;  // this batch holds store_ (see the class comment)
  bool lost_cf_ = false;
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
  LogBatch NewBatch() { return LogBatch(this); }
  // The segment covering `ms`, created if missing with a window of
  // `window_ms` aligned to multiples of it and clipped to its neighbours.
  rocksdb::Status SegmentFor(int64_t ms, int64_t window_ms, std::shared_ptr<Segment>* segment);
  rocksdb::Status Write(LogBatch* batch, bool sync);
  // Writes a sealed WriteBatch (a group that failed before and is retried).
  rocksdb::Status WriteRaw(rocksdb::WriteBatch* batch, bool sync);
  // Writes metadata alone, synced.
  rocksdb::Status WriteMetaSync(LogBatch* batch) { return Write(batch, true); }

  // ---- Disk-full handling (any thread) ----
  // OK when a write of `kind` may go ahead now; otherwise NoSpace, whose
  // message names the condition (never a path). kAppend is refused while
  // free space is below min_free_bytes. If RocksDB is in a background-error
  // state (a flush, compaction or WAL write failed), tries TryResume() first.
  rocksdb::Status Admit(WriteKind kind);
  // If RocksDB stopped on a background error, calls DB::Resume() (at most
  // once per kResumeInterval; only when free space is at least the reserve,
  // or for `force`). OK when the store can write.
  rocksdb::Status TryResume(bool force = false);
  // Free bytes of the data filesystem for unprivileged users (statvfs
  // f_bavail), re-read at most once per kFreeSpaceInterval; in between, the
  // bytes written since the last read are subtracted.
  uint64_t FreeBytes();
  uint64_t min_free_bytes() const { return min_free_bytes_; }
  // True while RocksDB holds a background error (writes fail until resumed).
  bool degraded() const { return degraded_.load(std::memory_order_acquire); }
  // Successful DB::Resume() calls so far (for tests and stats).
  uint64_t resumes() const { return resumes_.load(std::memory_order_relaxed); }
  // Successful reopens of RocksDB so far (for tests and stats).
  uint64_t reopens() const { return reopens_.load(std::memory_order_relaxed); }
  static constexpr std::chrono::milliseconds kFreeSpaceInterval{100};
  static constexpr std::chrono::milliseconds kResumeInterval{100};
  // After this many failed resumes in a row (and at once for a fatal error),
  // the resumer reopens RocksDB instead; failed reopens back off from
  // kReopenInterval to kReopenMaxInterval.
  static constexpr int kResumeFailuresBeforeReopen = 10;
  static constexpr std::chrono::milliseconds kReopenInterval{200};
  static constexpr std::chrono::milliseconds kReopenMaxInterval{3200};
  // How long a reopen waits for the calls in flight to finish before it
  // gives up this attempt (a call can block inside RocksDB on a write stall).
  static constexpr std::chrono::milliseconds kReopenDrainWait{2000};

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
  // (whole SST files at once, point deletes for the rest: never a RocksDB
  // range tombstone, see DeleteKeysInRange), and queues those ranges for
  // CompactPending(). A chunk straddling `to`
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

  // ---- Stats for metrics (log_store_stats.cc; any thread) ----
  struct Stats {
    uint64_t pending_compaction_bytes = 0;  // RocksDB's estimate, all column families
    uint64_t running_compactions = 0;
    uint64_t running_flushes = 0;
    uint64_t memtable_bytes = 0;      // active and immutable memtables
    uint64_t block_cache_bytes = 0;   // the shared block cache's usage
    uint64_t sst_bytes = 0;           // live SST files
    uint64_t write_stalls = 0;        // times writes entered a delay or stop
    uint64_t write_stall_micros = 0;  // time spent delayed or stopped
    bool write_stopped = false;
    uint64_t free_bytes = 0;
    uint64_t min_free_bytes = 0;
    bool degraded = false;
    bool closed = false;  // a reopen failed; every call is refused
    uint64_t resumes = 0;
    uint64_t reopens = 0;
    uint64_t segments = 0;
  };
  Stats ReadStats();
  // Approximate stored bytes of each shard's records (SST files and
  // memtables, every segment): (*bytes)[i] for shards[i].
  void ApproximateShardBytes(std::span<const uint64_t> shards, std::vector<uint64_t>* bytes);

 private:
  friend class LogBatch;
  friend class Segment;
  LogStore() = default;
  // Opens RocksDB on dir_ with fresh options_ and fills db_, default_cf_,
  // meta_ and segments_ (reusing the Segment objects already there).
  rocksdb::Status OpenDb();
  // Destroys every column family handle and closes db_ (db_ null after).
  void CloseDb();
  // Refuses a directory of another storage format; marks a new one.
  rocksdb::Status CheckFormat();
  // Point-deletes every key of `cf` in [begin, end), in bounded batches.
  rocksdb::Status DeleteKeysInRange(rocksdb::ColumnFamilyHandle* cf, const rocksdb::Slice& begin,
                                    const rocksdb::Slice& end);
  // Creates kStoreMarker (synced) once the store is complete.
  rocksdb::Status WriteMarker();
  // A file in the data directory, written once a store is completely created:
  // with it and no CURRENT file, the directory is damaged, not new.
  static constexpr char kStoreMarker[] = "TIDELOG-STORE";

  // ---- The hold (log_store_reopen.cc) ----
  // Enter() holds the store (re-entrant per thread), waiting while a reopen
  // is pending, so that the reopen is not starved; Exit() destroys the
  // handles retired meanwhile and lets go. Callers check db_ for nullptr
  // (closed after a failed reopen) and answer Closed().
  class Hold {
   public:
    explicit Hold(LogStore* store) : store_(store) { store_->Enter(); }
    ~Hold() { store_->Exit(); }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

   private:
    LogStore* const store_;
  };
  void Enter();
  void Exit();
  static rocksdb::Status Closed();
  // Called by ~Segment: the handle is destroyed at the next Exit() (or by a
  // reopen or ~LogStore), under the hold.
  void RetireHandle(Segment* segment);
  void DestroyRetiredHandles();
  // Closes and reopens RocksDB (resumer thread only). OK once open again.
  rocksdb::Status Reopen();
  void WantReopen(const char* why);
  rocksdb::ColumnFamilyOptions SegmentOptions() const;
  std::vector<std::shared_ptr<Segment>> SegmentsOverlapping(int64_t from_ms, int64_t to_ms);

  class ErrorListener;
  class StallListener;
  // Called by StallListener when a column family's write condition changes;
  // `stalled`: delayed or stopped now, `was`: before.
  void NoteStallChange(bool was, bool stalled);
  // Ends the stall accounting of the column families of a closed instance.
  void ResetStalls();
  std::shared_ptr<rocksdb::EventListener> NewStallListener();
  // Records a failed write or background error: the store is degraded until
  // TryResume() succeeds. Logs the first error of each episode.
  void NoteError(const rocksdb::Status& s, const char* what);
  // A memtable-only (no WAL) write to the meta column family, before every
  // WAL write while the active meta memtable has none (meta_anchored_): if
  // that WAL write fails, a memtable holds data, so Resume()'s flush switches
  // to a fresh WAL.
  void AnchorMemtable();
  bool AnyMemtableHoldsData();
  void Log(LogLevel level, const std::string& line) const;

  LogStoreOptions store_options_;  // as given to Open (options_ is rebuilt from it)
  std::string dir_;
  LogSink log_sink_;
  uint64_t min_free_bytes_ = 0;
  rocksdb::Options options_;
  // db_ and the handles below are swapped only by a reopen, while no thread
  // holds the store.
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* default_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;

  // The hold: active_ counts the threads holding the store; a reopen sets
  // reopening_, then waits for active_ to drain to 0 (both seq_cst: a thread
  // entering either sees reopening_ or is counted by the reopen).
  std::atomic<int> active_{0};
  std::atomic<bool> reopening_{false};
  std::mutex gate_mu_;
  std::condition_variable gate_cv_;   // reopening_ cleared (Enter waits on it)
  std::condition_variable drain_cv_;  // active_ reached 0 while reopening_
  // Every live Segment (mapped or not) and the handles of destroyed ones not
  // yet given back to RocksDB; guarded by retire_mu_.
  std::mutex retire_mu_;
  std::vector<Segment*> live_segments_;
  std::vector<rocksdb::ColumnFamilyHandle*> retired_;
  std::atomic<bool> has_retired_{false};

  std::shared_mutex segments_mu_;
  std::map<int64_t, std::shared_ptr<Segment>> segments_;  // by start_ms; guarded

  std::mutex pending_mu_;
  struct PendingRange {
    std::shared_ptr<Segment> segment;
    std::string begin, end;
  };
  std::vector<PendingRange> pending_;  // guarded by pending_mu_

  // Disk-full state. free_bytes_/free_checked_ns_ are a cache (races only
  // cost an extra statvfs). degraded_ is set on any failed write or RocksDB
  // background error and cleared by a successful Resume().
  std::atomic<uint64_t> free_bytes_{0};
  std::atomic<int64_t> free_checked_ns_{INT64_MIN};
  std::atomic<uint64_t> written_since_check_{0};  // WAL bytes since the statvfs
  std::atomic<bool> degraded_{false};
  std::atomic<bool> refusing_{false};       // appends refused (for transition logs)
  std::atomic<bool> wal_failed_{false};     // a WAL write failed since the last resume
  std::atomic<bool> meta_anchored_{false};  // the active meta memtable holds the anchor
  std::atomic<uint64_t> resumes_{0};
  std::atomic<uint64_t> reopens_{0};
  int resume_failures_ = 0;  // in a row; guarded by resume_mu_
  std::atomic<bool> reopen_wanted_{false};
  int reopen_attempts_ = 0;             // failed in a row; resumer thread only
  int64_t next_reopen_ns_ = INT64_MIN;  // resumer thread only
  // The resumer thread: while the store is degraded it calls TryResume()
  // every kResumeInterval, so recovery never waits for a writer to arrive (a
  // writer may itself be blocked inside RocksDB on a write stall that only a
  // successful flush, i.e. a resume, ends).
  void RunResumer();
  std::thread resumer_;
  std::mutex resumer_mu_;
  std::condition_variable resumer_cv_;
  bool resumer_stop_ = false;           // guarded by resumer_mu_
  std::mutex resume_mu_;                // one Resume() at a time
  int64_t last_resume_ns_ = INT64_MIN;  // guarded by resume_mu_
  // Not resume_mu_: a Resume() that fails calls the listener on its thread.
  std::mutex error_mu_;
  int64_t degraded_since_ns_ = 0;  // guarded by error_mu_

  // Write stalls, from StallListener (RocksDB's background threads).
  std::mutex stall_mu_;
  int stalled_cfs_ = 0;         // guarded by stall_mu_
  int64_t stall_start_ns_ = 0;  // guarded by stall_mu_; valid while stalled_cfs_ > 0
  std::atomic<uint64_t> write_stalls_{0};
  std::atomic<uint64_t> write_stall_micros_{0};
};

}  // namespace tidelog::storage
