// On-demand scaling (engine_on_demand.cc) with a manual clock: hot shards of
// an ON_DEMAND stream split, cold adjacent pairs merge after a few cold
// rounds, never below 4 shards, at most doubling per round, one action per
// cooldown, PROVISIONED streams untouched, and no record lost or misrouted
// across the reshards.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "engine_test_util.h"

namespace tidelog::testing {
namespace {

class OnDemandTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    EngineOptions o = DefaultOptions();
    o.quotas_enabled = true;
    o.on_demand_cooldown_ms = 30'000;
    Open(o);
    CreateOnDemand("od");
  }

  void CreateOnDemand(const std::string& name) {
    CreateStreamRequest req;
    req.stream_name = name;
    req.mode = StreamMode::kOnDemand;
    ASSERT_OK(engine_->CreateStream(req));
  }

  // Puts `n` records of 900 bytes at explicit hash keys inside `range`, in
  // batches of 500; returns how many were acknowledged (the quota refuses
  // the rest).
  int PutInto(const std::string& stream, const HashKeyRange& range, int n) {
    const std::string data(900, 'd');
    int acked = 0;
    for (int done = 0; done < n;) {
      std::vector<std::string> keys;  // the entries' views point into it
      std::vector<PutRecordEntry> batch;
      keys.reserve(500);
      for (int i = 0; i < 500 && done < n; ++i, ++done) {
        const u128 span = range.ending_hash_key - range.starting_hash_key;
        const u128 hash = range.starting_hash_key + span / 1000 * static_cast<u128>(done % 1000);
        keys.push_back("k" + std::to_string(done));
        batch.push_back({keys.back(), data, hash});
      }
      std::vector<PutRecordResult> results;
      EXPECT_OK(engine_->PutRecords(stream, batch, &results));
      for (const auto& r : results) acked += r.status.ok();
    }
    return acked;
  }

  // One round after `ms` of engine time.
  void Round(int64_t ms) {
    clock_->AdvanceMillis(ms);
    ASSERT_OK(engine_->RunOnDemandScaling());
  }

  int32_t OpenCount(const std::string& stream) {
    return static_cast<int32_t>(OpenShards(stream).size());
  }
};

TEST_F(OnDemandTest, AHotShardSplitsAndAProvisionedOneNeverDoes) {
  CreateStream("prov", 4);
  ASSERT_EQ(OpenCount("od"), 4);
  Round(0);  // the first samples
  const HashKeyRange hot = OpenShards("od")[0].hash_key_range;
  // Twice a shard's 1000 records/s in one second: half is refused, but the
  // demand counts all of it.
  const int acked = PutInto("od", hot, 2000);
  EXPECT_LT(acked, 2000);
  PutInto("prov", OpenShards("prov")[0].hash_key_range, 2000);
  Round(1000);
  const std::vector<ShardInfo> open = OpenShards("od");
  ASSERT_EQ(open.size(), 5u);
  // The hot range is now two children that tile it.
  std::vector<HashKeyRange> inside;
  for (const auto& s : open) {
    if (s.hash_key_range.starting_hash_key >= hot.starting_hash_key &&
        s.hash_key_range.ending_hash_key <= hot.ending_hash_key) {
      inside.push_back(s.hash_key_range);
    }
  }
  ASSERT_EQ(inside.size(), 2u);
  EXPECT_EQ(inside[0].starting_hash_key, hot.starting_hash_key);
  EXPECT_EQ(inside[0].ending_hash_key + 1, inside[1].starting_hash_key);
  EXPECT_EQ(inside[1].ending_hash_key, hot.ending_hash_key);
  EXPECT_EQ(OpenCount("prov"), 4);
  StreamInfo info;
  ASSERT_OK(engine_->DescribeStream("od", &info));
  EXPECT_EQ(info.status, StreamStatus::kActive);
}

TEST_F(OnDemandTest, CooldownHoldsTheNextActionBack) {
  Round(0);
  PutInto("od", OpenShards("od")[0].hash_key_range, 2000);
  Round(1000);
  ASSERT_EQ(OpenCount("od"), 5);
  // Still hot, but within the cooldown: nothing.
  for (int i = 0; i < 3; ++i) {
    PutInto("od", OpenShards("od")[0].hash_key_range, 2000);
    Round(1000);
  }
  EXPECT_EQ(OpenCount("od"), 5);
  Round(30'000);  // past the cooldown: a fresh measurement first (idle)
  PutInto("od", OpenShards("od")[0].hash_key_range, 2000);
  Round(1000);
  EXPECT_EQ(OpenCount("od"), 6);
}

TEST_F(OnDemandTest, CapacityAtMostDoublesPerRound) {
  Round(0);
  for (const auto& s : OpenShards("od")) PutInto("od", s.hash_key_range, 2000);
  Round(1000);
  EXPECT_EQ(OpenCount("od"), 8);
}

TEST_F(OnDemandTest, ColdPairsMergeAfterSeveralRoundsButNeverBelowFour) {
  Round(0);
  PutInto("od", OpenShards("od")[0].hash_key_range, 2000);
  Round(1000);
  ASSERT_EQ(OpenCount("od"), 5);
  // Idle (past the cooldown): two cold rounds are not enough, the third merges.
  Round(40'000);
  Round(1000);
  EXPECT_EQ(OpenCount("od"), 5);
  Round(1000);
  EXPECT_EQ(OpenCount("od"), 4);
  // Cold for ever after: stays at four.
  for (int i = 0; i < 10; ++i) Round(40'000);
  EXPECT_EQ(OpenCount("od"), 4);
}

TEST_F(OnDemandTest, NoRecordLostOrMisroutedAcrossScaling) {
  Round(0);
  std::map<std::string, std::string> acked;  // partition key -> data
  int n = 0;
  for (int round = 0; round < 6; ++round) {
    // Random keys, hot enough on every shard to split each round it may.
    std::vector<PutRecordEntry> batch;
    std::vector<std::string> keys, datas;
    for (int i = 0; i < 500; ++i, ++n) {
      keys.push_back("key-" + std::to_string(n));
      datas.push_back(std::to_string(n) + std::string(1500, 'v'));
    }
    for (int i = 0; i < 500; ++i) batch.push_back({keys[i], datas[i], std::nullopt});
    for (int rep = 0; rep < 4; ++rep) {
      std::vector<PutRecordResult> results;
      ASSERT_OK(engine_->PutRecords("od", batch, &results));
      for (int i = 0; i < 500; ++i) {
        if (results[i].status.ok()) acked[keys[i]] = datas[i];
      }
    }
    Round(round % 2 ? 31'000 : 1000);
  }
  EXPECT_GT(OpenCount("od"), 4);
  // Read back without the read quota (same directory, quotas off).
  EngineOptions o = DefaultOptions();
  o.quotas_enabled = false;
  Open(o);
  // Every acknowledged record is in the shard whose range holds its key's
  // hash (at the time it was written: a closed parent or an open child).
  std::map<std::string, std::string> read;
  for (const auto& shard : Shards("od")) {
    for (const auto& r : Drain(Iterator("od", shard.shard_id, ShardIteratorType::kTrimHorizon))) {
      const u128 h = Md5BigEndian(r.partition_key);
      EXPECT_GE(h, shard.hash_key_range.starting_hash_key) << r.partition_key;
      EXPECT_LE(h, shard.hash_key_range.ending_hash_key) << r.partition_key;
      read[r.partition_key] = r.data;
    }
  }
  for (const auto& [key, data] : acked) {
    auto it = read.find(key);
    ASSERT_NE(it, read.end()) << key << " was acknowledged and is gone";
    EXPECT_EQ(it->second, data);
  }
}

}  // namespace
}  // namespace tidelog::testing
