// The engine's live counters behind Engine::CollectMetrics(): ShardStats,
// inline in each ShardState, and StreamStats, shared by a stream and the
// calls in flight on it (so a call that outlives a DeleteStream still has
// somewhere to count). Every field is a relaxed atomic: writers are the
// committer (puts), readers' threads (GetRecords, SubscribeToShard) and the
// collector; no counter orders any other memory.
#pragma once

#include <atomic>
#include <cstdint>

#include "storage/histogram.h"
#include "tidelog/metrics.h"

namespace tidelog {

// Adds `n` to a relaxed counter.
inline void Count(std::atomic<uint64_t>& counter, uint64_t n = 1) {
  counter.fetch_add(n, std::memory_order_relaxed);
}

struct TrafficStats {
  std::atomic<uint64_t> incoming_bytes{0};
  std::atomic<uint64_t> incoming_records{0};
  std::atomic<uint64_t> write_throttled_records{0};
  std::atomic<uint64_t> outgoing_bytes{0};
  std::atomic<uint64_t> outgoing_records{0};
  std::atomic<uint64_t> read_throttled_calls{0};

  TrafficCounters Read() const;
};

struct ShardStats {
  TrafficStats traffic;
  // The last read's iterator age and when it happened (engine clock, ms; 0:
  // never read), for GetRecords and for SubscribeToShard events.
  std::atomic<int64_t> iterator_age_ms{0};
  std::atomic<int64_t> last_read_ms{0};
  std::atomic<int64_t> push_behind_ms{0};
  // Bytes refused by the write quota (on-demand scaling counts demand).
  std::atomic<uint64_t> write_throttled_bytes{0};
  std::atomic<int64_t> last_push_ms{0};
};

struct StreamStats {
  TrafficStats traffic;
  std::atomic<uint64_t> put_record_success{0};
  std::atomic<uint64_t> put_records_success{0};
  std::atomic<uint64_t> put_records_successful_records{0};
  std::atomic<uint64_t> put_records_failed_records{0};
  std::atomic<uint64_t> put_records_throttled_records{0};
  std::atomic<uint64_t> get_records_success{0};
  std::atomic<uint64_t> subscribe_to_shard_success{0};
  std::atomic<uint64_t> subscribe_to_shard_events{0};
  std::atomic<uint64_t> subscribe_to_shard_event_bytes{0};
  std::atomic<uint64_t> subscribe_to_shard_event_records{0};
  storage::Histogram put_record_latency_us{storage::kLatencyBoundsUs};
  storage::Histogram put_records_latency_us{storage::kLatencyBoundsUs};
  storage::Histogram get_records_latency_us{storage::kLatencyBoundsUs};
};

// A read of `records` records and `bytes` bytes from a shard of a stream.
inline void CountRead(TrafficStats* shard, TrafficStats* stream, uint64_t records, uint64_t bytes) {
  for (TrafficStats* t : {shard, stream}) {
    Count(t->outgoing_records, records);
    Count(t->outgoing_bytes, bytes);
  }
}

HistogramSnapshot ToSnapshot(const storage::HistogramData& data);

}  // namespace tidelog
