// KinesisService in CBOR (application/x-amz-cbor-1.1): requests built as the
// Java SDK v2 builds them (indefinite maps and arrays, byte-string Data, tag 1
// millisecond timestamps), responses and errors decoded and checked; and the
// CBOR put fast path against the general path it stands in for.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "server/kinesis/cbor_reader.h"
#include "server/kinesis/cbor_writer.h"
#include "server/kinesis/put_fast_path.h"
#include "server/kinesis/record_bodies.h"
#include "server/kinesis/request_fields.h"
#include "server/kinesis/shape.h"
#include "server/kinesis/validation.h"
#include "tests/kinesis/kinesis_service_fixture.h"
#include "tidelog/base64.h"

namespace tidelog::server {
namespace {

using kinesis::JsonValue;

// A CBOR document builder over the appenders (checked byte for byte in
// cbor_codec_test.cc).
class Cbor {
 public:
  Cbor& Map(uint64_t n) { return Head(5, n); }
  Cbor& Array(uint64_t n) { return Head(4, n); }
  Cbor& MapIndefinite() { return Raw("\xbf"); }
  Cbor& ArrayIndefinite() { return Raw("\x9f"); }
  Cbor& Break() { return Raw("\xff"); }
  Cbor& Text(std::string_view s) {
    kinesis::AppendCborText(s, &out_);
    return *this;
  }
  Cbor& Bytes(std::string_view s) {
    kinesis::AppendCborBytes(s, &out_);
    return *this;
  }
  Cbor& Int(int64_t v) {
    kinesis::AppendCborInt(v, &out_);
    return *this;
  }
  Cbor& Timestamp(int64_t ms) {
    kinesis::AppendCborTimestamp(ms, &out_);
    return *this;
  }
  Cbor& Raw(std::string_view bytes) {
    out_.append(bytes);
    return *this;
  }
  std::string str() const { return out_; }

 private:
  Cbor& Head(uint8_t major, uint64_t n) {
    kinesis::AppendCborHead(major, n, &out_);
    return *this;
  }
  std::string out_;
};

struct CborAnswer {
  int status = 0;
  std::string type;          // x-amzn-ErrorType
  std::string content_type;  // Content-Type
  std::string body;
  JsonValue value;  // the decoded body
};

class CborServiceTest : public testing::KinesisServiceFixture {
 protected:
  CborAnswer CallCbor(std::string_view op, std::string body) {
    HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"content-type", std::string(kinesis::kCborContentType)},
                   {"x-amz-target", "Kinesis_20131202." + std::string(op)}};
    req.body = std::move(body);
    auto promise = std::make_shared<std::promise<HttpResponse>>();
    auto future = promise->get_future();
    service_->Handle(std::move(req), [promise](HttpResponse r) { promise->set_value(r); });
    EXPECT_EQ(future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    HttpResponse r = future.get();
    CborAnswer a;
    a.status = r.status;
    a.body = r.body;
    for (const auto& [k, v] : r.headers) {
      if (k == "x-amzn-ErrorType") a.type = v;
      if (k == "Content-Type") a.content_type = v;
    }
    if (!r.body.empty()) {
      EXPECT_TRUE(kinesis::ParseCbor(r.body, &a.value)) << op;
    }
    return a;
  }

  void ExpectError(const CborAnswer& a, std::string_view type, std::string_view message_key,
                   std::string_view message, int status = 400) {
    EXPECT_EQ(a.status, status);
    EXPECT_EQ(a.type, type);
    EXPECT_EQ(a.content_type, kinesis::kCborContentType);
    ASSERT_TRUE(a.value.is_object());
    ASSERT_NE(a.value.Find("__type"), nullptr);
    EXPECT_EQ(a.value.Find("__type")->string, type);
    const JsonValue* m = a.value.Find(message_key);
    ASSERT_NE(m, nullptr) << message_key;
    EXPECT_EQ(m->string, message);
  }
};

TEST_F(CborServiceTest, StreamLifecycleAndTimestamps) {
  CborAnswer a = CallCbor(
      "CreateStream",
      Cbor().MapIndefinite().Text("StreamName").Text("s").Text("ShardCount").Int(2).Break().str());
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, "");  // no output: no body, as in JSON

  a = CallCbor("DescribeStreamSummary", Cbor().Map(1).Text("StreamName").Text("s").str());
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.content_type, kinesis::kCborContentType);
  const JsonValue* summary = a.value.Find("StreamDescriptionSummary");
  ASSERT_NE(summary, nullptr);
  EXPECT_EQ(summary->Find("StreamName")->string, "s");
  EXPECT_EQ(summary->Find("OpenShardCount")->integer, 2);
  const JsonValue* created = summary->Find("StreamCreationTimestamp");
  ASSERT_NE(created, nullptr);
  EXPECT_TRUE(created->exact_millis);  // tag 1, integer milliseconds

  // The same instant as the JSON response, to the millisecond.
  testing::Answer json = Call("DescribeStreamSummary", R"({"StreamName":"s"})");
  const double seconds =
      json.json.Find("StreamDescriptionSummary")->Find("StreamCreationTimestamp")->number;
  EXPECT_EQ(created->millis, kinesis::SecondsToMillis(seconds));
}

TEST_F(CborServiceTest, PutAndGetRecords) {
  CreateStream("s", 1);
  const std::string data("\x00\x01\xfe\xff binary", 11);
  // PutRecord (the fast path), then PutRecords as the Java SDK writes it.
  CborAnswer a = CallCbor("PutRecord", Cbor()
                                           .MapIndefinite()
                                           .Text("StreamName")
                                           .Text("s")
                                           .Text("Data")
                                           .Bytes(data)
                                           .Text("PartitionKey")
                                           .Text("pk")
                                           .Break()
                                           .str());
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.content_type, kinesis::kCborContentType);
  EXPECT_EQ(a.value.Find("ShardId")->string, "shardId-000000000000");
  const std::string first_seq = a.value.Find("SequenceNumber")->string;

  Cbor records;
  records.MapIndefinite().Text("Records").ArrayIndefinite();
  for (int i = 0; i < 3; ++i)
    records.MapIndefinite()
        .Text("Data")
        .Bytes("r" + std::to_string(i))
        .Text("PartitionKey")
        .Text("k")
        .Break();
  records.Break().Text("StreamName").Text("s").Break();
  a = CallCbor("PutRecords", records.str());
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.value.Find("FailedRecordCount")->integer, 0);
  ASSERT_EQ(a.value.Find("Records")->array.size(), 3u);

  // A put the fast path leaves to the general path (a text Data: base64).
  a = CallCbor("PutRecord", Cbor()
                                .Map(3)
                                .Text("StreamName")
                                .Text("s")
                                .Text("Data")
                                .Text("aGk=")
                                .Text("PartitionKey")
                                .Text("pk")
                                .str());
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.content_type, kinesis::kCborContentType);

  a = CallCbor("GetShardIterator", Cbor()
                                       .Map(3)
                                       .Text("StreamName")
                                       .Text("s")
                                       .Text("ShardId")
                                       .Text("shardId-000000000000")
                                       .Text("ShardIteratorType")
                                       .Text("TRIM_HORIZON")
                                       .str());
  ASSERT_EQ(a.status, 200) << a.body;
  const std::string iterator = a.value.Find("ShardIterator")->string;
  a = CallCbor("GetRecords", Cbor().Map(1).Text("ShardIterator").Text(iterator).str());
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.content_type, kinesis::kCborContentType);
  const JsonValue* got = a.value.Find("Records");
  ASSERT_EQ(got->array.size(), 5u);
  EXPECT_TRUE(got->array[0].Find("Data")->bytes);
  EXPECT_EQ(got->array[0].Find("Data")->string, data);
  EXPECT_EQ(got->array[0].Find("SequenceNumber")->string, first_seq);
  EXPECT_EQ(got->array[1].Find("Data")->string, "r0");
  EXPECT_EQ(got->array[4].Find("Data")->string, "hi");
  EXPECT_TRUE(got->array[0].Find("ApproximateArrivalTimestamp")->exact_millis);
  EXPECT_NE(a.value.Find("NextShardIterator"), nullptr);
  EXPECT_EQ(a.value.Find("MillisBehindLatest")->integer, 0);

  // The direct CBOR writer says what transcoding the JSON body would.
  testing::Answer json = Call("GetRecords", R"({"ShardIterator":")" + iterator + "\"}");
  ASSERT_EQ(json.status, 200);
  JsonValue transcoded;
  ASSERT_TRUE(kinesis::ParseCbor(kinesis::JsonToCbor(json.body), &transcoded));
  const JsonValue* t = transcoded.Find("Records");
  ASSERT_EQ(t->array.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    for (std::string_view k : {"SequenceNumber", "Data", "PartitionKey"})
      EXPECT_EQ(t->array[i].Find(k)->string, got->array[i].Find(k)->string) << k;
    EXPECT_EQ(t->array[i].Find("ApproximateArrivalTimestamp")->millis,
              got->array[i].Find("ApproximateArrivalTimestamp")->millis);
  }

  // AT_TIMESTAMP with a tag 1 millisecond Timestamp, as the Java SDK sends it.
  const int64_t arrival = got->array[2].Find("ApproximateArrivalTimestamp")->millis;
  a = CallCbor("GetShardIterator", Cbor()
                                       .Map(4)
                                       .Text("StreamName")
                                       .Text("s")
                                       .Text("ShardId")
                                       .Text("shardId-000000000000")
                                       .Text("ShardIteratorType")
                                       .Text("AT_TIMESTAMP")
                                       .Text("Timestamp")
                                       .Timestamp(arrival)
                                       .str());
  // (arrival + 1 could be past the broker's clock, which AWS refuses.)
  ASSERT_EQ(a.status, 200) << a.body;
  a = CallCbor(
      "GetRecords",
      Cbor().Map(1).Text("ShardIterator").Text(a.value.Find("ShardIterator")->string).str());
  ASSERT_EQ(a.status, 200);
  // Records 2..4 at least, and none that arrived before record 2.
  EXPECT_GE(a.value.Find("Records")->array.size(), 3u);
  for (const JsonValue& r : a.value.Find("Records")->array)
    EXPECT_GE(r.Find("ApproximateArrivalTimestamp")->millis, arrival);
}

TEST_F(CborServiceTest, ErrorsAreCborWithTheJsonTypesAndTexts) {
  // Engine error: the same __type, message, status and header as JSON.
  CborAnswer a = CallCbor("DescribeStream", Cbor().Map(1).Text("StreamName").Text("nope").str());
  testing::Answer json = Call("DescribeStream", R"({"StreamName":"nope"})");
  ExpectError(a, "ResourceNotFoundException", "message", json.message);

  // Malformed CBOR of every kind: SerializationException with AWS's `Message`
  // key left out (empty), as for bad JSON.
  for (std::string body : {std::string(""), std::string("\xa1\x61", 2), std::string("\x01"),
                           Cbor().Map(0).str() + std::string(1, '\0'), std::string("\xbf\x61s", 3),
                           std::string("\x5b\xff\xff\xff\xff\xff\xff\xff\xff", 9)}) {
    a = CallCbor("ListStreams", body);
    EXPECT_EQ(a.status, 400);
    EXPECT_EQ(a.type, "SerializationException");
    EXPECT_EQ(a.content_type, kinesis::kCborContentType);
    EXPECT_EQ(a.value.Find("__type")->string, "SerializationException");
  }

  // Wrong types: the texts of the JSON path.
  a = CallCbor("DescribeStream", Cbor().Map(1).Text("StreamName").Int(5).str());
  json = Call("DescribeStream", R"({"StreamName":5})");
  ExpectError(a, "SerializationException", "Message", json.message);
  a = CallCbor("DescribeStream", Cbor().Map(1).Text("StreamName").Bytes("s").str());
  ExpectError(a, "SerializationException", "Message",
              "class java.nio.HeapByteBuffer can not be converted to an String");

  // Model constraints: ValidationException, same text as JSON.
  a = CallCbor("CreateStream", Cbor().Map(1).Text("StreamName").Text("a b").str());
  json = Call("CreateStream", R"({"StreamName":"a b"})");
  ExpectError(a, "ValidationException", "message", json.message);

  // Blob constraints count the byte string's bytes.
  CreateStream("s", 1);
  a = CallCbor("PutRecord", Cbor()
                                .Map(3)
                                .Text("StreamName")
                                .Text("s")
                                .Text("Data")
                                .Bytes(std::string(1048577, 'x'))
                                .Text("PartitionKey")
                                .Text("k")
                                .str());
  json = Call("PutRecord", R"({"StreamName":"s","PartitionKey":"k","Data":")" +
                               Base64Encode(std::string(1048577, 'x')) + "\"}");
  ExpectError(a, "ValidationException", "message", json.message);

  // Unknown operation: answered from the head, in CBOR too.
  a = CallCbor("NoSuchOperation", Cbor().Map(0).str());
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.type, "UnknownOperationException");
  EXPECT_EQ(a.content_type, kinesis::kCborContentType);
  EXPECT_EQ(a.value.Find("__type")->string, "UnknownOperationException");

  HttpRequest head;
  head.method = "POST";
  head.target = "/";
  head.headers = {{"content-type", "application/x-amz-cbor-1.1"},
                  {"x-amz-target", "Kinesis_20131202.Nope"}};
  std::optional<HttpResponse> early = service_->CheckHead(head);
  ASSERT_TRUE(early.has_value());
  JsonValue v;
  ASSERT_TRUE(kinesis::ParseCbor(early->body, &v));
  EXPECT_EQ(v.Find("__type")->string, "UnknownOperationException");
}

// The general path's entries for a put body: what ParsePutFastCbor must match.
std::vector<PutRecordEntry> GeneralEntries(bool batch, const std::string& body, JsonValue* tree,
                                           std::string* stream) {
  std::vector<PutRecordEntry> entries;
  EXPECT_TRUE(kinesis::ParseCbor(body, tree));
  const kinesis::Shape* shape = kinesis::InputShape(batch ? "PutRecords" : "PutRecord");
  EXPECT_FALSE(kinesis::CheckTypes(*shape, tree).has_value());
  EXPECT_FALSE(kinesis::CheckConstraints(*shape, *tree).has_value());
  *stream = std::string(kinesis::StringField(*tree, "StreamName"));
  auto entry = [](const JsonValue& r) {
    PutRecordEntry e;
    e.partition_key = kinesis::StringField(r, "PartitionKey");
    e.data = kinesis::StringField(r, "Data");
    if (const JsonValue* k = r.Find("ExplicitHashKey")) {
      u128 v = 0;
      EXPECT_TRUE(ParseU128Decimal(k->string, &v));
      e.explicit_hash_key = v;
    }
    return e;
  };
  if (batch) {
    for (const JsonValue& r : tree->Find("Records")->array) entries.push_back(entry(r));
  } else {
    entries.push_back(entry(*tree));
  }
  return entries;
}

TEST(CborPutFastPathTest, MatchesTheGeneralPath) {
  std::mt19937 rng(11);
  for (int round = 0; round < 40; ++round) {
    const bool batch = round % 2 == 0;
    const bool indefinite = round % 4 < 2;
    Cbor c;
    auto open_map = [&](uint64_t n) { indefinite ? c.MapIndefinite() : c.Map(n); };
    auto close = [&] {
      if (indefinite) c.Break();
    };
    auto record = [&](int i, bool top_level) {
      const bool hash = rng() % 3 == 0;
      if (!top_level) open_map(hash ? 3 : 2);
      std::string data(rng() % (i % 9 == 0 ? 3000 : 40), '\0');
      for (char& ch : data) ch = static_cast<char>(rng());
      c.Text("Data").Bytes(data);
      c.Text("PartitionKey").Text("pk-" + std::to_string(rng() % 1000));
      if (hash) c.Text("ExplicitHashKey").Text(std::to_string(rng()));
      if (!top_level) close();
      return hash;
    };
    if (batch) {
      open_map(2);
      c.Text("StreamName").Text("stream_" + std::to_string(round));
      c.Text("Records");
      const int n = 1 + static_cast<int>(rng() % 500);
      indefinite ? c.ArrayIndefinite() : c.Array(static_cast<uint64_t>(n));
      for (int i = 0; i < n; ++i) record(i, false);
      close();
      close();
    } else {
      // The top level's size depends on the optional key: build it apart.
      Cbor members;
      std::swap(c, members);
      const bool hash = record(round, true);
      std::swap(c, members);
      open_map(hash ? 4 : 3);
      c.Text("StreamName").Text("s.1-x");
      c.Raw(members.str());
      close();
    }
    const std::string body = c.str();
    JsonValue tree;
    std::string stream;
    const std::vector<PutRecordEntry> expected = GeneralEntries(batch, body, &tree, &stream);

    std::string copy = body;
    kinesis::FastPut put;
    ASSERT_TRUE(kinesis::ParsePutFastCbor(batch, &copy, &put)) << round;
    EXPECT_EQ(put.format, kinesis::WireFormat::kCbor);
    EXPECT_TRUE(put.data.empty());  // Data are views into the body
    EXPECT_EQ(put.stream, stream);
    ASSERT_EQ(put.entries.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(put.entries[i].data, expected[i].data);
      EXPECT_EQ(put.entries[i].partition_key, expected[i].partition_key);
      EXPECT_EQ(put.entries[i].explicit_hash_key, expected[i].explicit_hash_key);
      const char* at = put.entries[i].data.data();
      EXPECT_TRUE(put.entries[i].data.empty() ||
                  (at >= put.body.data() && at < put.body.data() + put.body.size()));
    }
  }
}

TEST(CborPutFastPathTest, LeavesEverythingUnusualToTheGeneralPath) {
  auto put = [](Cbor c) {
    return c.Text("StreamName").Text("s").Text("Data").Bytes("d").Text("PartitionKey").Text("k");
  };
  std::vector<std::pair<bool, std::string>> bodies = {
      {false, put(Cbor().Map(3)).str() + std::string(1, '\0')},       // trailing byte
      {false, put(Cbor().Map(4)).str()},                              // truncated
      {false, put(Cbor().Map(4)).Text("Extra").Int(1).str()},         // unknown member
      {false, put(Cbor().Map(4)).Text("Data").Bytes("again").str()},  // repeated
      {false, put(Cbor().Map(4)).Text("SequenceNumberForOrdering").Text("1").str()},
      {false, put(Cbor().Map(4)).Text("StreamARN").Text("arn").str()},
      {false, put(Cbor().Map(4)).Text("ExplicitHashKey").Raw("\xf6").str()},  // null
      {false, Cbor()
                  .Map(3)
                  .Text("StreamName")
                  .Text("s")
                  .Text("Data")
                  .Text("ZA==")
                  .Text("PartitionKey")
                  .Text("k")
                  .str()},  // text Data
      {false, Cbor()
                  .Map(3)
                  .Text("StreamName")
                  .Text("s")
                  .Text("Data")
                  .Raw("\x5f\x41"
                       "d\xff")
                  .Text("PartitionKey")
                  .Text("k")
                  .str()},  // chunked Data
      {false, Cbor()
                  .Map(3)
                  .Text("StreamName")
                  .Raw("\xd8\x20")
                  .Text("s")
                  .Text("Data")
                  .Bytes("d")
                  .Text("PartitionKey")
                  .Text("k")
                  .str()},  // a tag
      {false, Cbor()
                  .Map(3)
                  .Text("StreamName")
                  .Text("s")
                  .Text("Data")
                  .Bytes("d")
                  .Text("PartitionKey")
                  .Text("\xc3\xbc")
                  .str()},  // non-ASCII key
      {false, Cbor()
                  .Map(3)
                  .Text("StreamName")
                  .Text("s")
                  .Text("Data")
                  .Bytes("d")
                  .Text("PartitionKey")
                  .Text("")
                  .str()},  // empty key
      {false, Cbor()
                  .Map(3)
                  .Text("StreamName")
                  .Text("bad name")
                  .Text("Data")
                  .Bytes("d")
                  .Text("PartitionKey")
                  .Text("k")
                  .str()},
      {false, Cbor()
                  .Map(3)
                  .Text("StreamName")
                  .Text("s")
                  .Text("Data")
                  .Bytes(std::string(1048577, 'x'))
                  .Text("PartitionKey")
                  .Text("k")
                  .str()},
      {false, Cbor().Map(2).Text("StreamName").Text("s").Text("Data").Bytes("d").str()},
      {true, Cbor().Map(2).Text("StreamName").Text("s").Text("Records").Array(0).str()},
      {true,
       Cbor().Map(2).Text("StreamName").Text("s").Text("Records").ArrayIndefinite().Break().str()},
      {true, Cbor().Map(1).Text("StreamName").Text("s").str()},
      {true, Cbor()
                 .Map(2)
                 .Text("StreamName")
                 .Text("s")
                 .Text("Records")
                 .Array(1)
                 .Map(1)
                 .Text("Data")
                 .Bytes("d")
                 .str()},  // no PartitionKey
  };
  Cbor many;
  many.Map(2).Text("StreamName").Text("s").Text("Records").ArrayIndefinite();
  for (int i = 0; i < 501; ++i) many.Map(2).Text("Data").Bytes("d").Text("PartitionKey").Text("k");
  bodies.emplace_back(true, many.Break().str());
  for (const auto& [batch, body] : bodies) {
    std::string copy = body;
    kinesis::FastPut out;
    EXPECT_FALSE(kinesis::ParsePutFastCbor(batch, &copy, &out)) << body.size();
    EXPECT_EQ(copy, body) << "a rejected body must be left intact";
  }
}

}  // namespace
}  // namespace tidelog::server
