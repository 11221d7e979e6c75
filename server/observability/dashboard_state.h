// The dashboard's data (GET /dashboard/api/state): every stream's description,
// shards (hash ranges, lineage, open or closed), consumers and the engine's
// cumulative counters, gathered from the public Engine API and written as one
// JSON document. The page turns successive counters into rates; the server
// keeps no history. Bounded: at most kMaxDashboardStreams streams and
// kMaxDashboardShards shards are described per answer, the rest counted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tidelog/engine.h"

namespace tidelog::server {

inline constexpr size_t kMaxDashboardStreams = 500;
inline constexpr size_t kMaxDashboardShards = 5'000;

// One stream as the dashboard sees it.
struct DashboardStream {
  StreamInfo info;
  std::vector<ShardInfo> shards;        // by shard id; empty when `complete` is false
  std::vector<ConsumerInfo> consumers;  // as ListStreamConsumers answers
  // Its entry in DashboardSnapshot::metrics.streams, if the snapshot has one.
  std::optional<size_t> metrics_index;
  // False when a description call failed (e.g. the stream went away
  // between calls) or the shard bound was reached.
  bool complete = true;
};

struct DashboardSnapshot {
  EngineMetrics metrics;
  std::vector<DashboardStream> streams;  // by name, at most kMaxDashboardStreams
  size_t streams_omitted = 0;            // past max_streams
  size_t shards_omitted = 0;             // past max_shards
  size_t max_streams = kMaxDashboardStreams;
  size_t max_shards = kMaxDashboardShards;
};

// Takes the snapshot: CollectMetrics, ListStreams, then ListShards and
// ListStreamConsumers per stream (streams in name order; a stream whose
// shards would pass `max_shards` is listed without them). Blocking (disk size
// estimates): call it off the event loops. Fails only when the metrics or the
// stream list fail.
Status CollectDashboardSnapshot(Engine* engine, size_t max_streams, size_t max_shards,
                                DashboardSnapshot* out);

struct DashboardServerInfo {
  std::string version;
  size_t open_connections = 0;
};

// The JSON document (a single object; shape documented in dashboard_state.cc).
std::string RenderDashboardState(const DashboardSnapshot& snapshot,
                                 const DashboardServerInfo& server);

}  // namespace tidelog::server
