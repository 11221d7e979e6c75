// AWS fidelity through the service: UpdateShardCount's scaling bounds answer
// LimitExceededException with AWS's text, and a request's ShardId is resolved
// as AWS resolves it (GetShardIterator, ListShards, SplitShard) and named
// canonically in answers.
#include <gtest/gtest.h>

#include <string>

#include "server/kinesis/json_value.h"
#include "tests/kinesis/kinesis_service_fixture.h"

namespace tidelog::server {
namespace {

using testing::Answer;

class FidelityServiceTest : public testing::KinesisServiceFixture {};

TEST_F(FidelityServiceTest, UpdateShardCountBoundsAreLimitExceeded) {
  CreateStream("u", 2);
  Answer a = Call("UpdateShardCount",
                  R"({"StreamName":"u","TargetShardCount":5,"ScalingType":"UNIFORM_SCALING"})");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.type, "LimitExceededException");
  EXPECT_EQ(a.message,
            "UpdateShardCount cannot scale up over double your current open shard count. Current "
            "open shard count: 2, Target shard count: 5");
  CreateStream("d", 5);
  a = Call("UpdateShardCount",
           R"({"StreamName":"d","TargetShardCount":2,"ScalingType":"UNIFORM_SCALING"})");
  EXPECT_EQ(a.type, "LimitExceededException");
  EXPECT_EQ(a.message,
            "UpdateShardCount cannot scale down below half your current open shard count. "
            "Current open shard count: 5, Target shard count: 2");
}

TEST_F(FidelityServiceTest, ShardIdsResolveAsAws) {
  CreateStream("s", 3);
  for (std::string id : {"shardId-2", "foo-2", "2", "shardId-000000000002", "-002",
                         "shardId-000000000000000000000000000002"}) {
    Answer a = Call("GetShardIterator",
                    R"({"StreamName":"s","ShardId":")" + id + R"(","ShardIteratorType":"LATEST"})");
    EXPECT_EQ(a.status, 200) << id << " " << a.body;
  }
  Answer a = Call("GetShardIterator",
                  R"({"StreamName":"s","ShardId":"foo-3","ShardIteratorType":"LATEST"})");
  EXPECT_EQ(a.type, "ResourceNotFoundException");
  EXPECT_EQ(a.message,
            "Shard shardId-000000000003 in stream s under account 000000000000 does not exist");
  a = Call("GetShardIterator",
           R"({"StreamName":"s","ShardId":"ABKLFD8","ShardIteratorType":"LATEST"})");
  EXPECT_EQ(a.type, "ResourceNotFoundException");
  EXPECT_EQ(a.message, "Could not find shard ABKLFD8 in stream s under account 000000000000.");

  a = Call("ListShards", R"({"StreamName":"s","ExclusiveStartShardId":"foo-0"})");
  ASSERT_EQ(a.status, 200) << a.body;
  const kinesis::JsonValue* shards = a.json.Find("Shards");
  ASSERT_NE(shards, nullptr);
  ASSERT_EQ(shards->array.size(), 2u);
  EXPECT_EQ(shards->array[0].Find("ShardId")->string, "shardId-000000000001");

  a = Call("SplitShard", R"({"StreamName":"s","ShardToSplit":"x-9","NewStartingHashKey":"1000"})");
  EXPECT_EQ(a.type, "ResourceNotFoundException");
  EXPECT_EQ(a.message,
            "Could not find shard shardId-000000000009 in stream s under account 000000000000.");
  a = Call("SplitShard", R"({"StreamName":"s","ShardToSplit":"x-0","NewStartingHashKey":"1000"})");
  EXPECT_EQ(a.status, 200) << a.body;
}

}  // namespace
}  // namespace tidelog::server
