// The broker's /metrics page: the engine's snapshot (tidelog/metrics.h) under
// Prometheus names, the CloudWatch Kinesis metrics per stream (and per shard
// for the metrics EnableEnhancedMonitoring turned on), the store's own, the
// network layer's and the process's.
#pragma once

#include <cstddef>
#include <string>

#include "tidelog/metrics.h"

namespace tidelog::server {

// What the network layer and the daemon add to the engine's figures.
struct ServerFigures {
  size_t open_connections = 0;
  std::string version;  // tidelog_build_info
};

// Shard-level series are written for at most this many shards per scrape
// (streams in name order, shards by index); past it they are counted in
// tidelog_metrics_shard_series_dropped. Keeps a scrape bounded.
inline constexpr size_t kMaxShardSeries = 10'000;

// The page in the Prometheus text format.
std::string RenderPrometheusMetrics(const EngineMetrics& engine, const ServerFigures& server);

}  // namespace tidelog::server
