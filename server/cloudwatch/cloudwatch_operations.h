// The CloudWatch operations Tidelog serves, over MetricHistory, for
// namespace AWS/Kinesis: GetMetricStatistics, GetMetricData, ListMetrics.
// Input validation follows the CloudWatch model's constraints with AWS's
// error codes; other namespaces hold no metrics here (empty results, as
// CloudWatch gives for a metric that has no data).
#pragma once

#include <cstdint>
#include <string_view>

#include "server/cloudwatch/cloudwatch_wire.h"
#include "server/cloudwatch/metric_history.h"

namespace tidelog::server::cloudwatch {

// CloudWatch's limits.
inline constexpr int64_t kMaxDatapointsPerStatistics = 1440;  // GetMetricStatistics
inline constexpr size_t kMaxMetricDataQueries = 500;
inline constexpr int64_t kDefaultMaxDatapoints = 100'800;  // GetMetricData
inline constexpr size_t kListMetricsPageSize = 500;

// True with *output set, or false with *error set (an unknown operation is
// InvalidAction). `now_ms`: the server clock, for ListMetrics' RecentlyActive.
bool RunOperation(const MetricHistory& history, std::string_view operation, const JsonValue& input,
                  int64_t now_ms, JsonValue* output, CloudWatchError* error);

}  // namespace tidelog::server::cloudwatch
