// LogStore's retention and reclaim: dropping expired segments, deleting a
// shard's range of chunks (whole files, then point deletes: never a RocksDB
// range tombstone), and compacting deleted ranges away.
#include <rocksdb/convenience.h>

#include <limits>
#include <mutex>

#include "storage/keys.h"
#include "storage/log_store.h"
#include "storage/sequence.h"

namespace tidelog::storage {

rocksdb::Status LogStore::DropSegmentsEndingBy(int64_t cutoff_ms, int* dropped) {
  *dropped = 0;
  Hold hold(this);
  if (!db_) return Closed();
  std::vector<std::shared_ptr<Segment>> victims;
  {
    std::shared_lock<std::shared_mutex> lock(segments_mu_);
    for (const auto& [start, seg] : segments_) {
      if (seg->end_ms() <= cutoff_ms) victims.push_back(seg);
    }
  }
  for (const auto& seg : victims) {
    rocksdb::Status s = db_->DropColumnFamily(seg->handle());
    if (!s.ok()) {
      NoteError(s, "dropping a segment failed");
      return s;
    }
    std::unique_lock<std::shared_mutex> lock(segments_mu_);
    segments_.erase(seg->start_ms());
    ++*dropped;
  }
  if (!victims.empty()) {
    std::lock_guard<std::mutex> lock(pending_mu_);
    std::erase_if(pending_,
                  [&](const PendingRange& p) { return p.segment->end_ms() <= cutoff_ms; });
  }
  return rocksdb::Status::OK();
}

rocksdb::Status LogStore::DeleteShardRange(uint64_t shard, uint64_t from, uint64_t to) {
  if (from >= to) return rocksdb::Status::OK();
  RecordKey begin(shard, from);
  RecordKey end =
      to == std::numeric_limits<uint64_t>::max() ? RecordKey(shard + 1, 0) : RecordKey(shard, to);
  int64_t to_ms = to == std::numeric_limits<uint64_t>::max() ? std::numeric_limits<int64_t>::max()
                                                             : SeqMillis(to - 1);
  rocksdb::Status admit = Admit(WriteKind::kReclaim);
  if (!admit.ok()) return admit;
  Hold hold(this);
  if (!db_) return Closed();
  const rocksdb::Slice b(begin.bytes, kRecordKeySize), e(end.bytes, kRecordKeySize);
  for (const auto& segment : SegmentsOverlapping(SeqMillis(from), to_ms)) {
    if (segment->handle() == nullptr) continue;
    // No DeleteRange: RocksDB 7.8 aborts (assertion in
    // MemTable::ConstructFragmentedRangeTombstones) when a memtable holding a
    // range tombstone is switched again after a failed switch, e.g. when a
    // new WAL cannot be created on a failing disk (facebook/rocksdb#12796,
    // fixed in 9.4). Whole files inside the range go at once; the keys left
    // (the partly covered files' and the memtables') get point deletes.
    rocksdb::Status s = rocksdb::DeleteFilesInRange(db_.get(), segment->handle(), &b, &e, false);
    if (s.ok()) s = DeleteKeysInRange(segment->handle(), b, e);
    if (!s.ok()) {
      NoteError(s, "range delete failed");
      return s;
    }
    std::lock_guard<std::mutex> lock(pending_mu_);
    pending_.push_back({segment, std::string(begin.view()), std::string(end.view())});
  }
  return rocksdb::Status::OK();
}

rocksdb::Status LogStore::DeleteKeysInRange(rocksdb::ColumnFamilyHandle* cf,
                                            const rocksdb::Slice& begin,
                                            const rocksdb::Slice& end) {
  constexpr size_t kKeysPerBatch = 4096;  // bounds the batch, not the range
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  ro.fill_cache = false;
  ro.iterate_upper_bound = &end;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf));
  rocksdb::WriteBatch batch;
  for (it->Seek(begin); it->Valid(); it->Next()) {
    batch.Delete(cf, it->key()).PermitUncheckedError();
    if (batch.Count() >= kKeysPerBatch) {
      AnchorMemtable();
      rocksdb::Status s = db_->Write(rocksdb::WriteOptions(), &batch);
      if (!s.ok()) return s;
      batch.Clear();
    }
  }
  if (!it->status().ok()) return it->status();
  if (batch.Count() == 0) return rocksdb::Status::OK();
  AnchorMemtable();
  return db_->Write(rocksdb::WriteOptions(), &batch);
}

rocksdb::Status LogStore::CompactPending() {
  Hold hold(this);
  if (!db_) return Closed();
  std::vector<PendingRange> work;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    work.swap(pending_);
  }
  for (const auto& p : work) {
    if (p.segment->handle() == nullptr) continue;
    rocksdb::Slice b(p.begin), e(p.end);
    // include_end = false: [begin, end) as DeleteRange, so a file whose last
    // key is `end` (a chunk still holding live records) stays.
    rocksdb::Status s = rocksdb::DeleteFilesInRange(db_.get(), p.segment->handle(), &b, &e, false);
    if (!s.ok()) return s;
    rocksdb::CompactRangeOptions cro;
    cro.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
    s = db_->CompactRange(cro, p.segment->handle(), &b, &e);
    if (!s.ok() && !s.IsColumnFamilyDropped()) return s;
  }
  return rocksdb::Status::OK();
}

}  // namespace tidelog::storage
