// Shard maps, key strategies and their distribution statistics.
#include "tools/cli/key_distribution.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <unordered_set>

namespace tidelog::cli {
namespace {

// Distinct keys are counted by hash up to this many (memory stays bounded);
// past it Distribution::distinct_keys is a lower bound.
constexpr size_t kMaxDistinctTracked = 2'000'000;

struct U128Hash {
  size_t operator()(u128 v) const {
    return static_cast<size_t>(static_cast<uint64_t>(v) ^ static_cast<uint64_t>(v >> 64));
  }
};

std::string HexDigits(uint64_t value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(static_cast<size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, value >>= 4) out[static_cast<size_t>(i)] = kHex[value & 15];
  return out;
}

bool ParsePositive(std::string_view text, int64_t max, int64_t* out) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 1 || v > max) return false;
  *out = v;
  return true;
}

class RandomUuidKeys : public KeyStrategy {
 public:
  explicit RandomUuidKeys(uint64_t seed) : KeyStrategy("random"), rng_(seed) {}
  std::string NextKey() override {
    const uint64_t hi = (rng_() & ~0xf000ULL) | 0x4000ULL;        // version 4
    const uint64_t lo = (rng_() & ~(3ULL << 62)) | (2ULL << 62);  // variant 10
    const std::string h = HexDigits(hi, 16), l = HexDigits(lo, 16);
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + l.substr(0, 4) +
           "-" + l.substr(4);
  }

 private:
  std::mt19937_64 rng_;
};

class UserModKeys : public KeyStrategy {
 public:
  UserModKeys(uint64_t seed, int64_t modulus)
      : KeyStrategy("user-mod:" + std::to_string(modulus)), rng_(seed), modulus_(modulus) {}
  std::string NextKey() override {
    return "user-" + std::to_string(rng_() % static_cast<uint64_t>(modulus_));
  }

 private:
  std::mt19937_64 rng_;
  int64_t modulus_;
};

class DatePrefixKeys : public KeyStrategy {
 public:
  DatePrefixKeys(uint64_t seed, std::string date)
      : KeyStrategy("date-prefix"), rng_(seed), date_(std::move(date)) {}
  std::string NextKey() override { return date_ + "/" + std::to_string(rng_() % 1'000'000'000); }

 private:
  std::mt19937_64 rng_;
  std::string date_;
};

// The constant hot key, salted with `digits` random hex characters:
// 16^digits distinct keys.
class HashSuffixKeys : public KeyStrategy {
 public:
  HashSuffixKeys(uint64_t seed, int digits)
      : KeyStrategy("hash-suffix:" + std::to_string(digits)), rng_(seed), digits_(digits) {}
  std::string NextKey() override {
    std::string key = "hot-key-";
    for (int left = digits_; left > 0; left -= 16) key += HexDigits(rng_(), std::min(left, 16));
    return key;
  }

 private:
  std::mt19937_64 rng_;
  int digits_;
};

class ConstantKey : public KeyStrategy {
 public:
  ConstantKey() : KeyStrategy("constant") {}
  std::string NextKey() override { return "hot-key"; }
};

// Cycles through the file's keys in order.
class FileKeys : public KeyStrategy {
 public:
  FileKeys(std::string name, std::vector<std::string> keys)
      : KeyStrategy(std::move(name)), keys_(std::move(keys)) {}
  std::string NextKey() override {
    const std::string& key = keys_[next_];
    next_ = (next_ + 1) % keys_.size();
    return key;
  }
  std::optional<int64_t> NaturalCount() const override {
    return static_cast<int64_t>(keys_.size());
  }

 private:
  std::vector<std::string> keys_;  // never empty
  size_t next_ = 0;
};

}  // namespace

std::optional<std::string> ShardMap::Build(std::vector<ShardSlot> slots, ShardMap* out) {
  if (slots.empty()) return "the stream has no open shards";
  std::sort(slots.begin(), slots.end(), [](const ShardSlot& a, const ShardSlot& b) {
    return a.range.starting_hash_key < b.range.starting_hash_key;
  });
  if (slots.front().range.starting_hash_key != 0 ||
      slots.back().range.ending_hash_key != kMaxHashKey)
    return "the open shards do not cover the hash-key space";
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i].range.ending_hash_key < slots[i].range.starting_hash_key)
      return "shard " + slots[i].shard_id + " has an empty hash-key range";
    if (i > 0 && slots[i - 1].range.ending_hash_key + 1 != slots[i].range.starting_hash_key)
      return "open shards " + slots[i - 1].shard_id + " and " + slots[i].shard_id +
             " overlap or leave a gap";
  }
  out->slots_ = std::move(slots);
  return std::nullopt;
}

ShardMap ShardMap::Uniform(int shard_count) {
  ShardMap map;
  int index = 0;
  // CreateStream's layout (tidelog/types.h); shard_count < 1 gives none.
  for (const HashKeyRange& range :
       tidelog::UniformHashKeyRanges(shard_count < 1 ? 0 : static_cast<uint32_t>(shard_count)))
    map.slots_.push_back({FormatShardId(static_cast<uint32_t>(index++)), range});
  return map;
}

size_t ShardMap::Route(u128 hash_key) const {
  // The last shard whose start is <= hash_key; the map covers the space.
  auto after = std::upper_bound(
      slots_.begin(), slots_.end(), hash_key,
      [](u128 key, const ShardSlot& slot) { return key < slot.range.starting_hash_key; });
  return static_cast<size_t>(after - slots_.begin()) - 1;
}

double ShardMap::SpaceFraction(size_t i) const {
  const HashKeyRange& r = slots_[i].range;
  // 2^128 as a double is exact; the width minus one avoids overflowing u128.
  return (static_cast<double>(r.ending_hash_key - r.starting_hash_key) + 1.0) /
         std::ldexp(1.0, 128);
}

std::optional<std::string> MakeKeyStrategy(std::string_view spec, uint64_t seed,
                                           const std::string& date,
                                           std::unique_ptr<KeyStrategy>* out) {
  const size_t colon = spec.find(':');
  const std::string_view kind = spec.substr(0, colon);
  const std::string_view arg = colon == std::string_view::npos ? "" : spec.substr(colon + 1);
  const bool has_arg = colon != std::string_view::npos;
  int64_t n = 0;
  if (kind == "random" && !has_arg) {
    *out = std::make_unique<RandomUuidKeys>(seed);
  } else if (kind == "constant" && !has_arg) {
    *out = std::make_unique<ConstantKey>();
  } else if (kind == "date-prefix" && !has_arg) {
    *out = std::make_unique<DatePrefixKeys>(seed, date);
  } else if (kind == "user-mod") {
    if (!ParsePositive(arg, 1'000'000'000, &n)) return "user-mod:N needs N in 1..1000000000";
    *out = std::make_unique<UserModKeys>(seed, n);
  } else if (kind == "hash-suffix") {
    if (!ParsePositive(arg, 32, &n)) return "hash-suffix:K needs K in 1..32";
    *out = std::make_unique<HashSuffixKeys>(seed, static_cast<int>(n));
  } else if (kind == "file" && !arg.empty()) {
    std::ifstream in{std::string(arg)};
    if (!in) return "cannot read " + std::string(arg);
    std::vector<std::string> keys;
    std::string line;
    for (int64_t number = 1; std::getline(in, line); ++number) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      if (line.size() > kMaxPartitionKeyBytes)
        return std::string(arg) + ":" + std::to_string(number) + ": key over 256 bytes";
      if (static_cast<int64_t>(keys.size()) >= kMaxKeyCount)
        return std::string(arg) + ": more than 100000000 keys";
      keys.push_back(line);
    }
    if (keys.empty()) return std::string(arg) + ": no keys";
    *out = std::make_unique<FileKeys>("file:" + std::string(arg), std::move(keys));
  } else {
    return "unknown key strategy '" + std::string(spec) +
           "' (random, user-mod:N, date-prefix, hash-suffix:K, file:PATH, constant)";
  }
  return std::nullopt;
}

Distribution SummarizeCounts(const ShardMap& map, const std::vector<int64_t>& counts,
                             double hot_threshold) {
  Distribution d;
  const size_t n = map.slots().size();
  for (int64_t c : counts) d.total_keys += c;
  const double total = static_cast<double>(d.total_keys);
  const double mean = total / static_cast<double>(n);
  double sum_sq = 0;
  int64_t max_keys = -1, min_keys = INT64_MAX;
  for (size_t i = 0; i < n; ++i) {
    ShardShare s;
    s.shard_id = map.slots()[i].shard_id;
    s.keys = counts[i];
    s.share = total > 0 ? static_cast<double>(s.keys) / total : 0;
    s.expected_share = map.SpaceFraction(i);
    s.load_ratio = s.expected_share > 0 ? s.share / s.expected_share : 0;
    s.hot = total > 0 && s.load_ratio > hot_threshold;
    d.hot_shards += s.hot ? 1 : 0;
    if (s.keys > max_keys) {
      max_keys = s.keys;
      d.hottest = i;
    }
    min_keys = std::min(min_keys, s.keys);
    const double dev = static_cast<double>(s.keys) - mean;
    sum_sq += dev * dev;
    d.shards.push_back(std::move(s));
  }
  if (mean > 0) {
    d.max_over_mean = static_cast<double>(max_keys) / mean;
    d.min_over_mean = static_cast<double>(min_keys) / mean;
    d.coefficient_of_variation = std::sqrt(sum_sq / static_cast<double>(n)) / mean;
  }
  return d;
}

Distribution MeasureDistribution(const ShardMap& map, KeyStrategy& strategy, int64_t count,
                                 double hot_threshold) {
  std::vector<int64_t> counts(map.slots().size(), 0);
  std::unordered_set<u128, U128Hash> distinct;
  for (int64_t i = 0; i < count; ++i) {
    const u128 hash = PartitionKeyHash(strategy.NextKey());
    ++counts[map.Route(hash)];
    if (distinct.size() < kMaxDistinctTracked) distinct.insert(hash);
  }
  Distribution d = SummarizeCounts(map, counts, hot_threshold);
  d.strategy = strategy.name();
  d.distinct_keys = static_cast<int64_t>(distinct.size());
  return d;
}

}  // namespace tidelog::cli
