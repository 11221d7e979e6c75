// AWS fidelity of engine answers: UpdateShardCount's scaling bounds
// (LimitExceededException with AWS's texts) and shard ids resolved as AWS
// resolves them (any "<prefix>-<number>", named canonically in answers).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine_test_util.h"

namespace tidelog::testing {
namespace {

class FidelityTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Open();
  }

  std::string CouldNotFind(std::string_view id, std::string_view stream) {
    return "Could not find shard " + std::string(id) + " in stream " + std::string(stream) +
           " under account " + kAccount + ".";
  }
};

TEST_F(FidelityTest, UpdateShardCountPastDoubleOrHalfIsLimitExceeded) {
  CreateStream("u", 6);
  int32_t current = 0;
  EXPECT_TRUE(StatusIs(engine_->UpdateShardCount("u", 13, &current), ErrorCode::kLimitExceeded,
                       "UpdateShardCount cannot scale up over double your current open shard "
                       "count. Current open shard count: 6, Target shard count: 13"));
  EXPECT_TRUE(StatusIs(engine_->UpdateShardCount("u", 2, &current), ErrorCode::kLimitExceeded,
                       "UpdateShardCount cannot scale down below half your current open shard "
                       "count. Current open shard count: 6, Target shard count: 2"));
  EXPECT_EQ(OpenShards("u").size(), 6u);
  ASSERT_OK(engine_->UpdateShardCount("u", 3, &current));  // exactly half
  EXPECT_EQ(OpenShards("u").size(), 3u);
}

TEST(ResolveShardIdTest, AnyPrefixedNumberNamesThatShard) {
  for (std::string_view id : {"shardId-000000000005", "shardId-5", "foo-5", "shard-5", "-5", "5",
                              "a-0000000000000005", "shardId-5-anything"}) {
    uint32_t index = 99;
    ASSERT_TRUE(ResolveShardId(id, &index)) << id;
    EXPECT_EQ(index, 5u) << id;
  }
  uint32_t index = 0;
  ASSERT_TRUE(ResolveShardId("x-2147483647", &index));
  EXPECT_EQ(index, 2147483647u);
  ASSERT_TRUE(ResolveShardId("shardId-000000000000", &index));
  EXPECT_EQ(index, 0u);
  for (std::string_view bad :
       {"", "shardId-", "shardId-x", "ABKLFD8", "2.14E4", "2147483648", "shardId-002147483648",
        "shardId-4294967296", "shardId-99999999999999999999", "shardId--1", "shardId-+1",
        "shardId- 1", "a-b-5", "-", "--"}) {
    EXPECT_FALSE(ResolveShardId(bad, &index)) << bad;
  }
}

TEST_F(FidelityTest, GetShardIteratorResolvesAndNamesShardsCanonically) {
  CreateStream("g", 2);
  std::string it;
  for (std::string_view id : {"shardId-1", "foo-1", "1", "shardId-000000000001", "-01"}) {
    ASSERT_OK(engine_->GetShardIterator("g", id, ShardIteratorType::kTrimHorizon, std::nullopt,
                                        std::nullopt, &it));
  }
  EXPECT_TRUE(StatusIs(engine_->GetShardIterator("g", "foo-7", ShardIteratorType::kLatest,
                                                 std::nullopt, std::nullopt, &it),
                       ErrorCode::kResourceNotFound,
                       std::string("Shard shardId-000000000007 in stream g under account ") +
                           kAccount + " does not exist"));
  for (std::string_view bad : {"ABKLFD8", "shardId-2147483648"}) {
    EXPECT_TRUE(StatusIs(engine_->GetShardIterator("g", bad, ShardIteratorType::kLatest,
                                                   std::nullopt, std::nullopt, &it),
                         ErrorCode::kResourceNotFound, CouldNotFind(bad, "g")))
        << bad;
    // Refused for the id before the stream is looked up.
    EXPECT_TRUE(StatusIs(engine_->GetShardIterator("nope", bad, ShardIteratorType::kLatest,
                                                   std::nullopt, std::nullopt, &it),
                         ErrorCode::kResourceNotFound, CouldNotFind(bad, "nope")))
        << bad;
  }
}

TEST_F(FidelityTest, SplitAndMergeResolveShardIds) {
  CreateStream("r", 2);
  EXPECT_TRUE(StatusIs(engine_->SplitShard("r", "x-9", u128{1} << 20), ErrorCode::kResourceNotFound,
                       CouldNotFind("shardId-000000000009", "r")));
  EXPECT_TRUE(StatusIs(engine_->SplitShard("r", "nine", u128{1} << 20),
                       ErrorCode::kResourceNotFound, CouldNotFind("nine", "r")));
  ASSERT_OK(engine_->SplitShard("r", "foo-0", u128{1} << 20));  // children 2 and 3
  EXPECT_TRUE(StatusIs(engine_->MergeShards("r", "2", "x-7"), ErrorCode::kResourceNotFound,
                       CouldNotFind("shardId-000000000007", "r")));
  ASSERT_OK(engine_->MergeShards("r", "shardId-2", "a-000003"));
  std::vector<ShardInfo> open = OpenShards("r");
  ASSERT_EQ(open.size(), 2u);
  bool found = false;
  for (const auto& s : open) {
    if (s.shard_id != "shardId-000000000004") continue;
    found = true;
    EXPECT_EQ(s.parent_shard_id, "shardId-000000000002");
    EXPECT_EQ(s.adjacent_parent_shard_id, "shardId-000000000003");
  }
  EXPECT_TRUE(found);
}

// AWS reports a shard of an unknown stream as the shard not existing, and an
// iterator of a deleted stream by its shard.
TEST_F(FidelityTest, UnknownOrDeletedStreamsNameTheShard) {
  std::string it;
  EXPECT_TRUE(StatusIs(engine_->GetShardIterator("nope", "shardId-3", ShardIteratorType::kLatest,
                                                 std::nullopt, std::nullopt, &it),
                       ErrorCode::kResourceNotFound,
                       std::string("Shard shardId-000000000003 in stream nope under account ") +
                           kAccount + " does not exist"));
  CreateStream("d", 2);
  ASSERT_OK(engine_->GetShardIterator("d", "shardId-000000000001", ShardIteratorType::kTrimHorizon,
                                      std::nullopt, std::nullopt, &it));
  ASSERT_OK(engine_->DeleteStream("d", false));
  GetRecordsResult r;
  EXPECT_TRUE(StatusIs(engine_->GetRecords(it, 10, &r), ErrorCode::kResourceNotFound,
                       std::string("Shard shardId-000000000001 in stream d under account ") +
                           kAccount + " does not exist"));
}

TEST_F(FidelityTest, ListShardsAfterShardIdResolvesIt) {
  CreateStream("l", 4);
  for (std::string_view id : {"shardId-1", "foo-1", "shardId-000000000001", "1"}) {
    ShardFilter f;
    f.type = ShardFilterType::kAfterShardId;
    f.shard_id = std::string(id);
    std::vector<ShardInfo> shards;
    ASSERT_OK(engine_->ListShards("l", f, &shards));
    ASSERT_EQ(shards.size(), 2u) << id;
    EXPECT_EQ(shards[0].shard_id, "shardId-000000000002") << id;
  }
}

}  // namespace
}  // namespace tidelog::testing
