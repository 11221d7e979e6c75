// Retention: what expired is hidden at once (readers clamp to TrimSeq, so
// correctness never waits for this code); this code frees the disk.
//
// - Segments whose window ended before the longest retention of any stream
//   are dropped whole (DropColumnFamily: O(1), no tombstones).
// - Shards of streams with a shorter retention than that get their expired
//   prefix range-deleted and compacted, at most once per segment window.
// - Closed shards past retention expire: unlisted, and their records purged.
// - Deleted streams leave purge markers ("x/<shard uid>") that are worked off
//   here, so a crash in between only delays the purge.
#include <algorithm>
#include <limits>

#include "engine/src/engine_impl.h"
#include "storage/keys.h"
#include "storage/sequence.h"

namespace tidelog {

Status EngineImpl::RunRetention() {
  std::lock_guard<std::mutex> guard(retention_mu_);
  // Reclaim writes go straight to RocksDB: bring it out of a background-error
  // state first if it can be (forced: deletions are what frees space).
  store_->TryResume(/*force=*/true).PermitUncheckedError();
  const int64_t now = NowMs();
  const int64_t window = segment_window_ms_;

  struct Trim {
    std::shared_ptr<ShardState> shard;
    uint64_t trim;
  };
  std::vector<Trim> trims;
  std::vector<std::pair<uint64_t, uint32_t>> expired;  // (stream uid, shard index)
  int32_t max_hours = 0;
  {
    std::shared_lock<std::shared_mutex> lock(catalog_.mu);
    for (const auto& [uid, s] : catalog_.streams_by_uid) {
      max_hours = std::max(max_hours, s->retention_hours);
    }
    for (const auto& [uid, s] : catalog_.streams_by_uid) {
      for (const auto& [index, sh] : s->shards) {
        if (ShardExpired(s->retention_hours, *sh, now)) {
          expired.emplace_back(uid, index);
        } else if (s->retention_hours < max_hours) {
          trims.push_back({sh, TrimSeq(s->retention_hours, now)});
        }
      }
    }
  }

  if (!expired.empty()) {
    Status st = Mutate(
        [&](storage::LogBatch* batch) -> Status {
          std::unique_lock<std::shared_mutex> lock(catalog_.mu);
          for (const auto& [stream_uid, index] : expired) {
            auto s = catalog_.streams_by_uid.find(stream_uid);
            if (s == catalog_.streams_by_uid.end()) continue;
            auto sh = s->second->shards.find(index);
            if (sh == s->second->shards.end()) continue;
            const uint64_t uid = sh->second->uid;
            batch->DeleteMeta(ShardMetaKey(uid));
            batch->DeleteMeta(ShardSeqKey(uid));
            batch->PutMeta(std::string(kPurgePrefix) + storage::BigEndian64(uid), "");
            catalog_.shards_by_uid.erase(uid);
            s->second->shards.erase(sh);
          }
          return Status::OK();
        },
        storage::WriteKind::kReclaim);
    if (!st.ok()) return st;
  }

  const int64_t cutoff =
      max_hours == 0 ? now : now - RetentionMs(max_hours);  // no streams: nothing is kept
  int dropped = 0;
  rocksdb::Status rs = store_->DropSegmentsEndingBy(cutoff, &dropped);
  if (!rs.ok()) return Status::IoError(rs.ToString());

  for (auto& t : trims) {
    ShardState& sh = *t.shard;
    const bool first = sh.reclaimed_below == 0;
    if (!first && storage::SeqMillis(t.trim) - storage::SeqMillis(sh.reclaimed_below) < window) {
      continue;
    }
    rs = store_->DeleteShardRange(sh.uid, sh.reclaimed_below, t.trim);
    if (!rs.ok()) return Status::IoError(rs.ToString());
    sh.reclaimed_below = t.trim;
  }

  Status st = PurgeDeletedShards();
  if (!st.ok()) return st;
  rs = store_->CompactPending();
  if (!rs.ok()) return Status::IoError(rs.ToString());
  return Status::OK();
}

Status EngineImpl::PurgeDeletedShards() {
  std::vector<std::string> markers;
  rocksdb::Status rs = store_->ScanMeta(kPurgePrefix, [&](std::string_view k, std::string_view) {
    if (k.size() == 10) markers.emplace_back(k);
  });
  if (!rs.ok()) return Status::IoError(rs.ToString());
  if (markers.empty()) return Status::OK();
  for (const auto& k : markers) {
    rs = store_->DeleteShardRange(storage::GetBigEndian64(k.data() + 2), 0,
                                  std::numeric_limits<uint64_t>::max());
    if (!rs.ok()) return Status::IoError(rs.ToString());
  }
  return Mutate(
      [&](storage::LogBatch* batch) -> Status {
        for (const auto& k : markers) batch->DeleteMeta(k);
        return Status::OK();
      },
      storage::WriteKind::kReclaim);
}

void EngineImpl::RetentionLoop() {
  // A round that failed, or a store stopped on a background error (a flush
  // or compaction that met a full disk), is retried within a second: the
  // round's forced resume and its deletions are what free the disk, and no
  // client write may be coming to trigger a resume.
  constexpr int64_t kRetryMs = 1000;
  bool retry_soon = false;
  std::unique_lock<std::mutex> lock(retention_stop_mu_);
  while (!retention_stop_) {
    const int64_t wait_ms = retry_soon ? std::min(kRetryMs, options_.retention_interval_ms)
                                       : options_.retention_interval_ms;
    retention_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                           [&] { return retention_stop_ || retention_kick_; });
    if (retention_stop_) break;
    retention_kick_ = false;  // DeleteStream asks for a round at once
    lock.unlock();
    Status s = RunRetention();
    retry_soon = !s.ok() || store_->degraded();
    lock.lock();
  }
}

}  // namespace tidelog
