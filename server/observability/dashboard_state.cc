// CollectDashboardSnapshot and RenderDashboardState: the dashboard's JSON,
// written with the Kinesis layer's JsonWriter. The document:
//
//   {"version": "...", "collected_millis": <engine clock>, "open_connections": n,
//    "limits": {"max_streams": n, "max_shards": n},
//    "streams_omitted": n, "shards_omitted": n,
//    "store": {"degraded", "closed", "accepting_writes", "write_stopped",
//              "free_bytes", "min_free_bytes", "sst_bytes", "memtable_bytes",
//              "segments": {"count": n, "windows": null, "note": "..."}},
//    "streams": [{"name", "arn", "id", "status", "mode", "retention_hours",
//                 "created_millis", "encryption", "shard_level_metrics": [..],
//                 "shard_count", "open_shard_count", "closed_shard_count",
//                 "consumer_count", "subscriptions", "stored_bytes", "complete",
//                 "traffic": {<counters>}, "iterator_age_ms",
//                 "subscribe_millis_behind_latest",
//                 "consumers": [{"name", "arn", "status", "created_millis"}],
//                 "shards": [{"id", "open", "parent", "adjacent_parent",
//                             "children": [..], "start", "end",
//                             "created_millis", "starting_sequence_number",
//                             "ending_sequence_number", "has_metrics",
//                             "traffic": {<counters>}, "iterator_age_ms",
//                             "stored_bytes"}]}]}
//
// <counters> are the cumulative TrafficCounters (incoming_bytes,
// incoming_records, outgoing_bytes, outgoing_records, write_throttled_records,
// read_throttled_calls). Hash keys and sequence numbers are decimal strings
// (they pass 2^53); absent parents and ending numbers are null.
#include "server/observability/dashboard_state.h"

#include <algorithm>
#include <limits>
#include <string_view>
#include <unordered_map>

#include "server/kinesis/json_writer.h"

namespace tidelog::server {
namespace {

using kinesis::JsonWriter;

int64_t Clamp(uint64_t v) {
  return static_cast<int64_t>(std::min<uint64_t>(v, std::numeric_limits<int64_t>::max()));
}

void UintField(JsonWriter* w, std::string_view key, uint64_t v) { w->IntField(key, Clamp(v)); }

void OptionalString(JsonWriter* w, std::string_view key, const std::string& s) {
  w->Key(key);
  if (s.empty()) {
    w->Null();
  } else {
    w->String(s);
  }
}

void WriteTraffic(JsonWriter* w, const TrafficCounters& t) {
  w->Key("traffic");
  w->StartObject();
  UintField(w, "incoming_bytes", t.incoming_bytes);
  UintField(w, "incoming_records", t.incoming_records);
  UintField(w, "outgoing_bytes", t.outgoing_bytes);
  UintField(w, "outgoing_records", t.outgoing_records);
  UintField(w, "write_throttled_records", t.write_throttled_records);
  UintField(w, "read_throttled_calls", t.read_throttled_calls);
  w->EndObject();
}

void WriteStore(JsonWriter* w, const StoreMetrics& s) {
  w->Key("store");
  w->StartObject();
  w->BoolField("degraded", s.degraded);
  w->BoolField("closed", s.closed);
  w->BoolField("accepting_writes", !s.degraded && !s.closed && s.free_bytes >= s.min_free_bytes);
  w->BoolField("write_stopped", s.write_stopped);
  UintField(w, "free_bytes", s.free_bytes);
  UintField(w, "min_free_bytes", s.min_free_bytes);
  UintField(w, "sst_bytes", s.sst_bytes);
  UintField(w, "memtable_bytes", s.memtable_bytes);
  w->Key("segments");
  w->StartObject();
  UintField(w, "count", s.segments);
  // The engine's public API reports how many time-window segments there are
  // but not their windows: said so rather than guessed.
  w->Key("windows");
  w->Null();
  w->Field("note", "segment time windows are not exposed by the engine API; count only");
  w->EndObject();
  w->EndObject();
}

void WriteShard(JsonWriter* w, const ShardInfo& shard, const ShardMetrics* m,
                const std::vector<std::string_view>& children) {
  w->StartObject();
  w->Field("id", shard.shard_id);
  w->BoolField("open", shard.open());
  OptionalString(w, "parent", shard.parent_shard_id);
  OptionalString(w, "adjacent_parent", shard.adjacent_parent_shard_id);
  w->Key("children");
  w->StartArray();
  for (std::string_view c : children) w->String(c);
  w->EndArray();
  w->Key("start");
  w->Decimal(shard.hash_key_range.starting_hash_key);
  w->Key("end");
  w->Decimal(shard.hash_key_range.ending_hash_key);
  w->IntField("created_millis", shard.created_millis);
  w->Key("starting_sequence_number");
  w->Decimal(shard.starting_sequence_number);
  w->Key("ending_sequence_number");
  if (shard.ending_sequence_number) {
    w->Decimal(*shard.ending_sequence_number);
  } else {
    w->Null();
  }
  w->BoolField("has_metrics", m != nullptr);
  WriteTraffic(w, m != nullptr ? m->traffic : TrafficCounters{});
  w->IntField("iterator_age_ms", m != nullptr ? m->iterator_age_ms : 0);
  UintField(w, "stored_bytes", m != nullptr ? m->stored_bytes : 0);
  w->EndObject();
}

void WriteStream(JsonWriter* w, const DashboardStream& s, const StreamMetrics* m) {
  const StreamInfo& info = s.info;
  w->StartObject();
  w->Field("name", info.stream_name);
  w->Field("arn", info.stream_arn);
  w->Field("id", info.stream_id);
  w->Field("status", ToString(info.status));
  w->Field("mode", ToString(info.mode));
  w->IntField("retention_hours", info.retention_period_hours);
  w->IntField("created_millis", info.created_millis);
  w->Field("encryption", ToString(info.encryption_type));
  w->Key("shard_level_metrics");
  w->StartArray();
  for (const std::string& metric : info.shard_level_metrics) w->String(metric);
  w->EndArray();
  const auto open = static_cast<int64_t>(
      std::count_if(s.shards.begin(), s.shards.end(), [](const ShardInfo& x) { return x.open(); }));
  w->IntField("shard_count", static_cast<int64_t>(s.shards.size()));
  w->IntField("open_shard_count", s.complete ? open : info.open_shard_count);
  w->IntField("closed_shard_count", static_cast<int64_t>(s.shards.size()) - open);
  w->IntField("consumer_count", info.consumer_count);
  w->IntField("subscriptions", m != nullptr ? m->subscriptions : 0);
  UintField(w, "stored_bytes", m != nullptr ? m->stored_bytes : 0);
  w->BoolField("complete", s.complete);
  WriteTraffic(w, m != nullptr ? m->traffic : TrafficCounters{});
  w->IntField("iterator_age_ms", m != nullptr ? m->iterator_age_ms : 0);
  w->IntField("subscribe_millis_behind_latest",
              m != nullptr ? m->subscribe_millis_behind_latest : 0);

  w->Key("consumers");
  w->StartArray();
  for (const ConsumerInfo& c : s.consumers) {
    w->StartObject();
    w->Field("name", c.consumer_name);
    w->Field("arn", c.consumer_arn);
    w->Field("status", ToString(c.status));
    w->IntField("created_millis", c.created_millis);
    w->EndObject();
  }
  w->EndArray();

  std::unordered_map<std::string_view, const ShardMetrics*> shard_metrics;
  if (m != nullptr) {
    for (const ShardMetrics& sm : m->shards) shard_metrics.emplace(sm.shard_id, &sm);
  }
  // Children from the parents' side: a split's two, a merge's one.
  std::unordered_map<std::string_view, std::vector<std::string_view>> children;
  for (const ShardInfo& shard : s.shards) {
    if (!shard.parent_shard_id.empty()) children[shard.parent_shard_id].push_back(shard.shard_id);
    if (!shard.adjacent_parent_shard_id.empty()) {
      children[shard.adjacent_parent_shard_id].push_back(shard.shard_id);
    }
  }
  static const std::vector<std::string_view> kNone;
  w->Key("shards");
  w->StartArray();
  for (const ShardInfo& shard : s.shards) {
    auto sm = shard_metrics.find(shard.shard_id);
    auto ch = children.find(shard.shard_id);
    WriteShard(w, shard, sm == shard_metrics.end() ? nullptr : sm->second,
               ch == children.end() ? kNone : ch->second);
  }
  w->EndArray();
  w->EndObject();
}

}  // namespace

Status CollectDashboardSnapshot(Engine* engine, size_t max_streams, size_t max_shards,
                                DashboardSnapshot* out) {
  *out = DashboardSnapshot();
  out->max_streams = max_streams;
  out->max_shards = max_shards;
  Status s = engine->CollectMetrics(&out->metrics);
  if (!s.ok()) return s;
  std::vector<StreamInfo> streams;
  s = engine->ListStreams(&streams);
  if (!s.ok()) return s;
  std::unordered_map<std::string_view, size_t> metrics_of;
  for (size_t i = 0; i < out->metrics.streams.size(); ++i) {
    metrics_of.emplace(out->metrics.streams[i].stream_name, i);
  }
  size_t shards_left = max_shards;
  for (StreamInfo& info : streams) {
    if (out->streams.size() == max_streams) {
      ++out->streams_omitted;
      continue;
    }
    DashboardStream& d = out->streams.emplace_back();
    d.info = std::move(info);
    auto m = metrics_of.find(d.info.stream_name);
    if (m != metrics_of.end()) d.metrics_index = m->second;
    // A stream deleted since ListStreams: shown as it was listed, incomplete.
    if (!engine->ListShards(d.info.stream_name, ShardFilter{}, &d.shards).ok()) {
      d.shards.clear();
      d.complete = false;
    }
    if (d.shards.size() > shards_left) {
      out->shards_omitted += d.shards.size();
      d.shards.clear();
      d.complete = false;
    }
    shards_left -= d.shards.size();
    if (!engine->ListStreamConsumers(d.info.stream_name, &d.consumers).ok()) {
      d.consumers.clear();
      d.complete = false;
    }
  }
  return Status::OK();
}

std::string RenderDashboardState(const DashboardSnapshot& snapshot,
                                 const DashboardServerInfo& server) {
  JsonWriter w;
  w.StartObject();
  w.Field("version", server.version);
  w.IntField("collected_millis", snapshot.metrics.collected_millis);
  UintField(&w, "open_connections", server.open_connections);
  w.Key("limits");
  w.StartObject();
  UintField(&w, "max_streams", snapshot.max_streams);
  UintField(&w, "max_shards", snapshot.max_shards);
  w.EndObject();
  UintField(&w, "streams_omitted", snapshot.streams_omitted);
  UintField(&w, "shards_omitted", snapshot.shards_omitted);
  WriteStore(&w, snapshot.metrics.store);
  w.Key("streams");
  w.StartArray();
  for (const DashboardStream& s : snapshot.streams) {
    const StreamMetrics* m = nullptr;
    if (s.metrics_index && *s.metrics_index < snapshot.metrics.streams.size()) {
      m = &snapshot.metrics.streams[*s.metrics_index];
    }
    WriteStream(&w, s, m);
  }
  w.EndArray();
  w.EndObject();
  std::string out = w.Release();
  out.push_back('\n');
  return out;
}

}  // namespace tidelog::server
