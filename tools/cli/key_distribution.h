// Partition-key distribution over a shard map, as Kinesis routes it: the
// MD5 of the key as a big-endian 128-bit integer (tidelog::PartitionKeyHash,
// the engine's own routing hash) falls in the shard whose inclusive
// [StartingHashKey, EndingHashKey] covers it. Key strategies generate keys
// deterministically from a seed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tidelog/types.h"

namespace tidelog::cli {

inline constexpr int kMaxUniformShards = 100000;
inline constexpr int64_t kMaxKeyCount = 100'000'000;
inline constexpr size_t kMaxPartitionKeyBytes = 256;

struct ShardSlot {
  std::string shard_id;
  HashKeyRange range;
};

// Open shards sorted by StartingHashKey. Route() is a binary search.
class ShardMap {
 public:
  ShardMap() = default;
  // Sorts; returns an error text when the ranges overlap or leave a gap in
  // [0, 2^128-1] (open shards always cover it exactly).
  static std::optional<std::string> Build(std::vector<ShardSlot> slots, ShardMap* out);
  // The uniform map CreateStream makes for `shard_count` shards, ids
  // shardId-000000000000 upwards.
  static ShardMap Uniform(int shard_count);

  // Index into slots() of the shard covering `hash_key`.
  size_t Route(u128 hash_key) const;
  size_t RouteKey(std::string_view partition_key) const {
    return Route(PartitionKeyHash(partition_key));
  }
  const std::vector<ShardSlot>& slots() const { return slots_; }
  // The fraction of the hash-key space shard `i` covers (sums to 1).
  double SpaceFraction(size_t i) const;

 private:
  std::vector<ShardSlot> slots_;
};

// Generates partition keys. Same strategy and seed -> same keys.
class KeyStrategy {
 public:
  virtual ~KeyStrategy() = default;
  virtual std::string NextKey() = 0;
  // How many keys the strategy has on its own (file: its lines), if bounded.
  virtual std::optional<int64_t> NaturalCount() const { return std::nullopt; }
  const std::string& name() const { return name_; }

 protected:
  explicit KeyStrategy(std::string name) : name_(std::move(name)) {}

 private:
  std::string name_;
};

// random | user-mod:N | date-prefix | hash-suffix:K | file:PATH | constant.
// `date` is the date-prefix's YYYY-MM-DD. Error text on a bad spec or an
// unreadable / invalid file (empty lines are skipped; a key over 256 bytes
// is an error).
std::optional<std::string> MakeKeyStrategy(std::string_view spec, uint64_t seed,
                                           const std::string& date,
                                           std::unique_ptr<KeyStrategy>* out);

struct ShardShare {
  std::string shard_id;
  int64_t keys = 0;
  double share = 0;           // keys / total
  double expected_share = 0;  // the shard's fraction of the key space
  double load_ratio = 0;      // share / expected_share: 1 is fair
  bool hot = false;           // load_ratio > hot threshold
};

struct Distribution {
  std::string strategy;
  int64_t total_keys = 0;
  int64_t distinct_keys = 0;
  std::vector<ShardShare> shards;  // in shard-map order
  double max_over_mean = 0;        // busiest shard's keys / mean keys per shard
  double min_over_mean = 0;
  double coefficient_of_variation = 0;  // stddev / mean of keys per shard
  size_t hottest = 0;                   // index into shards
  int hot_shards = 0;
};

// Routes `count` keys of `strategy` over `map` and computes the statistics;
// a shard is hot when its share exceeds `hot_threshold` times its expected
// share (for a uniform map: times the mean).
Distribution MeasureDistribution(const ShardMap& map, KeyStrategy& strategy, int64_t count,
                                 double hot_threshold);
// The statistics of given per-shard counts (exposed for tests).
Distribution SummarizeCounts(const ShardMap& map, const std::vector<int64_t>& counts,
                             double hot_threshold);

}  // namespace tidelog::cli
