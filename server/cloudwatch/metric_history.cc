// MetricHistory: sampling the engine into per-minute datapoints (metric_history.h).
#include "server/cloudwatch/metric_history.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "server/cloudwatch/metric_catalog.h"

namespace tidelog::server::cloudwatch {
namespace {

constexpr int64_t kMinuteMs = 60'000;

int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace

void Aggregate::Add(double value_sum, double count, double lo, double hi) {
  sum += value_sum;
  samples += count;
  min = std::min(min, lo);
  max = std::max(max, hi);
}

void Aggregate::Merge(const Aggregate& other) {
  if (other.empty()) return;
  Add(other.sum, other.samples, other.min, other.max);
}

MetricHistory::MetricHistory(tidelog::Engine* engine, MetricHistoryOptions options)
    : engine_(engine), options_(options) {}

MetricHistory::~MetricHistory() { Stop(); }

void MetricHistory::Start() {
  if (engine_ == nullptr || sampler_.joinable()) return;
  sampler_ = std::thread([this] { Run(); });
}

void MetricHistory::Stop() {
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    stopping_ = true;
  }
  run_cv_.notify_all();
  if (sampler_.joinable()) sampler_.join();
}

void MetricHistory::Run() {
  const auto interval =
      std::chrono::milliseconds(std::max<int64_t>(options_.sample_interval_ms, 10));
  std::unique_lock<std::mutex> lock(run_mu_);
  while (!stopping_) {
    lock.unlock();
    tidelog::EngineMetrics m;
    if (engine_->CollectTrafficMetrics(&m).ok()) Record(m);
    lock.lock();
    run_cv_.wait_for(lock, interval, [this] { return stopping_; });
  }
}

void MetricHistory::Record(const tidelog::EngineMetrics& m) {
  const int64_t minute = FloorDiv(m.collected_millis, kMinuteMs);
  Contributions contributions;
  std::map<std::string, StreamMetrics> next;
  std::lock_guard<std::mutex> lock(mu_);
  const StreamMetrics none;
  const ShardMetrics no_shard;
  for (const StreamMetrics& now : m.streams) {
    // The engine's counters start at zero with the engine and with each stream
    // or shard: one not seen before is compared with zeros.
    auto found = previous_.find(now.stream_name);
    const StreamMetrics& before = found == previous_.end() ? none : found->second;
    contributions.clear();
    StreamContributions(before, now, &contributions);
    bool read = false;
    for (const auto& [name, value] : contributions) {
      Add({std::string(name), now.stream_name, ""}, minute, value);
      read = read || name == "GetRecords.Success" || name == "SubscribeToShardEvent.Success";
    }
    if (!now.shard_level_metrics.empty()) {
      const std::set<std::string> enabled(now.shard_level_metrics.begin(),
                                          now.shard_level_metrics.end());
      std::map<std::string_view, const ShardMetrics*> earlier;
      for (const ShardMetrics& s : before.shards) earlier.emplace(s.shard_id, &s);
      for (const ShardMetrics& s : now.shards) {
        auto e = earlier.find(s.shard_id);
        contributions.clear();
        ShardContributions(e == earlier.end() ? no_shard : *e->second, s, read, &contributions);
        for (const auto& [name, value] : contributions) {
          if (enabled.count(std::string(name)) == 0) continue;
          Add({std::string(name), now.stream_name, s.shard_id}, minute, value);
        }
      }
    }
    StreamMetrics kept = now;
    // Histograms and shard lists are what the next interval needs; nothing else is big.
    next.emplace(now.stream_name, std::move(kept));
  }
  previous_ = std::move(next);
  Trim(minute);
}

void MetricHistory::Add(const SeriesKey& key, int64_t minute, const Aggregate& value) {
  auto it = series_.find(key);
  if (it == series_.end()) {
    if (series_.size() >= options_.max_series) {
      dropped_series_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    it = series_.emplace(key, Series()).first;
  }
  std::deque<Minute>& minutes = it->second.minutes;
  if (!minutes.empty() && minutes.back().minute == minute) {
    minutes.back().value.Merge(value);
  } else if (minutes.empty() || minutes.back().minute < minute) {
    minutes.push_back({minute, value});
  }  // a clock step backwards: the sample is dropped rather than reordered
}

void MetricHistory::Trim(int64_t now_minute) {
  const int64_t oldest = now_minute - options_.history_minutes + 1;
  for (auto it = series_.begin(); it != series_.end();) {
    std::deque<Minute>& minutes = it->second.minutes;
    while (!minutes.empty() && minutes.front().minute < oldest) minutes.pop_front();
    it = minutes.empty() ? series_.erase(it) : std::next(it);
  }
}

std::vector<SeriesInfo> MetricHistory::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SeriesInfo> out;
  out.reserve(series_.size());
  for (const auto& [key, series] : series_) {
    out.push_back({key, (series.minutes.back().minute + 1) * kMinuteMs});
  }
  return out;
}

std::vector<TimedAggregate> MetricHistory::Query(const SeriesKey& key, int64_t start_ms,
                                                 int64_t end_ms, int64_t period_ms) const {
  std::vector<TimedAggregate> out;
  if (period_ms < kMinuteMs || period_ms % kMinuteMs != 0 || end_ms <= start_ms) return out;
  const int64_t first = FloorDiv(start_ms, period_ms) * period_ms;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = series_.find(key);
  if (it == series_.end()) return out;
  for (const Minute& m : it->second.minutes) {
    const int64_t at = m.minute * kMinuteMs;
    if (at < first) continue;
    const int64_t period_start = first + (at - first) / period_ms * period_ms;
    if (period_start >= end_ms) break;
    if (out.empty() || out.back().start_ms != period_start) out.push_back({period_start, {}});
    out.back().value.Merge(m.value);
  }
  return out;
}

}  // namespace tidelog::server::cloudwatch
