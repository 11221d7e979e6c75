// Engine metrics: a snapshot of the counters the engine keeps per stream and
// per shard (the CloudWatch Kinesis metrics: IncomingBytes, GetRecords.*,
// WriteProvisionedThroughputExceeded, ...) and of its storage (group commit,
// RocksDB). Taken by Engine::CollectMetrics(); exporters (the broker's
// /metrics) turn it into their format.
//
// Counters are totals since the engine opened (they restart from zero after a
// restart, as Prometheus counters may). Gauges are the value at collection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tidelog/types.h"

namespace tidelog {

// A distribution: counts[i] values were at most bounds[i] (and above
// bounds[i-1]); counts.back() values were above every bound. Units are in the
// field's name (_us: microseconds).
struct HistogramSnapshot {
  std::vector<uint64_t> bounds;
  std::vector<uint64_t> counts;  // bounds.size() + 1 entries, not cumulative
  uint64_t count = 0;
  uint64_t sum = 0;
};

// The traffic of one shard or one stream, as CloudWatch names it.
struct TrafficCounters {
  uint64_t incoming_bytes = 0;    // IncomingBytes: data and partition keys put
  uint64_t incoming_records = 0;  // IncomingRecords
  // WriteProvisionedThroughputExceeded: records refused by the shard quota.
  uint64_t write_throttled_records = 0;
  uint64_t outgoing_bytes = 0;    // OutgoingBytes: GetRecords and SubscribeToShard
  uint64_t outgoing_records = 0;  // OutgoingRecords
  // ReadProvisionedThroughputExceeded: GetRecords calls refused by the quota.
  uint64_t read_throttled_calls = 0;
};

struct ShardMetrics {
  std::string shard_id;
  bool open = true;
  TrafficCounters traffic;
  // IteratorAgeMilliseconds of the last GetRecords or SubscribeToShard event
  // on this shard (0 when caught up or never read).
  int64_t iterator_age_ms = 0;
  uint64_t stored_bytes = 0;  // approximate, SST files and memtables
};

struct StreamMetrics {
  std::string stream_name;
  StreamMode mode = StreamMode::kProvisioned;
  StreamStatus status = StreamStatus::kActive;
  int32_t open_shard_count = 0;
  int32_t consumer_count = 0;
  int32_t subscriptions = 0;  // live SubscribeToShard sessions
  // EnableEnhancedMonitoring's shard-level metrics, sorted ("IncomingBytes",
  // ...; never "ALL": expanded).
  std::vector<std::string> shard_level_metrics;
  TrafficCounters traffic;           // every shard, closed and expired ones included
  uint64_t put_record_success = 0;   // PutRecord.Success: calls that stored their record
  uint64_t put_records_success = 0;  // PutRecords.Success: calls with at least one record stored
  uint64_t put_records_successful_records = 0;    // PutRecords.SuccessfulRecords
  uint64_t put_records_failed_records = 0;        // PutRecords.FailedRecords (not throttling)
  uint64_t put_records_throttled_records = 0;     // PutRecords.ThrottledRecords
  uint64_t get_records_success = 0;               // GetRecords.Success
  uint64_t get_records_bytes = 0;                 // GetRecords.Bytes
  uint64_t get_records_records = 0;               // GetRecords.Records
  uint64_t subscribe_to_shard_success = 0;        // SubscribeToShard.Success
  uint64_t subscribe_to_shard_events = 0;         // SubscribeToShardEvent.Success
  uint64_t subscribe_to_shard_event_bytes = 0;    // SubscribeToShardEvent.Bytes
  uint64_t subscribe_to_shard_event_records = 0;  // SubscribeToShardEvent.Records
  // GetRecords.IteratorAgeMilliseconds: the largest shard iterator age among
  // the shards read in the last minute.
  int64_t iterator_age_ms = 0;
  // SubscribeToShardEvent.MillisBehindLatest: the largest of the last events
  // of the shards pushed to in the last minute.
  int64_t subscribe_millis_behind_latest = 0;
  HistogramSnapshot put_record_latency_us;   // PutRecord.Latency
  HistogramSnapshot put_records_latency_us;  // PutRecords.Latency
  HistogramSnapshot get_records_latency_us;  // GetRecords.Latency
  uint64_t stored_bytes = 0;                 // approximate, every shard
  std::vector<ShardMetrics> shards;          // every shard not yet expired, by index
};

struct StoreMetrics {
  uint64_t group_commits = 0;         // group writes (one WriteBatch, one fsync in sync mode)
  uint64_t failed_group_commits = 0;  // writes that failed (not acknowledged)
  HistogramSnapshot jobs_per_group;   // put calls and metadata changes per group
  HistogramSnapshot group_write_us;   // write of a group, with its fsync in sync mode
  uint64_t pending_compaction_bytes = 0;
  uint64_t running_compactions = 0;
  uint64_t running_flushes = 0;
  uint64_t memtable_bytes = 0;
  uint64_t block_cache_bytes = 0;
  uint64_t sst_bytes = 0;
  uint64_t write_stalls = 0;    // times writes entered a RocksDB delay or stop
  uint64_t write_stall_us = 0;  // time spent in them
  bool write_stopped = false;
  uint64_t free_bytes = 0;      // of the data filesystem, for unprivileged users
  uint64_t min_free_bytes = 0;  // the reserve below which appends are refused
  bool degraded = false;        // a write error not yet recovered
  bool closed = false;          // a reopen after a write error failed; calls refused
  uint64_t resumes = 0;         // recoveries by DB::Resume()
  uint64_t reopens = 0;         // recoveries by reopening RocksDB
  uint64_t segments = 0;        // time-window segments (column families)
};

struct EngineMetrics {
  int64_t collected_millis = 0;        // engine clock
  std::vector<StreamMetrics> streams;  // by name
  StoreMetrics store;
};

}  // namespace tidelog
