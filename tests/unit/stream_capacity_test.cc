// Tags on consumers and AWS's tag rules, StreamId, MaxRecordSizeInKiB and
// warm throughput: their rules, and that each survives a reopen.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "engine_test_util.h"

namespace tidelog::testing {
namespace {

class StreamCapacityTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Open();
  }
  std::vector<Tag> Tags(const std::string& arn) {
    std::vector<Tag> tags;
    Status s = engine_->ListTagsForResource(arn, &tags);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return tags;
  }
  StreamInfo Describe(const std::string& name) {
    StreamInfo info;
    Status s = engine_->DescribeStream(name, &info);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return info;
  }
  Status PutOne(const std::string& stream, size_t data_bytes) {
    std::string data(data_bytes, 'x');
    PutRecordResult r;
    return engine_->PutRecord(stream, PutRecordEntry{"k", data, std::nullopt}, std::nullopt, &r);
  }
  void EnableCommitment() {
    AccountSettings a;
    ASSERT_OK(engine_->UpdateAccountSettings(true, &a));
  }
  void CreateOnDemand(const std::string& name, std::optional<int32_t> warm = std::nullopt) {
    CreateStreamRequest req;
    req.stream_name = name;
    req.mode = StreamMode::kOnDemand;
    req.warm_throughput_mibps = warm;
    ASSERT_OK(engine_->CreateStream(req));
  }
};

TEST_F(StreamCapacityTest, ConsumerTagsAreTheirOwnAndGoWithTheConsumer) {
  CreateStream("s", 1);
  ConsumerInfo c;
  ASSERT_OK(engine_->RegisterStreamConsumer("s", "c", &c));
  ASSERT_OK(engine_->TagResource(c.consumer_arn, {{"team", "a"}, {"env", "dev"}}));
  ASSERT_OK(engine_->TagResource(engine_->StreamArn("s"), {{"stream-tag", "1"}}));
  EXPECT_EQ(Tags(c.consumer_arn), (std::vector<Tag>{{"env", "dev"}, {"team", "a"}}));
  EXPECT_EQ(Tags(engine_->StreamArn("s")), (std::vector<Tag>{{"stream-tag", "1"}}));
  Reopen();
  EXPECT_EQ(Tags(c.consumer_arn), (std::vector<Tag>{{"env", "dev"}, {"team", "a"}}));
  ASSERT_OK(engine_->UntagResource(c.consumer_arn, {"team"}));
  EXPECT_EQ(Tags(c.consumer_arn), (std::vector<Tag>{{"env", "dev"}}));

  ASSERT_OK(engine_->DeregisterStreamConsumer("s", "c", ""));
  std::vector<Tag> tags;
  EXPECT_EQ(engine_->ListTagsForResource(c.consumer_arn, &tags).code(),
            ErrorCode::kResourceNotFound);
  clock_->AdvanceMillis(2000);
  ConsumerInfo again;
  ASSERT_OK(engine_->RegisterStreamConsumer("s", "c", &again));
  EXPECT_TRUE(Tags(again.consumer_arn).empty());
}

TEST_F(StreamCapacityTest, TagCharactersAsAws) {
  CreateStream("s", 1);
  const std::string arn = engine_->StreamArn("s");
  // Accepted: letters (also beyond ASCII), digits, space and _ . : / = + - @.
  ASSERT_OK(engine_->TagResource(arn, {{"a_b.c:d/e=f+g-h@i j", "Zürich 東京 9"}}));
  ASSERT_OK(engine_->AddTags("s", {{"empty-value", ""}}));
  for (const std::string bad :
       {"tab\there", "semi;colon", "star*", "emoji\xF0\x9F\x98\x80", "quote\"", "comma,"}) {
    Status s = engine_->TagResource(arn, {{bad, "v"}});
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(s.message(),
              "Some tags contain invalid characters. Valid characters: Unicode letters, digits, "
              "white space, _ . / = + - % @.")
        << bad;
    EXPECT_EQ(engine_->AddTags("s", {{"k", bad}}).code(), ErrorCode::kInvalidArgument) << bad;
  }
  // '%' passes the first check and fails the second, as on AWS.
  Status pct = engine_->AddTags("s", {{"100%", "v"}});
  EXPECT_EQ(pct.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(pct.message(),
            "Failed to add tags to stream s under account 000000000000 because some tags "
            "contained illegal characters. The allowed characters are Unicode letters, "
            "white-spaces, '_',',','/','=','+','-','@'.");
  // Nothing of the refused calls was stored.
  EXPECT_EQ(Tags(arn).size(), 2u);

  CreateStreamRequest req;
  req.stream_name = "t";
  req.shard_count = 1;
  req.tags = {{"bad*", "v"}};
  EXPECT_EQ(engine_->CreateStream(req).code(), ErrorCode::kInvalidArgument);
  StreamInfo info;
  EXPECT_EQ(engine_->DescribeStream("t", &info).code(), ErrorCode::kResourceNotFound);
}

TEST_F(StreamCapacityTest, MoreThanFiftyTagsIsInvalidArgument) {
  CreateStream("s", 1);
  std::vector<Tag> tags;
  for (int i = 0; i < 50; ++i) tags.push_back({"k" + std::to_string(i), "v"});
  ASSERT_OK(engine_->AddTags("s", tags));
  ASSERT_OK(engine_->AddTags("s", {{"k0", "replaced"}}));  // an existing key: still 50
  Status s = engine_->AddTags("s", {{"one-more", "v"}});
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "Failed to add tags to stream s under account 000000000000 because a given stream "
            "cannot have more than 50 tags associated with it.");
  EXPECT_EQ(Tags(engine_->StreamArn("s")).size(), 50u);
}

TEST_F(StreamCapacityTest, StreamIdIsStableAndResolves) {
  CreateStream("s", 1);
  CreateStream("t", 1);
  const std::string id = Describe("s").stream_id;
  EXPECT_TRUE(std::regex_match(id, std::regex("[a-z0-9]{20}-[a-z0-9]{3}"))) << id;
  EXPECT_NE(id, Describe("t").stream_id);
  Reopen();
  EXPECT_EQ(Describe("s").stream_id, id);

  std::string name;
  ASSERT_OK(engine_->ResolveStream("", "", id, &name));
  EXPECT_EQ(name, "s");
  ASSERT_OK(engine_->ResolveStream("s", engine_->StreamArn("s"), id, &name));
  EXPECT_EQ(engine_->ResolveStream("t", "", id, &name).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(engine_->ResolveStream("", "", "aaaaaaaaaaaaaaaaaaaa-aaa", &name).code(),
            ErrorCode::kResourceNotFound);
}

TEST_F(StreamCapacityTest, MaxRecordSizeBoundsRecordsAndPersists) {
  CreateStream("s", 1);
  EXPECT_EQ(Describe("s").max_record_size_kib, 1024);
  ASSERT_OK(PutOne("s", 1 << 20));
  Status s = PutOne("s", (1 << 20) + 1);
  EXPECT_EQ(s.code(), ErrorCode::kValidation);
  EXPECT_NE(s.message().find("Member must have length less than or equal to 1048576"),
            std::string::npos)
      << s.message();

  EXPECT_EQ(engine_->UpdateMaxRecordSize("s", 1023).code(), ErrorCode::kValidation);
  EXPECT_EQ(engine_->UpdateMaxRecordSize("s", 10241).code(), ErrorCode::kValidation);
  EXPECT_EQ(engine_->UpdateMaxRecordSize("nope", 2048).code(), ErrorCode::kResourceNotFound);
  ASSERT_OK(engine_->UpdateMaxRecordSize("s", 10240));
  Reopen();
  EXPECT_EQ(Describe("s").max_record_size_kib, 10240);
  ASSERT_OK(PutOne("s", 10 << 20));
  EXPECT_EQ(PutOne("s", (10 << 20) + 1).code(), ErrorCode::kValidation);

  // The 10 MiB record reads back whole, in a GetRecords of its own (one call
  // returns at most 10 MiB, and always at least one record).
  std::string it;
  ASSERT_OK(engine_->GetShardIterator("s", "shardId-000000000000", ShardIteratorType::kTrimHorizon,
                                      std::nullopt, std::nullopt, &it));
  GetRecordsResult r;
  ASSERT_OK(engine_->GetRecords(it, 10, &r));
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].data.size(), size_t{1} << 20);
  GetRecordsResult r2;
  ASSERT_OK(engine_->GetRecords(r.next_shard_iterator, 10, &r2));
  ASSERT_EQ(r2.records.size(), 1u);
  EXPECT_EQ(r2.records[0].data.size(), size_t{10} << 20);

  // A PutRecords of 10 MiB in all is taken; past 10 MiB it is refused.
  std::string chunk(2 << 20, 'y');
  std::vector<PutRecordEntry> five(5, PutRecordEntry{"k", chunk, std::nullopt});
  std::vector<PutRecordResult> results;
  s = engine_->PutRecords("s", std::span<const PutRecordEntry>(five.data(), 4), &results);
  ASSERT_OK(s);
  std::string over((2 << 20) + 1, 'z');
  five[4].data = over;
  s = engine_->PutRecords("s", five, &results);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "Records size exceeds 10 MB limit");

  CreateStreamRequest req;
  req.stream_name = "big";
  req.shard_count = 1;
  req.max_record_size_kib = 2048;
  ASSERT_OK(engine_->CreateStream(req));
  EXPECT_EQ(Describe("big").max_record_size_kib, 2048);
  req.stream_name = "bad";
  req.max_record_size_kib = 512;
  EXPECT_EQ(engine_->CreateStream(req).code(), ErrorCode::kValidation);
}

TEST_F(StreamCapacityTest, WarmThroughputNeedsOnDemandAndTheCommitment) {
  CreateStream("prov", 1);
  WarmThroughput warm;
  EXPECT_EQ(engine_->UpdateStreamWarmThroughput("prov", 100, &warm).code(),
            ErrorCode::kInvalidArgument);
  CreateOnDemand("od");
  // No commitment yet.
  EXPECT_EQ(engine_->UpdateStreamWarmThroughput("od", 100, &warm).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_FALSE(Describe("od").warm_throughput);

  EnableCommitment();
  EXPECT_EQ(engine_->UpdateStreamWarmThroughput("od", 10241, &warm).code(),
            ErrorCode::kLimitExceeded);
  ASSERT_OK(engine_->UpdateStreamWarmThroughput("od", 100, &warm));
  EXPECT_EQ(warm.target_mibps, 100);
  EXPECT_EQ(warm.current_mibps, 100);
  Reopen();
  ASSERT_TRUE(Describe("od").warm_throughput);
  EXPECT_EQ(Describe("od").warm_throughput->target_mibps, 100);

  // Back to PROVISIONED: no warm throughput; to ON_DEMAND with one: set.
  ASSERT_OK(engine_->UpdateStreamMode("od", StreamMode::kProvisioned));
  EXPECT_FALSE(Describe("od").warm_throughput);
  EXPECT_EQ(engine_->UpdateStreamMode("od", StreamMode::kProvisioned, 50).code(),
            ErrorCode::kInvalidArgument);
  ASSERT_OK(engine_->UpdateStreamMode("od", StreamMode::kOnDemand, 50));
  ASSERT_TRUE(Describe("od").warm_throughput);
  EXPECT_EQ(Describe("od").warm_throughput->target_mibps, 50);

  CreateOnDemand("od2", 200);
  EXPECT_EQ(Describe("od2").warm_throughput->target_mibps, 200);
}

}  // namespace
}  // namespace tidelog::testing
