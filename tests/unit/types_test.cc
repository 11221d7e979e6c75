// Value-type rules: u128 decimal text, the MD5 routing hash, shard id text, enum names and the
// strict base64 codec.
#include "tidelog/types.h"

#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <string>
#include <vector>

#include "engine_test_util.h"
#include "tidelog/base64.h"

namespace tidelog::testing {
namespace {

constexpr char kMaxDec[] = "340282366920938463463374607431768211455";

TEST(U128Decimal, FormatsZeroAndMax) {
  EXPECT_EQ(U128ToDecimal(0), "0");
  EXPECT_EQ(U128ToDecimal(1), "1");
  EXPECT_EQ(U128ToDecimal(kMaxHashKey), kMaxDec);
  EXPECT_EQ(U128ToDecimal(Pow2(127)), "170141183460469231731687303715884105728");
  EXPECT_EQ(U128ToDecimal(Pow2(64)), "18446744073709551616");
}

TEST(U128Decimal, ParsesZeroMaxAndRoundTrips) {
  u128 v = 42;
  ASSERT_TRUE(ParseU128Decimal("0", &v));
  EXPECT_TRUE(v == 0);
  ASSERT_TRUE(ParseU128Decimal(kMaxDec, &v));
  EXPECT_TRUE(v == kMaxHashKey);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000; ++i) {
    const u128 x = (static_cast<u128>(rng()) << 64 | rng()) >> (rng() % 128);
    u128 y = 0;
    const std::string s = U128ToDecimal(x);
    ASSERT_TRUE(ParseU128Decimal(s, &y)) << s;
    ASSERT_TRUE(y == x) << s;
  }
}

// One division per digit: slow and obviously right.
std::string NaiveDecimal(u128 v) {
  std::string out;
  do {
    out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  return out;
}

TEST(U128Decimal, MatchesDigitByDigitAtEveryLimbBoundary) {
  std::vector<u128> values = {0, kMaxHashKey, Pow2(64) - 1, Pow2(64), Pow2(64) + 1};
  u128 p10 = 1;
  for (int i = 0; i < 39; ++i, p10 *= 10) values.insert(values.end(), {p10, p10 - 1, p10 + 1});
  std::mt19937_64 rng(9);
  for (int i = 0; i < 5000; ++i) {
    values.push_back(((static_cast<u128>(rng()) << 64) | rng()) >> (rng() % 128));
  }
  for (u128 v : values) {
    char buf[kMaxU128DecimalChars];
    const std::string naive = NaiveDecimal(v);
    ASSERT_EQ(std::string(buf, WriteU128Decimal(v, buf)), naive);
    ASSERT_EQ(U128ToDecimal(v), naive);
  }
}

TEST(U128Decimal, RejectsOverflowLeadingZerosSignsAndJunk) {
  u128 v = 0;
  EXPECT_FALSE(ParseU128Decimal("340282366920938463463374607431768211456", &v));  // 2^128
  EXPECT_FALSE(ParseU128Decimal("999999999999999999999999999999999999999", &v));
  EXPECT_FALSE(ParseU128Decimal("1000000000000000000000000000000000000000", &v));  // 40 digits
  EXPECT_FALSE(ParseU128Decimal(std::string(200, '9'), &v));
  EXPECT_FALSE(ParseU128Decimal("", &v));
  EXPECT_FALSE(ParseU128Decimal("00", &v));
  EXPECT_FALSE(ParseU128Decimal("01", &v));
  EXPECT_FALSE(ParseU128Decimal("0340282366920938463463374607431768211455", &v));
  EXPECT_FALSE(ParseU128Decimal("-1", &v));
  EXPECT_FALSE(ParseU128Decimal("+1", &v));
  EXPECT_FALSE(ParseU128Decimal(" 1", &v));
  EXPECT_FALSE(ParseU128Decimal("1 ", &v));
  EXPECT_FALSE(ParseU128Decimal("12a", &v));
  EXPECT_FALSE(ParseU128Decimal("1.0", &v));
  EXPECT_FALSE(ParseU128Decimal("0x10", &v));
}

TEST(PartitionKeyHash, IsMd5AsBigEndianU128) {
  // Known vectors (RFC 1321 test suite).
  // d41d8cd98f00b204e9800998ecf8427e
  const u128 empty = (static_cast<u128>(0xd41d8cd98f00b204ULL) << 64) | 0xe9800998ecf8427eULL;
  EXPECT_EQ(Dec(PartitionKeyHash("")), Dec(empty));
  // 0cc175b9c0f1b6a831c399e269772661
  const u128 a = (static_cast<u128>(0x0cc175b9c0f1b6a8ULL) << 64) | 0x31c399e269772661ULL;
  EXPECT_EQ(Dec(PartitionKeyHash("a")), Dec(a));
  // 900150983cd24fb0d6963f7d28e17f72
  const u128 abc = (static_cast<u128>(0x900150983cd24fb0ULL) << 64) | 0xd6963f7d28e17f72ULL;
  EXPECT_EQ(Dec(PartitionKeyHash("abc")), Dec(abc));
  for (int i = 0; i < 500; ++i) {
    const std::string key = "user-" + std::to_string(i * 7919);
    ASSERT_EQ(Dec(PartitionKeyHash(key)), Dec(Md5BigEndian(key))) << key;
  }
  const std::string utf8 = "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4";  // "한국어"
  EXPECT_EQ(Dec(PartitionKeyHash(utf8)), Dec(Md5BigEndian(utf8)));
}

TEST(ShardIdText, FormatsTwelveDigitsAndParsesKinesaliteForms) {
  EXPECT_EQ(FormatShardId(0), "shardId-000000000000");
  EXPECT_EQ(FormatShardId(7), "shardId-000000000007");
  EXPECT_EQ(FormatShardId(123456789), "shardId-000123456789");
  uint32_t ix = 99;
  ASSERT_TRUE(ParseShardId("shardId-000000000007", &ix));
  EXPECT_EQ(ix, 7u);
  ASSERT_TRUE(ParseShardId("shardId-7", &ix));
  EXPECT_EQ(ix, 7u);
  ASSERT_TRUE(ParseShardId("12", &ix));
  EXPECT_EQ(ix, 12u);
  EXPECT_FALSE(ParseShardId("", &ix));
  EXPECT_FALSE(ParseShardId("shardId-", &ix));
  EXPECT_FALSE(ParseShardId("shardId-x", &ix));
  EXPECT_FALSE(ParseShardId("shard-1", &ix));
  EXPECT_FALSE(ParseShardId("-1", &ix));
}

TEST(EnumText, UsesAwsNames) {
  EXPECT_EQ(ToString(StreamStatus::kActive), "ACTIVE");
  EXPECT_EQ(ToString(StreamStatus::kCreating), "CREATING");
  EXPECT_EQ(ToString(StreamStatus::kUpdating), "UPDATING");
  EXPECT_EQ(ToString(StreamStatus::kDeleting), "DELETING");
  EXPECT_EQ(ToString(StreamMode::kProvisioned), "PROVISIONED");
  EXPECT_EQ(ToString(StreamMode::kOnDemand), "ON_DEMAND");
  EXPECT_EQ(ToString(EncryptionType::kNone), "NONE");
  EXPECT_EQ(ToString(EncryptionType::kKms), "KMS");
  EXPECT_EQ(ToString(ShardIteratorType::kTrimHorizon), "TRIM_HORIZON");
  EXPECT_EQ(ToString(ShardIteratorType::kAtTimestamp), "AT_TIMESTAMP");
  ShardIteratorType t;
  ASSERT_TRUE(ParseShardIteratorType("AFTER_SEQUENCE_NUMBER", &t));
  EXPECT_EQ(t, ShardIteratorType::kAfterSequenceNumber);
  EXPECT_FALSE(ParseShardIteratorType("trim_horizon", &t));
  StreamMode m;
  ASSERT_TRUE(ParseStreamMode("ON_DEMAND", &m));
  EXPECT_EQ(m, StreamMode::kOnDemand);
  EXPECT_FALSE(ParseStreamMode("SERVERLESS", &m));
  ShardFilterType f;
  ASSERT_TRUE(ParseShardFilterType("AT_LATEST", &f));
  EXPECT_EQ(f, ShardFilterType::kAtLatest);
  EXPECT_EQ(AwsErrorName(ErrorCode::kResourceNotFound), "ResourceNotFoundException");
  EXPECT_EQ(AwsErrorName(ErrorCode::kProvisionedThroughputExceeded),
            "ProvisionedThroughputExceededException");
  EXPECT_EQ(AwsErrorName(ErrorCode::kExpiredIterator), "ExpiredIteratorException");
  EXPECT_EQ(AwsErrorName(ErrorCode::kInternalFailure), "InternalFailure");
}

TEST(Base64, EncodesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64EncodedLength(4), 8u);
}

TEST(Base64, DecodesStrictlyAndRoundTrips) {
  std::string out;
  ASSERT_TRUE(Base64Decode("Zm9vYmE=", &out));
  EXPECT_EQ(out, "fooba");
  for (const char* bad : {"Zm9", "Zm9vY", "Zg=", "Z===", "Zm=v", "Zm9v\n", "Zh==", "Zm9v*A=="}) {
    std::string o;
    EXPECT_FALSE(Base64Decode(bad, &o)) << bad;
  }
  std::mt19937 rng(3);
  for (int n = 0; n < 300; ++n) {
    std::string raw(n, '\0');
    for (auto& c : raw) c = static_cast<char>(rng());
    std::string dec;
    ASSERT_TRUE(Base64Decode(Base64Encode(raw), &dec));
    ASSERT_EQ(dec, raw);
  }
}

TEST(SequenceNumberText, MatchesAwsPattern) {
  const std::regex pattern("0|[1-9][0-9]{0,128}");
  for (u128 v : {u128{0}, u128{1}, Pow2(64), kMaxHashKey}) {
    EXPECT_TRUE(std::regex_match(U128ToDecimal(v), pattern)) << Dec(v);
  }
}

TEST(UniformHashKeyRangesTest, MatchesAwsLayoutAndTilesTheSpace) {
  EXPECT_TRUE(UniformHashKeyRanges(0).empty());
  for (uint32_t n : {1u, 2u, 3u, 4u, 7u, 64u, 100u, 10000u}) {
    const std::vector<HashKeyRange> got = UniformHashKeyRanges(n);
    const std::vector<HashKeyRange> want = AwsUniformRanges(n);
    ASSERT_EQ(got.size(), n);
    for (uint32_t i = 0; i < n; ++i) {
      EXPECT_EQ(got[i].starting_hash_key, want[i].starting_hash_key) << n << " " << i;
      EXPECT_EQ(got[i].ending_hash_key, want[i].ending_hash_key) << n << " " << i;
      if (i > 0) {
        EXPECT_EQ(got[i - 1].ending_hash_key + 1, got[i].starting_hash_key);
      }
    }
    EXPECT_EQ(got.front().starting_hash_key, u128{0});
    EXPECT_EQ(got.back().ending_hash_key, kMaxHashKey);
  }
}

}  // namespace
}  // namespace tidelog::testing
