// MetricHistory: the per-minute datapoints behind the CloudWatch API. A
// sampler thread reads the engine's cumulative counters (Engine::
// CollectTrafficMetrics) every second and adds each second's differences to
// the current minute of every AWS/Kinesis metric, at the stream level
// (dimension StreamName) and, for the metrics EnableEnhancedMonitoring turned
// on, at the shard level (StreamName, ShardId).
//
// How a second becomes datapoint statistics (metric_catalog.cc has each
// metric's rule): Sum is the metric's total; SampleCount the requests that
// contributed (puts for IncomingBytes, GetRecords calls for GetRecords.*, one
// per second with activity where the engine counts no requests, as for
// throttles and shard-level metrics); Minimum and Maximum the smallest and
// largest per-request value of any one second (so per second, not per
// request, where a second had several); latencies from the engine's
// histograms, Minimum and Maximum at bucket bounds. Gauges (iterator age,
// MillisBehindLatest) are one sample per second in which the stream was read.
//
// Memory is bounded: minutes older than `history_minutes` are dropped, and at
// most `max_series` series exist (the rest are counted in dropped_series()).
// Minutes without activity have no datapoint, as in CloudWatch. History is
// in memory: it starts empty when the broker starts.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tidelog/engine.h"
#include "tidelog/metrics.h"

namespace tidelog::server::cloudwatch {

struct MetricHistoryOptions {
  int64_t sample_interval_ms = 1000;  // how often the engine is read
  int64_t history_minutes = 180;      // datapoints kept (CloudWatch keeps 15 days)
  size_t max_series = 10000;          // metric x dimension combinations
};

// Statistics of a set of samples; empty when samples == 0.
struct Aggregate {
  double sum = 0;
  double samples = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();

  void Add(double value_sum, double count, double lo, double hi);
  void Merge(const Aggregate& other);
  bool empty() const { return samples <= 0; }
};

// One metric at one set of dimensions.
struct SeriesKey {
  std::string metric;  // "IncomingBytes"
  std::string stream;  // StreamName
  std::string shard;   // ShardId; empty for a stream-level series
  bool operator<(const SeriesKey& o) const {
    if (metric != o.metric) return metric < o.metric;
    if (stream != o.stream) return stream < o.stream;
    return shard < o.shard;
  }
};

struct SeriesInfo {
  SeriesKey key;
  int64_t last_active_ms = 0;  // end of the last minute with data
};

struct TimedAggregate {
  int64_t start_ms = 0;  // period start, a multiple of the period
  Aggregate value;
};

class MetricHistory {
 public:
  // `engine` (may be nullptr for tests that call Record()) must outlive this.
  MetricHistory(tidelog::Engine* engine, MetricHistoryOptions options);
  ~MetricHistory();  // stops the sampler
  MetricHistory(const MetricHistory&) = delete;
  MetricHistory& operator=(const MetricHistory&) = delete;

  // Starts the sampler thread (no-op without an engine).
  void Start();
  void Stop();

  // Adds one snapshot: the differences from the previous one are attributed
  // to the minute of m.collected_millis. A stream or shard not in the previous
  // snapshot counts from zero (the engine's counters start at zero when the
  // engine opens and when a stream or shard is made). Thread-safe.
  void Record(const tidelog::EngineMetrics& m);

  // Every series with data still in the window, sorted by key.
  std::vector<SeriesInfo> List() const;

  // Datapoints of `key` per `period_ms` (a multiple of 60 000) for periods
  // starting in [start_ms rounded down to the period, end_ms), ascending;
  // periods without data are absent.
  std::vector<TimedAggregate> Query(const SeriesKey& key, int64_t start_ms, int64_t end_ms,
                                    int64_t period_ms) const;

  uint64_t dropped_series() const { return dropped_series_.load(std::memory_order_relaxed); }

 private:
  struct Minute {
    int64_t minute = 0;  // ms since epoch / 60 000
    Aggregate value;
  };
  struct Series {
    std::deque<Minute> minutes;  // ascending, unique
  };

  void Add(const SeriesKey& key, int64_t minute, const Aggregate& value);  // mu_ held
  void Trim(int64_t now_minute);                                           // mu_ held
  void Run();

  tidelog::Engine* const engine_;
  const MetricHistoryOptions options_;

  mutable std::mutex mu_;
  std::map<SeriesKey, Series> series_;             // guarded by mu_
  std::map<std::string, StreamMetrics> previous_;  // last snapshot by stream; guarded by mu_
  std::atomic<uint64_t> dropped_series_{0};

  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool stopping_ = false;  // guarded by run_mu_
  std::thread sampler_;
};

}  // namespace tidelog::server::cloudwatch
