// SerializationException and ValidationException texts against the model, as
// AWS (recorded by kinesalite) words them.
#include "server/kinesis/validation.h"

#include <gtest/gtest.h>

#include <string>

#include "server/kinesis/json_value.h"
#include "server/kinesis/shape.h"

namespace tidelog::server::kinesis {
namespace {

// Runs both checks on `json` for `op`; returns "" when it passes, else
// "Serialization: <msg>" or "Validation: <msg>".
std::string Check(std::string_view op, std::string_view json, JsonValue* out = nullptr) {
  const Shape* shape = InputShape(op);
  EXPECT_NE(shape, nullptr) << op;
  JsonValue v;
  EXPECT_TRUE(ParseJson(json, &v)) << json;
  if (auto err = CheckTypes(*shape, &v)) return "Serialization: " + *err;
  if (auto err = CheckConstraints(*shape, v)) return "Validation: " + *err;
  if (out) *out = v;
  return "";
}

TEST(ValidationTest, UnknownOperationHasNoShape) {
  EXPECT_EQ(InputShape("NoSuchOperation"), nullptr);
  EXPECT_NE(InputShape("SubscribeToShard"), nullptr);
}

TEST(ValidationTest, SerializationMessages) {
  EXPECT_EQ(Check("CreateStream", R"({"StreamName":true})"),
            "Serialization: class java.lang.Boolean can not be converted to an String");
  EXPECT_EQ(Check("CreateStream", R"({"StreamName":23})"),
            "Serialization: class com.amazon.coral.value.json.numbers.TruncatingBigNumber can "
            "not be converted to an String");
  EXPECT_EQ(Check("CreateStream", R"({"StreamName":[]})"),
            "Serialization: Start of list found where not expected");
  EXPECT_EQ(Check("CreateStream", R"({"StreamName":{}})"),
            "Serialization: Start of structure or map found where not expected.");
  EXPECT_EQ(Check("CreateStream", R"({"StreamName":"a","ShardCount":"23"})"),
            "Serialization: class java.lang.String can not be converted to an Integer");
  EXPECT_EQ(Check("CreateStream", R"({"StreamName":"a","ShardCount":true})"),
            "Serialization: class java.lang.Boolean can not be converted to an Integer");
  EXPECT_EQ(Check("PutRecords", R"({"StreamName":"a","Records":5})"),
            "Serialization: Expected list or null");
  EXPECT_EQ(Check("PutRecords", R"({"StreamName":"a","Records":{}})"),
            "Serialization: Start of structure or map found where not expected.");
  EXPECT_EQ(Check("PutRecords", R"({"StreamName":"a","Records":[5]})"),
            "Serialization: Expected null");
  EXPECT_EQ(Check("AddTagsToStream", R"({"StreamName":"a","Tags":[]})"),
            "Serialization: Start of list found where not expected");
  EXPECT_EQ(Check("AddTagsToStream", R"({"StreamName":"a","Tags":"x"})"),
            "Serialization: Expected map or null");
  EXPECT_EQ(Check("DeleteStream", R"({"StreamName":"a","EnforceConsumerDeletion":"yes"})"),
            "Serialization: 'YES' can not be converted to an Boolean");
  EXPECT_EQ(Check("GetShardIterator", R"({"StreamName":"a","ShardId":"s",)"
                                      R"("ShardIteratorType":"LATEST","Timestamp":"x"})"),
            "Serialization: class java.lang.String can not be converted to milliseconds since "
            "epoch");
}

TEST(ValidationTest, BlobSerializationMessages) {
  auto put = [](std::string_view data) {
    return Check("PutRecord",
                 R"({"StreamName":"a","PartitionKey":"k","Data":")" + std::string(data) + "\"}");
  };
  EXPECT_EQ(put("23456"),
            "Serialization: '23456' can not be converted to a Blob: Base64 encoded length is "
            "expected a multiple of 4 bytes but found: 5");
  EXPECT_EQ(put("=+/="),
            "Serialization: '=+/=' can not be converted to a Blob: Invalid Base64 character: '='");
  EXPECT_EQ(put("ab!d"),
            "Serialization: 'ab!d' can not be converted to a Blob: Invalid Base64 character: '!'");
  // A non-ASCII character is named whole, so the response stays UTF-8 (found
  // by the kinesis_service fuzz target).
  EXPECT_EQ(put("ab\xD0\x86"
                "cdef"),
            "Serialization: 'ab\xD0\x86"
            "cdef' can not be converted to a Blob: Invalid "
            "Base64 character: '\xD0\x86'");
  EXPECT_EQ(put("+/+="),
            "Serialization: '+/+=' can not be converted to a Blob: Invalid last non-pad Base64 "
            "character dectected");
  EXPECT_EQ(Check("PutRecord", R"({"StreamName":"a","PartitionKey":"k","Data":23})"),
            "Serialization: class com.amazon.coral.value.json.numbers.TruncatingBigNumber can "
            "not be converted to a Blob");
  JsonValue v;
  EXPECT_EQ(Check("PutRecord", R"({"StreamName":"a","PartitionKey":"k","Data":"aGVsbG8="})", &v),
            "");
  EXPECT_EQ(v.Find("Data")->string, "hello");  // decoded in place
}

TEST(ValidationTest, MissingAndEmptyMembers) {
  EXPECT_EQ(Check("CreateStream", "{}"),
            "Validation: 1 validation error detected: Value null at 'streamName' failed to "
            "satisfy constraint: Member must not be null");
  EXPECT_EQ(Check("PutRecords", R"({"StreamName":"","Records":[]})"),
            "Validation: 3 validation errors detected: "
            "Value '[]' at 'records' failed to satisfy constraint: Member must have length "
            "greater than or equal to 1; "
            "Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular "
            "expression pattern: [a-zA-Z0-9_.-]+; "
            "Value '' at 'streamName' failed to satisfy constraint: Member must have length "
            "greater than or equal to 1");
  std::string name(129, 'a');
  EXPECT_EQ(Check("CreateStream", R"({"StreamName":")" + name + R"(","ShardCount":0})"),
            "Validation: 2 validation errors detected: Value '0' at 'shardCount' failed to "
            "satisfy constraint: Member must have value greater than or equal to 1; Value '" +
                name +
                "' at 'streamName' failed to satisfy constraint: Member must have length less "
                "than or equal to 128");
}

TEST(ValidationTest, RecordsPathsAndLimits) {
  std::string records = "[";
  for (int i = 0; i < 501; ++i)
    records += std::string(i ? "," : "") + R"({"PartitionKey":"k","Data":""})";
  records += "]";
  std::string msg = Check("PutRecords", R"({"StreamName":"s","Records":)" + records + "}");
  EXPECT_EQ(msg.rfind("Validation: 1 validation error detected: Value '[com.amazonaws.kinesis."
                      "v20131202.PutRecordsRequestEntry@2, ",
                      0),
            0u)
      << msg.substr(0, 200);
  EXPECT_NE(msg.find("]' at 'records' failed to satisfy constraint: Member must have length less "
                     "than or equal to 500"),
            std::string::npos);

  EXPECT_EQ(Check("PutRecords", R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":""},)"
                                R"({"PartitionKey":"","ExplicitHashKey":"01"},{"Data":"AA=="}]})"),
            "Validation: 4 validation errors detected: "
            "Value '' at 'records.2.member.partitionKey' failed to satisfy constraint: Member "
            "must have length greater than or equal to 1; "
            "Value '01' at 'records.2.member.explicitHashKey' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38}); "
            "Value null at 'records.2.member.data' failed to satisfy constraint: Member must "
            "not be null; "
            "Value null at 'records.3.member.partitionKey' failed to satisfy constraint: Member "
            "must not be null");
}

TEST(ValidationTest, BlobLengthIsDecodedBytes) {
  // The model's bound is 10 MiB (a stream's MaxRecordSizeInKiB, checked by
  // the engine, may be lower).
  std::string big((10485761 + 2) / 3 * 4, 'A');  // decodes to 10485762 bytes (no padding)
  std::string msg =
      Check("PutRecord", R"({"StreamName":"s","PartitionKey":"k","Data":")" + big + "\"}");
  EXPECT_EQ(msg,
            "Validation: 1 validation error detected: Value "
            "'java.nio.HeapByteBuffer[pos=0 lim=10485762 cap=10485762]' at 'data' failed to "
            "satisfy constraint: Member must have length less than or equal to 10485760");
  std::string ok(10485760 / 3 * 4, 'A');  // 10485758 bytes
  EXPECT_EQ(Check("PutRecord", R"({"StreamName":"s","PartitionKey":"k","Data":")" + ok + "\"}"),
            "");
}

TEST(ValidationTest, AtMostTenErrors) {
  std::string records = "[";
  for (int i = 0; i < 20; ++i) records += std::string(i ? "," : "") + "{}";
  records += "]";
  std::string msg = Check("PutRecords", R"({"StreamName":"s","Records":)" + records + "}");
  EXPECT_EQ(msg.rfind("Validation: 10 validation errors detected: ", 0), 0u) << msg;
}

TEST(ValidationTest, EnumsRangesAndMaps) {
  EXPECT_EQ(Check("GetShardIterator",
                  R"({"StreamName":"s","ShardId":"shardId-0","ShardIteratorType":"OLDEST"})"),
            "Validation: 1 validation error detected: Value 'OLDEST' at 'shardIteratorType' "
            "failed to satisfy constraint: Member must satisfy enum value set: "
            "[AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]");
  EXPECT_EQ(Check("GetRecords", R"({"ShardIterator":"x","Limit":10001})"),
            "Validation: 1 validation error detected: Value '10001' at 'limit' failed to "
            "satisfy constraint: Member must have value less than or equal to 10000");
  // Integers are floored as AWS does.
  EXPECT_EQ(Check("GetRecords", R"({"ShardIterator":"x","Limit":0.5})"),
            "Validation: 1 validation error detected: Value '0' at 'limit' failed to satisfy "
            "constraint: Member must have value greater than or equal to 1");
  EXPECT_EQ(Check("AddTagsToStream", R"({"StreamName":"s","Tags":{}})"),
            "Validation: 1 validation error detected: Value '{}' at 'tags' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1");
  EXPECT_EQ(Check("AddTagsToStream", R"({"StreamName":"s","Tags":{"":"v","b":"w"}})"),
            "Validation: 1 validation error detected: Value '{=v, b=w}' at 'tags' failed to "
            "satisfy constraint: Map keys must satisfy constraint: [Member must have length "
            "less than or equal to 128, Member must have length greater than or equal to 1]");
  EXPECT_EQ(Check("EnableEnhancedMonitoring",
                  R"({"StreamName":"s","ShardLevelMetrics":["IncomingBytes","Bogus"]})"),
            "Validation: 1 validation error detected: Value 'Bogus' at "
            "'shardLevelMetrics.2.member' failed to satisfy constraint: Member must satisfy enum "
            "value set: [IncomingBytes, IncomingRecords, OutgoingBytes, OutgoingRecords, "
            "WriteProvisionedThroughputExceeded, ReadProvisionedThroughputExceeded, "
            "IteratorAgeMilliseconds, ALL]");
}

TEST(ValidationTest, UnknownAndNullMembersAreIgnored) {
  JsonValue v;
  EXPECT_EQ(Check("CreateStream", R"({"StreamName":"s","ShardCount":null,"Bogus":[1]})", &v), "");
  EXPECT_EQ(v.object.size(), 1u);
}

TEST(ValidationTest, PartitionKeyLengthCountsUtf16Units) {
  EXPECT_EQ(Utf16Length("abc"), 3u);
  EXPECT_EQ(Utf16Length("\xc3\xa9"), 1u);          // é
  EXPECT_EQ(Utf16Length("\xf0\x9f\x98\x80"), 2u);  // an emoji: a surrogate pair
  std::string key;
  for (int i = 0; i < 128; ++i) key += "\xf0\x9f\x98\x80";  // 256 UTF-16 units
  EXPECT_EQ(Check("PutRecord", R"({"StreamName":"s","PartitionKey":")" + key + R"(","Data":""})"),
            "");
  key += "a";
  EXPECT_NE(Check("PutRecord", R"({"StreamName":"s","PartitionKey":")" + key + R"(","Data":""})"),
            "");
}

TEST(PatternTest, ModelPatterns) {
  EXPECT_TRUE(MatchesPattern(Pattern::kName, "my-stream_1.x"));
  EXPECT_FALSE(MatchesPattern(Pattern::kName, "my stream"));
  EXPECT_FALSE(MatchesPattern(Pattern::kName, ""));
  EXPECT_TRUE(
      MatchesPattern(Pattern::kStreamArn, "arn:aws:kinesis:us-east-1:123456789012:stream/s"));
  EXPECT_TRUE(
      MatchesPattern(Pattern::kStreamArn, "arn:aws-cn:kinesis:cn-north-1:123456789012:stream/s"));
  EXPECT_FALSE(
      MatchesPattern(Pattern::kStreamArn, "arn:aws:kinesis:us-east-1:12345678901:stream/s"));
  EXPECT_FALSE(
      MatchesPattern(Pattern::kStreamArn, "arn:aws:kinesis:us-east-1:123456789012:stream/"));
  EXPECT_FALSE(
      MatchesPattern(Pattern::kStreamArn, "arn:aws:kinesis:us-east-1:123456789012:stream/a b"));
  EXPECT_TRUE(MatchesPattern(Pattern::kResourceArn,
                             "arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1"));
  EXPECT_TRUE(MatchesPattern(Pattern::kConsumerArn,
                             "arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1700"));
  EXPECT_FALSE(MatchesPattern(Pattern::kConsumerArn,
                              "arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c"));
  EXPECT_TRUE(MatchesPattern(Pattern::kHashKey, "0"));
  EXPECT_TRUE(MatchesPattern(Pattern::kHashKey, std::string(39, '9')));
  EXPECT_FALSE(MatchesPattern(Pattern::kHashKey, std::string(40, '9')));
  EXPECT_FALSE(MatchesPattern(Pattern::kHashKey, "00"));
  EXPECT_FALSE(MatchesPattern(Pattern::kSequenceNumber, "-1"));
  EXPECT_TRUE(MatchesPattern(Pattern::kStreamId, "abcdefghij0123456789-abc"));
  // A long adversarial ARN is decided quickly (memoized backtracking).
  std::string evil = "arn:aws" + std::string(2000, ':') + "kinesis";
  EXPECT_FALSE(MatchesPattern(Pattern::kStreamArn, evil));
}

}  // namespace
}  // namespace tidelog::server::kinesis
