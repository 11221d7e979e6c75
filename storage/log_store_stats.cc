// LogStore's figures for metrics: RocksDB properties (compaction backlog,
// memtables, block cache, SST bytes), write stalls counted by an event
// listener, free space and recovery state, and per-shard stored bytes.
#include <rocksdb/listener.h>

#include <chrono>

#include "storage/keys.h"
#include "storage/log_store.h"

namespace tidelog::storage {
namespace {

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool Stalled(rocksdb::WriteStallCondition c) { return c != rocksdb::WriteStallCondition::kNormal; }

}  // namespace

// Counts transitions into and out of a write stall, per column family.
class LogStore::StallListener final : public rocksdb::EventListener {
 public:
  explicit StallListener(LogStore* store) : store_(store) {}
  const char* Name() const override { return "TidelogStallListener"; }
  void OnStallConditionsChanged(const rocksdb::WriteStallInfo& info) override {
    store_->NoteStallChange(Stalled(info.condition.prev), Stalled(info.condition.cur));
  }

 private:
  LogStore* const store_;
};

std::shared_ptr<rocksdb::EventListener> LogStore::NewStallListener() {
  return std::make_shared<StallListener>(this);
}

void LogStore::NoteStallChange(bool was, bool stalled) {
  if (was == stalled) return;
  std::lock_guard<std::mutex> lock(stall_mu_);
  if (stalled) {
    if (stalled_cfs_++ == 0) {
      stall_start_ns_ = SteadyNs();
      write_stalls_.fetch_add(1, std::memory_order_relaxed);
    }
  } else if (stalled_cfs_ > 0 && --stalled_cfs_ == 0) {
    write_stall_micros_.fetch_add(static_cast<uint64_t>((SteadyNs() - stall_start_ns_) / 1000),
                                  std::memory_order_relaxed);
  }
}

void LogStore::ResetStalls() {
  std::lock_guard<std::mutex> lock(stall_mu_);
  if (stalled_cfs_ > 0) {
    write_stall_micros_.fetch_add(static_cast<uint64_t>((SteadyNs() - stall_start_ns_) / 1000),
                                  std::memory_order_relaxed);
  }
  stalled_cfs_ = 0;
}

LogStore::Stats LogStore::ReadStats() {
  Stats st;
  st.write_stalls = write_stalls_.load(std::memory_order_relaxed);
  st.write_stall_micros = write_stall_micros_.load(std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(stall_mu_);
    if (stalled_cfs_ > 0) {
      st.write_stall_micros += static_cast<uint64_t>((SteadyNs() - stall_start_ns_) / 1000);
    }
  }
  st.free_bytes = FreeBytes();
  st.min_free_bytes = min_free_bytes_;
  st.degraded = degraded();
  st.resumes = resumes();
  st.reopens = reopens();
  st.segments = SegmentCount();
  Hold hold(this);
  if (!db_) {
    st.closed = true;
    return st;
  }
  auto aggregated = [this](const std::string& property) {
    uint64_t v = 0;
    return db_->GetAggregatedIntProperty(property, &v) ? v : 0;
  };
  auto db_wide = [this](const std::string& property) {
    uint64_t v = 0;
    return db_->GetIntProperty(default_cf_, property, &v) ? v : 0;
  };
  st.pending_compaction_bytes =
      aggregated(rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
  st.memtable_bytes = aggregated(rocksdb::DB::Properties::kCurSizeAllMemTables);
  st.sst_bytes = aggregated(rocksdb::DB::Properties::kLiveSstFilesSize);
  // One block cache is shared by every column family: read it once.
  st.block_cache_bytes = db_wide(rocksdb::DB::Properties::kBlockCacheUsage);
  st.running_compactions = db_wide(rocksdb::DB::Properties::kNumRunningCompactions);
  st.running_flushes = db_wide(rocksdb::DB::Properties::kNumRunningFlushes);
  st.write_stopped = db_wide(rocksdb::DB::Properties::kIsWriteStopped) != 0;
  return st;
}

void LogStore::ApproximateShardBytes(std::span<const uint64_t> shards,
                                     std::vector<uint64_t>* bytes) {
  bytes->assign(shards.size(), 0);
  if (shards.empty()) return;
  // Keys are shard ‖ seq (storage/keys.h): shard s owns [be64(s), be64(s+1)).
  std::vector<std::string> bounds;
  bounds.reserve(shards.size() * 2);
  for (uint64_t shard : shards) {
    bounds.push_back(BigEndian64(shard));
    bounds.push_back(shard == UINT64_MAX ? std::string(9, '\xff') : BigEndian64(shard + 1));
  }
  std::vector<rocksdb::Range> ranges;
  ranges.reserve(shards.size());
  for (size_t i = 0; i < shards.size(); ++i) ranges.emplace_back(bounds[2 * i], bounds[2 * i + 1]);
  std::vector<std::shared_ptr<Segment>> segments;
  {
    std::shared_lock<std::shared_mutex> lock(segments_mu_);
    for (const auto& [start, seg] : segments_) segments.push_back(seg);
  }
  Hold hold(this);
  if (!db_) return;
  rocksdb::SizeApproximationOptions options;
  options.include_memtables = true;
  options.include_files = true;
  std::vector<uint64_t> sizes(ranges.size());
  for (const auto& seg : segments) {
    if (seg->handle() == nullptr) continue;
    if (!db_->GetApproximateSizes(options, seg->handle(), ranges.data(),
                                  static_cast<int>(ranges.size()), sizes.data())
             .ok()) {
      continue;
    }
    for (size_t i = 0; i < sizes.size(); ++i) (*bytes)[i] += sizes[i];
  }
}

}  // namespace tidelog::storage
