// The AWS/Kinesis metric catalog and the per-interval rules (metric_catalog.h).
#include "server/cloudwatch/metric_catalog.h"

#include <algorithm>

namespace tidelog::server::cloudwatch {
namespace {

constexpr std::string_view kBytes = "Bytes";
constexpr std::string_view kCount = "Count";
constexpr std::string_view kMillis = "Milliseconds";

double Delta(uint64_t before, uint64_t now) {
  return static_cast<double>(now >= before ? now - before : now);
}

// `value` spread over `requests` requests (at least one): per-request value
// as both the second's minimum and maximum.
void AddCounter(Contributions* out, std::string_view name, double value, double requests) {
  if (value <= 0 && requests <= 0) return;
  const double n = std::max(requests, 1.0);
  Aggregate a;
  a.Add(value, n, value / n, value / n);
  out->emplace_back(name, a);
}

// Requests that each count 1 (throttled) or 0 (served): the Average is the
// throttled fraction, as CloudWatch's is.
void AddFraction(Contributions* out, std::string_view name, double hits, double misses) {
  if (hits <= 0 && misses <= 0) return;
  Aggregate a;
  a.Add(hits, hits + misses, misses > 0 ? 0 : 1, hits > 0 ? 1 : 0);
  out->emplace_back(name, a);
}

void AddGauge(Contributions* out, std::string_view name, double value) {
  Aggregate a;
  a.Add(value, 1, value, value);
  out->emplace_back(name, a);
}

// The calls a histogram gained, in milliseconds; Minimum and Maximum at the
// bounds of the lowest and highest buckets that gained calls.
void AddLatency(Contributions* out, std::string_view name, const HistogramSnapshot& before,
                const HistogramSnapshot& now) {
  // An empty `before` (a stream not seen before) counts from zero.
  const bool from_zero = before.counts.empty();
  if (now.count <= before.count || now.counts.size() != now.bounds.size() + 1 ||
      (!from_zero && now.counts.size() != before.counts.size())) {
    return;
  }
  const double calls = static_cast<double>(now.count - before.count);
  const double sum_us = Delta(before.sum, now.sum);
  double lo = -1;
  double hi = 0;
  for (size_t i = 0; i < now.counts.size(); ++i) {
    if (now.counts[i] <= (from_zero ? 0 : before.counts[i])) continue;
    const double below = i == 0 ? 0 : static_cast<double>(now.bounds[i - 1]);
    const double bound = i < now.bounds.size() ? static_cast<double>(now.bounds[i]) : below;
    if (lo < 0) lo = below;
    hi = bound;
  }
  if (lo < 0) lo = hi;
  Aggregate a;
  a.Add(sum_us / 1000.0, calls, lo / 1000.0, std::max(hi, lo) / 1000.0);
  out->emplace_back(name, a);
}

}  // namespace

const std::vector<MetricDef>& StreamMetricDefs() {
  static const std::vector<MetricDef> defs = [] {
    std::vector<MetricDef> d = {
        {"GetRecords.Bytes", kBytes},
        {"GetRecords.IteratorAgeMilliseconds", kMillis},
        {"GetRecords.Latency", kMillis},
        {"GetRecords.Records", kCount},
        {"GetRecords.Success", kCount},
        {"IncomingBytes", kBytes},
        {"IncomingRecords", kCount},
        {"PutRecord.Latency", kMillis},
        {"PutRecord.Success", kCount},
        {"PutRecords.FailedRecords", kCount},
        {"PutRecords.Latency", kMillis},
        {"PutRecords.Success", kCount},
        {"PutRecords.SuccessfulRecords", kCount},
        {"PutRecords.ThrottledRecords", kCount},
        {"PutRecords.TotalRecords", kCount},
        {"ReadProvisionedThroughputExceeded", kCount},
        {"SubscribeToShard.Success", kCount},
        {"SubscribeToShardEvent.Bytes", kBytes},
        {"SubscribeToShardEvent.MillisBehindLatest", kMillis},
        {"SubscribeToShardEvent.Records", kCount},
        {"SubscribeToShardEvent.Success", kCount},
        {"WriteProvisionedThroughputExceeded", kCount},
    };
    std::sort(d.begin(), d.end(),
              [](const MetricDef& a, const MetricDef& b) { return a.name < b.name; });
    return d;
  }();
  return defs;
}

const std::vector<MetricDef>& ShardMetricDefs() {
  static const std::vector<MetricDef> defs = {
      {"IncomingBytes", kBytes},
      {"IncomingRecords", kCount},
      {"IteratorAgeMilliseconds", kMillis},
      {"OutgoingBytes", kBytes},
      {"OutgoingRecords", kCount},
      {"ReadProvisionedThroughputExceeded", kCount},
      {"WriteProvisionedThroughputExceeded", kCount},
  };
  return defs;
}

const MetricDef* FindMetric(std::string_view name, bool shard_level) {
  const auto& defs = shard_level ? ShardMetricDefs() : StreamMetricDefs();
  for (const MetricDef& d : defs) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

void StreamContributions(const StreamMetrics& b, const StreamMetrics& n, Contributions* out) {
  const TrafficCounters& bt = b.traffic;
  const TrafficCounters& nt = n.traffic;
  const double put_record = Delta(b.put_record_success, n.put_record_success);
  const double put_records = Delta(b.put_records_success, n.put_records_success);
  const double puts = put_record + put_records;
  const double incoming_records = Delta(bt.incoming_records, nt.incoming_records);
  AddCounter(out, "IncomingBytes", Delta(bt.incoming_bytes, nt.incoming_bytes), puts);
  AddCounter(out, "IncomingRecords", incoming_records, puts);
  AddCounter(out, "PutRecord.Success", put_record, put_record);
  AddCounter(out, "PutRecords.Success", put_records, put_records);
  const double ok = Delta(b.put_records_successful_records, n.put_records_successful_records);
  const double failed = Delta(b.put_records_failed_records, n.put_records_failed_records);
  const double throttled = Delta(b.put_records_throttled_records, n.put_records_throttled_records);
  if (ok + failed + throttled > 0) {
    AddCounter(out, "PutRecords.SuccessfulRecords", ok, put_records);
    AddCounter(out, "PutRecords.FailedRecords", failed, put_records);
    AddCounter(out, "PutRecords.ThrottledRecords", throttled, put_records);
    AddCounter(out, "PutRecords.TotalRecords", ok + failed + throttled, put_records);
  }
  AddLatency(out, "PutRecord.Latency", b.put_record_latency_us, n.put_record_latency_us);
  AddLatency(out, "PutRecords.Latency", b.put_records_latency_us, n.put_records_latency_us);
  AddLatency(out, "GetRecords.Latency", b.get_records_latency_us, n.get_records_latency_us);

  const double gets = Delta(b.get_records_success, n.get_records_success);
  AddCounter(out, "GetRecords.Success", gets, gets);
  if (gets > 0) {
    AddCounter(out, "GetRecords.Bytes", Delta(b.get_records_bytes, n.get_records_bytes), gets);
    AddCounter(out, "GetRecords.Records", Delta(b.get_records_records, n.get_records_records),
               gets);
    AddGauge(out, "GetRecords.IteratorAgeMilliseconds", static_cast<double>(n.iterator_age_ms));
  }
  AddFraction(out, "WriteProvisionedThroughputExceeded",
              Delta(bt.write_throttled_records, nt.write_throttled_records), incoming_records);
  AddFraction(out, "ReadProvisionedThroughputExceeded",
              Delta(bt.read_throttled_calls, nt.read_throttled_calls), gets);

  const double subscribes = Delta(b.subscribe_to_shard_success, n.subscribe_to_shard_success);
  AddCounter(out, "SubscribeToShard.Success", subscribes, subscribes);
  const double events = Delta(b.subscribe_to_shard_events, n.subscribe_to_shard_events);
  if (events > 0) {
    AddCounter(out, "SubscribeToShardEvent.Success", events, events);
    AddCounter(out, "SubscribeToShardEvent.Bytes",
               Delta(b.subscribe_to_shard_event_bytes, n.subscribe_to_shard_event_bytes), events);
    AddCounter(out, "SubscribeToShardEvent.Records",
               Delta(b.subscribe_to_shard_event_records, n.subscribe_to_shard_event_records),
               events);
    AddGauge(out, "SubscribeToShardEvent.MillisBehindLatest",
             static_cast<double>(n.subscribe_millis_behind_latest));
  }
}

void ShardContributions(const ShardMetrics& b, const ShardMetrics& n, bool stream_read,
                        Contributions* out) {
  const TrafficCounters& bt = b.traffic;
  const TrafficCounters& nt = n.traffic;
  const double incoming_records = Delta(bt.incoming_records, nt.incoming_records);
  AddCounter(out, "IncomingBytes", Delta(bt.incoming_bytes, nt.incoming_bytes), 0);
  AddCounter(out, "IncomingRecords", incoming_records, 0);
  const double outgoing_records = Delta(bt.outgoing_records, nt.outgoing_records);
  AddCounter(out, "OutgoingBytes", Delta(bt.outgoing_bytes, nt.outgoing_bytes), 0);
  AddCounter(out, "OutgoingRecords", outgoing_records, 0);
  AddFraction(out, "WriteProvisionedThroughputExceeded",
              Delta(bt.write_throttled_records, nt.write_throttled_records), incoming_records);
  AddCounter(out, "ReadProvisionedThroughputExceeded",
             Delta(bt.read_throttled_calls, nt.read_throttled_calls), 0);
  if (stream_read || outgoing_records > 0) {
    AddGauge(out, "IteratorAgeMilliseconds", static_cast<double>(n.iterator_age_ms));
  }
}

}  // namespace tidelog::server::cloudwatch
