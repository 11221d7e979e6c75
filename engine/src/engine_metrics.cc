// Engine::CollectMetrics: copies every stream's and shard's counters
// (engine_stats.h) under the catalog's shared lock, then adds what costs I/O
// outside it: the stored bytes per shard (a RocksDB size estimate per
// segment) and the store's and group committer's figures.
#include <algorithm>
#include <unordered_map>

#include "engine/src/engine_impl.h"

namespace tidelog {

namespace {

// Gauges of reads (GetRecords' iterator age, SubscribeToShard's
// MillisBehindLatest) count for a minute after the read, as CloudWatch's
// one-minute Maximum does.
constexpr int64_t kReadGaugeWindowMs = 60'000;

}  // namespace

TrafficCounters TrafficStats::Read() const {
  TrafficCounters c;
  c.incoming_bytes = incoming_bytes.load(std::memory_order_relaxed);
  c.incoming_records = incoming_records.load(std::memory_order_relaxed);
  c.write_throttled_records = write_throttled_records.load(std::memory_order_relaxed);
  c.outgoing_bytes = outgoing_bytes.load(std::memory_order_relaxed);
  c.outgoing_records = outgoing_records.load(std::memory_order_relaxed);
  c.read_throttled_calls = read_throttled_calls.load(std::memory_order_relaxed);
  return c;
}

HistogramSnapshot ToSnapshot(const storage::HistogramData& data) {
  HistogramSnapshot h;
  h.bounds = data.bounds;
  h.counts = data.counts;
  h.count = data.count;
  h.sum = data.sum;
  return h;
}

Status EngineImpl::CollectMetrics(EngineMetrics* out) {
  std::vector<uint64_t> shard_uids;
  CollectTraffic(out, &shard_uids);
  std::vector<uint64_t> bytes;
  store_->ApproximateShardBytes(shard_uids, &bytes);
  size_t next = 0;
  for (StreamMetrics& m : out->streams) {
    for (ShardMetrics& sm : m.shards) {
      sm.stored_bytes = bytes[next++];
      m.stored_bytes += sm.stored_bytes;
    }
  }
  return CollectStoreMetrics(&out->store);
}

Status EngineImpl::CollectTrafficMetrics(EngineMetrics* out) {
  std::vector<uint64_t> shard_uids;
  CollectTraffic(out, &shard_uids);
  return Status::OK();
}

void EngineImpl::CollectTraffic(EngineMetrics* out, std::vector<uint64_t>* shard_uids) {
  const int64_t now = NowMs();
  *out = EngineMetrics();
  out->collected_millis = now;
  std::unordered_map<uint64_t, int32_t> subscriptions;  // by stream uid
  for (const auto& sub : subscriptions_->All()) {
    if (sub->active()) ++subscriptions[sub->id().stream_uid];
  }
  {
    std::shared_lock<std::shared_mutex> lock(catalog_.mu);
    out->streams.reserve(catalog_.streams.size());
    for (const auto& [name, stream] : catalog_.streams) {
      const StreamState& s = *stream;
      const StreamStats& st = *s.stats;
      StreamMetrics& m = out->streams.emplace_back();
      m.stream_name = name;
      m.mode = s.mode;
      m.status = StatusOf(s);
      m.open_shard_count = s.OpenShardCount();
      m.consumer_count = static_cast<int32_t>(s.consumers.size());
      auto subs = subscriptions.find(s.uid);
      m.subscriptions = subs == subscriptions.end() ? 0 : subs->second;
      m.shard_level_metrics.assign(s.metrics.begin(), s.metrics.end());
      m.traffic = st.traffic.Read();
      m.put_record_success = st.put_record_success.load(std::memory_order_relaxed);
      m.put_records_success = st.put_records_success.load(std::memory_order_relaxed);
      m.put_records_successful_records =
          st.put_records_successful_records.load(std::memory_order_relaxed);
      m.put_records_failed_records = st.put_records_failed_records.load(std::memory_order_relaxed);
      m.put_records_throttled_records =
          st.put_records_throttled_records.load(std::memory_order_relaxed);
      m.get_records_success = st.get_records_success.load(std::memory_order_relaxed);
      m.subscribe_to_shard_success = st.subscribe_to_shard_success.load(std::memory_order_relaxed);
      m.subscribe_to_shard_events = st.subscribe_to_shard_events.load(std::memory_order_relaxed);
      m.subscribe_to_shard_event_bytes =
          st.subscribe_to_shard_event_bytes.load(std::memory_order_relaxed);
      m.subscribe_to_shard_event_records =
          st.subscribe_to_shard_event_records.load(std::memory_order_relaxed);
      m.put_record_latency_us = ToSnapshot(st.put_record_latency_us.Read());
      m.put_records_latency_us = ToSnapshot(st.put_records_latency_us.Read());
      m.get_records_latency_us = ToSnapshot(st.get_records_latency_us.Read());
      // GetRecords.Bytes/Records: the stream's reads less its pushes.
      m.get_records_bytes = m.traffic.outgoing_bytes -
                            std::min(m.traffic.outgoing_bytes, m.subscribe_to_shard_event_bytes);
      m.get_records_records =
          m.traffic.outgoing_records -
          std::min(m.traffic.outgoing_records, m.subscribe_to_shard_event_records);
      m.shards.reserve(s.shards.size());
      for (const auto& [index, shard] : s.shards) {
        const ShardStats& ss = shard->stats;
        ShardMetrics& sm = m.shards.emplace_back();
        sm.shard_id = shard->id();
        sm.open = !shard->closed;
        sm.traffic = ss.traffic.Read();
        const int64_t read_ms = ss.last_read_ms.load(std::memory_order_relaxed);
        const int64_t push_ms = ss.last_push_ms.load(std::memory_order_relaxed);
        const bool recent_read = read_ms > 0 && now - read_ms <= kReadGaugeWindowMs;
        const bool recent_push = push_ms > 0 && now - push_ms <= kReadGaugeWindowMs;
        const int64_t age = recent_read ? ss.iterator_age_ms.load(std::memory_order_relaxed) : 0;
        const int64_t behind = recent_push ? ss.push_behind_ms.load(std::memory_order_relaxed) : 0;
        sm.iterator_age_ms = std::max(age, behind);
        m.iterator_age_ms = std::max(m.iterator_age_ms, age);
        m.subscribe_millis_behind_latest = std::max(m.subscribe_millis_behind_latest, behind);
        shard_uids->push_back(shard->uid);
      }
    }
  }
}

Status EngineImpl::CollectStoreMetrics(StoreMetrics* out) {
  const storage::LogStore::Stats st = store_->ReadStats();
  const storage::GroupCommitter::Stats gc = committer_->ReadStats();
  StoreMetrics& sm = *out;
  sm = StoreMetrics();
  sm.group_commits = gc.groups_written;
  sm.failed_group_commits = gc.failed_writes;
  sm.jobs_per_group = ToSnapshot(gc.jobs_per_group);
  sm.group_write_us = ToSnapshot(gc.write_micros);
  sm.pending_compaction_bytes = st.pending_compaction_bytes;
  sm.running_compactions = st.running_compactions;
  sm.running_flushes = st.running_flushes;
  sm.memtable_bytes = st.memtable_bytes;
  sm.block_cache_bytes = st.block_cache_bytes;
  sm.sst_bytes = st.sst_bytes;
  sm.write_stalls = st.write_stalls;
  sm.write_stall_us = st.write_stall_micros;
  sm.write_stopped = st.write_stopped;
  sm.free_bytes = st.free_bytes;
  sm.min_free_bytes = st.min_free_bytes;
  sm.degraded = st.degraded;
  sm.closed = st.closed;
  sm.resumes = st.resumes;
  sm.reopens = st.reopens;
  sm.segments = st.segments;
  return Status::OK();
}

}  // namespace tidelog
