// JsonValue parsing and JsonWriter output: escaping, timestamps, 128-bit
// decimals and base64 blobs.
#include <gtest/gtest.h>

#include <string>

#include "server/kinesis/json_value.h"
#include "server/kinesis/json_writer.h"
#include "tidelog/base64.h"

namespace tidelog::server::kinesis {
namespace {

TEST(JsonValueTest, ParsesEveryType) {
  JsonValue v;
  ASSERT_TRUE(ParseJson(R"({"s":"a\"b\u00e9","n":12,"d":1.5,"t":true,"z":null,"a":[1,"x"],)"
                        R"("o":{"k":"v"},"big":18446744073709551615})",
                        &v));
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.Find("s")->string, "a\"b\xc3\xa9");
  EXPECT_TRUE(v.Find("n")->integral);
  EXPECT_EQ(v.Find("n")->integer, 12);
  EXPECT_FALSE(v.Find("d")->integral);
  EXPECT_DOUBLE_EQ(v.Find("d")->number, 1.5);
  EXPECT_TRUE(v.Find("t")->boolean);
  EXPECT_EQ(v.Find("z"), nullptr);  // null reads as absent
  ASSERT_EQ(v.Find("a")->array.size(), 2u);
  EXPECT_EQ(v.Find("a")->array[1].string, "x");
  EXPECT_EQ(v.Find("o")->Find("k")->string, "v");
  EXPECT_FALSE(v.Find("big")->integral);
  EXPECT_EQ(v.Find("missing"), nullptr);
}

TEST(JsonValueTest, KeepsMemberOrderAndLastDuplicateWins) {
  JsonValue v;
  ASSERT_TRUE(ParseJson(R"({"b":1,"a":2,"b":3})", &v));
  ASSERT_EQ(v.object.size(), 3u);
  EXPECT_EQ(v.object[0].key, "b");
  EXPECT_EQ(v.object[1].key, "a");
  EXPECT_EQ(v.Find("b")->integer, 3);
}

TEST(JsonValueTest, RejectsInvalidJson) {
  JsonValue v;
  EXPECT_FALSE(ParseJson("", &v));
  EXPECT_FALSE(ParseJson("{", &v));
  EXPECT_FALSE(ParseJson(R"({"a":})", &v));
  EXPECT_FALSE(ParseJson("{\"a\":\"\xff\"}", &v));  // invalid UTF-8
  EXPECT_TRUE(ParseJson("[]", &v));
  EXPECT_TRUE(v.is_array());
}

TEST(JsonWriterTest, EscapesStrings) {
  std::string out;
  AppendJsonString(std::string("a\"b\\c\n\t\x01\x1f/\xc3\xa9", 12), &out);
  EXPECT_EQ(out, R"("a\"b\\c\n\t\u0001\u001f/)"
                 "\xc3\xa9\"");
}

TEST(JsonWriterTest, WritesNestedStructuresWithCommas) {
  JsonWriter w;
  w.StartObject();
  w.Field("A", "x");
  w.Key("L");
  w.StartArray();
  w.Int(1);
  w.StartObject();
  w.EndObject();
  w.StartArray();
  w.EndArray();
  w.Null();
  w.EndArray();
  w.BoolField("B", false);
  w.IntField("N", -42);
  w.EndObject();
  EXPECT_EQ(w.str(), R"({"A":"x","L":[1,{},[],null],"B":false,"N":-42})");
}

TEST(JsonWriterTest, TimestampsAreEpochSecondsWithMillisecondFraction) {
  auto ts = [](int64_t millis) {
    std::string s;
    AppendEpochSeconds(millis, &s);
    return s;
  };
  EXPECT_EQ(ts(1459799926480), "1459799926.48");
  EXPECT_EQ(ts(1459799926000), "1459799926");
  EXPECT_EQ(ts(1459799926001), "1459799926.001");
  EXPECT_EQ(ts(1459799926010), "1459799926.01");
  EXPECT_EQ(ts(1459799926999), "1459799926.999");
  EXPECT_EQ(ts(0), "0");
  EXPECT_EQ(ts(-1), "-1.999");  // floor division: -1 ms is -0.001 s
  // Never exponent form, even for large values.
  EXPECT_EQ(ts(9999999999999), "9999999999.999");
  JsonWriter w;
  w.StartArray();
  w.Timestamp(1547993531819);
  w.EndArray();
  EXPECT_EQ(w.str(), "[1547993531.819]");
}

TEST(JsonWriterTest, DecimalsAreStrings) {
  JsonWriter w;
  w.StartArray();
  w.Decimal(0);
  w.Decimal(kMaxHashKey);
  w.Decimal(static_cast<u128>(1) << 127);
  w.EndArray();
  EXPECT_EQ(w.str(), R"(["0","340282366920938463463374607431768211455",)"
                     R"("170141183460469231731687303715884105728"])");
}

TEST(JsonWriterTest, BlobsRoundTripThroughBase64) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (size_t n : {0, 1, 2, 3, 4, 255, 256}) {
    JsonWriter w;
    w.StartObject();
    w.Key("Data");
    w.Blob(bytes.substr(0, n));
    w.EndObject();
    JsonValue v;
    ASSERT_TRUE(ParseJson(w.str(), &v)) << w.str();
    std::string decoded;
    ASSERT_TRUE(Base64Decode(v.Find("Data")->string, &decoded));
    EXPECT_EQ(decoded, bytes.substr(0, n));
    EXPECT_EQ(v.Find("Data")->string.size(), Base64EncodedLength(n));
  }
}

}  // namespace
}  // namespace tidelog::server::kinesis
