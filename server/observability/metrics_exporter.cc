// RenderPrometheusMetrics: one family at a time, every stream (or shard) a
// sample of it. Counter names end in _total, durations are in seconds and
// sizes in bytes (Prometheus' base units; promtool checks them).
#include "server/observability/metrics_exporter.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string_view>

#include "server/observability/prometheus_text.h"

namespace tidelog::server {
namespace {

using Type = PrometheusText::Type;

// One stream-level family: a sample per stream.
template <typename T>
void StreamFamily(PrometheusText* p, const EngineMetrics& m, std::string_view name, Type type,
                  std::string_view help, const std::function<T(const StreamMetrics&)>& value) {
  p->Family(name, type, help);
  for (const StreamMetrics& s : m.streams) p->Sample(name, {{"stream", s.stream_name}}, value(s));
}

void StreamCounter(PrometheusText* p, const EngineMetrics& m, std::string_view name,
                   std::string_view help, const std::function<uint64_t(const StreamMetrics&)>& v) {
  StreamFamily<uint64_t>(p, m, name, Type::kCounter, help, v);
}

bool Enabled(const StreamMetrics& s, std::string_view metric) {
  return std::find(s.shard_level_metrics.begin(), s.shard_level_metrics.end(), metric) !=
         s.shard_level_metrics.end();
}

// One shard-level family, for the shards of streams with `metric` enabled.
void ShardFamily(PrometheusText* p, const EngineMetrics& m, std::string_view metric,
                 std::string_view name, Type type, std::string_view help,
                 const std::function<double(const ShardMetrics&)>& value, size_t* dropped) {
  bool any = false;
  size_t written = 0;
  for (const StreamMetrics& s : m.streams) {
    if (!Enabled(s, metric)) continue;
    for (const ShardMetrics& sh : s.shards) {
      if (written == kMaxShardSeries) {
        ++*dropped;
        continue;
      }
      if (!any) p->Family(name, type, help);
      any = true;
      ++written;
      p->Sample(name, {{"stream", s.stream_name}, {"shard", sh.shard_id}}, value(sh));
    }
  }
}

void WriteStreams(PrometheusText* p, const EngineMetrics& m) {
  p->Family("tidelog_stream_info", Type::kGauge,
            "Every stream, with its capacity mode and status.");
  for (const StreamMetrics& s : m.streams) {
    p->Sample(
        "tidelog_stream_info",
        {{"stream", s.stream_name}, {"mode", ToString(s.mode)}, {"status", ToString(s.status)}},
        uint64_t{1});
  }
  StreamFamily<uint64_t>(p, m, "tidelog_stream_open_shards", Type::kGauge, "Open shards.",
                         [](const StreamMetrics& s) { return uint64_t(s.open_shard_count); });
  StreamFamily<uint64_t>(p, m, "tidelog_stream_consumers", Type::kGauge,
                         "Registered enhanced fan-out consumers.",
                         [](const StreamMetrics& s) { return uint64_t(s.consumer_count); });
  StreamFamily<uint64_t>(p, m, "tidelog_stream_subscriptions", Type::kGauge,
                         "Live SubscribeToShard sessions.",
                         [](const StreamMetrics& s) { return uint64_t(s.subscriptions); });
  StreamFamily<uint64_t>(p, m, "tidelog_stream_stored_bytes", Type::kGauge,
                         "Approximate bytes stored for the stream's records.",
                         [](const StreamMetrics& s) { return s.stored_bytes; });
  StreamCounter(
      p, m, "tidelog_stream_incoming_bytes_total",
      "IncomingBytes: bytes (data and partition keys) stored by PutRecord and PutRecords.",
      [](const StreamMetrics& s) { return s.traffic.incoming_bytes; });
  StreamCounter(p, m, "tidelog_stream_incoming_records_total",
                "IncomingRecords: records stored by PutRecord and PutRecords.",
                [](const StreamMetrics& s) { return s.traffic.incoming_records; });
  StreamCounter(p, m, "tidelog_stream_outgoing_bytes_total",
                "Bytes read by GetRecords and pushed by SubscribeToShard.",
                [](const StreamMetrics& s) { return s.traffic.outgoing_bytes; });
  StreamCounter(p, m, "tidelog_stream_outgoing_records_total",
                "Records read by GetRecords and pushed by SubscribeToShard.",
                [](const StreamMetrics& s) { return s.traffic.outgoing_records; });
  StreamCounter(p, m, "tidelog_stream_write_throttled_records_total",
                "WriteProvisionedThroughputExceeded: records refused by a shard's write quota.",
                [](const StreamMetrics& s) { return s.traffic.write_throttled_records; });
  StreamCounter(
      p, m, "tidelog_stream_read_throttled_total",
      "ReadProvisionedThroughputExceeded: GetRecords calls refused by a shard's read quota.",
      [](const StreamMetrics& s) { return s.traffic.read_throttled_calls; });
  StreamCounter(p, m, "tidelog_stream_put_record_success_total",
                "PutRecord.Success: PutRecord calls that stored their record.",
                [](const StreamMetrics& s) { return s.put_record_success; });
  StreamCounter(p, m, "tidelog_stream_put_records_success_total",
                "PutRecords.Success: PutRecords calls that stored at least one record.",
                [](const StreamMetrics& s) { return s.put_records_success; });
  p->Family("tidelog_stream_put_records_records_total", Type::kCounter,
            "PutRecords.SuccessfulRecords, .FailedRecords and .ThrottledRecords by outcome.");
  for (const StreamMetrics& s : m.streams) {
    const std::pair<std::string_view, uint64_t> outcomes[] = {
        {"successful", s.put_records_successful_records},
        {"failed", s.put_records_failed_records},
        {"throttled", s.put_records_throttled_records}};
    for (const auto& [outcome, n] : outcomes) {
      p->Sample("tidelog_stream_put_records_records_total",
                {{"stream", s.stream_name}, {"outcome", outcome}}, n);
    }
  }
  StreamCounter(p, m, "tidelog_stream_get_records_success_total",
                "GetRecords.Success: GetRecords calls answered.",
                [](const StreamMetrics& s) { return s.get_records_success; });
  StreamCounter(p, m, "tidelog_stream_get_records_bytes_total",
                "GetRecords.Bytes: bytes returned by GetRecords.",
                [](const StreamMetrics& s) { return s.get_records_bytes; });
  StreamCounter(p, m, "tidelog_stream_get_records_records_total",
                "GetRecords.Records: records returned by GetRecords.",
                [](const StreamMetrics& s) { return s.get_records_records; });
  StreamFamily<double>(p, m, "tidelog_stream_iterator_age_seconds", Type::kGauge,
                       "GetRecords.IteratorAgeMilliseconds (in seconds): the largest among the "
                       "shards read in the last minute.",
                       [](const StreamMetrics& s) { return double(s.iterator_age_ms) / 1000.0; });
  StreamCounter(p, m, "tidelog_stream_subscribe_to_shard_success_total",
                "SubscribeToShard.Success: subscriptions started.",
                [](const StreamMetrics& s) { return s.subscribe_to_shard_success; });
  StreamCounter(p, m, "tidelog_stream_subscribe_to_shard_events_total",
                "SubscribeToShardEvent.Success: events pushed.",
                [](const StreamMetrics& s) { return s.subscribe_to_shard_events; });
  StreamCounter(p, m, "tidelog_stream_subscribe_to_shard_event_bytes_total",
                "SubscribeToShardEvent.Bytes: bytes pushed.",
                [](const StreamMetrics& s) { return s.subscribe_to_shard_event_bytes; });
  StreamCounter(p, m, "tidelog_stream_subscribe_to_shard_event_records_total",
                "SubscribeToShardEvent.Records: records pushed.",
                [](const StreamMetrics& s) { return s.subscribe_to_shard_event_records; });
  StreamFamily<double>(
      p, m, "tidelog_stream_subscribe_to_shard_behind_latest_seconds", Type::kGauge,
      "SubscribeToShardEvent.MillisBehindLatest (in seconds): the largest among the shards pushed "
      "to in the last minute.",
      [](const StreamMetrics& s) { return double(s.subscribe_millis_behind_latest) / 1000.0; });
  p->Family("tidelog_stream_request_duration_seconds", Type::kHistogram,
            "PutRecord.Latency, PutRecords.Latency and GetRecords.Latency: time in the engine, "
            "durable write included.");
  for (const StreamMetrics& s : m.streams) {
    const std::pair<std::string_view, const HistogramSnapshot*> ops[] = {
        {"PutRecord", &s.put_record_latency_us},
        {"PutRecords", &s.put_records_latency_us},
        {"GetRecords", &s.get_records_latency_us}};
    for (const auto& [op, h] : ops) {
      p->Histogram("tidelog_stream_request_duration_seconds",
                   {{"stream", s.stream_name}, {"operation", op}}, h->bounds, h->counts, h->count,
                   h->sum, 1e-6);
    }
  }
}

void WriteShards(PrometheusText* p, const EngineMetrics& m) {
  size_t dropped = 0;
  ShardFamily(
      p, m, "IncomingBytes", "tidelog_shard_incoming_bytes_total", Type::kCounter,
      "IncomingBytes per shard (enhanced monitoring).",
      [](const ShardMetrics& s) { return double(s.traffic.incoming_bytes); }, &dropped);
  ShardFamily(
      p, m, "IncomingRecords", "tidelog_shard_incoming_records_total", Type::kCounter,
      "IncomingRecords per shard (enhanced monitoring).",
      [](const ShardMetrics& s) { return double(s.traffic.incoming_records); }, &dropped);
  ShardFamily(
      p, m, "OutgoingBytes", "tidelog_shard_outgoing_bytes_total", Type::kCounter,
      "OutgoingBytes per shard (enhanced monitoring).",
      [](const ShardMetrics& s) { return double(s.traffic.outgoing_bytes); }, &dropped);
  ShardFamily(
      p, m, "OutgoingRecords", "tidelog_shard_outgoing_records_total", Type::kCounter,
      "OutgoingRecords per shard (enhanced monitoring).",
      [](const ShardMetrics& s) { return double(s.traffic.outgoing_records); }, &dropped);
  ShardFamily(
      p, m, "WriteProvisionedThroughputExceeded", "tidelog_shard_write_throttled_records_total",
      Type::kCounter, "WriteProvisionedThroughputExceeded per shard (enhanced monitoring).",
      [](const ShardMetrics& s) { return double(s.traffic.write_throttled_records); }, &dropped);
  ShardFamily(
      p, m, "ReadProvisionedThroughputExceeded", "tidelog_shard_read_throttled_total",
      Type::kCounter, "ReadProvisionedThroughputExceeded per shard (enhanced monitoring).",
      [](const ShardMetrics& s) { return double(s.traffic.read_throttled_calls); }, &dropped);
  ShardFamily(
      p, m, "IteratorAgeMilliseconds", "tidelog_shard_iterator_age_seconds", Type::kGauge,
      "IteratorAgeMilliseconds per shard (in seconds; enhanced monitoring).",
      [](const ShardMetrics& s) { return double(s.iterator_age_ms) / 1000.0; }, &dropped);
  p->Family("tidelog_metrics_shard_series_dropped", Type::kGauge,
            "Shard-level samples left out of this scrape past the per-scrape bound.");
  p->Sample("tidelog_metrics_shard_series_dropped", {}, uint64_t{dropped});
}

void Gauge(PrometheusText* p, std::string_view name, std::string_view help, double value) {
  p->Family(name, Type::kGauge, help);
  p->Sample(name, {}, value);
}

void Counter(PrometheusText* p, std::string_view name, std::string_view help, uint64_t value) {
  p->Family(name, Type::kCounter, help);
  p->Sample(name, {}, value);
}

void WriteStore(PrometheusText* p, const StoreMetrics& s) {
  Counter(p, "tidelog_group_commits_total",
          "Group commits written (one WriteBatch and, in sync durability, one fsync each).",
          s.group_commits);
  Counter(p, "tidelog_group_commit_failures_total",
          "Group commits whose write failed (not acknowledged).", s.failed_group_commits);
  p->Family("tidelog_group_commit_jobs", Type::kHistogram,
            "Put calls and metadata changes per group commit.");
  p->Histogram("tidelog_group_commit_jobs", {}, s.jobs_per_group.bounds, s.jobs_per_group.counts,
               s.jobs_per_group.count, s.jobs_per_group.sum, 1.0);
  p->Family("tidelog_group_commit_write_seconds", Type::kHistogram,
            "Time to write a group commit, its WAL fsync included in sync durability.");
  p->Histogram("tidelog_group_commit_write_seconds", {}, s.group_write_us.bounds,
               s.group_write_us.counts, s.group_write_us.count, s.group_write_us.sum, 1e-6);
  Gauge(p, "tidelog_rocksdb_pending_compaction_bytes",
        "RocksDB's estimate of bytes compaction must rewrite.", double(s.pending_compaction_bytes));
  Gauge(p, "tidelog_rocksdb_running_compactions", "RocksDB compactions running.",
        double(s.running_compactions));
  Gauge(p, "tidelog_rocksdb_running_flushes", "RocksDB flushes running.",
        double(s.running_flushes));
  Gauge(p, "tidelog_rocksdb_memtable_bytes", "Bytes in RocksDB memtables (active and immutable).",
        double(s.memtable_bytes));
  Gauge(p, "tidelog_rocksdb_block_cache_bytes", "Bytes in RocksDB's block cache.",
        double(s.block_cache_bytes));
  Gauge(p, "tidelog_rocksdb_sst_bytes", "Bytes of live SST files.", double(s.sst_bytes));
  Counter(p, "tidelog_rocksdb_write_stalls_total",
          "Times RocksDB began delaying or stopping writes.", s.write_stalls);
  p->Family("tidelog_rocksdb_write_stall_seconds_total", Type::kCounter,
            "Time RocksDB spent delaying or stopping writes.");
  p->Sample("tidelog_rocksdb_write_stall_seconds_total", {}, double(s.write_stall_us) / 1e6);
  Gauge(p, "tidelog_rocksdb_write_stopped", "1 while RocksDB stops writes.",
        s.write_stopped ? 1.0 : 0.0);
  Gauge(p, "tidelog_store_free_bytes", "Free bytes of the data filesystem for unprivileged users.",
        double(s.free_bytes));
  Gauge(p, "tidelog_store_min_free_bytes", "The free-space reserve: appends are refused below it.",
        double(s.min_free_bytes));
  Gauge(p, "tidelog_store_degraded", "1 while a write error is not yet recovered.",
        s.degraded ? 1.0 : 0.0);
  Gauge(p, "tidelog_store_closed", "1 while the store is closed after a failed reopen.",
        s.closed ? 1.0 : 0.0);
  Counter(p, "tidelog_store_resumes_total", "Recoveries from write errors by RocksDB's Resume.",
          s.resumes);
  Counter(p, "tidelog_store_reopens_total", "Recoveries from write errors by reopening RocksDB.",
          s.reopens);
  Gauge(p, "tidelog_store_segments", "Time-window segments (RocksDB column families).",
        double(s.segments));
}

// Linux process figures under the names Prometheus' client libraries use.
void WriteProcess(PrometheusText* p) {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    const double cpu = double(usage.ru_utime.tv_sec) + double(usage.ru_utime.tv_usec) / 1e6 +
                       double(usage.ru_stime.tv_sec) + double(usage.ru_stime.tv_usec) / 1e6;
    p->Family("process_cpu_seconds_total", Type::kCounter, "User and system CPU time spent.");
    p->Sample("process_cpu_seconds_total", {}, cpu);
  }
  std::ifstream statm("/proc/self/statm");
  uint64_t pages_virtual = 0, pages_resident = 0;
  if (statm >> pages_virtual >> pages_resident) {
    const double page = double(sysconf(_SC_PAGESIZE));
    Gauge(p, "process_virtual_memory_bytes", "Virtual memory size.", double(pages_virtual) * page);
    Gauge(p, "process_resident_memory_bytes", "Resident memory size.",
          double(pages_resident) * page);
  }
  std::error_code ec;
  size_t fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  if (!ec) Gauge(p, "process_open_fds", "Open file descriptors.", double(fds));
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    Gauge(p, "process_max_fds", "The open file descriptor limit.", double(limit.rlim_cur));
  }
}

}  // namespace

std::string RenderPrometheusMetrics(const EngineMetrics& engine, const ServerFigures& server) {
  PrometheusText p;
  p.Family("tidelog_build_info", Type::kGauge, "The broker's version.");
  p.Sample("tidelog_build_info", {{"version", server.version}}, uint64_t{1});
  Gauge(&p, "tidelog_http_open_connections", "Open client connections.",
        double(server.open_connections));
  WriteStreams(&p, engine);
  WriteShards(&p, engine);
  WriteStore(&p, engine.store);
  WriteProcess(&p);
  return p.Take();
}

}  // namespace tidelog::server
