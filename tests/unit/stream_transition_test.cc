// Stream state transitions (EngineOptions::stream_transition_ms): CREATING,
// UPDATING and DELETING last their time on the injected clock, and the
// operations AWS refuses meanwhile are refused with AWS's texts.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine_test_util.h"

namespace tidelog::testing {
namespace {

constexpr int64_t kTransitionMs = 500;

class StreamTransitionTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    EngineOptions o = DefaultOptions();
    o.stream_transition_ms = kTransitionMs;
    Open(o);
  }
  StreamStatus StatusOf(const std::string& name) {
    StreamInfo info;
    Status s = engine_->DescribeStream(name, &info);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return info.status;
  }
  Status Put(const std::string& name) {
    PutRecordResult r;
    return engine_->PutRecord(name, PutRecordEntry{"k", "v", std::nullopt}, std::nullopt, &r);
  }
  static std::string NotActive(const std::string& name, const std::string& state) {
    return "Stream " + name + " under account 000000000000 not ACTIVE, instead in state " + state;
  }
};

TEST_F(StreamTransitionTest, CreatingRefusesPutsAndReshardsUntilItsTimeIsUp) {
  CreateStream("s", 2);
  EXPECT_EQ(StatusOf("s"), StreamStatus::kCreating);
  Status put = Put("s");
  EXPECT_EQ(put.code(), ErrorCode::kResourceNotFound);
  EXPECT_EQ(put.message(), "Stream s under account 000000000000 not found.");
  Status split = engine_->SplitShard("s", "shardId-000000000000", u128{1} << 126);
  EXPECT_EQ(split.code(), ErrorCode::kResourceInUse);
  EXPECT_EQ(split.message(), NotActive("s", "CREATING"));
  EXPECT_EQ(engine_->IncreaseRetentionPeriod("s", 48).code(), ErrorCode::kResourceInUse);

  clock_->AdvanceMillis(kTransitionMs - 1);
  EXPECT_EQ(StatusOf("s"), StreamStatus::kCreating);
  clock_->AdvanceMillis(1);
  EXPECT_EQ(StatusOf("s"), StreamStatus::kActive);
  ASSERT_OK(Put("s"));
}

TEST_F(StreamTransitionTest, ReshardingIsUpdatingAndPutsGoOn) {
  CreateStream("s", 2);
  clock_->AdvanceMillis(kTransitionMs);
  ASSERT_OK(engine_->MergeShards("s", "shardId-000000000000", "shardId-000000000001"));
  EXPECT_EQ(StatusOf("s"), StreamStatus::kUpdating);
  ASSERT_OK(Put("s"));  // reads and writes continue while UPDATING
  int32_t before = 0;
  Status again = engine_->UpdateShardCount("s", 2, &before);
  EXPECT_EQ(again.code(), ErrorCode::kResourceInUse);
  EXPECT_EQ(again.message(), NotActive("s", "UPDATING"));
  EXPECT_EQ(engine_->StartStreamEncryption("s", EncryptionType::kKms, "alias/k").code(),
            ErrorCode::kResourceInUse);
  // Settings that leave the shards alone do not wait.
  ASSERT_OK(engine_->AddTags("s", {{"k", "v"}}));
  clock_->AdvanceMillis(kTransitionMs);
  EXPECT_EQ(StatusOf("s"), StreamStatus::kActive);
  ASSERT_OK(engine_->UpdateShardCount("s", 2, &before));
  EXPECT_EQ(StatusOf("s"), StreamStatus::kUpdating);
  clock_->AdvanceMillis(kTransitionMs);
  ASSERT_OK(engine_->UpdateStreamMode("s", StreamMode::kOnDemand));
  EXPECT_EQ(StatusOf("s"), StreamStatus::kUpdating);
}

TEST_F(StreamTransitionTest, DeletingIsListedThenGone) {
  CreateStream("s", 1);
  CreateStream("t", 1);
  clock_->AdvanceMillis(kTransitionMs);
  ASSERT_OK(engine_->DeleteStream("s", false));
  EXPECT_EQ(StatusOf("s"), StreamStatus::kDeleting);
  std::vector<StreamInfo> all;
  ASSERT_OK(engine_->ListStreams(&all));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].stream_name, "s");
  EXPECT_EQ(all[0].status, StreamStatus::kDeleting);
  std::vector<ShardInfo> shards;
  ASSERT_OK(engine_->ListShards("s", ShardFilter{}, &shards));
  EXPECT_TRUE(shards.empty());
  // Its data is gone at once: no puts; the name is in use until it is gone.
  EXPECT_EQ(Put("s").code(), ErrorCode::kResourceNotFound);
  ASSERT_OK(engine_->DeleteStream("s", false));  // deleting again: as kinesalite, no error
  CreateStreamRequest req;
  req.stream_name = "s";
  req.shard_count = 1;
  Status create = engine_->CreateStream(req);
  EXPECT_EQ(create.code(), ErrorCode::kResourceInUse);
  EXPECT_EQ(create.message(), "Stream s under account 000000000000 already exists.");

  clock_->AdvanceMillis(kTransitionMs);
  StreamInfo info;
  EXPECT_EQ(engine_->DescribeStream("s", &info).code(), ErrorCode::kResourceNotFound);
  ASSERT_OK(engine_->ListStreams(&all));
  EXPECT_EQ(all.size(), 1u);
  ASSERT_OK(engine_->CreateStream(req));
  EXPECT_EQ(StatusOf("s"), StreamStatus::kCreating);
}

TEST_F(StreamTransitionTest, ARestartEndsEveryTransition) {
  CreateStream("s", 2);
  Reopen();
  // created_ms is kept, so CREATING still runs out on the same clock...
  EXPECT_EQ(StatusOf("s"), StreamStatus::kCreating);
  clock_->AdvanceMillis(kTransitionMs);
  ASSERT_OK(engine_->MergeShards("s", "shardId-000000000000", "shardId-000000000001"));
  EXPECT_EQ(StatusOf("s"), StreamStatus::kUpdating);
  // ...while UPDATING is not stored.
  Reopen();
  EXPECT_EQ(StatusOf("s"), StreamStatus::kActive);
}

}  // namespace
}  // namespace tidelog::testing
