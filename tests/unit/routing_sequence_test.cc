// Write-path rules: MD5 routing to the open shard owning the hash key, ExplicitHashKey override,
// batch results, and sequence numbers (per-shard order, stream-wide uniqueness,
// SequenceNumberForOrdering).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine_test_util.h"

namespace tidelog::testing {
namespace {

class RoutingTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Open();
  }

  // Index of the open shard whose range holds `hash`, or -1.
  static int OwnerOf(const std::vector<ShardInfo>& shards, u128 hash) {
    int owner = -1;
    for (const auto& s : shards) {
      if (!s.open()) continue;
      if (s.hash_key_range.starting_hash_key <= hash && hash <= s.hash_key_range.ending_hash_key) {
        EXPECT_EQ(owner, -1) << "two open shards own the same hash key";
        uint32_t ix = 0;
        EXPECT_TRUE(ParseShardId(s.shard_id, &ix));
        owner = static_cast<int>(ix);
      }
    }
    return owner;
  }
};

TEST_F(RoutingTest, PartitionKeyMd5PicksTheOwningShard) {
  CreateStream("r", 5);
  const auto shards = Shards("r");
  std::map<uint32_t, std::vector<std::string>> expected;  // shard -> data in write order
  for (int i = 0; i < 300; ++i) {
    const std::string key = "user-" + std::to_string(i);
    const std::string data = "d" + std::to_string(i);
    const auto r = Put("r", key, data);
    ASSERT_EQ(static_cast<int>(r.shard_index), OwnerOf(shards, Md5BigEndian(key))) << key;
    expected[r.shard_index].push_back(data);
  }
  EXPECT_EQ(expected.size(), 5u);  // 300 keys reach every shard
  for (const auto& [ix, datas] : expected) {
    const auto records = ReadShard("r", FormatShardId(ix));
    std::vector<std::string> got;
    for (const auto& rec : records) got.push_back(rec.data);
    EXPECT_EQ(got, datas) << FormatShardId(ix);
  }
}

TEST_F(RoutingTest, PutRecordsRoutesEachEntryAndKeepsRequestOrder) {
  CreateStream("b", 4);
  const auto shards = Shards("b");
  std::vector<std::string> keys, datas;
  for (int i = 0; i < 500; ++i) {
    keys.push_back("k" + std::to_string(i % 37));
    datas.push_back(std::to_string(i));
  }
  std::vector<PutRecordEntry> entries;
  for (int i = 0; i < 500; ++i) entries.push_back({keys[i], datas[i], std::nullopt});
  std::vector<PutRecordResult> results;
  ASSERT_OK(engine_->PutRecords("b", entries, &results));
  ASSERT_EQ(results.size(), 500u);
  std::map<uint32_t, std::vector<std::string>> expected;
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(results[i].status.ok()) << results[i].status.ToString();
    ASSERT_EQ(static_cast<int>(results[i].shard_index), OwnerOf(shards, Md5BigEndian(keys[i])));
    expected[results[i].shard_index].push_back(datas[i]);
  }
  for (const auto& [ix, want] : expected) {
    std::vector<std::string> got;
    for (const auto& rec : ReadShard("b", FormatShardId(ix))) got.push_back(rec.data);
    EXPECT_EQ(got, want);
  }
}

TEST_F(RoutingTest, ExplicitHashKeyOverridesPartitionKey) {
  CreateStream("x", 3);
  const auto shards = Shards("x");
  for (int target = 0; target < 3; ++target) {
    for (u128 h : {shards[target].hash_key_range.starting_hash_key,
                   shards[target].hash_key_range.ending_hash_key}) {
      const auto r = Put("x", "same-key", "v", h);
      EXPECT_EQ(static_cast<int>(r.shard_index), target) << Dec(h);
    }
  }
  // The stored record keeps its explicit hash key and partition key.
  const auto recs = ReadShard("x", "shardId-000000000002");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].partition_key, "same-key");
  ASSERT_TRUE(recs[0].explicit_hash_key.has_value());
  EXPECT_EQ(Dec(*recs[0].explicit_hash_key), Dec(shards[2].hash_key_range.starting_hash_key));
  const auto r0 = ReadShard("x", "shardId-000000000000");
  ASSERT_EQ(r0.size(), 2u);
  EXPECT_EQ(Dec(*r0[1].explicit_hash_key), Dec(shards[0].hash_key_range.ending_hash_key));
}

TEST_F(RoutingTest, RecordsKeepKeyDataAndArrivalTime) {
  CreateStream("k", 1);
  const std::string binary("\0\xff\x01zz\n", 6);
  Put("k", "p1", binary);
  clock_->AdvanceMillis(1234);
  Put("k", "p2", "");
  const auto recs = ReadShard("k", "shardId-000000000000");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].partition_key, "p1");
  EXPECT_EQ(recs[0].data, binary);
  EXPECT_FALSE(recs[0].explicit_hash_key.has_value());
  EXPECT_EQ(recs[0].arrival_millis, kStartMicros / 1000);
  EXPECT_EQ(recs[1].data, "");
  EXPECT_EQ(recs[1].arrival_millis, kStartMicros / 1000 + 1234);
}

TEST_F(RoutingTest, InvalidBatchesStoreNothing) {
  CreateStream("v", 1);
  std::vector<PutRecordResult> results;
  EXPECT_FALSE(engine_->PutRecords("v", {}, &results).ok());  // 0 records
  std::vector<std::string> keys(501, "k");
  std::vector<PutRecordEntry> entries;
  for (auto& k : keys) entries.push_back({k, "d", std::nullopt});
  EXPECT_FALSE(engine_->PutRecords("v", entries, &results).ok());  // 501 records
  const std::string big(1024 * 1024 + 1, 'x');                     // data > 1 MiB
  PutRecordEntry e{"k", big, std::nullopt};
  PutRecordResult r;
  EXPECT_FALSE(engine_->PutRecord("v", e, std::nullopt, &r).ok());
  const std::string empty_key;
  PutRecordEntry no_key{empty_key, "d", std::nullopt};
  EXPECT_FALSE(engine_->PutRecord("v", no_key, std::nullopt, &r).ok());
  EXPECT_TRUE(ReadShard("v", "shardId-000000000000").empty());
}

TEST_F(RoutingTest, SequenceNumbersIncreaseWithinShardAndAreUniqueInStream) {
  CreateStream("s", 3);
  std::map<uint32_t, SequenceNumber> last;
  std::set<std::string> all;
  // The ManualClock never moves here: ordering must not depend on time advancing.
  for (int i = 0; i < 600; ++i) {
    const auto r = Put("s", "key" + std::to_string(i % 50), std::to_string(i));
    if (last.count(r.shard_index)) {
      ASSERT_TRUE(r.sequence_number > last[r.shard_index])
          << Dec(r.sequence_number) << " after " << Dec(last[r.shard_index]);
    }
    last[r.shard_index] = r.sequence_number;
    ASSERT_TRUE(all.insert(Dec(r.sequence_number)).second)
        << "duplicate seq " << Dec(r.sequence_number);
  }
  // The numbers read back are the ones acknowledged, strictly increasing per shard.
  size_t total = 0;
  for (const auto& shard : Shards("s")) {
    const auto recs = ReadShard("s", shard.shard_id);
    for (size_t i = 0; i < recs.size(); ++i) {
      EXPECT_TRUE(all.count(Dec(recs[i].sequence_number)));
      if (i > 0) {
        EXPECT_TRUE(recs[i].sequence_number > recs[i - 1].sequence_number);
      }
      EXPECT_TRUE(recs[i].sequence_number >= shard.starting_sequence_number);
    }
    total += recs.size();
  }
  EXPECT_EQ(total, 600u);
}

TEST_F(RoutingTest, SequenceNumbersIncreaseWhenClockStepsBackwards) {
  CreateStream("back", 1);
  const auto a = Put("back", "k", "1");
  clock_->AdvanceMillis(-3600 * 1000);
  const auto b = Put("back", "k", "2");
  EXPECT_TRUE(b.sequence_number > a.sequence_number)
      << Dec(a.sequence_number) << " " << Dec(b.sequence_number);
  const auto recs = ReadShard("back", "shardId-000000000000");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1].data, "2");
}

TEST_F(RoutingTest, SequenceNumberForOrderingIsHonoured) {
  CreateStream("o", 2);
  const auto shards = Shards("o");
  const u128 in0 = shards[0].hash_key_range.starting_hash_key;
  const u128 in1 = shards[1].hash_key_range.starting_hash_key;
  // Make shard 1 the busier one so its numbers run ahead of shard 0's.
  for (int i = 0; i < 50; ++i) Put("o", "k", "fill", in1);
  clock_->AdvanceMillis(10);
  const auto high = Put("o", "k", "fill", in1);
  // A number from another shard: the new record's internal seq is above it
  // (AWS promises order only per partition key, so per shard; see below).
  SequenceNumber prev = high.sequence_number;
  for (int i = 0; i < 5; ++i) {
    PutRecordEntry e{"k", "ordered", in0};
    PutRecordResult r;
    ASSERT_OK(engine_->PutRecord("o", e, prev, &r));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.shard_index, 0u);
    EXPECT_GT(InternalSeqOf(r.sequence_number), InternalSeqOf(prev))
        << Dec(r.sequence_number) << " after " << Dec(prev);
    prev = r.sequence_number;
  }
  // Same key, each record ordered after the previous one, across a split
  // that moves the key to a child: strictly increasing numbers throughout.
  for (int i = 0; i < 6; ++i) {
    if (i == 3) {
      ASSERT_OK(engine_->SplitShard("o", "shardId-000000000000", in0 + 2));
    }
    PutRecordEntry e{"k", "same-key", in0};
    PutRecordResult r;
    ASSERT_OK(engine_->PutRecord("o", e, prev, &r));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.shard_index, i < 3 ? 0u : 2u);
    EXPECT_TRUE(r.sequence_number > prev) << Dec(r.sequence_number) << " <= " << Dec(prev);
    prev = r.sequence_number;
  }
  // "0" and a number in the layout written before AWS's are accepted too.
  for (const SequenceNumber& any : {SequenceNumber{}, LegacySeq(InternalSeqOf(prev), 2)}) {
    PutRecordEntry e{"k", "any", in0};
    PutRecordResult r;
    ASSERT_OK(engine_->PutRecord("o", e, any, &r));
    EXPECT_TRUE(r.sequence_number > prev);
    prev = r.sequence_number;
  }
}

}  // namespace
}  // namespace tidelog::testing
