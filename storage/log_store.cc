// LogStore: RocksDB setup, segment column families, and reads (Segment and
// LogBatch are in log_batch.cc, disk-full handling in log_store_space.cc,
// retention in log_store_reclaim.cc, the hold and reopening in
// log_store_reopen.cc).
#include "storage/log_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/file_system.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/sst_file_manager.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>

#include <cassert>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <mutex>

#include "storage/keys.h"
#include "storage/sequence.h"

namespace tidelog::storage {
namespace {

constexpr char kMetaCf[] = "meta";
// In the default column family. Format 2: chunked records (record_chunk.h).
// Format 1 (one record per key, before chunks) had no marker.
constexpr char kFormatKey[] = "tidelog.storage.format";
constexpr char kFormatVersion[] = "2";
}  // namespace

// ---- LogStore --------------------------------------------------------------

rocksdb::Options LogStoreDbOptions(const LogStoreOptions& options) {
  rocksdb::Options o;
  if (options.env != nullptr) o.env = options.env;
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  o.max_open_files = -1;
  // track_and_verify_wals_in_manifest stays off (its default) on RocksDB 7.8:
  // with it on, a sync=true write that closes a WAL writes the MANIFEST from
  // the write leader (DBImpl::ApplyWALToManifest), and under error recovery
  // that leader can wait on the MANIFEST queue while DB::Resume() waits for
  // the leader: writes hang (seen here under injected ENOSPC). 7.8 also has a
  // false "Missing WAL" open failure after SyncWAL (facebook/rocksdb#10892,
  // fixed in 7.10). What is given up: a closed WAL deleted by hand is not
  // named on open; the power-loss tests show acknowledged data survives.
  o.wal_bytes_per_sync = 1 << 20;
  o.bytes_per_sync = 1 << 20;
  o.max_total_wal_size = 512ULL << 20;
  o.max_background_jobs = 2;
  o.write_buffer_size = 32 << 20;
  o.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(options.write_buffer_bytes);
  // RocksDB's info log goes to the embedder (no LOG file on the data disk:
  // once a LOG file write fails, RocksDB 7.8 with assertions aborts on the
  // next line it logs).
  o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  o.info_log = std::make_shared<SinkLogger>(options.log_sink, o.info_log_level);
  // Our own SstFileManager (RocksDB would make a default one): NoSpace
  // background errors are then recoverable by DB::Resume(). Deletions are
  // never rate-limited (rate 0), so reclaim frees space at once.
  o.sst_file_manager.reset(rocksdb::NewSstFileManager(o.env, o.info_log));
  // RocksDB retries retryable (non-NoSpace) background I/O errors itself,
  // and DB::Resume() is Busy meanwhile: retry every 200 ms, not every 1 s.
  o.bgerror_resume_retry_interval = 200 * 1000;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.block_size = 32 << 10;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.whole_key_filtering = false;  // reads are seeks within a shard prefix
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return o;
}

rocksdb::ColumnFamilyOptions SegmentColumnFamilyOptions(const rocksdb::Options& db) {
  rocksdb::ColumnFamilyOptions cf(db);
  // Keys arrive in (shard, seq) order per shard; reads are prefix seeks.
  cf.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(8));
  // Not memtable_insert_with_hint_prefix_extractor: it took appends ~1.5x
  // faster, but RocksDB 7.8 (Debian, assertions on) aborts in
  // InlineSkipList::Insert ("recompute_height <= max_height") under load.
  cf.level_compaction_dynamic_level_bytes = true;
  cf.compression = rocksdb::kLZ4Compression;
  cf.bottommost_compression = rocksdb::kZSTD;
  cf.target_file_size_base = 64 << 20;
  cf.ttl = 0;
  cf.periodic_compaction_seconds = 0;
  return cf;
}

rocksdb::ColumnFamilyOptions LogStore::SegmentOptions() const {
  return SegmentColumnFamilyOptions(options_);
}

// Turns RocksDB background errors into the store's degraded state, and keeps
// RocksDB from recovering by itself: its SstFileManager polls free space only
// every 5 s and, while it does, DB::Resume() answers Busy. TryResume() is the
// one recovery path. The store outlives the DB, hence the listener.
class LogStore::ErrorListener final : public rocksdb::EventListener {
 public:
  explicit ErrorListener(LogStore* store) : store_(store) {}
  const char* Name() const override { return "TidelogErrorListener"; }
  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override {
    if (error == nullptr || error->ok()) return;
    if (reason == rocksdb::BackgroundErrorReason::kCompaction) {
      // A soft error: writes go on and RocksDB retries compactions itself
      // (deferring them while its SstFileManager sees too little space).
      store_->Log(LogLevel::kWarning, "storage compaction failed: " + error->ToString());
      return;
    }
    if (reason == rocksdb::BackgroundErrorReason::kWriteCallback) {
      store_->wal_failed_.store(true, std::memory_order_release);
    }
    store_->NoteError(*error, "background error");
  }
  // The meta memtable that held the anchor is now immutable: the next write
  // anchors the new one (AnchorMemtable()).
  void OnMemTableSealed(const rocksdb::MemTableInfo& info) override {
    if (info.cf_name == kMetaCf) {
      store_->meta_anchored_.store(false, std::memory_order_release);
    }
  }
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status error,
                            bool* auto_recovery) override {
    error.PermitUncheckedError();
    if (auto_recovery != nullptr) *auto_recovery = false;
  }

 private:
  LogStore* const store_;
};

rocksdb::Status LogStore::Open(const LogStoreOptions& options, std::unique_ptr<LogStore>* out) {
  std::unique_ptr<LogStore> store(new LogStore());
  store->store_options_ = options;
  store->dir_ = options.dir;
  store->log_sink_ = options.log_sink ? options.log_sink : StderrLogSink();
  store->store_options_.log_sink = store->log_sink_;
  store->min_free_bytes_ = options.min_free_bytes;
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return rocksdb::Status::IOError("cannot create " + options.dir + ": " + ec.message());

  // RocksDB's create_if_missing would make a new, empty database in a
  // directory that lost its CURRENT file but still holds the data. The marker
  // file says a store was completely created here: refuse instead of reading
  // a damaged directory as empty. (Without the marker, a creation that was
  // interrupted is simply done again.)
  const std::filesystem::path dir_path(options.dir);
  if (!std::filesystem::exists(dir_path / "CURRENT", ec) &&
      std::filesystem::exists(dir_path / kStoreMarker, ec)) {
    return rocksdb::Status::Corruption(
        "the data directory was created as a Tidelog store but has lost its CURRENT file: it is "
        "damaged; refusing to open it as a new, empty store");
  }

  rocksdb::Status s = store->OpenDb();
  if (!s.ok()) return s;
  s = store->CheckFormat();
  if (!s.ok()) return s;
  s = store->WriteMarker();
  if (!s.ok()) return s;
  store->resumer_ = std::thread([raw_store = store.get()] { raw_store->RunResumer(); });
  *out = std::move(store);
  return rocksdb::Status::OK();
}

rocksdb::Status LogStore::OpenDb() {
  options_ = LogStoreDbOptions(store_options_);
  rocksdb::Options& o = options_;
  o.listeners.push_back(std::make_shared<ErrorListener>(this));
  o.listeners.push_back(NewStallListener());

  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(o, dir_, &names);
  if (!s.ok()) names = {rocksdb::kDefaultColumnFamilyName};  // new database
  bool has_meta = false;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) {
    int64_t start = 0, end = 0;
    if (name == kMetaCf) {
      has_meta = true;
      descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions(o));
    } else if (Segment::ParseName(name, &start, &end)) {
      descriptors.emplace_back(name, SegmentOptions());
    } else {
      descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions(o));
    }
  }
  if (!has_meta) descriptors.emplace_back(kMetaCf, rocksdb::ColumnFamilyOptions(o));

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::Open(o, dir_, descriptors, &handles, &raw);
  if (!s.ok()) return s;
  db_.reset(raw);
  // Segment objects that outlive a reopen get their new handle; a segment
  // whose column family is gone leaves the map (its handle stays nullptr).
  std::map<int64_t, std::shared_ptr<Segment>> segments;
  for (size_t i = 0; i < handles.size(); ++i) {
    const std::string& name = descriptors[i].name;
    int64_t start = 0, end = 0;
    if (name == rocksdb::kDefaultColumnFamilyName) {
      default_cf_ = handles[i];
    } else if (name == kMetaCf) {
      meta_ = handles[i];
    } else if (Segment::ParseName(name, &start, &end)) {
      auto old = segments_.find(start);
      if (old != segments_.end() && old->second->end_ms() == end) {
        std::lock_guard<std::mutex> retire_lock(retire_mu_);
        old->second->cf_ = handles[i];
        segments[start] = old->second;
      } else {
        segments[start] = std::make_shared<Segment>(this, handles[i], start, end);
      }
    } else {
      raw->DestroyColumnFamilyHandle(handles[i]).PermitUncheckedError();
    }
  }
  std::unique_lock<std::shared_mutex> lock(segments_mu_);
  segments_.swap(segments);
  return rocksdb::Status::OK();
}

rocksdb::Status LogStore::WriteMarker() {
  const std::string path = dir_ + "/" + kStoreMarker;
  rocksdb::FileSystem* fs = options_.env->GetFileSystem().get();
  if (fs->FileExists(path, rocksdb::IOOptions(), nullptr).ok()) return rocksdb::Status::OK();
  rocksdb::IOStatus s =
      rocksdb::WriteStringToFile(fs, "Tidelog store\n", path, /*should_sync=*/true);
  std::unique_ptr<rocksdb::FSDirectory> dir;
  if (s.ok()) s = fs->NewDirectory(dir_, rocksdb::IOOptions(), &dir, nullptr);
  if (s.ok())
    s = dir->FsyncWithDirOptions(rocksdb::IOOptions(), nullptr, rocksdb::DirFsyncOptions());
  return s;
}

rocksdb::Status LogStore::CheckFormat() {
  std::string version;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), default_cf_, kFormatKey, &version);
  if (s.ok()) {
    if (version == kFormatVersion) return s;
    return rocksdb::Status::InvalidArgument(dir_ + " holds Tidelog storage format " + version +
                                            "; this build reads format " + kFormatVersion +
                                            " only");
  }
  if (!s.IsNotFound()) return s;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  it->SeekToFirst();
  if (!it->status().ok()) return it->status();
  if (it->Valid() || !segments_.empty()) {
    return rocksdb::Status::InvalidArgument(
        dir_ +
        " holds Tidelog storage format 1 (one record per key, from before record "
        "chunks); this build reads format " +
        std::string(kFormatVersion) + " only");
  }
  s = db_->Put(rocksdb::WriteOptions(), default_cf_, kFormatKey, kFormatVersion);
  // Flushed at once: nothing else is written to this column family, and an
  // unflushed memtable here would keep every later WAL file on disk.
  if (s.ok()) s = db_->Flush(rocksdb::FlushOptions(), default_cf_);
  return s;
}

LogStore::~LogStore() {
  if (resumer_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(resumer_mu_);
      resumer_stop_ = true;
    }
    resumer_cv_.notify_all();
    resumer_.join();
  }
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    pending_.clear();
  }
  segments_.clear();  // callers guarantee no reader or batch still holds a segment
  if (db_) CloseDb();
}

rocksdb::Status LogStore::GetMeta(std::string_view key, std::string* value) {
  Hold hold(this);
  if (!db_) return Closed();
  return db_->Get(rocksdb::ReadOptions(), meta_, rocksdb::Slice(key.data(), key.size()), value);
}

rocksdb::Status LogStore::ScanMeta(
    std::string_view prefix, const std::function<void(std::string_view, std::string_view)>& fn) {
  Hold hold(this);
  if (!db_) return Closed();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    if (!k.starts_with(rocksdb::Slice(prefix.data(), prefix.size()))) break;
    rocksdb::Slice v = it->value();
    fn(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()));
  }
  return it->status();
}

rocksdb::Status LogStore::SegmentFor(int64_t ms, int64_t window_ms,
                                     std::shared_ptr<Segment>* segment) {
  Hold hold(this);
  if (!db_) return Closed();
  {
    std::shared_lock<std::shared_mutex> lock(segments_mu_);
    auto it = segments_.upper_bound(ms);
    if (it != segments_.begin()) {
      --it;
      if (ms < it->second->end_ms()) {
        *segment = it->second;
        return rocksdb::Status::OK();
      }
    }
  }
  if (window_ms <= 0) window_ms = 1;
  int64_t start = ms - ms % window_ms;
  int64_t end = start + window_ms;
  {
    std::shared_lock<std::shared_mutex> lock(segments_mu_);
    auto next = segments_.upper_bound(ms);
    if (next != segments_.end()) end = std::min(end, next->first);
    if (next != segments_.begin()) start = std::max(start, std::prev(next)->second->end_ms());
  }
  rocksdb::ColumnFamilyHandle* cf = nullptr;
  rocksdb::Status s = db_->CreateColumnFamily(SegmentOptions(), Segment::Name(start, end), &cf);
  if (!s.ok()) return s;
  auto created = std::make_shared<Segment>(this, cf, start, end);
  std::unique_lock<std::shared_mutex> lock(segments_mu_);
  segments_[start] = created;
  *segment = std::move(created);
  return rocksdb::Status::OK();
}

rocksdb::Status LogStore::Write(LogBatch* batch, bool sync) {
  Hold hold(this);
  batch->Seal();
  rocksdb::Status s;
  if (batch->lost_column_family()) {
    // Not written at all: acknowledging part of the batch would be worse.
    s = db_ ? rocksdb::Status::IOError("a segment of this write no longer exists") : Closed();
  } else {
    s = WriteRaw(batch->raw(), sync);
  }
  batch->ReleaseStore();
  return s;
}

rocksdb::Status LogStore::WriteRaw(rocksdb::WriteBatch* batch, bool sync) {
  Hold hold(this);
  if (!db_) return Closed();
  AnchorMemtable();
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  rocksdb::Status s = db_->Write(wo, batch);
  if (!s.ok()) {
    NoteError(s, "write failed");
  } else {
    written_since_check_.fetch_add(batch->GetDataSize(), std::memory_order_relaxed);
  }
  return s;
}

std::vector<std::shared_ptr<Segment>> LogStore::SegmentsOverlapping(int64_t from_ms,
                                                                    int64_t to_ms) {
  std::vector<std::shared_ptr<Segment>> out;
  std::shared_lock<std::shared_mutex> lock(segments_mu_);
  auto it = segments_.upper_bound(from_ms);
  if (it != segments_.begin()) --it;
  for (; it != segments_.end() && it->first <= to_ms; ++it) {
    if (it->second->end_ms() > from_ms) out.push_back(it->second);
  }
  return out;
}

rocksdb::Status LogStore::ReadShard(uint64_t shard, uint64_t after, uint64_t upto,
                                    const RecordVisitor& visit) {
  if (after >= upto) return rocksdb::Status::OK();
  Hold hold(this);
  if (!db_) return Closed();
  // Chunks are keyed by their last seq: the first one that can hold after + 1
  // is the first key >= (shard, after + 1), and a chunk holding upto may have
  // a larger key, so the scan ends at the shard's end or at a seq > upto.
  RecordKey lower(shard, after + 1), upper(shard + 1, 0);
  rocksdb::Slice lo(lower.bytes, kRecordKeySize), hi(upper.bytes, kRecordKeySize);
  for (const auto& segment : SegmentsOverlapping(SeqMillis(after + 1), SeqMillis(upto))) {
    if (segment->handle() == nullptr) continue;
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lo;
    ro.iterate_upper_bound = &hi;
    ro.prefix_same_as_start = true;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, segment->handle()));
    for (it->Seek(lo); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key(), v = it->value();
      switch (WalkChunk(std::string_view(v.data(), v.size()),
                        RecordKeySeq(std::string_view(k.data(), k.size())), after, upto, visit)) {
        case ChunkWalk::kEnd:
          break;
        case ChunkWalk::kStopped:
          return rocksdb::Status::OK();
        case ChunkWalk::kCorrupt:
          return rocksdb::Status::Corruption("malformed record chunk of shard " +
                                             std::to_string(shard) + " in " +
                                             Segment::Name(segment->start_ms(), segment->end_ms()));
      }
    }
    if (!it->status().ok()) return it->status();
  }
  return rocksdb::Status::OK();
}

rocksdb::Status LogStore::LastSeq(uint64_t shard, uint64_t* seq) {
  *seq = 0;
  Hold hold(this);
  if (!db_) return Closed();
  std::vector<std::shared_ptr<Segment>> segs;
  {
    std::shared_lock<std::shared_mutex> lock(segments_mu_);
    for (auto it = segments_.rbegin(); it != segments_.rend(); ++it) segs.push_back(it->second);
  }
  RecordKey lower(shard, 0), upper(shard + 1, 0);
  rocksdb::Slice lo(lower.bytes, kRecordKeySize), hi(upper.bytes, kRecordKeySize);
  for (const auto& segment : segs) {  // newest first
    if (segment->handle() == nullptr) continue;
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lo;
    ro.iterate_upper_bound = &hi;
    ro.total_order_seek = true;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, segment->handle()));
    it->SeekToLast();
    if (it->Valid()) {
      rocksdb::Slice k = it->key();
      *seq = RecordKeySeq(std::string_view(k.data(), k.size()));
      return rocksdb::Status::OK();
    }
    if (!it->status().ok()) return it->status();
  }
  return rocksdb::Status::OK();
}

std::vector<LogStore::SegmentStats> LogStore::Segments() {
  std::vector<SegmentStats> out;
  std::shared_lock<std::shared_mutex> lock(segments_mu_);
  for (const auto& [start, seg] : segments_) out.push_back({seg->start_ms(), seg->end_ms()});
  return out;
}

size_t LogStore::SegmentCount() {
  std::shared_lock<std::shared_mutex> lock(segments_mu_);
  return segments_.size();
}

rocksdb::Status LogStore::Flush() {
  // A store stopped on a background error flushes nothing until resumed; an
  // explicit flush is worth a resume whatever the free space.
  TryResume(/*force=*/true).PermitUncheckedError();
  Hold hold(this);
  if (!db_) return Closed();
  std::vector<std::shared_ptr<Segment>> keep;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs{meta_};
  {
    std::shared_lock<std::shared_mutex> lock(segments_mu_);
    for (const auto& [start, seg] : segments_) {
      keep.push_back(seg);
      if (seg->handle() != nullptr) cfs.push_back(seg->handle());
    }
  }
  rocksdb::FlushOptions fo;
  fo.wait = true;
  return db_->Flush(fo, cfs);
}

uint64_t LogStore::DiskUsageBytes() {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_, ec)) {
    std::error_code fec;
    if (entry.is_regular_file(fec)) total += entry.file_size(fec);
  }
  return total;
}

}  // namespace tidelog::storage
