// KinesisService end to end without the network: HttpRequests into the
// service over a real Engine in a temp dir, JSON responses checked.
#include "server/kinesis/kinesis_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <tuple>

#include "server/auth/sigv4.h"
#include "server/kinesis/json_value.h"
#include "server/kinesis/json_writer.h"
#include "tests/kinesis/kinesis_service_fixture.h"
#include "tidelog/base64.h"
#include "tidelog/engine.h"

namespace tidelog::server {
namespace {

using kinesis::JsonValue;

using testing::Answer;

class KinesisServiceTest : public testing::KinesisServiceFixture {
 protected:
  std::string Message(const Answer& a) { return a.message; }
  // A service that authenticates with `verifier` (which must outlive the test body).
  void UseVerifier(const SigV4Verifier* verifier) {
    KinesisServiceOptions options;
    options.verifier = verifier;
    service_ = std::make_unique<KinesisService>(engine_.get(), options);
  }
};

TEST_F(KinesisServiceTest, ProtocolErrors) {
  HttpRequest get;
  get.method = "GET";
  get.headers = {{"x-amz-target", "Kinesis_20131202.ListStreams"}};
  Answer a = Send(get);
  EXPECT_EQ(a.status, 403);
  EXPECT_NE(a.body.find("<AccessDeniedException>"), std::string::npos);

  a = Call("NoSuchOperation", "{}");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.type, "UnknownOperationException");

  HttpRequest wrong_service;
  wrong_service.method = "POST";
  wrong_service.headers = {{"content-type", "application/x-amz-json-1.1"},
                           {"x-amz-target", "DynamoDB_20120810.ListStreams"}};
  wrong_service.body = "{}";
  EXPECT_EQ(Send(wrong_service).type, "UnknownOperationException");

  HttpRequest cbor;
  cbor.method = "POST";
  cbor.headers = {{"content-type", "application/x-amz-cbor-1.1"},
                  {"x-amz-target", "Kinesis_20131202.ListStreams"}};
  cbor.body = "\xbf\xff";  // {} in CBOR: served (cbor_service_test.cc has the rest)
  a = Send(cbor);
  EXPECT_EQ(a.status, 200);

  a = Call("ListStreams", "");
  EXPECT_EQ(a.type, "SerializationException");
  a = Call("ListStreams", "{not json");
  EXPECT_EQ(a.type, "SerializationException");
  a = Call("ListStreams", R"({"Limit":"5"})");
  EXPECT_EQ(a.type, "SerializationException");
  EXPECT_EQ(a.json.Find("Message")->string,
            "class java.lang.String can not be converted to an Integer");

  a = Call("SubscribeToShard",
           R"({"ConsumerARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1",)"
           R"("ShardId":"shardId-000000000000","StartingPosition":{"Type":"LATEST"}})");
  EXPECT_EQ(a.status, 400);  // served (subscribe_to_shard_test.cc): no such stream here
  EXPECT_EQ(a.type, "ResourceNotFoundException");
  EXPECT_EQ(Message(a).find("not supported"), std::string::npos);
}

TEST_F(KinesisServiceTest, CreateDescribeListDelete) {
  CreateStream("alpha", 3);
  Answer a = Call("DescribeStream", R"({"StreamName":"alpha"})");
  ASSERT_EQ(a.status, 200) << a.body;
  const JsonValue* d = a.json.Find("StreamDescription");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->Find("StreamName")->string, "alpha");
  ASSERT_EQ(d->Find("Shards")->array.size(), 3u);
  EXPECT_EQ(d->Find("Shards")->array[1].Find("HashKeyRange")->Find("StartingHashKey")->string,
            "113427455640312821154458202477256070485");
  EXPECT_FALSE(d->Find("HasMoreShards")->boolean);
  EXPECT_EQ(d->Find("StreamCreationTimestamp")->type, JsonValue::Type::kNumber);

  a = Call("DescribeStream", R"({"StreamName":"alpha","Limit":2})");
  EXPECT_EQ(a.json.Find("StreamDescription")->Find("Shards")->array.size(), 2u);
  EXPECT_TRUE(a.json.Find("StreamDescription")->Find("HasMoreShards")->boolean);
  a = Call("DescribeStream",
           R"({"StreamName":"alpha","Limit":2,"ExclusiveStartShardId":"shardId-000000000001"})");
  ASSERT_EQ(a.json.Find("StreamDescription")->Find("Shards")->array.size(), 1u);
  EXPECT_FALSE(a.json.Find("StreamDescription")->Find("HasMoreShards")->boolean);

  a = Call("ListShards", R"({"StreamName":"alpha","MaxResults":2})");
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_EQ(a.json.Find("Shards")->array.size(), 2u);
  std::string token = a.json.Find("NextToken")->string;
  a = Call("ListShards", R"({"NextToken":")" + token + R"(","StreamName":"alpha"})");
  EXPECT_EQ(a.type, "InvalidArgumentException");
  EXPECT_EQ(Message(a), "NextToken and StreamName cannot be provided together.");
  a = Call("ListShards", R"({"NextToken":")" + token + R"("})");
  ASSERT_EQ(a.json.Find("Shards")->array.size(), 1u);
  EXPECT_EQ(a.json.Find("Shards")->array[0].Find("ShardId")->string, "shardId-000000000002");
  EXPECT_EQ(a.json.Find("NextToken"), nullptr);
  a = Call("ListShards", "{}");
  EXPECT_EQ(Message(a), "Either NextToken or StreamName should be provided.");

  CreateStream("beta", 1);
  a = Call("ListStreams", R"({"Limit":1})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json.Find("StreamNames")->array[0].string, "alpha");
  EXPECT_TRUE(a.json.Find("HasMoreStreams")->boolean);
  a = Call("ListStreams", R"({"NextToken":")" + a.json.Find("NextToken")->string + "\"}");
  EXPECT_EQ(a.json.Find("StreamNames")->array[0].string, "beta");
  EXPECT_FALSE(a.json.Find("HasMoreStreams")->boolean);
  EXPECT_EQ(a.json.Find("StreamSummaries")->array[0].Find("StreamStatus")->string, "ACTIVE");

  a = Call("DeleteStream", R"({"StreamName":"beta"})");
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, "");
}

TEST_F(KinesisServiceTest, PutAndGetRecords) {
  CreateStream("data", 2);
  Answer a = Call("PutRecord", R"({"StreamName":"data","PartitionKey":"k","Data":"aGVsbG8="})");
  ASSERT_EQ(a.status, 200) << a.body;
  std::string shard = a.json.Find("ShardId")->string;
  std::string seq = a.json.Find("SequenceNumber")->string;

  std::string records = "[";
  for (int i = 0; i < 500; ++i)
    records += std::string(i ? "," : "") + R"({"PartitionKey":"k","Data":")" +
               Base64Encode("r" + std::to_string(i)) + "\"}";
  records += "]";
  a = Call("PutRecords", R"({"StreamName":"data","Records":)" + records + "}");
  ASSERT_EQ(a.status, 200) << a.body.substr(0, 300);
  EXPECT_EQ(a.json.Find("FailedRecordCount")->integer, 0);
  EXPECT_EQ(a.json.Find("Records")->array.size(), 500u);

  std::string too_many = "[";
  for (int i = 0; i < 1000; ++i)
    too_many += std::string(i ? "," : "") + R"({"PartitionKey":"k","Data":"eA=="})";
  too_many += "]";
  a = Call("PutRecords", R"({"StreamName":"data","Records":)" + too_many + "}");
  EXPECT_EQ(a.type, "ValidationException");

  a = Call("GetShardIterator", R"({"StreamName":"data","ShardId":")" + shard +
                                   R"(","ShardIteratorType":"AT_SEQUENCE_NUMBER",)"
                                   R"("StartingSequenceNumber":")" +
                                   seq + "\"}");
  ASSERT_EQ(a.status, 200) << a.body;
  std::string it = a.json.Find("ShardIterator")->string;
  a = Call("GetRecords", R"({"ShardIterator":")" + it + R"(","Limit":1000})");
  ASSERT_EQ(a.status, 200) << a.body.substr(0, 300);
  const auto& got = a.json.Find("Records")->array;
  ASSERT_EQ(got.size(), 501u);
  EXPECT_EQ(got[0].Find("Data")->string, "aGVsbG8=");
  EXPECT_EQ(got[0].Find("SequenceNumber")->string, seq);
  EXPECT_EQ(got[500].Find("Data")->string, Base64Encode("r499"));
  EXPECT_NE(a.json.Find("NextShardIterator"), nullptr);

  a = Call("PutRecord", R"({"StreamName":"data","PartitionKey":"k","Data":"",)"
                        R"("ExplicitHashKey":"340282366920938463463374607431768211456"})");
  EXPECT_EQ(a.type, "InvalidArgumentException");
  EXPECT_EQ(Message(a),
            "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
            "Specified value was 340282366920938463463374607431768211456");

  a = Call("PutRecord", R"({"StreamName":"nope","PartitionKey":"k","Data":""})");
  EXPECT_EQ(a.type, "ResourceNotFoundException");
}

// Bodies the put fast path leaves to the general path still get the general
// path's answers, and fast-path answers have the general path's bytes.
TEST_F(KinesisServiceTest, PutsOutsideTheFastPath) {
  CreateStream("slow", 1);
  Answer a = Call("PutRecord", R"({"StreamName":"slow","PartitionKey":"k\u00e9","Data":"aGk="})");
  ASSERT_EQ(a.status, 200) << a.body;
  a = Call(
      "PutRecord",
      R"({"StreamName":"slow","PartitionKey":"a","PartitionKey":"b","Data":"aGk=","Other":1})");
  ASSERT_EQ(a.status, 200) << a.body;
  a = Call("PutRecords", R"({"StreamName":"slow","Records":[{"PartitionKey":"k","Data":"aGk=",)"
                         R"("ExplicitHashKey":null}]})");
  ASSERT_EQ(a.status, 200) << a.body;
  a = Call("PutRecord", R"({"StreamName":"slow","PartitionKey":"k","Data":"aGl="})");
  EXPECT_EQ(a.type, "SerializationException");
  a = Call("PutRecords", R"({"StreamName":"slow","Records":[]})");
  EXPECT_EQ(a.type, "ValidationException");
  a = Call("PutRecord", R"({"StreamName":"slow","PartitionKey":"k","Data":"aGk="} x)");
  EXPECT_EQ(a.type, "SerializationException");

  a = Call("PutRecord", R"({"StreamName":"slow","PartitionKey":"k","Data":"aGk="})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, R"({"ShardId":"shardId-000000000000","SequenceNumber":")" +
                        a.json.Find("SequenceNumber")->string + "\"}");
  a = Call("PutRecords", R"({"StreamName":"slow","Records":[{"PartitionKey":"k","Data":"aGk="}]})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, R"({"FailedRecordCount":0,"Records":[{"SequenceNumber":")" +
                        a.json.Find("Records")->array[0].Find("SequenceNumber")->string +
                        R"(","ShardId":"shardId-000000000000"}]})");

  a = Call("GetShardIterator", R"({"StreamName":"slow","ShardId":"shardId-000000000000",)"
                               R"("ShardIteratorType":"TRIM_HORIZON"})");
  ASSERT_EQ(a.status, 200) << a.body;
  a = Call("GetRecords", R"({"ShardIterator":")" + a.json.Find("ShardIterator")->string + "\"}");
  ASSERT_EQ(a.status, 200) << a.body;
  const auto& got = a.json.Find("Records")->array;
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].Find("PartitionKey")->string, "k\xc3\xa9");
  EXPECT_EQ(got[1].Find("PartitionKey")->string, "b");
  EXPECT_EQ(got[0].Find("Data")->string, "aGk=");
  // The direct writer's bytes are JsonWriter's.
  kinesis::JsonWriter w;
  w.StartObject();
  w.Key("Records");
  w.StartArray();
  for (const JsonValue& r : got) {
    w.StartObject();
    w.Field("SequenceNumber", r.Find("SequenceNumber")->string);
    w.Key("ApproximateArrivalTimestamp");
    w.Timestamp(
        static_cast<int64_t>(std::llround(r.Find("ApproximateArrivalTimestamp")->number * 1000.0)));
    w.Field("Data", r.Find("Data")->string);
    w.Field("PartitionKey", r.Find("PartitionKey")->string);
    w.EndObject();
  }
  w.EndArray();
  w.Field("NextShardIterator", a.json.Find("NextShardIterator")->string);
  w.IntField("MillisBehindLatest", a.json.Find("MillisBehindLatest")->integer);
  w.EndObject();
  EXPECT_EQ(a.body, w.str());
}

TEST_F(KinesisServiceTest, TagsPaging) {
  CreateStream("tagged", 1);
  Answer a = Call("AddTagsToStream", R"({"StreamName":"tagged","Tags":{"b":"2","a":"1","c":""}})");
  ASSERT_EQ(a.status, 200) << a.body;
  a = Call("ListTagsForStream", R"({"StreamName":"tagged","Limit":2})");
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_EQ(a.json.Find("Tags")->array.size(), 2u);
  EXPECT_EQ(a.json.Find("Tags")->array[0].Find("Key")->string, "a");
  EXPECT_TRUE(a.json.Find("HasMoreTags")->boolean);
  a = Call("ListTagsForStream", R"({"StreamName":"tagged","ExclusiveStartTagKey":"b"})");
  ASSERT_EQ(a.json.Find("Tags")->array.size(), 1u);
  EXPECT_EQ(a.json.Find("Tags")->array[0].Find("Key")->string, "c");
  EXPECT_FALSE(a.json.Find("HasMoreTags")->boolean);

  std::string arn = engine_->StreamArn("tagged");
  a = Call("UntagResource", R"({"ResourceARN":")" + arn + R"(","TagKeys":["a","b"]})");
  ASSERT_EQ(a.status, 200) << a.body;
  a = Call("ListTagsForResource", R"({"ResourceARN":")" + arn + "\"}");
  ASSERT_EQ(a.json.Find("Tags")->array.size(), 1u);
}

TEST_F(KinesisServiceTest, Authentication) {
  Credential credential{"AKID", "SECRET"};
  SigV4Verifier verifier({credential}, "us-east-1", SystemClock());
  UseVerifier(&verifier);

  auto request = [] {
    HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"host", "127.0.0.1:4567"},
                   {"content-type", "application/x-amz-json-1.1"},
                   {"x-amz-target", "Kinesis_20131202.ListStreams"}};
    req.body = "{}";
    return req;
  };
  HttpRequest unsigned_request = request();
  Answer a = Send(unsigned_request);
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.type, "MissingAuthenticationTokenException");
  EXPECT_EQ(Message(a), "Missing Authentication Token");

  HttpRequest signed_request = request();
  SignRequestV4(&signed_request, credential, "us-east-1", "kinesis", SystemClock()->NowMillis());
  for (auto& [k, v] : signed_request.headers) {
    for (char& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  a = Send(signed_request);
  EXPECT_EQ(a.status, 200) << a.body;

  HttpRequest wrong = request();
  SignRequestV4(&wrong, Credential{"AKID", "WRONG"}, "us-east-1", "kinesis",
                SystemClock()->NowMillis());
  for (auto& [k, v] : wrong.headers) {
    for (char& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  EXPECT_EQ(Send(wrong).type, "InvalidSignatureException");
}

TEST_F(KinesisServiceTest, HeadChecksAnswerBeforeTheBody) {
  Credential credential{"AKID", "SECRET"};
  SigV4Verifier verifier({credential}, "us-east-1", SystemClock());
  UseVerifier(&verifier);

  auto head = [](std::string target, std::string content_type = "application/x-amz-json-1.1") {
    HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"host", "127.0.0.1:4567"},
                   {"content-type", std::move(content_type)},
                   {"x-amz-target", std::move(target)},
                   {"content-length", "7000000"}};
    return req;
  };
  auto type_of = [](const std::optional<HttpResponse>& r) {
    for (const auto& [k, v] : r->headers)
      if (k == "x-amzn-ErrorType") return v;
    return std::string();
  };
  // Unsigned, or signed for another region: answered from the head.
  std::optional<HttpResponse> r = service_->CheckHead(head("Kinesis_20131202.PutRecords"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(type_of(r), "MissingAuthenticationTokenException");
  HttpRequest other_region = head("Kinesis_20131202.PutRecords");
  SignRequestV4(&other_region, credential, "eu-west-1", "kinesis", SystemClock()->NowMillis());
  r = service_->CheckHead(other_region);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(type_of(r), "InvalidSignatureException");

  // A correct signature over a body not read yet: the body decides.
  HttpRequest good = head("Kinesis_20131202.PutRecords");
  good.body = R"({"StreamName":"s","Records":[]})";
  SignRequestV4(&good, credential, "us-east-1", "kinesis", SystemClock()->NowMillis());
  good.body.clear();
  EXPECT_EQ(service_->CheckHead(good), std::nullopt);

  // CBOR is served like JSON.
  HttpRequest cbor = head("Kinesis_20131202.PutRecords", "application/x-amz-cbor-1.1");
  SignRequestV4(&cbor, credential, "us-east-1", "kinesis", SystemClock()->NowMillis());
  EXPECT_EQ(service_->CheckHead(cbor), std::nullopt);

  // Signed, but an unknown target or another content type, or not POST.
  for (auto [target, content_type, expected] :
       {std::tuple{"Kinesis_20131202.Nope", "application/x-amz-json-1.1",
                   "UnknownOperationException"},
        std::tuple{"Kinesis_20131202.PutRecords", "text/plain", "UnknownOperationException"}}) {
    HttpRequest req = head(target, content_type);
    SignRequestV4(&req, credential, "us-east-1", "kinesis", SystemClock()->NowMillis());
    r = service_->CheckHead(req);
    ASSERT_TRUE(r.has_value()) << target << " " << content_type;
    EXPECT_EQ(type_of(r), expected);
  }
  HttpRequest get = head("Kinesis_20131202.ListStreams");
  get.method = "GET";
  SignRequestV4(&get, credential, "us-east-1", "kinesis", SystemClock()->NowMillis());
  r = service_->CheckHead(get);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 403);
}

}  // namespace
}  // namespace tidelog::server
