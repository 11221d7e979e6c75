// The put fast path (put_fast_path.h) and the direct JSON writers: what the
// fast path accepts it must read exactly as the general path would, and
// everything unusual must be left to the general path.
#include "server/kinesis/put_fast_path.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "server/kinesis/json_writer.h"
#include "tidelog/base64.h"
#include "tidelog/types.h"

namespace tidelog::server::kinesis {
namespace {

bool Parse(bool batch, std::string body, FastPut* out) {
  const std::string original = body;
  const bool ok = ParsePutFast(batch, &body, out);
  if (!ok) {
    EXPECT_EQ(body, original) << "a rejected body must be left intact";
  }
  return ok;
}

TEST(PutFastPathTest, ReadsPutRecord) {
  FastPut p;
  ASSERT_TRUE(Parse(false,
                    R"( { "StreamName" : "s-1.x_y", "PartitionKey":"k 1", "Data":"aGVsbG8=",
                          "ExplicitHashKey":"340282366920938463463374607431768211455" } )",
                    &p));
  EXPECT_EQ(p.stream, "s-1.x_y");
  ASSERT_EQ(p.entries.size(), 1u);
  EXPECT_EQ(p.entries[0].partition_key, "k 1");
  EXPECT_EQ(p.entries[0].data, "hello");
  ASSERT_TRUE(p.entries[0].explicit_hash_key.has_value());
  EXPECT_EQ(*p.entries[0].explicit_hash_key, kMaxHashKey);

  FastPut empty;
  ASSERT_TRUE(Parse(false, R"({"Data":"","PartitionKey":"k","StreamName":"s"})", &empty));
  EXPECT_EQ(empty.entries[0].data, "");
  EXPECT_FALSE(empty.entries[0].explicit_hash_key.has_value());
}

TEST(PutFastPathTest, ReadsPutRecordsAndDecodesEveryLength) {
  std::mt19937 rng(7);
  std::string records = "[";
  std::vector<std::string> datas;
  for (int i = 0; i < 500; ++i) {
    std::string d(static_cast<size_t>(i % 7 == 0 ? i : i % 5), '\0');
    for (char& c : d) c = static_cast<char>(rng());
    datas.push_back(d);
    records += std::string(i ? ",\n" : "") + R"({"PartitionKey":"pk)" + std::to_string(i) +
               R"(","Data":")" + Base64Encode(d) + "\"}";
  }
  records += "]";
  FastPut p;
  ASSERT_TRUE(Parse(true, R"({"Records":)" + records + R"(,"StreamName":"st"})", &p));
  EXPECT_EQ(p.stream, "st");
  ASSERT_EQ(p.entries.size(), 500u);
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(p.entries[i].partition_key, "pk" + std::to_string(i));
    EXPECT_EQ(p.entries[i].data, datas[i]) << i;
  }
}

TEST(PutFastPathTest, LeavesEverythingUnusualToTheGeneralPath) {
  const std::string ok_record = R"({"PartitionKey":"k","Data":"aGk="})";
  const char* single[] = {
      R"({"StreamName":"s","PartitionKey":"k\u00e9","Data":"aGk="})",  // escape
      R"({"StreamName":"s","PartitionKey":"ké","Data":"aGk="})",       // non-ASCII
      R"({"StreamName":"s","PartitionKey":"k","Data":"aG\/="})",       // escape in data
      R"({"StreamName":"s","PartitionKey":"a","PartitionKey":"b","Data":"aGk="})",
      R"({"StreamName":"s","PartitionKey":"k","Data":"aGk=","Data":"aGk="})",
      R"({"StreamName":"s","StreamName":"s","PartitionKey":"k","Data":"aGk="})",
      R"({"StreamName":"s","PartitionKey":"k","Data":"aGk=","ExplicitHashKey":null})",
      R"({"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s","PartitionKey":"k","Data":""})",
      R"({"StreamName":"s","StreamId":"abcdefghijklmnopqrst-abc","PartitionKey":"k","Data":""})",
      R"({"StreamName":"s","PartitionKey":"k","Data":"","SequenceNumberForOrdering":"1"})",
      R"({"StreamName":"s","PartitionKey":"k","Data":"","Other":"x"})",
      R"({"StreamName":"s","PartitionKey":"k","Data":""} x)",
      R"({"StreamName":"s","PartitionKey":"k","Data":""}})",
      R"({"StreamName":"s","PartitionKey":"k","Data":"",})",
      R"({"StreamName":"s","PartitionKey":"k","Data":""})"
      "\x0c",
      R"({"StreamName":"s","PartitionKey":"k"})",
      R"({"StreamName":"s","Data":""})",
      R"({"PartitionKey":"k","Data":""})",
      R"({"StreamName":"s","PartitionKey":"","Data":""})",
      R"({"StreamName":"s","PartitionKey":1,"Data":""})",
      R"({"StreamName":"s","PartitionKey":"k","Data":["aGk="]})",
      R"({"StreamName":"bad name","PartitionKey":"k","Data":""})",
      R"({"StreamName":"","PartitionKey":"k","Data":""})",
      R"({"StreamName":"s","PartitionKey":"k","Data":"aGk"})",   // length % 4
      R"({"StreamName":"s","PartitionKey":"k","Data":"a!k="})",  // alphabet
      R"({"StreamName":"s","PartitionKey":"k","Data":"a=k="})",  // '=' inside
      R"({"StreamName":"s","PartitionKey":"k","Data":"aGl="})",  // padding bits
      R"({"StreamName":"s","PartitionKey":"k","Data":"aR=="})",  // padding bits
      R"({"StreamName":"s","PartitionKey":"k","Data":"===="})",
      R"({"StreamName":"s","PartitionKey":"k","Data":"","ExplicitHashKey":"01"})",
      R"({"StreamName":"s","PartitionKey":"k","Data":"",)"
      R"("ExplicitHashKey":"340282366920938463463374607431768211456"})",
      R"({"StreamName":"s","PartitionKey":"k","Data":"aGk=)",  // unterminated
      "",
      "[]",
      R"({"StreamName":"s","Records":[]})",  // PutRecords shape sent to PutRecord
  };
  for (const char* body : single) {
    FastPut p;
    EXPECT_FALSE(Parse(false, body, &p)) << body;
  }
  EXPECT_FALSE([] {
    FastPut p;
    return Parse(
        false, R"({"StreamName":"s","PartitionKey":")" + std::string(257, 'k') + R"(","Data":""})",
        &p);
  }());

  const std::string batches[] = {
      R"({"StreamName":"s","Records":[]})",
      R"({"StreamName":"s"})",
      R"({"Records":[)" + ok_record + "]}",
      R"({"StreamName":"s","Records":[)" + ok_record + "]," + R"("Records":[)" + ok_record + "]}",
      R"({"StreamName":"s","Records":[)" + ok_record + ",]}",
      R"({"StreamName":"s","Records":[)" + ok_record + ",null]}",
      R"({"StreamName":"s","Records":[{"PartitionKey":"k","Data":"aGk=","StreamName":"s"}]})",
      R"({"StreamName":"s","Records":)" + ok_record + "}",
      R"({"StreamName":"s","PartitionKey":"k","Data":"aGk="})",  // PutRecord shape
  };
  for (const std::string& body : batches) {
    FastPut p;
    EXPECT_FALSE(Parse(true, body, &p)) << body;
  }
  std::string many = R"({"StreamName":"s","Records":[)";
  for (int i = 0; i < 501; ++i) many += (i ? "," : "") + ok_record;
  many += "]}";
  FastPut p;
  EXPECT_FALSE(Parse(true, many, &p));
}

TEST(PutFastPathTest, OversizedDataIsLeftToTheGeneralPath) {
  FastPut p;
  const std::string mib(1048576, 'x');
  EXPECT_TRUE(Parse(
      false, R"({"StreamName":"s","PartitionKey":"k","Data":")" + Base64Encode(mib) + "\"}", &p));
  FastPut q;
  EXPECT_FALSE(Parse(
      false, R"({"StreamName":"s","PartitionKey":"k","Data":")" + Base64Encode(mib + "x") + "\"}",
      &q));
}

TEST(DirectJsonWriterTest, MatchesTheEngineFormatters) {
  std::mt19937_64 rng(11);
  std::vector<u128> values = {0,
                              9,
                              10,
                              99,
                              100,
                              kMaxHashKey,
                              kMaxHashKey - 1,
                              static_cast<u128>(1) << 64,
                              (static_cast<u128>(1) << 64) - 1,
                              static_cast<u128>(10000000000000000000ULL),
                              static_cast<u128>(10000000000000000000ULL) - 1};
  u128 p10 = 1;
  for (int i = 0; i < 39; ++i, p10 *= 10) values.insert(values.end(), {p10, p10 - 1, p10 + 1});
  for (int i = 0; i < 2000; ++i) {
    u128 v = (static_cast<u128>(rng()) << 64) | rng();
    values.push_back(v >> (rng() % 128));
  }
  for (u128 v : values) {
    std::string s;
    AppendU128Decimal(v, &s);
    ASSERT_EQ(s, U128ToDecimal(v));
  }
  for (uint32_t i : {0u, 7u, 123456789u, 999999999u, 1000000000u, 4294967295u}) {
    std::string s;
    AppendShardId(i, &s);
    EXPECT_EQ(s, FormatShardId(i));
  }
  std::string blob;
  AppendJsonBlob("hello", &blob);
  EXPECT_EQ(blob, "\"aGVsbG8=\"");
}

}  // namespace
}  // namespace tidelog::server::kinesis
