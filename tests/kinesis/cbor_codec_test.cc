// The CBOR codecs: the strict decoder (cbor_reader.h) on every major type,
// definite and indefinite lengths, floats, tags and a list of bad inputs; the
// appenders (cbor_writer.h) byte for byte; and the JSON -> CBOR transcoder.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "server/kinesis/cbor_reader.h"
#include "server/kinesis/cbor_writer.h"
#include "server/kinesis/json_value.h"
#include "tidelog/types.h"

namespace tidelog::server::kinesis {
namespace {

// "0a ff" -> the bytes 0x0a 0xff (spaces ignored).
std::string Hex(std::string_view hex) {
  std::string out;
  int high = -1;
  for (char c : hex) {
    if (c == ' ') continue;
    const int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<char>(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

JsonValue Decode(std::string_view hex) {
  JsonValue v;
  EXPECT_TRUE(ParseCbor(Hex(hex), &v)) << hex;
  return v;
}

bool Rejects(std::string_view bytes) {
  JsonValue v;
  return !ParseCbor(bytes, &v);
}

TEST(CborReaderTest, Integers) {
  EXPECT_EQ(Decode("00").integer, 0);
  EXPECT_EQ(Decode("17").integer, 23);
  EXPECT_EQ(Decode("1818").integer, 24);
  EXPECT_EQ(Decode("1903e8").integer, 1000);
  EXPECT_EQ(Decode("1a000f4240").integer, 1000000);
  EXPECT_EQ(Decode("1b000000e8d4a51000").integer, 1000000000000);
  EXPECT_EQ(Decode("1b7fffffffffffffff").integer, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Decode("20").integer, -1);
  EXPECT_EQ(Decode("3863").integer, -100);
  EXPECT_EQ(Decode("3b7fffffffffffffff").integer, std::numeric_limits<int64_t>::min());
  JsonValue v = Decode("1a000f4240");
  EXPECT_EQ(v.type, JsonValue::Type::kNumber);
  EXPECT_TRUE(v.integral);
  EXPECT_EQ(v.number, 1e6);
  // Past int64: a double only, as JSON's parser keeps such numbers.
  v = Decode("1bffffffffffffffff");
  EXPECT_FALSE(v.integral);
  EXPECT_EQ(v.number, 18446744073709551615.0);
  v = Decode("3bffffffffffffffff");
  EXPECT_FALSE(v.integral);
  EXPECT_EQ(v.number, -18446744073709551616.0);
  // Non-shortest heads are still valid CBOR.
  EXPECT_EQ(Decode("1b0000000000000001").integer, 1);
}

TEST(CborReaderTest, Floats) {
  EXPECT_EQ(Decode("f93c00").number, 1.0);
  EXPECT_EQ(Decode("f93e00").number, 1.5);
  EXPECT_EQ(Decode("f97bff").number, 65504.0);
  EXPECT_EQ(Decode("f90001").number, 5.960464477539063e-8);
  EXPECT_EQ(Decode("f90400").number, 6.103515625e-05);
  EXPECT_EQ(Decode("f9c400").number, -4.0);
  EXPECT_EQ(Decode("f98000").number, 0.0);
  EXPECT_TRUE(std::signbit(Decode("f98000").number));
  EXPECT_EQ(Decode("fa47c35000").number, 100000.0);
  EXPECT_EQ(Decode("fa7f7fffff").number, 3.4028234663852886e+38);
  EXPECT_EQ(Decode("fb3ff199999999999a").number, 1.1);
  EXPECT_EQ(Decode("fbc010666666666666").number, -4.1);
  EXPECT_FALSE(Decode("fb3ff199999999999a").integral);
  // Infinities as JSON reads a literal past the double range; NaN refused.
  EXPECT_EQ(Decode("f97c00").number, std::numeric_limits<double>::max());
  EXPECT_EQ(Decode("fa7f800000").number, std::numeric_limits<double>::max());
  EXPECT_EQ(Decode("fbfff0000000000000").number, -std::numeric_limits<double>::max());
  EXPECT_TRUE(Rejects(Hex("f97e00")));
  EXPECT_TRUE(Rejects(Hex("fa7fc00000")));
  EXPECT_TRUE(Rejects(Hex("fb7ff8000000000000")));
}

TEST(CborReaderTest, SimpleValues) {
  EXPECT_EQ(Decode("f4").type, JsonValue::Type::kBool);
  EXPECT_FALSE(Decode("f4").boolean);
  EXPECT_TRUE(Decode("f5").boolean);
  EXPECT_TRUE(Decode("f6").is_null());
  EXPECT_TRUE(Decode("f7").is_null());  // undefined
  for (std::string_view bad : {"e0", "f0", "f3", "f818", "f8ff", "fc", "fd", "fe", "ff"})
    EXPECT_TRUE(Rejects(Hex(bad))) << bad;
}

TEST(CborReaderTest, Strings) {
  JsonValue v = Decode("4401020304");
  EXPECT_TRUE(v.is_string());
  EXPECT_TRUE(v.bytes);
  EXPECT_EQ(v.string, Hex("01020304"));
  v = Decode("6449455446");
  EXPECT_FALSE(v.bytes);
  EXPECT_EQ(v.string, "IETF");
  EXPECT_EQ(Decode("62c3bc").string, "\xc3\xbc");
  EXPECT_EQ(Decode("64f0908591").string, "\xf0\x90\x85\x91");
  EXPECT_EQ(Decode("40").string, "");
  EXPECT_EQ(Decode("60").string, "");
  // Byte strings hold any bytes; text must be UTF-8.
  EXPECT_EQ(Decode("42c080").string, Hex("c080"));
  for (std::string_view bad : {"61ff", "62c080", "63eda080", "61c3", "64f4908080"})
    EXPECT_TRUE(Rejects(Hex(bad))) << bad;
}

TEST(CborReaderTest, IndefiniteStrings) {
  JsonValue v = Decode("5f42010243030405ff");
  EXPECT_TRUE(v.bytes);
  EXPECT_EQ(v.string, Hex("0102030405"));
  EXPECT_EQ(Decode("7f657374726561646d696e67ff").string, "streaming");
  EXPECT_EQ(Decode("7fff").string, "");
  EXPECT_EQ(Decode("5f40ff").string, "");
  // Chunks of another type, nested indefinite chunks, no break.
  for (std::string_view bad : {"7f4161ff", "5f6161ff", "7f7fffff", "5f5fffff", "7f6161", "5f00ff"})
    EXPECT_TRUE(Rejects(Hex(bad))) << bad;
}

TEST(CborReaderTest, ArraysAndMaps) {
  JsonValue v = Decode("83010203");
  ASSERT_TRUE(v.is_array());
  ASSERT_EQ(v.array.size(), 3u);
  EXPECT_EQ(v.array[2].integer, 3);
  EXPECT_TRUE(Decode("80").array.empty());
  EXPECT_TRUE(Decode("9fff").is_array());
  v = Decode("9f018202039f0405ffff");
  ASSERT_EQ(v.array.size(), 3u);
  EXPECT_EQ(v.array[1].array[1].integer, 3);
  EXPECT_EQ(v.array[2].array[0].integer, 4);
  v = Decode("83019f0203ff820405");
  EXPECT_EQ(v.array[1].array.size(), 2u);

  v = Decode("a26161016162820203");
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.Find("a")->integer, 1);
  EXPECT_EQ(v.Find("b")->array.size(), 2u);
  v = Decode("bf6346756ef563416d7421ff");  // {_ "Fun": true, "Amt": -2}
  EXPECT_TRUE(v.Find("Fun")->boolean);
  EXPECT_EQ(v.Find("Amt")->integer, -2);
  EXPECT_EQ(v.object[0].key, "Fun");  // arrival order kept
  EXPECT_TRUE(Decode("a0").object.empty());
  EXPECT_TRUE(Decode("bfff").is_object());
  // An indefinite text key.
  EXPECT_EQ(Decode("a17f616b6179ff01").Find("ky")->integer, 1);
  // Null members are kept (CheckTypes drops them, as for JSON).
  EXPECT_EQ(Decode("a16161f6").object.size(), 1u);

  for (std::string_view bad : {
           "a10102",    // integer key
           "a1416101",  // byte-string key
           "a1f601",    // null key
           "a16161",    // key without value
           "bf616101",  // no break
           "bf6161ff",  // break after a key
           "8201ff",    // break inside a definite array
           "a1ff",      // break as a key
           "8201",      // one item short
           "9f01",      // no break
       })
    EXPECT_TRUE(Rejects(Hex(bad))) << bad;
}

TEST(CborReaderTest, Tags) {
  // Tag 1: epoch milliseconds in AWS's CBOR, exact.
  JsonValue v = Decode("c11b00000153e2db26d0");  // 1459799926480
  EXPECT_EQ(v.type, JsonValue::Type::kNumber);
  EXPECT_TRUE(v.exact_millis);
  EXPECT_EQ(v.millis, 1459799926480);
  EXPECT_DOUBLE_EQ(v.number, 1459799926.48);
  EXPECT_FALSE(v.integral);
  v = Decode("c120");  // before the epoch
  EXPECT_EQ(v.millis, -1);
  v = Decode("c1fb42753e2db26d0000");  // 1.45979992648e12 as a double
  EXPECT_EQ(v.millis, 1459799926480);
  v = Decode("c11bffffffffffffffff");
  EXPECT_EQ(v.millis, std::numeric_limits<int64_t>::max());
  // Tag 1 holds a number, nothing else.
  for (std::string_view bad : {"c16161", "c180", "c1a0", "c1f5", "c1f6", "c1"})
    EXPECT_TRUE(Rejects(Hex(bad))) << bad;
  // Other tags: the value they wrap (as Jackson's CBOR parser reads them).
  EXPECT_EQ(Decode("c074323031332d30332d32315432303a30343a30305a").string, "2013-03-21T20:04:00Z");
  EXPECT_EQ(Decode("d82076687474703a2f2f7777772e6578616d706c652e636f6d").string,
            "http://www.example.com");
  EXPECT_EQ(Decode("d9d9f700").integer, 0);  // self-described CBOR
  EXPECT_TRUE(Rejects(Hex("df00")));         // indefinite tag
}

TEST(CborReaderTest, RejectsMalformedInput) {
  for (std::string_view bad : {
           "",                                               // nothing
           "0101",                                           // trailing bytes
           "a0 00",                                          // trailing after a map
           "18",    "1903", "1a0000",   "1b00000000000000",  // truncated arguments
           "6261",  "4401", "7f6261ff",                      // truncated strings
           "1c",    "1d",   "1e",       "1f",
           "3c",    "3f",   "5c",       "7d",
           "9e",    "bc",   "dc",       "fc",  // reserved
       })
    EXPECT_TRUE(Rejects(Hex(bad))) << bad;
}

TEST(CborReaderTest, RejectsHugeDeclaredLengthsBeforeAllocating) {
  // Lengths far beyond the input: refused by the length check, so no
  // allocation of that size is ever attempted (ASan would report it).
  for (std::string_view bad : {
           "5bffffffffffffffff00",
           "7bffffffffffffffff00",
           "5a7fffffff00",
           "7a0000ffff61",
           "9b7fffffffffffffff00",
           "9bffffffffffffffff00",
           "bb7fffffffffffffff00",
           "bbffffffffffffffff00",
           "9a0001000000",
           "ba0001000000",
           "5f5bffffffffffffffff00ff",
           "7f7a7fffffff00ff",
       })
    EXPECT_TRUE(Rejects(Hex(bad))) << bad;
}

TEST(CborReaderTest, BoundsNestingAndItems) {
  auto nested = [](size_t depth, char opener) {
    std::string s(depth, opener);
    s.push_back('\x00');
    return s;
  };
  JsonValue v;
  EXPECT_TRUE(ParseCbor(nested(kMaxCborDepth, '\x81'), &v));
  EXPECT_TRUE(Rejects(nested(kMaxCborDepth + 1, '\x81')));
  EXPECT_TRUE(Rejects(nested(100000, '\x81')));  // no stack overflow
  EXPECT_TRUE(Rejects(nested(100000, '\x9f')));
  EXPECT_TRUE(Rejects(nested(100000, '\xc6')));  // tags count as levels
  std::string maps;
  for (int i = 0; i < 100000; ++i) maps += "\xa1\x61k";
  EXPECT_TRUE(Rejects(maps));

  // At most kMaxCborItems items, however they are spelled.
  std::string many = "\x9f" + std::string(kMaxCborItems + 1, '\x00') + "\xff";
  EXPECT_TRUE(Rejects(many));
  std::string fits = "\x9f" + std::string(kMaxCborItems - 1, '\x00') + "\xff";
  EXPECT_TRUE(ParseCbor(fits, &v));
  EXPECT_EQ(v.array.size(), kMaxCborItems - 1);
  std::string definite = Hex("9a00040001") + std::string(kMaxCborItems + 1, '\x00');
  EXPECT_TRUE(Rejects(definite));
}

TEST(CborWriterTest, HeadsAreShortest) {
  auto head = [](uint8_t major, uint64_t arg) {
    std::string out;
    AppendCborHead(major, arg, &out);
    return ToHex(out);
  };
  EXPECT_EQ(head(0, 0), "00");
  EXPECT_EQ(head(0, 23), "17");
  EXPECT_EQ(head(0, 24), "1818");
  EXPECT_EQ(head(0, 255), "18ff");
  EXPECT_EQ(head(0, 256), "190100");
  EXPECT_EQ(head(0, 65535), "19ffff");
  EXPECT_EQ(head(0, 65536), "1a00010000");
  EXPECT_EQ(head(0, 0xffffffff), "1affffffff");
  EXPECT_EQ(head(0, 0x100000000), "1b0000000100000000");
  EXPECT_EQ(head(4, 3), "83");
  EXPECT_EQ(head(5, 1000), "b903e8");
  EXPECT_EQ(head(2, 24), "5818");
}

TEST(CborWriterTest, Scalars) {
  std::string out;
  AppendCborInt(-1, &out);
  AppendCborInt(-100, &out);
  AppendCborInt(std::numeric_limits<int64_t>::min(), &out);
  AppendCborInt(std::numeric_limits<int64_t>::max(), &out);
  EXPECT_EQ(ToHex(out),
            "203863"
            "3b7fffffffffffffff"
            "1b7fffffffffffffff");
  out.clear();
  AppendCborText("IETF", &out);
  AppendCborBytes(Hex("0102"), &out);
  AppendCborBool(true, &out);
  AppendCborBool(false, &out);
  AppendCborNull(&out);
  AppendCborDouble(1.1, &out);
  EXPECT_EQ(ToHex(out),
            "6449455446"
            "420102"
            "f5f4f6"
            "fb3ff199999999999a");
  out.clear();
  AppendCborTimestamp(1459799926480, &out);
  EXPECT_EQ(ToHex(out), "c11b00000153e2db26d0");
  out.clear();
  AppendCborShardId(7, &out);
  EXPECT_EQ(out, "\x74shardId-000000000007");
  out.clear();
  AppendCborShardId(0xffffffff, &out);
  EXPECT_EQ(out, "\x74shardId-004294967295");
  out.clear();
  AppendCborU128Decimal(kMaxHashKey, &out);
  EXPECT_EQ(out,
            "\x78\x27"
            "340282366920938463463374607431768211455");
  out.clear();
  AppendCborU128Decimal(0, &out);
  EXPECT_EQ(out,
            "\x61"
            "0");
}

TEST(CborWriterTest, EncodedValuesDecodeBack) {
  std::string out;
  AppendCborHead(5, 4, &out);
  AppendCborText("n", &out);
  AppendCborInt(-123456789012, &out);
  AppendCborText("t", &out);
  AppendCborTimestamp(-5, &out);
  AppendCborText("b", &out);
  AppendCborBytes(std::string("\0\xff", 2), &out);
  AppendCborText("d", &out);
  AppendCborDouble(-0.25, &out);
  JsonValue v;
  ASSERT_TRUE(ParseCbor(out, &v));
  EXPECT_EQ(v.Find("n")->integer, -123456789012);
  EXPECT_EQ(v.Find("t")->millis, -5);
  EXPECT_TRUE(v.Find("b")->bytes);
  EXPECT_EQ(v.Find("b")->string, std::string("\0\xff", 2));
  EXPECT_EQ(v.Find("d")->number, -0.25);
}

TEST(CborTranscoderTest, TimestampsBlobsAndEverythingElse) {
  const std::string json =
      R"({"StreamCreationTimestamp":1459799926.48,"Records":[{"Data":"aGVsbG8=",)"
      R"("ApproximateArrivalTimestamp":1459799926,"PartitionKey":"k"}],"N":-5,"B":true,)"
      R"("Z":null,"F":1.5,"E":[],"O":{},"U":18446744073709551615})";
  std::string expected;
  AppendCborHead(5, 9, &expected);
  AppendCborText("StreamCreationTimestamp", &expected);
  AppendCborTimestamp(1459799926480, &expected);
  AppendCborText("Records", &expected);
  AppendCborHead(4, 1, &expected);
  AppendCborHead(5, 3, &expected);
  AppendCborText("Data", &expected);
  AppendCborBytes("hello", &expected);
  AppendCborText("ApproximateArrivalTimestamp", &expected);
  AppendCborTimestamp(1459799926000, &expected);
  AppendCborText("PartitionKey", &expected);
  AppendCborText("k", &expected);
  AppendCborText("N", &expected);
  AppendCborInt(-5, &expected);
  AppendCborText("B", &expected);
  AppendCborBool(true, &expected);
  AppendCborText("Z", &expected);
  AppendCborNull(&expected);
  AppendCborText("F", &expected);
  AppendCborDouble(1.5, &expected);
  AppendCborText("E", &expected);
  AppendCborHead(4, 0, &expected);
  AppendCborText("O", &expected);
  AppendCborHead(5, 0, &expected);
  AppendCborText("U", &expected);
  AppendCborHead(0, 18446744073709551615ull, &expected);
  EXPECT_EQ(ToHex(JsonToCbor(json)), ToHex(expected));
}

TEST(CborTranscoderTest, ErrorBodiesEmptyAndInvalid) {
  std::string expected;
  AppendCborHead(5, 2, &expected);
  AppendCborText("__type", &expected);
  AppendCborText("ResourceNotFoundException", &expected);
  AppendCborText("message", &expected);
  AppendCborText("Stream s under account 1 not found.", &expected);
  EXPECT_EQ(JsonToCbor(R"({"__type":"ResourceNotFoundException",)"
                       R"("message":"Stream s under account 1 not found."})"),
            expected);
  EXPECT_EQ(JsonToCbor(""), "");
  EXPECT_EQ(JsonToCbor("{"), "");
  // Escapes and non-ASCII text arrive unescaped, as UTF-8.
  expected.clear();
  AppendCborText("a\"\n\xc3\xbc", &expected);
  EXPECT_EQ(JsonToCbor(R"("a\"\n\u00fc")"), expected);
  // A Data that is not base64 (never written by us) stays text.
  expected.clear();
  AppendCborHead(5, 1, &expected);
  AppendCborText("Data", &expected);
  AppendCborText("*", &expected);
  EXPECT_EQ(JsonToCbor(R"({"Data":"*"})"), expected);
  // Saturating, not overflowing, on absurd timestamps.
  JsonValue v;
  ASSERT_TRUE(ParseCbor(JsonToCbor(R"({"EndedAt":9223372036854775807})"), &v));
  EXPECT_EQ(v.Find("EndedAt")->millis, std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(ParseCbor(JsonToCbor(R"({"EndedAt":-1e300})"), &v));
  EXPECT_EQ(v.Find("EndedAt")->millis, std::numeric_limits<int64_t>::min());
}

TEST(CborTranscoderTest, DecodesToTheSameTreeAsJson) {
  const std::string json = R"({"a":[1,-2,{"b":"c\u00e9"}],"d":{"e":false,"f":null},"g":2.5,"h":"",)"
                           R"("i":9223372036854775807,"j":-9223372036854775808})";
  JsonValue from_json, from_cbor;
  ASSERT_TRUE(ParseJson(json, &from_json));
  ASSERT_TRUE(ParseCbor(JsonToCbor(json), &from_cbor));
  std::function<void(const JsonValue&, const JsonValue&)> same = [&](const JsonValue& x,
                                                                     const JsonValue& y) {
    ASSERT_EQ(x.type, y.type);
    EXPECT_EQ(x.boolean, y.boolean);
    EXPECT_EQ(x.number, y.number);
    EXPECT_EQ(x.integral, y.integral);
    EXPECT_EQ(x.integer, y.integer);
    EXPECT_EQ(x.string, y.string);
    ASSERT_EQ(x.array.size(), y.array.size());
    for (size_t i = 0; i < x.array.size(); ++i) same(x.array[i], y.array[i]);
    ASSERT_EQ(x.object.size(), y.object.size());
    for (size_t i = 0; i < x.object.size(); ++i) {
      EXPECT_EQ(x.object[i].key, y.object[i].key);
      same(x.object[i].value, y.object[i].value);
    }
  };
  same(from_json, from_cbor);
}

}  // namespace
}  // namespace tidelog::server::kinesis
