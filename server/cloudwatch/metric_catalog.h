// The AWS/Kinesis metrics the CloudWatch API serves: their names and units,
// and how one sampling interval of the engine's counters becomes each
// metric's contribution to its minute (the rules MetricHistory documents).
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "server/cloudwatch/metric_history.h"
#include "tidelog/metrics.h"

namespace tidelog::server::cloudwatch {

inline constexpr std::string_view kKinesisNamespace = "AWS/Kinesis";

struct MetricDef {
  std::string_view name;
  std::string_view unit;  // a CloudWatch StandardUnit
};

// Stream-level metrics (dimension StreamName), sorted by name.
const std::vector<MetricDef>& StreamMetricDefs();
// Shard-level ("enhanced") metrics (StreamName, ShardId), sorted by name:
// EnableEnhancedMonitoring's names.
const std::vector<MetricDef>& ShardMetricDefs();
// nullptr when `name` is not a metric of that level.
const MetricDef* FindMetric(std::string_view name, bool shard_level);

using Contributions = std::vector<std::pair<std::string_view, Aggregate>>;

// What happened to a stream between two snapshots. Counters that went down
// (a stream deleted and created again) count from zero.
void StreamContributions(const StreamMetrics& before, const StreamMetrics& now, Contributions* out);
// The same for a shard. `stream_read`: the stream served reads in the
// interval (when shard iterator ages are sampled).
void ShardContributions(const ShardMetrics& before, const ShardMetrics& now, bool stream_read,
                        Contributions* out);

}  // namespace tidelog::server::cloudwatch
