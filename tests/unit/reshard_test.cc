// Resharding rules: SplitShard and MergeShards ranges, lineage and errors, UpdateShardCount
// UNIFORM_SCALING bounds and coverage, closed parents staying readable, child sequence numbers
// above their parents', and ListShards filters.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine_test_util.h"

namespace tidelog::testing {
namespace {

constexpr char kS0[] = "shardId-000000000000";
constexpr char kS1[] = "shardId-000000000001";
constexpr char kS2[] = "shardId-000000000002";
constexpr char kS3[] = "shardId-000000000003";

class ReshardTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Open();
  }

  const ShardInfo* Find(const std::vector<ShardInfo>& shards, const std::string& id) {
    for (const auto& s : shards) {
      if (s.shard_id == id) return &s;
    }
    ADD_FAILURE() << "no shard " << id;
    return nullptr;
  }

  // Open shards, sorted by starting hash key, must tile [0, 2^128-1] with no gap or overlap.
  void ExpectOpenShardsCoverKeySpace(const std::string& stream) {
    auto open = OpenShards(stream);
    ASSERT_FALSE(open.empty());
    std::sort(open.begin(), open.end(), [](const ShardInfo& a, const ShardInfo& b) {
      return a.hash_key_range.starting_hash_key < b.hash_key_range.starting_hash_key;
    });
    EXPECT_EQ(Dec(open.front().hash_key_range.starting_hash_key), "0");
    EXPECT_EQ(Dec(open.back().hash_key_range.ending_hash_key), Dec(kMaxHashKey));
    for (size_t i = 1; i < open.size(); ++i) {
      EXPECT_EQ(Dec(open[i - 1].hash_key_range.ending_hash_key + 1),
                Dec(open[i].hash_key_range.starting_hash_key))
          << open[i - 1].shard_id << " / " << open[i].shard_id;
    }
  }

  void ExpectUniform(const std::string& stream, uint32_t n) {
    auto open = OpenShards(stream);
    ASSERT_EQ(open.size(), n);
    std::sort(open.begin(), open.end(), [](const ShardInfo& a, const ShardInfo& b) {
      return a.hash_key_range.starting_hash_key < b.hash_key_range.starting_hash_key;
    });
    const auto want = AwsUniformRanges(n);
    for (uint32_t i = 0; i < n; ++i) {
      EXPECT_EQ(Dec(open[i].hash_key_range.starting_hash_key), Dec(want[i].starting_hash_key))
          << "open shard #" << i << " of " << n;
      EXPECT_EQ(Dec(open[i].hash_key_range.ending_hash_key), Dec(want[i].ending_hash_key))
          << "open shard #" << i << " of " << n;
    }
  }
};

TEST_F(ReshardTest, SplitMakesTwoChildrenAndClosesParent) {
  CreateStream("s", 1);
  const auto before = Put("s", "k", "before");
  const u128 k = Pow2(127) + 12345;
  ASSERT_OK(engine_->SplitShard("s", kS0, k));
  const auto shards = Shards("s");
  ASSERT_EQ(shards.size(), 3u);
  const ShardInfo* parent = Find(shards, kS0);
  const ShardInfo* lo = Find(shards, kS1);
  const ShardInfo* hi = Find(shards, kS2);
  ASSERT_TRUE(parent && lo && hi);
  EXPECT_FALSE(parent->open());
  ASSERT_TRUE(parent->ending_sequence_number.has_value());
  EXPECT_TRUE(*parent->ending_sequence_number >= before.sequence_number);
  EXPECT_EQ(Dec(lo->hash_key_range.starting_hash_key), "0");
  EXPECT_EQ(Dec(lo->hash_key_range.ending_hash_key), Dec(k - 1));
  EXPECT_EQ(Dec(hi->hash_key_range.starting_hash_key), Dec(k));
  EXPECT_EQ(Dec(hi->hash_key_range.ending_hash_key), Dec(kMaxHashKey));
  for (const ShardInfo* c : {lo, hi}) {
    EXPECT_TRUE(c->open());
    EXPECT_EQ(c->parent_shard_id, kS0);
    EXPECT_TRUE(c->adjacent_parent_shard_id.empty());
  }
  StreamInfo info;
  ASSERT_OK(engine_->DescribeStream("s", &info));
  EXPECT_EQ(info.open_shard_count, 2);
  EXPECT_EQ(info.status, StreamStatus::kActive);
  // New writes route to the children by hash.
  EXPECT_EQ(Put("s", "x", "lo", k - 1).shard_index, 1u);
  EXPECT_EQ(Put("s", "x", "hi", k).shard_index, 2u);
  // The parent keeps its data and is still readable.
  const auto recs = ReadShard("s", kS0);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].data, "before");
}

TEST_F(ReshardTest, SplitKeyMustBeInsideParentRange) {
  CreateStream("b", 2);  // shard 1 = [2^127, 2^128-1]
  const std::string start = Dec(Pow2(127));
  const std::string end = Dec(kMaxHashKey);
  for (u128 bad : {Pow2(127), Pow2(127) + 1, kMaxHashKey, u128{5}}) {
    EXPECT_TRUE(StatusIs(engine_->SplitShard("b", kS1, bad), ErrorCode::kInvalidArgument,
                         "NewStartingHashKey " + Dec(bad) + " used in SplitShard() on shard " +
                             kS1 + " in stream b under account 000000000000 is not both greater " +
                             "than one plus the shard's StartingHashKey " + start +
                             " and less than the shard's EndingHashKey " + end + "."))
        << Dec(bad);
  }
  EXPECT_EQ(Shards("b").size(), 2u);
  ASSERT_OK(engine_->SplitShard("b", kS1, Pow2(127) + 2));  // smallest legal key
  ASSERT_OK(engine_->SplitShard("b", kS0, Pow2(127) - 2));  // largest legal key for shard 0
  ExpectOpenShardsCoverKeySpace("b");
}

TEST_F(ReshardTest, SplitOrMergeOfClosedOrUnknownShardFails) {
  CreateStream("c", 1);
  ASSERT_OK(engine_->SplitShard("c", kS0, Pow2(127)));
  EXPECT_FALSE(engine_->SplitShard("c", kS0, Pow2(126)).ok());
  EXPECT_FALSE(engine_->MergeShards("c", kS0, kS1).ok());
  EXPECT_TRUE(StatusIs(engine_->SplitShard("c", "shardId-000000000042", Pow2(126)),
                       ErrorCode::kResourceNotFound));
  EXPECT_TRUE(StatusIs(engine_->MergeShards("c", kS1, "shardId-000000000042"),
                       ErrorCode::kResourceNotFound));
  EXPECT_EQ(Shards("c").size(), 3u);
}

TEST_F(ReshardTest, MergeMakesOneChildWithBothParents) {
  CreateStream("m", 2);
  const auto shards0 = Shards("m");
  ASSERT_OK(engine_->MergeShards("m", kS0, kS1));
  const auto shards = Shards("m");
  ASSERT_EQ(shards.size(), 3u);
  const ShardInfo* child = Find(shards, kS2);
  ASSERT_TRUE(child);
  EXPECT_EQ(child->parent_shard_id, kS0);
  EXPECT_EQ(child->adjacent_parent_shard_id, kS1);
  EXPECT_EQ(Dec(child->hash_key_range.starting_hash_key), "0");
  EXPECT_EQ(Dec(child->hash_key_range.ending_hash_key), Dec(kMaxHashKey));
  EXPECT_TRUE(child->open());
  EXPECT_FALSE(Find(shards, kS0)->open());
  EXPECT_FALSE(Find(shards, kS1)->open());
  StreamInfo info;
  ASSERT_OK(engine_->DescribeStream("m", &info));
  EXPECT_EQ(info.open_shard_count, 1);
}

TEST_F(ReshardTest, MergeOfNonAdjacentShardsIsInvalid) {
  CreateStream("n", 3);
  EXPECT_TRUE(StatusIs(engine_->MergeShards("n", kS0, kS2), ErrorCode::kInvalidArgument,
                       "Shards shardId-000000000000 and shardId-000000000002 in stream n under "
                       "account 000000000000 are not an adjacent pair of shards eligible for "
                       "merging"));
  EXPECT_FALSE(engine_->MergeShards("n", kS1, kS1).ok());
  EXPECT_EQ(Shards("n").size(), 3u);
  ASSERT_OK(engine_->MergeShards("n", kS1, kS2));
  ExpectOpenShardsCoverKeySpace("n");
}

TEST_F(ReshardTest, ChildSequenceNumbersExceedBothParents) {
  CreateStream("q", 2);
  const auto shards = Shards("q");
  SequenceNumber max_parent;
  // Shard 1 gets many more records than shard 0, at the same instant.
  for (int i = 0; i < 5; ++i) {
    max_parent =
        std::max(max_parent,
                 Put("q", "k", "p0", shards[0].hash_key_range.starting_hash_key).sequence_number);
  }
  for (int i = 0; i < 200; ++i) {
    max_parent =
        std::max(max_parent,
                 Put("q", "k", "p1", shards[1].hash_key_range.starting_hash_key).sequence_number);
  }
  ASSERT_OK(engine_->MergeShards("q", kS0, kS1));
  const auto child = Put("q", "k", "child", 0);
  EXPECT_EQ(child.shard_index, 2u);
  EXPECT_TRUE(child.sequence_number > max_parent)
      << Dec(child.sequence_number) << " <= " << Dec(max_parent);
  const auto after_merge = Shards("q");
  const ShardInfo* c = Find(after_merge, kS2);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->starting_sequence_number > max_parent);
  // Same after a split with the clock stepped back.
  clock_->AdvanceMillis(-10'000);
  ASSERT_OK(engine_->SplitShard("q", kS2, Pow2(100)));
  const auto grandchild = Put("q", "k", "gc", 0);
  EXPECT_EQ(grandchild.shard_index, 3u);
  EXPECT_TRUE(grandchild.sequence_number > child.sequence_number);
}

TEST_F(ReshardTest, UpdateShardCountScalesUniformly) {
  CreateStream("u", 4);
  int32_t current = 0;
  ASSERT_OK(engine_->UpdateShardCount("u", 8, &current));
  EXPECT_EQ(current, 4);
  ExpectUniform("u", 8);
  ExpectOpenShardsCoverKeySpace("u");
  ASSERT_OK(engine_->UpdateShardCount("u", 5, &current));
  EXPECT_EQ(current, 8);
  ExpectUniform("u", 5);
  ASSERT_OK(engine_->UpdateShardCount("u", 3, &current));
  EXPECT_EQ(current, 5);
  ExpectUniform("u", 3);
  ASSERT_OK(engine_->UpdateShardCount("u", 6, &current));
  ExpectUniform("u", 6);
  ExpectOpenShardsCoverKeySpace("u");
  StreamInfo info;
  ASSERT_OK(engine_->DescribeStream("u", &info));
  EXPECT_EQ(info.open_shard_count, 6);
  // Writes still reach exactly one open shard per key.
  for (int i = 0; i < 50; ++i) {
    const auto r = Put("u", "key" + std::to_string(i), "v");
    const auto all = Shards("u");
    const ShardInfo* s = Find(all, FormatShardId(r.shard_index));
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->open());
    const u128 h = Md5BigEndian("key" + std::to_string(i));
    EXPECT_TRUE(s->hash_key_range.starting_hash_key <= h && h <= s->hash_key_range.ending_hash_key);
  }
}

TEST_F(ReshardTest, UpdateShardCountTargetBounds) {
  CreateStream("t", 4);
  int32_t current = 0;
  EXPECT_TRUE(StatusIs(engine_->UpdateShardCount("t", 9, &current), ErrorCode::kLimitExceeded));
  EXPECT_TRUE(StatusIs(engine_->UpdateShardCount("t", 1, &current), ErrorCode::kLimitExceeded));
  EXPECT_FALSE(engine_->UpdateShardCount("t", 0, &current).ok());
  EXPECT_FALSE(engine_->UpdateShardCount("t", -1, &current).ok());
  EXPECT_EQ(OpenShards("t").size(), 4u);
  ASSERT_OK(engine_->UpdateShardCount("t", 2, &current));  // exactly half
  ExpectUniform("t", 2);
  ASSERT_OK(engine_->UpdateShardCount("t", 4, &current));  // exactly double
  ExpectUniform("t", 4);
}

TEST_F(ReshardTest, ParentsStayReadableAndLineageIsComplete) {
  CreateStream("l", 1);
  std::vector<std::string> written;
  auto put = [&](const std::string& d) {
    Put("l", "key", d);
    written.push_back(d);
  };
  put("a");
  ASSERT_OK(engine_->SplitShard("l", kS0, Pow2(127)));  // 1, 2
  put("b");
  ASSERT_OK(engine_->MergeShards("l", kS1, kS2));  // 3
  put("c");
  int32_t current = 0;
  ASSERT_OK(engine_->UpdateShardCount("l", 2, &current));
  EXPECT_EQ(current, 1);
  put("d");
  const auto shards = Shards("l");
  // Every parent named by a shard is listed, and has a smaller id.
  for (const auto& s : shards) {
    for (const std::string& p : {s.parent_shard_id, s.adjacent_parent_shard_id}) {
      if (p.empty()) continue;
      EXPECT_NE(Find(shards, p), nullptr);
      EXPECT_LT(p, s.shard_id);
    }
  }
  const ShardInfo* s3 = Find(shards, kS3);
  ASSERT_TRUE(s3);
  EXPECT_EQ(s3->parent_shard_id, kS1);
  EXPECT_EQ(s3->adjacent_parent_shard_id, kS2);
  // Reading parents before children yields the key's records in write order.
  std::vector<std::string> got;
  for (const auto& r : ReadStream("l")) got.push_back(r.record.data);
  EXPECT_EQ(got, written);
}

TEST_F(ReshardTest, ListShardsFilters) {
  CreateStream("f", 2);
  ASSERT_OK(engine_->SplitShard("f", kS0, Pow2(126)));  // 2, 3
  std::vector<ShardInfo> out;
  ShardFilter latest;
  latest.type = ShardFilterType::kAtLatest;
  ASSERT_OK(engine_->ListShards("f", latest, &out));
  std::vector<std::string> ids;
  for (auto& s : out) ids.push_back(s.shard_id);
  EXPECT_EQ(ids, (std::vector<std::string>{kS1, kS2, kS3}));
  ShardFilter after;
  after.type = ShardFilterType::kAfterShardId;
  after.shard_id = kS1;
  ASSERT_OK(engine_->ListShards("f", after, &out));
  ids.clear();
  for (auto& s : out) ids.push_back(s.shard_id);
  EXPECT_EQ(ids, (std::vector<std::string>{kS2, kS3}));
  ShardFilter horizon;
  horizon.type = ShardFilterType::kFromTrimHorizon;
  ASSERT_OK(engine_->ListShards("f", horizon, &out));
  EXPECT_EQ(out.size(), 4u);
  ShardFilter at_horizon;
  at_horizon.type = ShardFilterType::kAtTrimHorizon;
  ASSERT_OK(engine_->ListShards("f", at_horizon, &out));
  ids.clear();
  for (auto& s : out) ids.push_back(s.shard_id);
  EXPECT_EQ(ids, (std::vector<std::string>{kS0, kS1}));  // the oldest untrimmed generation
}

}  // namespace
}  // namespace tidelog::testing
