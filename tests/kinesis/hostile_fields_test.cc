// Hostile numbers and texts in request bodies, through KinesisService over a
// real engine: numbers past every C++ type they land in, decimals past 2^128,
// forged pagination tokens. Each gets AWS's answer; none overflows.
//
// AWS (Coral) reads a JSON number of any size and clamps it to 2147483647 for
// an Integer member (kinesalite 3.3.3's validations/index.js and its
// createStream test with ShardCount 100000000000); the botocore model gives
// ShardCount and TargetShardCount a minimum of 1 and no maximum.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <future>
#include <limits>
#include <memory>
#include <string>

#include "server/kinesis/json_value.h"
#include "server/kinesis/kinesis_service.h"
#include "server/kinesis/next_token.h"
#include "server/kinesis/request_fields.h"
#include "tests/kinesis/kinesis_service_fixture.h"
#include "tidelog/base64.h"
#include "tidelog/engine.h"

namespace tidelog::server {
namespace {

using kinesis::JsonValue;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

using testing::Answer;

std::string ShardLimitMessage(int64_t current, int64_t additional) {
  return "This request would exceed the shard limit for the account 000000000000 in us-east-1. "
         "Current shard count for the account: " +
         std::to_string(current) +
         ". Limit: 20000. Number of additional shards that would have resulted from this "
         "request: " +
         std::to_string(additional) +
         ". Refer to the AWS Service Limits page "
         "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current "
         "limits and how to request higher limits.";
}

class HostileFieldsTest : public testing::KinesisServiceFixture {
 protected:
  void SetUp() override {
    KinesisServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_EQ(Call("CreateStream", R"({"StreamName":"present","ShardCount":2})").status, 200);
  }

  // Expects error `type` (and `message` when given) for `op` with `body`.
  void ExpectError(std::string_view op, const std::string& body, std::string_view type,
                   std::string_view message = {}) {
    Answer a = Call(op, body);
    EXPECT_EQ(a.status, 400) << op << " " << body << " -> " << a.body;
    EXPECT_EQ(a.type, type) << op << " " << body << " -> " << a.body;
    if (!message.empty()) {
      EXPECT_EQ(a.message, message) << op << " " << body;
    }
  }

  std::string Validation(std::string_view value, std::string_view path, std::string_view rule) {
    return "1 validation error detected: Value '" + std::string(value) + "' at '" +
           std::string(path) + "' failed to satisfy constraint: Member must " + std::string(rule);
  }
};

TEST_F(HostileFieldsTest, CreateStreamShardCountBeyondInt32IsTheShardLimitError) {
  for (std::string n :
       {"2147483647", "2147483648", "100000000000", "9223372036854775807", "18446744073709551615",
        "100000000000000000000000", "1e23", "1e400", "2147483647.9"}) {
    SCOPED_TRACE(n);
    ExpectError("CreateStream", R"({"StreamName":"huge","ShardCount":)" + n + "}",
                "LimitExceededException", ShardLimitMessage(2, 2147483647));
  }
  ExpectError("CreateStream", R"({"StreamName":"huge","ShardCount":20000})",
              "LimitExceededException", ShardLimitMessage(2, 20000));
  for (std::string n : {"-100000000000", "-1e400", "-9223372036854775809"}) {
    SCOPED_TRACE(n);
    ExpectError("CreateStream", R"({"StreamName":"huge","ShardCount":)" + n + "}",
                "ValidationException",
                Validation("-2147483648", "shardCount", "have value greater than or equal to 1"));
  }
  EXPECT_EQ(Call("DescribeStreamSummary", R"({"StreamName":"huge"})").type,
            "ResourceNotFoundException");
}

TEST_F(HostileFieldsTest, OtherIntegerMembersClampBeforeTheirChecks) {
  const std::string big = "100000000000";
  ExpectError("CreateStream",
              R"({"StreamName":"x","ShardCount":1,"MaxRecordSizeInKiB":)" + big + "}",
              "ValidationException",
              Validation("2147483647", "maxRecordSizeInKiB",
                         "have value less than or equal to "
                         "10240"));
  ExpectError("CreateStream",
              R"({"StreamName":"x","ShardCount":1,"WarmThroughputMiBps":)" + big + "}",
              "InvalidArgumentException",
              "Warm throughput is not supported for stream x under account 000000000000 because "
              "it is not in ON_DEMAND mode.");
  ExpectError(
      "UpdateShardCount",
      R"({"StreamName":"present","ScalingType":"UNIFORM_SCALING","TargetShardCount":)" + big + "}",
      "LimitExceededException",
      "UpdateShardCount cannot scale up over double your current open shard count. Current open "
      "shard count: 2, Target shard count: 2147483647");
  ExpectError("IncreaseStreamRetentionPeriod",
              R"({"StreamName":"present","RetentionPeriodHours":)" + big + "}",
              "InvalidArgumentException",
              "Maximum allowed retention period is 8760 hours. Requested retention period "
              "(2147483647 hours) is too long.");
  ExpectError("DecreaseStreamRetentionPeriod",
              R"({"StreamName":"present","RetentionPeriodHours":-)" + big + "}",
              "InvalidArgumentException",
              "Minimum allowed retention period is 24 hours. Requested retention period "
              "(-2147483648 hours) is too short.");
  struct LimitCase {
    const char* op;
    const char* body_prefix;
    const char* path;
    const char* max;
  };
  for (const LimitCase& c : {
           LimitCase{"DescribeStream", R"({"StreamName":"present","Limit":)", "limit", "10000"},
           LimitCase{"ListStreams", R"({"Limit":)", "limit", "10000"},
           LimitCase{"ListShards", R"({"StreamName":"present","MaxResults":)", "maxResults",
                     "10000"},
           LimitCase{"ListTagsForStream", R"({"StreamName":"present","Limit":)", "limit", "50"},
           LimitCase{"GetRecords", R"({"ShardIterator":"x","Limit":)", "limit", "10000"},
       }) {
    SCOPED_TRACE(c.op);
    ExpectError(
        c.op, std::string(c.body_prefix) + big + "}", "ValidationException",
        Validation("2147483647", c.path, "have value less than or equal to " + std::string(c.max)));
    ExpectError(c.op, std::string(c.body_prefix) + "-1e400}", "ValidationException",
                Validation("-2147483648", c.path, "have value greater than or equal to 1"));
  }
}

TEST_F(HostileFieldsTest, TimestampsOfAnyMagnitude) {
  const std::string get = R"({"StreamName":"present","ShardId":"shardId-000000000000",)"
                          R"("ShardIteratorType":"AT_TIMESTAMP","Timestamp":)";
  for (std::string t : {"1e300", "1e400", "9.3e15", "1e18"}) {
    SCOPED_TRACE(t);
    Answer a = Call("GetShardIterator", get + t + "}");
    EXPECT_EQ(a.type, "InvalidArgumentException") << a.body;
    EXPECT_EQ(a.message.rfind("The timestampInMillis parameter cannot be greater than the "
                              "currentTimestampInMillis. timestampInMillis: ",
                              0),
              0u)
        << a.message;
  }
  EXPECT_NE(Call("GetShardIterator", get + "1e300}").message.find("9223372036854775807"),
            std::string::npos);
  for (std::string t : {"-1e300", "-1e400", "-5", "0", "1e-400"}) {
    SCOPED_TRACE(t);
    EXPECT_EQ(Call("GetShardIterator", get + t + "}").status, 200);
  }
  for (std::string t : {"1e300", "-1e400", "1e-400"}) {
    SCOPED_TRACE(t);
    Answer a = Call("ListShards", R"({"StreamName":"present","ShardFilter":{"Type":"AT_TIMESTAMP",)"
                                  R"("Timestamp":)" +
                                      t + "}}");
    EXPECT_EQ(a.status, 200) << a.body;
    a = Call("ListShards", R"({"StreamName":"present","StreamCreationTimestamp":)" + t + "}");
    EXPECT_EQ(a.status, 200) << a.body;
  }
}

TEST_F(HostileFieldsTest, DecimalsPastTwoToThe128) {
  const std::string over = "340282366920938463463374607431768211456";  // 2^128
  const std::string nines(39, '9');
  for (const std::string& k : {over, nines}) {
    ExpectError("PutRecord",
                R"({"StreamName":"present","PartitionKey":"k","Data":"AA==","ExplicitHashKey":")" +
                    k + "\"}",
                "InvalidArgumentException",
                "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                "Specified value was " +
                    k);
    ExpectError("PutRecords",
                R"({"StreamName":"present","Records":[{"PartitionKey":"k","Data":"AA==",)"
                R"("ExplicitHashKey":")" +
                    k + "\"}]}",
                "InvalidArgumentException");
    ExpectError("SplitShard",
                R"({"StreamName":"present","ShardToSplit":"shardId-000000000000",)"
                R"("NewStartingHashKey":")" +
                    k + "\"}",
                "InvalidArgumentException",
                "Invalid NewStartingHashKey. NewStartingHashKey must be in the range: [0, "
                "2^128-1]. Specified value was " +
                    k);
  }
  const std::string seq129 = "1" + std::string(128, '0');
  ExpectError("GetShardIterator",
              R"({"StreamName":"present","ShardId":"shardId-000000000000",)"
              R"("ShardIteratorType":"AT_SEQUENCE_NUMBER","StartingSequenceNumber":")" +
                  seq129 + "\"}",
              "InvalidArgumentException",
              "StartingSequenceNumber " + seq129 +
                  " used in GetShardIterator on shard shardId-000000000000 in stream present "
                  "under account 000000000000 is invalid.");
  ExpectError("PutRecord",
              R"({"StreamName":"present","PartitionKey":"k","Data":"AA==",)"
              R"("SequenceNumberForOrdering":")" +
                  seq129 + "\"}",
              "InvalidArgumentException",
              "ExclusiveMinimumSequenceNumber " + seq129 +
                  " used in PutRecord on stream present under account 000000000000 is invalid.");
  ExpectError("PutRecord",
              R"({"StreamName":"present","PartitionKey":"k","Data":"AA==",)"
              R"("SequenceNumberForOrdering":")" +
                  std::string("340282366920938463463374607431768211455") + "\"}",
              "InvalidArgumentException");
}

TEST_F(HostileFieldsTest, ShardIdsPastUint32) {
  // Leading zeros are any number, as on AWS: "shardId-000000000000000000000000000001"
  // names shard 1 (tests/kinesis/fidelity_test.cc).
  for (std::string id :
       {"shardId-99999999999999999999", "shardId-4294967296", "shardId-2147483648"}) {
    SCOPED_TRACE(id);
    ExpectError("GetShardIterator",
                R"({"StreamName":"present","ShardIteratorType":"LATEST","ShardId":")" + id + "\"}",
                "ResourceNotFoundException");
    Answer a =
        Call("DescribeStream", R"({"StreamName":"present","ExclusiveStartShardId":")" + id + "\"}");
    EXPECT_EQ(a.status, 200) << a.body;
    a = Call("ListShards", R"({"StreamName":"present","ExclusiveStartShardId":")" + id + "\"}");
    EXPECT_EQ(a.status, 200) << a.body;
  }
}

// NextToken is base64 the client can forge: its numbers are any int64.
TEST_F(HostileFieldsTest, ForgedNextTokens) {
  auto forge = [](std::string_view kind, std::string_view stream, std::string_view filter_ts,
                  std::string_view issued) {
    return Base64Encode("tl1\n" + std::string(kind) + "\n" + std::string(stream) + "\n\n\n\n" +
                        std::string(filter_ts) + "\n" + std::string(issued));
  };
  ExpectError(
      "ListShards",
      R"({"NextToken":")" + forge("ListShards", "present", "0", "-9223372036854775808") + "\"}",
      "ExpiredNextTokenException");
  for (std::string issued : {"9223372036854775807", "99999999999999999999", "1e3", "-"}) {
    SCOPED_TRACE(issued);
    ExpectError("ListShards",
                R"({"NextToken":")" + forge("ListShards", "present", "0", issued) + "\"}",
                "InvalidArgumentException", "Invalid NextToken.");
  }
  ExpectError("ListStreamConsumers",
              R"({"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/present",)"
              R"("NextToken":")" +
                  forge("ListStreamConsumers", "present", "0", "-9223372036854775808") + "\"}",
              "ExpiredNextTokenException");
}

TEST(NextTokenEdgesTest, IssuedTimeIsComparedNeverSubtracted) {
  kinesis::NextToken t;
  t.kind = "ListStreams";
  kinesis::NextToken back;
  for (int64_t issued : {kInt64Min, kInt64Min + 1, int64_t{-1}}) {
    t.issued_millis = issued;
    EXPECT_EQ(kinesis::DecodeNextToken(kinesis::EncodeNextToken(t), "ListStreams",
                                       1'700'000'000'000, &back)
                  .code(),
              ErrorCode::kExpiredNextToken)
        << issued;
  }
  t.issued_millis = kInt64Max;
  EXPECT_EQ(
      kinesis::DecodeNextToken(kinesis::EncodeNextToken(t), "ListStreams", 1'700'000'000'000, &back)
          .code(),
      ErrorCode::kInvalidArgument);
  // A little ahead (a clock step back) is still accepted.
  t.issued_millis = 1'700'000'000'000 + 1000;
  EXPECT_TRUE(
      kinesis::DecodeNextToken(kinesis::EncodeNextToken(t), "ListStreams", 1'700'000'000'000, &back)
          .ok());
}

TEST(RequestFieldsTest, NarrowingSaturates) {
  using kinesis::SaturateToInt32;
  EXPECT_EQ(SaturateToInt32(kInt64Max), 2147483647);
  EXPECT_EQ(SaturateToInt32(kInt64Min), -2147483647 - 1);
  EXPECT_EQ(SaturateToInt32(100000000000), 2147483647);
  EXPECT_EQ(SaturateToInt32(-7), -7);

  using kinesis::SecondsToMillis;
  EXPECT_EQ(SecondsToMillis(1459799926.480), 1459799926480);
  EXPECT_EQ(SecondsToMillis(1e300), kInt64Max);
  EXPECT_EQ(SecondsToMillis(-1e300), kInt64Min);
  EXPECT_EQ(SecondsToMillis(std::numeric_limits<double>::infinity()), kInt64Max);
  EXPECT_EQ(SecondsToMillis(-std::numeric_limits<double>::infinity()), kInt64Min);
  EXPECT_EQ(SecondsToMillis(std::numeric_limits<double>::quiet_NaN()), 0);
  EXPECT_EQ(SecondsToMillis(9223372036854775.807), kInt64Max);
  EXPECT_EQ(SecondsToMillis(-9223372036854775.808), kInt64Min);

  JsonValue body;
  ASSERT_TRUE(kinesis::ParseJson(R"({"Limit":-5,"Big":9223372036854775807})", &body));
  EXPECT_EQ(kinesis::LimitField(body, "Limit", 100, 100), 1);
  EXPECT_EQ(kinesis::LimitField(body, "Big", 100, 100), 100);
  EXPECT_EQ(kinesis::LimitField(body, "Absent", 50, 100), 50);
  EXPECT_EQ(kinesis::Int32Field(body, "Big"), 2147483647);
  EXPECT_EQ(kinesis::Int32Field(body, "Absent"), std::nullopt);
}

// simdjson's DOM refuses numbers past int64/uint64/double; Coral takes them.
TEST(JsonNumbersTest, OutOfRangeLiteralsParseAsTheirMagnitude) {
  JsonValue v;
  ASSERT_TRUE(kinesis::ParseJson(R"({"a":100000000000000000000000})", &v));
  EXPECT_EQ(v.Find("a")->number, 1e23);
  ASSERT_TRUE(kinesis::ParseJson(R"({"a":-9223372036854775809})", &v));
  EXPECT_EQ(v.Find("a")->number, -9223372036854775808.0);
  ASSERT_TRUE(
      kinesis::ParseJson(R"({"a":1e400,"b":-1E+400,"c":1e-400,"d":-0.0e-99999999999})", &v));
  EXPECT_EQ(v.Find("a")->number, std::numeric_limits<double>::max());
  EXPECT_EQ(v.Find("b")->number, -std::numeric_limits<double>::max());
  EXPECT_EQ(v.Find("c")->number, 0.0);
  EXPECT_EQ(v.Find("d")->number, 0.0);
  // Strings are never touched, escaped quotes included.
  ASSERT_TRUE(
      kinesis::ParseJson(R"({"s":"\"100000000000000000000000\\","n":[1e400,"1e400"]})", &v));
  EXPECT_EQ(v.Find("s")->string, "\"100000000000000000000000\\");
  EXPECT_EQ(v.Find("n")->array[1].string, "1e400");
  // Still not JSON.
  for (std::string_view bad : {R"({"a":01e400})", R"({"a":1e400)", R"({"a":--1e400})",
                               R"({"a":1e400.5})", R"({"a":"1e400})"}) {
    EXPECT_FALSE(kinesis::ParseJson(bad, &v)) << bad;
  }
}

}  // namespace
}  // namespace tidelog::server
