// Shard maps and key routing checked against the engine's own CreateStream
// split and PutRecords routing; key strategies; skew statistics.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include "tidelog/engine.h"
#include "tools/cli/key_distribution.h"

namespace tidelog::cli {
namespace {

class EngineRoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tidelog-tools-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    EngineOptions o;
    o.data_dir = (dir_ / "db").string();
    o.retention_interval_ms = 0;
    o.quotas_enabled = false;
    ASSERT_TRUE(Engine::Open(o, &engine_).ok());
  }
  void TearDown() override {
    engine_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::vector<ShardInfo> CreateAndList(const std::string& name, int shards) {
    CreateStreamRequest req;
    req.stream_name = name;
    req.shard_count = shards;
    EXPECT_TRUE(engine_->CreateStream(req).ok());
    std::vector<ShardInfo> listed;
    EXPECT_TRUE(engine_->ListShards(name, {}, &listed).ok());
    return listed;
  }
  std::filesystem::path dir_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineRoutingTest, UniformMapMatchesCreateStream) {
  for (int n : {1, 2, 3, 4, 5, 7, 16, 33, 100, 500}) {
    const std::vector<ShardInfo> engine_shards = CreateAndList("s" + std::to_string(n), n);
    const ShardMap map = ShardMap::Uniform(n);
    ASSERT_EQ(engine_shards.size(), map.slots().size()) << n;
    for (size_t i = 0; i < engine_shards.size(); ++i) {
      EXPECT_EQ(map.slots()[i].shard_id, engine_shards[i].shard_id);
      EXPECT_EQ(map.slots()[i].range.starting_hash_key,
                engine_shards[i].hash_key_range.starting_hash_key)
          << n << " shard " << i;
      EXPECT_EQ(map.slots()[i].range.ending_hash_key,
                engine_shards[i].hash_key_range.ending_hash_key)
          << n << " shard " << i;
    }
  }
}

TEST_F(EngineRoutingTest, RoutingMatchesPutRecords) {
  const int n = 7;
  CreateAndList("route", n);
  const ShardMap map = ShardMap::Uniform(n);
  std::unique_ptr<KeyStrategy> keys;
  ASSERT_FALSE(MakeKeyStrategy("random", 42, "2026-12-03", &keys).has_value());
  std::vector<std::string> partition_keys;
  for (int i = 0; i < 500; ++i) partition_keys.push_back(keys->NextKey());
  std::vector<PutRecordEntry> batch;
  for (const auto& k : partition_keys) batch.push_back({k, "x", std::nullopt});
  std::vector<PutRecordResult> results;
  ASSERT_TRUE(engine_->PutRecords("route", batch, &results).ok());
  ASSERT_EQ(results.size(), partition_keys.size());
  std::set<size_t> used;
  for (size_t i = 0; i < results.size(); ++i) {
    const size_t routed = map.RouteKey(partition_keys[i]);
    EXPECT_EQ(map.slots()[routed].shard_id, FormatShardId(results[i].shard_index))
        << partition_keys[i];
    used.insert(routed);
  }
  EXPECT_EQ(used.size(), static_cast<size_t>(n));
}

TEST(ShardMapTest, UniformBoundaries) {
  const ShardMap two = ShardMap::Uniform(2);
  const u128 half = static_cast<u128>(1) << 127;
  EXPECT_EQ(two.slots()[0].range.ending_hash_key, half - 1);
  EXPECT_EQ(two.slots()[1].range.starting_hash_key, half);
  EXPECT_EQ(two.slots()[1].range.ending_hash_key, kMaxHashKey);
  EXPECT_EQ(two.Route(half - 1), 0u);
  EXPECT_EQ(two.Route(half), 1u);
  EXPECT_EQ(two.Route(0), 0u);
  EXPECT_EQ(two.Route(kMaxHashKey), 1u);
  // 3 shards: step floor(2^128 / 3); the last absorbs the remainder.
  const ShardMap three = ShardMap::Uniform(3);
  const u128 step = kMaxHashKey / 3;
  EXPECT_EQ(three.slots()[1].range.starting_hash_key, step);
  EXPECT_EQ(three.slots()[2].range.starting_hash_key, 2 * step);
  EXPECT_EQ(three.slots()[2].range.ending_hash_key, kMaxHashKey);
  double total = 0;
  for (size_t i = 0; i < three.slots().size(); ++i) total += three.SpaceFraction(i);
  EXPECT_NEAR(total, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(ShardMap::Uniform(1).SpaceFraction(0), 1.0);
}

TEST(ShardMapTest, KnownKeyRoutes) {
  // MD5("hello") = 5d41402abc4b2a76b9719d911017c592: top byte 0x5d of 0x100.
  EXPECT_EQ(PartitionKeyHash("hello") >> 120, 0x5du);
  EXPECT_EQ(ShardMap::Uniform(4).RouteKey("hello"), 1u);  // 0x40..0x7f
  EXPECT_EQ(ShardMap::Uniform(2).RouteKey("hello"), 0u);  // below 0x80
  EXPECT_EQ(ShardMap::Uniform(256).RouteKey("hello"), 0x5du);
}

TEST(ShardMapTest, BuildRejectsGapsAndOverlaps) {
  ShardMap map;
  const u128 half = static_cast<u128>(1) << 127;
  EXPECT_FALSE(ShardMap::Build({{"b", {half, kMaxHashKey}}, {"a", {0, half - 1}}}, &map));
  EXPECT_EQ(map.slots()[0].shard_id, "a");  // sorted by start
  EXPECT_TRUE(
      ShardMap::Build({{"a", {0, half - 2}}, {"b", {half, kMaxHashKey}}}, &map).has_value());
  EXPECT_TRUE(ShardMap::Build({{"a", {0, half}}, {"b", {half, kMaxHashKey}}}, &map).has_value());
  EXPECT_TRUE(ShardMap::Build({{"a", {1, kMaxHashKey}}}, &map).has_value());
  EXPECT_TRUE(ShardMap::Build({}, &map).has_value());
}

TEST(KeyStrategyTest, SpecsAndDeterminism) {
  std::unique_ptr<KeyStrategy> a, b;
  ASSERT_FALSE(MakeKeyStrategy("random", 7, "2026-12-03", &a));
  ASSERT_FALSE(MakeKeyStrategy("random", 7, "2026-12-03", &b));
  const std::string key = a->NextKey();
  EXPECT_EQ(key, b->NextKey());
  ASSERT_EQ(key.size(), 36u);
  EXPECT_EQ(key[14], '4');  // UUID version nibble
  ASSERT_FALSE(MakeKeyStrategy("user-mod:3", 1, "2026-12-03", &a));
  std::set<std::string> users;
  for (int i = 0; i < 200; ++i) users.insert(a->NextKey());
  EXPECT_EQ(users, (std::set<std::string>{"user-0", "user-1", "user-2"}));
  ASSERT_FALSE(MakeKeyStrategy("date-prefix", 1, "2026-12-03", &a));
  EXPECT_EQ(a->NextKey().rfind("2026-12-03/", 0), 0u);
  ASSERT_FALSE(MakeKeyStrategy("hash-suffix:20", 1, "2026-12-03", &a));
  EXPECT_EQ(a->NextKey().size(), std::string("hot-key-").size() + 20);
  ASSERT_FALSE(MakeKeyStrategy("constant", 1, "", &a));
  EXPECT_EQ(a->NextKey(), a->NextKey());
  for (const char* bad : {"user-mod:0", "user-mod:x", "user-mod:", "hash-suffix:33", "random:1",
                          "file:", "nonsense", "file:/nonexistent/keys"}) {
    EXPECT_TRUE(MakeKeyStrategy(bad, 1, "", &a).has_value()) << bad;
  }
}

TEST(KeyStrategyTest, FileKeys) {
  const auto path = std::filesystem::temp_directory_path() / "tidelog-tools-keys.txt";
  {
    std::ofstream out(path);
    out << "alpha\r\n\nbeta\ngamma\n";
  }
  std::unique_ptr<KeyStrategy> s;
  ASSERT_FALSE(MakeKeyStrategy("file:" + path.string(), 1, "", &s));
  EXPECT_EQ(s->NaturalCount(), 3);
  EXPECT_EQ(s->NextKey(), "alpha");
  EXPECT_EQ(s->NextKey(), "beta");
  EXPECT_EQ(s->NextKey(), "gamma");
  EXPECT_EQ(s->NextKey(), "alpha");
  {
    std::ofstream out(path);
    out << std::string(257, 'k') << "\n";
  }
  auto error = MakeKeyStrategy("file:" + path.string(), 1, "", &s);
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->find(":1: key over 256 bytes"), std::string::npos);
  std::filesystem::remove(path);
}

TEST(SkewTest, StatisticsOfCounts) {
  const ShardMap map = ShardMap::Uniform(4);
  Distribution d = SummarizeCounts(map, {100, 100, 100, 100}, 1.5);
  EXPECT_DOUBLE_EQ(d.max_over_mean, 1.0);
  EXPECT_DOUBLE_EQ(d.coefficient_of_variation, 0.0);
  EXPECT_EQ(d.hot_shards, 0);
  d = SummarizeCounts(map, {160, 80, 80, 80}, 1.5);  // 1.6x mean
  EXPECT_DOUBLE_EQ(d.max_over_mean, 1.6);
  EXPECT_DOUBLE_EQ(d.min_over_mean, 0.8);
  EXPECT_EQ(d.hot_shards, 1);
  EXPECT_EQ(d.hottest, 0u);
  EXPECT_TRUE(d.shards[0].hot);
  EXPECT_NEAR(d.shards[0].load_ratio, 1.6, 1e-12);
  d = SummarizeCounts(map, {149, 84, 84, 83}, 1.5);  // just under the threshold
  EXPECT_EQ(d.hot_shards, 0);
  d = SummarizeCounts(map, {0, 0, 0, 0}, 1.5);
  EXPECT_EQ(d.hot_shards, 0);
  EXPECT_EQ(d.max_over_mean, 0);
}

TEST(SkewTest, UnequalRangesCompareWithTheirOwnShare) {
  ShardMap map;
  const u128 quarter = static_cast<u128>(1) << 126;
  ASSERT_FALSE(
      ShardMap::Build({{"small", {0, quarter - 1}}, {"big", {quarter, kMaxHashKey}}}, &map));
  // 25% / 75% is exactly fair for these ranges although max/mean is 1.5.
  Distribution d = SummarizeCounts(map, {250, 750}, 1.2);
  EXPECT_DOUBLE_EQ(d.max_over_mean, 1.5);
  EXPECT_EQ(d.hot_shards, 0);
  EXPECT_NEAR(d.shards[0].load_ratio, 1.0, 1e-12);
}

TEST(SkewTest, ConstantKeyIsOneHotShard) {
  const ShardMap map = ShardMap::Uniform(8);
  std::unique_ptr<KeyStrategy> s;
  ASSERT_FALSE(MakeKeyStrategy("constant", 1, "", &s));
  Distribution d = MeasureDistribution(map, *s, 1000, 1.5);
  EXPECT_EQ(d.total_keys, 1000);
  EXPECT_EQ(d.distinct_keys, 1);
  EXPECT_EQ(d.hot_shards, 1);
  EXPECT_DOUBLE_EQ(d.max_over_mean, 8.0);
  EXPECT_EQ(d.shards[d.hottest].shard_id, map.slots()[map.RouteKey("hot-key")].shard_id);
}

}  // namespace
}  // namespace tidelog::cli
