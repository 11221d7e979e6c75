// ON_DEMAND capacity: the engine reshards on-demand streams by the write
// demand it measures, as AWS does for on-demand mode, and never touches
// PROVISIONED streams.
//
// Every round (Engine::RunOnDemandScaling, in the background every
// on_demand_interval_ms) reads each open shard's counters of an on-demand
// stream and turns the change since the previous round into a demand rate:
// bytes and records stored plus those refused by the shard quota, so a
// throttled shard shows what it was asked for, not what it took. Then, per
// stream and outside its cooldown:
//   - every shard whose demand reaches kSplitFraction of a shard's write
//     limit (bytes or records) is split at the middle of its hash range, at
//     most as many splits as the stream has open shards (capacity at most
//     doubles per round, as AWS lets on-demand capacity follow up to twice the
//     previous peak);
//   - otherwise one pair of adjacent shards whose combined demand stayed at
//     or under kMergeFraction of one shard's limit for kColdRounds rounds in a
//     row is merged, never below kOnDemandDefaultShards (4) open shards, an on-demand
// stream's start.
// The thresholds leave a gap (a merged shard starts below a third of the
// split threshold), and an action starts the stream's cooldown, so capacity
// does not flap. Splits and merges are the same metadata batches as
// SplitShard and MergeShards, on the committer: records are never lost or
// misrouted while it reshards.
#include <algorithm>
#include <unordered_map>

#include "engine/src/engine_impl.h"
#include "engine/src/limits.h"
#include "engine/src/messages.h"

namespace tidelog {
namespace {

constexpr double kSplitFraction = 0.8;
constexpr double kMergeFraction = 0.25;
constexpr int kColdRounds = 3;

// A shard's write limit (the stream's quota override, or AWS's default).
ShardQuota QuotaOf(const StreamState& s) { return s.quota.value_or(ShardQuota{}); }

}  // namespace

void EngineImpl::OnDemandLoop() {
  std::unique_lock<std::mutex> lock(retention_stop_mu_);
  while (!retention_stop_) {
    retention_cv_.wait_for(lock, std::chrono::milliseconds(options_.on_demand_interval_ms),
                           [&] { return retention_stop_; });
    if (retention_stop_) break;
    lock.unlock();
    (void)RunOnDemandScaling();  // a failed round is retried by the next
    lock.lock();
  }
}

Status EngineImpl::RunOnDemandScaling() {
  std::lock_guard<std::mutex> round(on_demand_mu_);  // one round at a time
  const int64_t now = NowMs();
  struct Plan {
    uint64_t stream_uid = 0;
    std::vector<std::pair<uint64_t, u128>> splits;  // shard uid, new starting hash key
    std::pair<uint64_t, uint64_t> merge{0, 0};      // adjacent shard uids, when any
  };
  std::vector<Plan> plans;
  std::unordered_map<uint64_t, OnDemandSample> samples;
  {
    std::shared_lock<std::shared_mutex> lock(catalog_.mu);
    for (const auto& [name, stream] : catalog_.streams) {
      const StreamState& s = *stream;
      if (s.mode != StreamMode::kOnDemand || StatusOf(s) != StreamStatus::kActive) continue;
      const ShardQuota quota = QuotaOf(s);
      const double max_bytes = double(quota.write_bytes_per_sec);
      const double max_records = double(quota.write_records_per_sec);
      // Demand per open shard as a fraction of its limit (-1: no rate yet).
      std::vector<double> load;
      for (const ShardState* sh : s.open_by_hash) {
        const TrafficStats& t = sh->stats.traffic;
        OnDemandSample now_sample;
        now_sample.ms = now;
        now_sample.bytes = t.incoming_bytes.load(std::memory_order_relaxed) +
                           sh->stats.write_throttled_bytes.load(std::memory_order_relaxed);
        now_sample.records = t.incoming_records.load(std::memory_order_relaxed) +
                             t.write_throttled_records.load(std::memory_order_relaxed);
        double fraction = -1;
        auto prev = on_demand_samples_.find(sh->uid);
        if (prev != on_demand_samples_.end() && now > prev->second.ms) {
          const double secs = double(now - prev->second.ms) / 1000.0;
          const double bytes = double(now_sample.bytes - prev->second.bytes) / secs;
          const double records = double(now_sample.records - prev->second.records) / secs;
          fraction = std::max(max_bytes > 0 ? bytes / max_bytes : 0.0,
                              max_records > 0 ? records / max_records : 0.0);
          now_sample.cold_rounds = prev->second.cold_rounds;
        } else if (prev != on_demand_samples_.end()) {
          now_sample = prev->second;  // no time passed: keep the old sample
        }
        load.push_back(fraction);
        samples[sh->uid] = now_sample;
      }
      auto last = on_demand_last_action_ms_.find(s.uid);
      if (last != on_demand_last_action_ms_.end() &&
          now - last->second < options_.on_demand_cooldown_ms) {
        continue;
      }
      Plan plan;
      plan.stream_uid = s.uid;
      const size_t max_splits = s.open_by_hash.size();
      for (size_t i = 0; i < s.open_by_hash.size() && plan.splits.size() < max_splits; ++i) {
        const ShardState* sh = s.open_by_hash[i];
        const HashKeyRange r = sh->range;
        if (load[i] < kSplitFraction || r.ending_hash_key == r.starting_hash_key) continue;
        const u128 mid = r.starting_hash_key + (r.ending_hash_key - r.starting_hash_key) / 2 + 1;
        plan.splits.emplace_back(sh->uid, mid);
      }
      // Cold pairs: both measured, together under the merge threshold; the
      // left shard of the pair carries the count of cold rounds in a row.
      if (plan.splits.empty() && s.OpenShardCount() > kOnDemandDefaultShards) {
        for (size_t i = 0; i + 1 < s.open_by_hash.size(); ++i) {
          OnDemandSample& left = samples[s.open_by_hash[i]->uid];
          const bool cold =
              load[i] >= 0 && load[i + 1] >= 0 && load[i] + load[i + 1] <= kMergeFraction;
          left.cold_rounds = cold ? left.cold_rounds + 1 : 0;
          if (cold && left.cold_rounds >= kColdRounds && plan.merge.first == 0) {
            plan.merge = {s.open_by_hash[i]->uid, s.open_by_hash[i + 1]->uid};
          }
        }
      }
      if (!plan.splits.empty() || plan.merge.first != 0) plans.push_back(std::move(plan));
    }
  }
  on_demand_samples_ = std::move(samples);  // forgets closed and deleted shards

  Status result;
  for (const Plan& plan : plans) {
    Status s = Mutate([&](storage::LogBatch* batch) -> Status {
      std::unique_lock<std::shared_mutex> lock(catalog_.mu);
      auto st = catalog_.streams_by_uid.find(plan.stream_uid);
      if (st == catalog_.streams_by_uid.end()) return Status::OK();  // deleted meanwhile
      StreamState* stream = st->second.get();
      if (stream->mode != StreamMode::kOnDemand) return Status::OK();  // switched meanwhile
      auto open_shard = [&](uint64_t uid) -> ShardState* {
        auto sh = catalog_.shards_by_uid.find(uid);
        return sh == catalog_.shards_by_uid.end() || sh->second->closed ? nullptr
                                                                        : sh->second.get();
      };
      for (const auto& [uid, mid] : plan.splits) {
        ShardState* sh = open_shard(uid);
        if (sh == nullptr) continue;
        Status limit = msg::CheckShardLimit(account(), options_.region, catalog_.TotalShards(),
                                            options_.shard_limit, 2);
        if (!limit.ok()) return limit;  // at the account's shard limit: stay as is
        Status split = SplitLocked(stream, sh, mid, batch, /*any_interior_key=*/true);
        if (!split.ok()) return split;
      }
      if (plan.merge.first != 0) {
        ShardState* a = open_shard(plan.merge.first);
        ShardState* b = open_shard(plan.merge.second);
        if (a != nullptr && b != nullptr) {
          Status merge = MergeLocked(stream, a, b, batch);
          if (!merge.ok()) return merge;
        }
      }
      return Status::OK();
    });
    if (s.ok()) {
      on_demand_last_action_ms_[plan.stream_uid] = now;
    } else if (result.ok()) {
      result = s;
    }
  }
  return result;
}

}  // namespace tidelog
