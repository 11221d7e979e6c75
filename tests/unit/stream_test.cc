// Stream control-plane rules: creation and the AWS hash-key split, ids and ARNs, errors for
// duplicates and unknown streams, retention bounds, tags, capacity modes, encryption, enhanced
// monitoring, consumers and limits.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "engine_test_util.h"

namespace tidelog::testing {
namespace {

class StreamTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Open();
  }

  void ExpectAwsSplit(const std::string& name, uint32_t n) {
    const auto shards = Shards(name);
    ASSERT_EQ(shards.size(), n);
    const auto expected = AwsUniformRanges(n);
    for (uint32_t i = 0; i < n; ++i) {
      SCOPED_TRACE("shard " + std::to_string(i));
      EXPECT_EQ(shards[i].shard_id, FormatShardId(i));
      EXPECT_EQ(Dec(shards[i].hash_key_range.starting_hash_key),
                Dec(expected[i].starting_hash_key));
      EXPECT_EQ(Dec(shards[i].hash_key_range.ending_hash_key), Dec(expected[i].ending_hash_key));
      EXPECT_TRUE(shards[i].open());
      EXPECT_TRUE(shards[i].parent_shard_id.empty());
      EXPECT_TRUE(shards[i].adjacent_parent_shard_id.empty());
    }
  }
};

TEST_F(StreamTest, CreateOneShardCoversWholeKeySpace) {
  CreateStream("s1", 1);
  ExpectAwsSplit("s1", 1);
  const auto shards = Shards("s1");
  EXPECT_EQ(Dec(shards[0].hash_key_range.starting_hash_key), "0");
  EXPECT_EQ(Dec(shards[0].hash_key_range.ending_hash_key),
            "340282366920938463463374607431768211455");
}

TEST_F(StreamTest, CreateTwoShardsSplitsAtTwoToThe127) {
  CreateStream("s2", 2);
  ExpectAwsSplit("s2", 2);
  const auto shards = Shards("s2");
  EXPECT_EQ(Dec(shards[0].hash_key_range.ending_hash_key),
            "170141183460469231731687303715884105727");
  EXPECT_EQ(Dec(shards[1].hash_key_range.starting_hash_key),
            "170141183460469231731687303715884105728");
}

TEST_F(StreamTest, CreateThreeShardsMatchesAwsNumbers) {
  CreateStream("s3", 3);
  const auto shards = Shards("s3");
  ASSERT_EQ(shards.size(), 3u);
  const char* want[3][2] = {
      {"0", "113427455640312821154458202477256070484"},
      {"113427455640312821154458202477256070485", "226854911280625642308916404954512140969"},
      {"226854911280625642308916404954512140970", "340282366920938463463374607431768211455"}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Dec(shards[i].hash_key_range.starting_hash_key), want[i][0]) << i;
    EXPECT_EQ(Dec(shards[i].hash_key_range.ending_hash_key), want[i][1]) << i;
  }
}

TEST_F(StreamTest, CreateManyShardsUsesFloorStepAndLastEndsAtMax) {
  for (uint32_t n : {7u, 64u, 1000u}) {
    CreateStream("many" + std::to_string(n), static_cast<int32_t>(n));
    ExpectAwsSplit("many" + std::to_string(n), n);
  }
}

TEST_F(StreamTest, ArnAndDescribeSummary) {
  CreateStream("orders", 3);
  EXPECT_EQ(engine_->StreamArn("orders"), "arn:aws:kinesis:us-east-1:000000000000:stream/orders");
  StreamInfo info;
  ASSERT_OK(engine_->DescribeStream("orders", &info));
  EXPECT_EQ(info.stream_name, "orders");
  EXPECT_EQ(info.stream_arn, "arn:aws:kinesis:us-east-1:000000000000:stream/orders");
  EXPECT_EQ(info.status, StreamStatus::kActive);
  EXPECT_EQ(info.mode, StreamMode::kProvisioned);
  EXPECT_EQ(info.retention_period_hours, 24);
  EXPECT_EQ(info.open_shard_count, 3);
  EXPECT_EQ(info.consumer_count, 0);
  EXPECT_EQ(info.encryption_type, EncryptionType::kNone);
  EXPECT_TRUE(info.shard_level_metrics.empty());
  EXPECT_EQ(info.created_millis, kStartMicros / 1000);
  EXPECT_FALSE(info.quota_override.has_value());
}

TEST_F(StreamTest, ArnUsesConfiguredAccountAndRegion) {
  EngineOptions o = DefaultOptions();
  o.account_id = "123456789012";
  o.region = "eu-west-2";
  Open(o);
  CreateStream("x", 1);
  EXPECT_EQ(engine_->StreamArn("x"), "arn:aws:kinesis:eu-west-2:123456789012:stream/x");
  CreateStreamRequest req;
  req.stream_name = "x";
  req.shard_count = 1;
  EXPECT_TRUE(StatusIs(engine_->CreateStream(req), ErrorCode::kResourceInUse,
                       "Stream x under account 123456789012 already exists."));
}

TEST_F(StreamTest, DuplicateCreateIsResourceInUse) {
  CreateStream("dup", 2);
  CreateStreamRequest req;
  req.stream_name = "dup";
  req.shard_count = 5;
  EXPECT_TRUE(StatusIs(engine_->CreateStream(req), ErrorCode::kResourceInUse,
                       "Stream dup under account 000000000000 already exists."));
  EXPECT_EQ(Shards("dup").size(), 2u);  // the original is untouched
}

TEST_F(StreamTest, InvalidCreateRequestsAreRejected) {
  CreateStreamRequest req;
  req.stream_name = "bad";
  req.shard_count = 0;
  EXPECT_FALSE(engine_->CreateStream(req).ok());
  req.shard_count = std::nullopt;  // PROVISIONED needs a shard count
  EXPECT_FALSE(engine_->CreateStream(req).ok());
  std::vector<StreamInfo> all;
  ASSERT_OK(engine_->ListStreams(&all));
  EXPECT_TRUE(all.empty());
}

TEST_F(StreamTest, UnknownStreamIsResourceNotFoundEverywhere) {
  const std::string msg = NotFoundMessage("nope");
  StreamInfo info;
  EXPECT_TRUE(StatusIs(engine_->DescribeStream("nope", &info), ErrorCode::kResourceNotFound, msg));
  EXPECT_TRUE(StatusIs(engine_->DeleteStream("nope", false), ErrorCode::kResourceNotFound, msg));
  std::vector<ShardInfo> shards;
  EXPECT_TRUE(StatusIs(engine_->ListShards("nope", ShardFilter{}, &shards),
                       ErrorCode::kResourceNotFound, msg));
  PutRecordEntry e{"k", "v", std::nullopt};
  PutRecordResult r;
  EXPECT_TRUE(
      StatusIs(engine_->PutRecord("nope", e, std::nullopt, &r), ErrorCode::kResourceNotFound, msg));
  std::vector<PutRecordResult> rs;
  EXPECT_TRUE(StatusIs(engine_->PutRecords("nope", std::span(&e, 1), &rs),
                       ErrorCode::kResourceNotFound, msg));
  std::string it;
  EXPECT_TRUE(StatusIs(
      engine_->GetShardIterator("nope", "shardId-000000000000", ShardIteratorType::kTrimHorizon,
                                std::nullopt, std::nullopt, &it),
      ErrorCode::kResourceNotFound));
  EXPECT_TRUE(
      StatusIs(engine_->IncreaseRetentionPeriod("nope", 48), ErrorCode::kResourceNotFound, msg));
  EXPECT_TRUE(StatusIs(engine_->AddTags("nope", {{"a", "b"}}), ErrorCode::kResourceNotFound, msg));
  EXPECT_TRUE(StatusIs(engine_->SplitShard("nope", "shardId-000000000000", Pow2(127)),
                       ErrorCode::kResourceNotFound, msg));
}

TEST_F(StreamTest, DeleteRemovesStreamAndNameCanBeReused) {
  CreateStream("gone", 2);
  Put("gone", "k", "old");
  ASSERT_OK(engine_->DeleteStream("gone", false));
  StreamInfo info;
  EXPECT_TRUE(StatusIs(engine_->DescribeStream("gone", &info), ErrorCode::kResourceNotFound,
                       NotFoundMessage("gone")));
  std::vector<StreamInfo> all;
  ASSERT_OK(engine_->ListStreams(&all));
  EXPECT_TRUE(all.empty());
  // A new stream with the same name starts empty.
  CreateStream("gone", 1);
  EXPECT_TRUE(ReadShard("gone", "shardId-000000000000").empty());
}

TEST_F(StreamTest, ListStreamsIsSortedByName) {
  for (const char* n : {"charlie", "alpha", "bravo", "Zulu", "alpha2"}) CreateStream(n, 1);
  std::vector<StreamInfo> all;
  ASSERT_OK(engine_->ListStreams(&all));
  std::vector<std::string> names;
  for (auto& s : all) names.push_back(s.stream_name);
  EXPECT_EQ(names, (std::vector<std::string>{"Zulu", "alpha", "alpha2", "bravo", "charlie"}));
}

TEST_F(StreamTest, ResolveStreamByNameOrArnAndRejectsMismatch) {
  CreateStream("a", 1);
  CreateStream("b", 1);
  std::string name;
  ASSERT_OK(engine_->ResolveStream("a", "", &name));
  EXPECT_EQ(name, "a");
  ASSERT_OK(engine_->ResolveStream("", engine_->StreamArn("b"), &name));
  EXPECT_EQ(name, "b");
  ASSERT_OK(engine_->ResolveStream("b", engine_->StreamArn("b"), &name));
  EXPECT_FALSE(engine_->ResolveStream("a", engine_->StreamArn("b"), &name).ok());
  EXPECT_FALSE(engine_->ResolveStream("", "", &name).ok());
}

TEST_F(StreamTest, RetentionBoundsAndDirectionRules) {
  CreateStream("r", 1);
  EXPECT_TRUE(StatusIs(engine_->IncreaseRetentionPeriod("r", 23), ErrorCode::kInvalidArgument,
                       "Minimum allowed retention period is 24 hours. Requested retention period "
                       "(23 hours) is too short."));
  EXPECT_TRUE(StatusIs(engine_->DecreaseRetentionPeriod("r", 1), ErrorCode::kInvalidArgument,
                       "Minimum allowed retention period is 24 hours. Requested retention period "
                       "(1 hours) is too short."));
  EXPECT_TRUE(StatusIs(engine_->IncreaseRetentionPeriod("r", 8761), ErrorCode::kInvalidArgument,
                       "Maximum allowed retention period is 8760 hours. Requested retention "
                       "period (8761 hours) is too long."));
  ASSERT_OK(engine_->IncreaseRetentionPeriod("r", 48));
  StreamInfo info;
  ASSERT_OK(engine_->DescribeStream("r", &info));
  EXPECT_EQ(info.retention_period_hours, 48);
  EXPECT_TRUE(StatusIs(engine_->IncreaseRetentionPeriod("r", 36), ErrorCode::kInvalidArgument,
                       "Requested retention period (36 hours) for stream r can not be shorter "
                       "than existing retention period (48 hours). Use DecreaseRetentionPeriod "
                       "API."));
  EXPECT_TRUE(StatusIs(engine_->DecreaseRetentionPeriod("r", 72), ErrorCode::kInvalidArgument,
                       "Requested retention period (72 hours) for stream r can not be longer "
                       "than existing retention period (48 hours). Use IncreaseRetentionPeriod "
                       "API."));
  ASSERT_OK(engine_->IncreaseRetentionPeriod("r", 8760));
  ASSERT_OK(engine_->DescribeStream("r", &info));
  EXPECT_EQ(info.retention_period_hours, 8760);
  ASSERT_OK(engine_->DecreaseRetentionPeriod("r", 24));
  ASSERT_OK(engine_->DescribeStream("r", &info));
  EXPECT_EQ(info.retention_period_hours, 24);
}

TEST_F(StreamTest, TagsAddOverwriteRemoveListSorted) {
  CreateStreamRequest req;
  req.stream_name = "t";
  req.shard_count = 1;
  req.tags = {{"team", "data"}, {"env", "dev"}};
  ASSERT_OK(engine_->CreateStream(req));
  std::vector<Tag> tags;
  ASSERT_OK(engine_->ListTags("t", &tags));
  EXPECT_EQ(tags, (std::vector<Tag>{{"env", "dev"}, {"team", "data"}}));
  ASSERT_OK(engine_->AddTags("t", {{"env", "prod"}, {"cost", ""}}));
  ASSERT_OK(engine_->ListTags("t", &tags));
  EXPECT_EQ(tags, (std::vector<Tag>{{"cost", ""}, {"env", "prod"}, {"team", "data"}}));
  ASSERT_OK(engine_->RemoveTags("t", {"team", "missing"}));
  ASSERT_OK(engine_->ListTags("t", &tags));
  EXPECT_EQ(tags, (std::vector<Tag>{{"cost", ""}, {"env", "prod"}}));
}

TEST_F(StreamTest, AtMostFiftyTagsPerStream) {
  CreateStream("t50", 1);
  std::vector<Tag> fifty;
  for (int i = 0; i < 50; ++i) fifty.push_back({"k" + std::to_string(100 + i), "v"});
  ASSERT_OK(engine_->AddTags("t50", fifty));
  // Overwriting an existing key keeps the count at 50 and is allowed.
  ASSERT_OK(engine_->AddTags("t50", {{"k100", "w"}}));
  const Status s = engine_->AddTags("t50", {{"k100", "x"}, {"extra", "v"}});
  // kinesalite (AWS's texts) answers InvalidArgumentException; the AWS API reference lists
  // LimitExceededException for AddTagsToStream too. Either is a rejection.
  EXPECT_TRUE(StatusIs(s, ErrorCode::kInvalidArgument) || StatusIs(s, ErrorCode::kLimitExceeded))
      << s.ToString();
  std::vector<Tag> tags;
  ASSERT_OK(engine_->ListTags("t50", &tags));
  ASSERT_EQ(tags.size(), 50u);
  EXPECT_EQ(tags[0], (Tag{"k100", "w"}));  // the failed call changed nothing
  ASSERT_OK(engine_->RemoveTags("t50", {"k149"}));
  ASSERT_OK(engine_->AddTags("t50", {{"extra", "v"}}));
}

TEST_F(StreamTest, OnDemandStreamDefaultsToFourShardsAndRejectsResharding) {
  CreateStreamRequest req;
  req.stream_name = "od";
  req.mode = StreamMode::kOnDemand;
  ASSERT_OK(engine_->CreateStream(req));
  StreamInfo info;
  ASSERT_OK(engine_->DescribeStream("od", &info));
  EXPECT_EQ(info.mode, StreamMode::kOnDemand);
  EXPECT_EQ(info.open_shard_count, 4);
  EXPECT_EQ(Shards("od").size(), 4u);
  EXPECT_TRUE(StatusIs(engine_->SplitShard("od", "shardId-000000000000", Pow2(60)),
                       ErrorCode::kValidation));
  EXPECT_TRUE(StatusIs(engine_->MergeShards("od", "shardId-000000000000", "shardId-000000000001"),
                       ErrorCode::kValidation));
  int32_t current = 0;
  EXPECT_TRUE(StatusIs(engine_->UpdateShardCount("od", 8, &current), ErrorCode::kValidation));
  EXPECT_EQ(Shards("od").size(), 4u);
  StreamLimits limits;
  ASSERT_OK(engine_->DescribeLimits(&limits));
  EXPECT_EQ(limits.on_demand_stream_count, 1);
  EXPECT_EQ(limits.on_demand_stream_count_limit, 50);
}

TEST_F(StreamTest, UpdateStreamModeSwitchesModeAndReshardingRules) {
  CreateStream("m", 2);
  ASSERT_OK(engine_->UpdateStreamMode("m", StreamMode::kOnDemand));
  StreamInfo info;
  ASSERT_OK(engine_->DescribeStream("m", &info));
  EXPECT_EQ(info.mode, StreamMode::kOnDemand);
  EXPECT_TRUE(StatusIs(engine_->SplitShard("m", "shardId-000000000000", Pow2(100)),
                       ErrorCode::kValidation));
  ASSERT_OK(engine_->UpdateStreamMode("m", StreamMode::kProvisioned));
  ASSERT_OK(engine_->DescribeStream("m", &info));
  EXPECT_EQ(info.mode, StreamMode::kProvisioned);
  ASSERT_OK(engine_->SplitShard("m", "shardId-000000000000", Pow2(100)));
}

TEST_F(StreamTest, EncryptionStartAndStop) {
  CreateStream("e", 1);
  ASSERT_OK(engine_->StartStreamEncryption("e", EncryptionType::kKms, "alias/aws/kinesis"));
  StreamInfo info;
  ASSERT_OK(engine_->DescribeStream("e", &info));
  EXPECT_EQ(info.encryption_type, EncryptionType::kKms);
  EXPECT_EQ(info.key_id, "alias/aws/kinesis");
  ASSERT_OK(engine_->StopStreamEncryption("e", EncryptionType::kKms, "alias/aws/kinesis"));
  ASSERT_OK(engine_->DescribeStream("e", &info));
  EXPECT_EQ(info.encryption_type, EncryptionType::kNone);
}

TEST_F(StreamTest, EnhancedMonitoringReportsBeforeAndAfter) {
  CreateStream("mon", 1);
  std::vector<std::string> current, desired;
  ASSERT_OK(engine_->EnableEnhancedMonitoring("mon", {"IncomingBytes", "OutgoingRecords"}, &current,
                                              &desired));
  EXPECT_TRUE(current.empty());
  EXPECT_EQ(desired, (std::vector<std::string>{"IncomingBytes", "OutgoingRecords"}));
  const std::vector<std::string> all = {"IncomingBytes",
                                        "IncomingRecords",
                                        "IteratorAgeMilliseconds",
                                        "OutgoingBytes",
                                        "OutgoingRecords",
                                        "ReadProvisionedThroughputExceeded",
                                        "WriteProvisionedThroughputExceeded"};
  ASSERT_OK(engine_->EnableEnhancedMonitoring("mon", {"ALL"}, &current, &desired));
  EXPECT_EQ(current, (std::vector<std::string>{"IncomingBytes", "OutgoingRecords"}));
  EXPECT_EQ(desired, all);
  ASSERT_OK(engine_->DisableEnhancedMonitoring("mon", {"IncomingBytes"}, &current, &desired));
  EXPECT_EQ(current, all);
  std::vector<std::string> rest(all.begin() + 1, all.end());
  EXPECT_EQ(desired, rest);
  StreamInfo info;
  ASSERT_OK(engine_->DescribeStream("mon", &info));
  EXPECT_EQ(info.shard_level_metrics, rest);
  ASSERT_OK(engine_->DisableEnhancedMonitoring("mon", {"ALL"}, &current, &desired));
  EXPECT_TRUE(desired.empty());
  EXPECT_FALSE(engine_->EnableEnhancedMonitoring("mon", {"NotAMetric"}, &current, &desired).ok());
}

TEST_F(StreamTest, ConsumersRegisterDescribeListDeregister) {
  CreateStream("c", 1);
  ConsumerInfo c1;
  ASSERT_OK(engine_->RegisterStreamConsumer("c", "app1", &c1));
  EXPECT_EQ(c1.consumer_name, "app1");
  EXPECT_EQ(c1.stream_arn, engine_->StreamArn("c"));
  EXPECT_TRUE(std::regex_match(
      c1.consumer_arn,
      std::regex("arn:aws:kinesis:us-east-1:000000000000:stream/c/consumer/app1:[0-9]+")))
      << c1.consumer_arn;
  EXPECT_EQ(c1.created_millis, kStartMicros / 1000);
  ConsumerInfo dup;
  EXPECT_TRUE(
      StatusIs(engine_->RegisterStreamConsumer("c", "app1", &dup), ErrorCode::kResourceInUse));
  ConsumerInfo c2;
  ASSERT_OK(engine_->RegisterStreamConsumer("c", "app0", &c2));

  ConsumerInfo d;
  ASSERT_OK(engine_->DescribeStreamConsumer("c", "app1", "", &d));
  EXPECT_EQ(d.consumer_arn, c1.consumer_arn);
  ASSERT_OK(engine_->DescribeStreamConsumer("", "", c1.consumer_arn, &d));
  EXPECT_EQ(d.consumer_name, "app1");
  EXPECT_EQ(d.status, ConsumerStatus::kActive);
  EXPECT_TRUE(StatusIs(engine_->DescribeStreamConsumer("c", "ghost", "", &d),
                       ErrorCode::kResourceNotFound));

  std::vector<ConsumerInfo> list;
  ASSERT_OK(engine_->ListStreamConsumers("c", &list));
  ASSERT_EQ(list.size(), 2u);
  StreamInfo info;
  ASSERT_OK(engine_->DescribeStream("c", &info));
  EXPECT_EQ(info.consumer_count, 2);

  ASSERT_OK(engine_->DeregisterStreamConsumer("", "", c1.consumer_arn));
  ASSERT_OK(engine_->DeregisterStreamConsumer("c", "app0", ""));
  EXPECT_TRUE(
      StatusIs(engine_->DescribeStreamConsumer("c", "app1", "", &d), ErrorCode::kResourceNotFound));
  ASSERT_OK(engine_->ListStreamConsumers("c", &list));
  EXPECT_TRUE(list.empty());
}

TEST_F(StreamTest, DeleteStreamWithConsumersNeedsEnforce) {
  CreateStream("dc", 1);
  ConsumerInfo c;
  ASSERT_OK(engine_->RegisterStreamConsumer("dc", "app", &c));
  EXPECT_TRUE(StatusIs(engine_->DeleteStream("dc", false), ErrorCode::kResourceInUse));
  StreamInfo info;
  ASSERT_OK(engine_->DescribeStream("dc", &info));
  ASSERT_OK(engine_->DeleteStream("dc", true));
  EXPECT_TRUE(StatusIs(engine_->DescribeStream("dc", &info), ErrorCode::kResourceNotFound));
  ConsumerInfo d;
  EXPECT_FALSE(engine_->DescribeStreamConsumer("", "", c.consumer_arn, &d).ok());
}

TEST_F(StreamTest, ShardLimitCountsOpenAndClosedShards) {
  EngineOptions o = DefaultOptions();
  o.shard_limit = 10;
  Open(o);
  CreateStream("a", 8);
  CreateStreamRequest req;
  req.stream_name = "b";
  req.shard_count = 3;
  EXPECT_TRUE(StatusIs(engine_->CreateStream(req), ErrorCode::kLimitExceeded));
  req.shard_count = 1;
  ASSERT_OK(engine_->CreateStream(req));
  // 9 shards; a split adds 2 (the parent stays until it expires): 11 > 10.
  EXPECT_TRUE(StatusIs(engine_->SplitShard("a", "shardId-000000000000", Pow2(120)),
                       ErrorCode::kLimitExceeded));
  StreamLimits limits;
  ASSERT_OK(engine_->DescribeLimits(&limits));
  EXPECT_EQ(limits.shard_limit, 10);
  EXPECT_EQ(limits.open_shard_count, 9);
}

}  // namespace
}  // namespace tidelog::testing
