// Sequence numbers: 192-bit decimal text, AWS's version-2 layout as the KCL
// and kinesalite decode it, the order guarantees, and data directories
// written in the 128-bit layout before it.
#include "tidelog/sequence_number.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "engine_test_util.h"

namespace tidelog::testing {
namespace {

using Limbs = std::array<uint64_t, 3>;

// The engine's internal seq: arrival ms << 20 | a counter.
uint64_t Seq(int64_t ms, uint64_t counter) { return (static_cast<uint64_t>(ms) << 20) | counter; }
int64_t SeqMillis(uint64_t seq) { return static_cast<int64_t>(seq >> 20); }

Limbs LimbsOf(const SequenceNumber& n) {
  return {static_cast<uint64_t>(n.low), static_cast<uint64_t>(n.low >> 64), n.high};
}

// Digit by digit: divide by 10 with plain 128-bit division.
std::string NaiveDecimal(const SequenceNumber& n) {
  Limbs w = LimbsOf(n);
  std::string out;
  do {
    uint64_t rem = 0;
    for (int i = 2; i >= 0; --i) {
      const u128 cur = (static_cast<u128>(rem) << 64) | w[i];
      w[i] = static_cast<uint64_t>(cur / 10);
      rem = static_cast<uint64_t>(cur % 10);
    }
    out.insert(out.begin(), static_cast<char>('0' + rem));
  } while (w[0] != 0 || w[1] != 0 || w[2] != 0);
  return out;
}

int BitLength(const SequenceNumber& n) {
  if (n.high != 0) return 192 - __builtin_clzll(n.high);
  const auto hi = static_cast<uint64_t>(n.low >> 64);
  if (hi != 0) return 128 - __builtin_clzll(hi);
  const auto lo = static_cast<uint64_t>(n.low);
  return lo == 0 ? 0 : 64 - __builtin_clzll(lo);
}

uint64_t Bits(const SequenceNumber& n, int offset, int width) {
  uint64_t v = 0;
  const Limbs w = LimbsOf(n);
  for (int i = 0; i < width; ++i) {
    const int bit = offset + i;
    v |= ((w[bit / 64] >> (bit % 64)) & 1) << i;
  }
  return v;
}

// The KCL's SequenceNumberValidator (V2SequenceNumberReader): a version-2
// number has exactly 186 bits, 2 in the 4 bits at offset 184 and the shard
// id in the 32 bits at offset 4.
bool KclShardId(const SequenceNumber& n, uint64_t* shard) {
  if (BitLength(n) != 186 || Bits(n, 184, 4) != 2) return false;
  *shard = Bits(n, 4, 32);
  return true;
}

// ---- text ---------------------------------------------------------------------

TEST(SequenceNumberText, MatchesDigitByDigitAtEveryLimbBoundary) {
  std::vector<SequenceNumber> values = {{}, {~uint64_t{0}, kMaxHashKey}, {0, kMaxHashKey}, {1, 0}};
  Limbs p10{1, 0, 0};
  for (int i = 0; i < 58; ++i) {
    const SequenceNumber p{p10[2], (static_cast<u128>(p10[1]) << 64) | p10[0]};
    values.push_back(p);
    if (p.low != 0 || p.high != 0) {
      SequenceNumber minus = p;
      if (minus.low == 0) --minus.high;
      --minus.low;
      values.push_back(minus);
    }
    // p10 *= 10, unless that overflows 192 bits
    uint64_t carry = 0;
    for (uint64_t& limb : p10) {
      const u128 x = static_cast<u128>(limb) * 10 + carry;
      limb = static_cast<uint64_t>(x);
      carry = static_cast<uint64_t>(x >> 64);
    }
    if (carry) break;
  }
  std::mt19937_64 rng(11);
  for (int i = 0; i < 5000; ++i) {
    SequenceNumber v{rng(), (static_cast<u128>(rng()) << 64) | rng()};
    const int drop = static_cast<int>(rng() % 192);
    for (int b = 0; b < drop; ++b) {  // shift right by `drop` bits
      v.low = (v.low >> 1) | (static_cast<u128>(v.high & 1) << 127);
      v.high >>= 1;
    }
    values.push_back(v);
  }
  for (const SequenceNumber& v : values) {
    char buf[kMaxSequenceNumberDecimalChars];
    const std::string naive = NaiveDecimal(v);
    ASSERT_EQ(std::string(buf, WriteSequenceNumberDecimal(v, buf)), naive);
    SequenceNumber back;
    ASSERT_TRUE(ParseSequenceNumber(naive, &back)) << naive;
    ASSERT_EQ(back, v) << naive;
  }
}

TEST(SequenceNumberText, MatchesAwsPattern) {
  const std::regex pattern("0|[1-9][0-9]{0,128}");
  for (const SequenceNumber& v :
       {SequenceNumber{}, SequenceNumber{0, 1}, SequenceNumber{0, Pow2(64)},
        EncodeSequenceNumber(1, 0, 0), SequenceNumber{~0ULL, kMaxHashKey}}) {
    EXPECT_TRUE(std::regex_match(Dec(v), pattern)) << Dec(v);
  }
}

TEST(SequenceNumberText, OrdersAsIntegers) {
  EXPECT_LT((SequenceNumber{0, kMaxHashKey}), (SequenceNumber{1, 0}));
  EXPECT_LT((SequenceNumber{1, 5}), (SequenceNumber{1, 6}));
  EXPECT_LT((SequenceNumber{1, kMaxHashKey}), (SequenceNumber{2, 0}));
}

// ---- layout --------------------------------------------------------------------

// The number in AWS's PutRecord documentation example.
constexpr char kAwsExample[] = "49546986683135544286507457936321625675700192471156785154";

TEST(SequenceNumberLayout, DecodesAwsDocumentationExampleAsKinesaliteDoes) {
  SequenceNumber n;
  ASSERT_TRUE(ParseSequenceNumber(kAwsExample, &n));
  DecodedSequenceNumber d;
  ASSERT_TRUE(DecodeSequenceNumber(n, &d));
  // kinesalite's db.parseSequence of the same number (hex
  // 2054b6fffe 0 00000000000001d5 00 054b7009a 00000000 2).
  EXPECT_FALSE(d.legacy);
  EXPECT_EQ(d.epoch_secs, 1421279230);
  EXPECT_EQ(d.seq, 469u);
  EXPECT_EQ(d.arrival_secs, 1421279386);
  EXPECT_EQ(d.shard_index, 0u);
  uint64_t shard = 99;
  ASSERT_TRUE(KclShardId(n, &shard));
  EXPECT_EQ(shard, 0u);
}

TEST(SequenceNumberLayout, EncodesKnownVector) {
  // Computed independently, from the hex fields: 2 | 6b0168d90 | 1 |
  // seq (16 hex) | 00 | 6b016a7e4 | 00000011 | 2.
  const uint64_t seq = Seq(1795297124323, 5);
  EXPECT_EQ(Dec(EncodeSequenceNumber(seq, 17, 1795290000)),
            "49680438185292540700859154111612713368048174210104688914");
}

TEST(SequenceNumberLayout, RoundTripsAndPassesTheKclValidator) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 2000; ++i) {
    // 2001 to 2200: the internal seq (ms << 20) stays below 2^63 until 2248.
    const int64_t ms = 946684800000 + static_cast<int64_t>(rng() % (200ULL * 365 * 86400000));
    const uint64_t seq = Seq(ms, rng() % (1 << 20));
    const auto shard = static_cast<uint32_t>(rng());
    const int64_t epoch = ms / 1000 - static_cast<int64_t>(rng() % 86400);
    const SequenceNumber n = EncodeSequenceNumber(seq, shard, epoch);
    const std::string text = Dec(n);
    ASSERT_EQ(text.size(), 56u) << text;  // every 186-bit number has 56 digits
    uint64_t kcl_shard = 0;
    ASSERT_TRUE(KclShardId(n, &kcl_shard)) << text;
    ASSERT_EQ(kcl_shard, shard);
    EXPECT_EQ(Bits(n, 0, 4), 2u);
    EXPECT_EQ(Bits(n, 144, 4), shard & 0xF);
    DecodedSequenceNumber d;
    ASSERT_TRUE(DecodeSequenceNumber(n, &d));
    EXPECT_FALSE(d.legacy);
    EXPECT_EQ(d.seq, seq);
    EXPECT_EQ(d.shard_index, shard);
    EXPECT_EQ(d.epoch_secs, epoch);
    EXPECT_EQ(d.arrival_secs, ms / 1000);
  }
}

TEST(SequenceNumberLayout, IncreasesWithTheInternalSeqWhateverTheArrivalSecond) {
  // The arrival second sits below the sequence index, so it never reorders.
  SequenceNumber prev = EncodeSequenceNumber(Seq(1795297124999, 0), 3, 1795297000);
  for (int64_t ms = 1795297125000; ms < 1795297125000 + 5000; ms += 7) {
    for (uint64_t c : {0u, 1u, (1u << 20) - 1}) {
      const SequenceNumber n = EncodeSequenceNumber(Seq(ms, c), 3, 1795297000);
      ASSERT_GT(n, prev) << ms << " " << c;
      prev = n;
    }
  }
}

TEST(SequenceNumberLayout, ReadsTheOldLayoutAndRefusesOthers) {
  DecodedSequenceNumber d;
  ASSERT_TRUE(DecodeSequenceNumber(LegacySeq(123456789, 7), &d));
  EXPECT_TRUE(d.legacy);
  EXPECT_EQ(d.seq, 123456789u);
  EXPECT_EQ(d.shard_index, 7u);
  ASSERT_TRUE(DecodeSequenceNumber(SequenceNumber{}, &d));  // "0"
  EXPECT_EQ(d.seq, 0u);
  SequenceNumber n = EncodeSequenceNumber(99, 1, 1795297000);
  SequenceNumber bad_end = n;
  bad_end.low ^= 2;  // low nibble 0: not version 2
  SequenceNumber bad_top = n;
  bad_top.high ^= uint64_t{1} << 59;  // version 10
  SequenceNumber bit_187 = n;
  bit_187.high |= uint64_t{1} << 63;
  for (const SequenceNumber& bad : {bad_end, bad_top, bit_187, SequenceNumber{1, 0}}) {
    EXPECT_FALSE(DecodeSequenceNumber(bad, &d)) << Dec(bad);
  }
}

// ---- engine ---------------------------------------------------------------------

class SequenceNumberEngineTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Open();
  }
};

TEST_F(SequenceNumberEngineTest, NumbersNameTheirShardArrivalAndEpoch) {
  CreateStream("s", 3);
  const int64_t created_secs = clock_->NowMillis() / 1000;
  clock_->AdvanceMillis(2500);
  std::map<std::string, std::string> put_numbers;
  for (int i = 0; i < 30; ++i) {
    const PutRecordResult r = Put("s", "key" + std::to_string(i), std::to_string(i));
    const std::string text = Dec(r.sequence_number);
    EXPECT_EQ(text.size(), 56u) << text;
    uint64_t kcl_shard = 0;
    ASSERT_TRUE(KclShardId(r.sequence_number, &kcl_shard));
    EXPECT_EQ(kcl_shard, r.shard_index);
    DecodedSequenceNumber d;
    ASSERT_TRUE(DecodeSequenceNumber(r.sequence_number, &d));
    EXPECT_EQ(d.epoch_secs, created_secs);
    EXPECT_EQ(d.arrival_secs, clock_->NowMillis() / 1000);
    put_numbers[text] = std::to_string(i);
  }
  // The numbers read back and the shards' ranges are the same layout.
  size_t seen = 0;
  for (const ShardInfo& shard : Shards("s")) {
    uint32_t index = 0;
    ASSERT_TRUE(ParseShardId(shard.shard_id, &index));
    uint64_t kcl_shard = 0;
    ASSERT_TRUE(KclShardId(shard.starting_sequence_number, &kcl_shard));
    EXPECT_EQ(kcl_shard, index);
    for (const Record& r : ReadShard("s", shard.shard_id)) {
      ASSERT_EQ(put_numbers.count(Dec(r.sequence_number)), 1u);
      EXPECT_EQ(put_numbers[Dec(r.sequence_number)], r.data);
      EXPECT_EQ(r.arrival_millis / 1000, [&] {
        DecodedSequenceNumber d;
        EXPECT_TRUE(DecodeSequenceNumber(r.sequence_number, &d));
        return d.arrival_secs;
      }());
      ++seen;
    }
  }
  EXPECT_EQ(seen, 30u);
}

TEST_F(SequenceNumberEngineTest, ChildrenExceedParentsWhenTheShardNibbleWraps) {
  // Shard 15's children are 16 and 17: their low 4 bits (0, 1) are below
  // 15's, and the clock does not move, so only the epoch can order them.
  CreateStream("w", 16);
  const ShardInfo parent = Shards("w")[15];
  ASSERT_EQ(parent.shard_id, "shardId-000000000015");
  const u128 in_parent = parent.hash_key_range.starting_hash_key;
  SequenceNumber last_parent;
  for (int i = 0; i < 20; ++i) last_parent = Put("w", "k", "p", in_parent).sequence_number;
  ASSERT_OK(engine_->SplitShard("w", parent.shard_id, in_parent + 1000));
  const PutRecordResult child = Put("w", "k", "c", in_parent);
  EXPECT_EQ(child.shard_index, 16u);
  EXPECT_GT(child.sequence_number, last_parent)
      << Dec(child.sequence_number) << " <= " << Dec(last_parent);
  const PutRecordResult other = Put("w", "k", "c", in_parent + 2000);
  EXPECT_EQ(other.shard_index, 17u);
  EXPECT_GT(other.sequence_number, last_parent);
  // And a merge of the two children, in the same second again.
  ASSERT_OK(engine_->MergeShards("w", "shardId-000000000016", "shardId-000000000017"));
  const PutRecordResult grandchild = Put("w", "k", "g", in_parent);
  EXPECT_EQ(grandchild.shard_index, 18u);
  EXPECT_GT(grandchild.sequence_number, child.sequence_number);
  EXPECT_GT(grandchild.sequence_number, other.sequence_number);
  // The ranges say so as well.
  for (const ShardInfo& s : Shards("w")) {
    if (s.shard_id == "shardId-000000000018") {
      ASSERT_TRUE(s.parent_shard_id == "shardId-000000000016");
      EXPECT_GT(s.starting_sequence_number, last_parent);
    }
  }
}

TEST_F(SequenceNumberEngineTest, NumbersFromAnotherStreamOrShardAreRefused) {
  CreateStream("a", 2);
  clock_->AdvanceMillis(5000);
  CreateStream("b", 2);
  const PutRecordResult from_a = Put("a", "k", "x", u128{0});
  std::string it;
  EXPECT_TRUE(StatusIs(
      engine_->GetShardIterator("b", "shardId-000000000000", ShardIteratorType::kAtSequenceNumber,
                                from_a.sequence_number, {}, &it),
      ErrorCode::kInvalidArgument,
      "StartingSequenceNumber " + Dec(from_a.sequence_number) +
          " used in GetShardIterator on shard shardId-000000000000 in stream b under account " +
          kAccount + " is invalid because it did not come from this stream."));
  EXPECT_TRUE(StatusIs(
      engine_->GetShardIterator("a", "shardId-000000000001", ShardIteratorType::kAtSequenceNumber,
                                from_a.sequence_number, {}, &it),
      ErrorCode::kInvalidArgument,
      "Invalid StartingSequenceNumber. It encodes shardId-000000000000, while it was used in a "
      "call to a shard with shardId-000000000001"));
  ASSERT_OK(engine_->GetShardIterator("a", "shardId-000000000000",
                                      ShardIteratorType::kAtSequenceNumber, from_a.sequence_number,
                                      {}, &it));
  const auto got = Drain(it);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, "x");
}

TEST_F(SequenceNumberEngineTest, OldLayoutNumbersStillPositionIterators) {
  CreateStream("o", 1);
  const PutRecordResult a = Put("o", "k", "a");
  Put("o", "k", "b");
  const uint64_t seq_a = InternalSeqOf(a.sequence_number);
  const std::string shard = "shardId-000000000000";
  std::vector<std::string> at, after;
  for (const Record& r :
       Drain(Iterator("o", shard, ShardIteratorType::kAtSequenceNumber, LegacySeq(seq_a, 0)))) {
    at.push_back(r.data);
  }
  for (const Record& r :
       Drain(Iterator("o", shard, ShardIteratorType::kAfterSequenceNumber, LegacySeq(seq_a, 0)))) {
    after.push_back(r.data);
  }
  EXPECT_EQ(at, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(after, (std::vector<std::string>{"b"}));
  std::string it;
  EXPECT_TRUE(StatusIs(engine_->GetShardIterator("o", shard, ShardIteratorType::kAtSequenceNumber,
                                                 LegacySeq(seq_a, 4), {}, &it),
                       ErrorCode::kInvalidArgument,
                       "Invalid StartingSequenceNumber. It encodes shardId-000000000004, while it "
                       "was used in a call to a shard with shardId-000000000000"));
}

// ---- a data directory written in the old layout ---------------------------------

struct FixtureRecord {
  std::string shard;
  SequenceNumber number;  // as e3d79e2 acknowledged it
  std::string data;
};

std::vector<FixtureRecord> FixtureRecords() {
  std::ifstream in(std::string(TIDELOG_FIXTURES_DIR) + "/legacy-sequence-numbers/records.txt");
  std::vector<FixtureRecord> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    FixtureRecord r;
    std::string number;
    f >> r.shard >> number >> r.data;
    EXPECT_TRUE(ParseSequenceNumber(number, &r.number)) << line;
    out.push_back(r);
  }
  return out;
}

class LegacyDataDirectoryTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    records_ = FixtureRecords();
    ASSERT_EQ(records_.size(), 11u);
    // Run the clock a minute past the last record, so retention keeps them.
    int64_t last_ms = 0;
    for (const auto& r : records_) {
      last_ms = std::max(last_ms, SeqMillis(InternalSeqOf(r.number)));
    }
    clock_->SetMicros((last_ms + 60'000) * 1000);
    std::filesystem::copy(std::string(TIDELOG_FIXTURES_DIR) + "/legacy-sequence-numbers/db",
                          dir_ / "db", std::filesystem::copy_options::recursive);
    Open();
  }

  std::vector<FixtureRecord> records_;
};

TEST_F(LegacyDataDirectoryTest, EveryRecordIsReadWithItsNumberInAwsLayout) {
  std::map<std::string, std::vector<std::string>> written;  // shard -> data in order
  std::map<std::string, uint64_t> seq_of;                   // data -> internal seq
  for (const auto& r : records_) {
    written[r.shard].push_back(r.data);
    seq_of[r.data] = InternalSeqOf(r.number);
  }
  std::map<std::string, std::string> first_read;  // data -> number
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& [shard, datas] : written) {
      std::vector<std::string> got;
      uint32_t index = 0;
      ASSERT_TRUE(ParseShardId(shard, &index));
      for (const Record& r : ReadShard("legacy", shard)) {
        got.push_back(r.data);
        DecodedSequenceNumber d;
        ASSERT_TRUE(DecodeSequenceNumber(r.sequence_number, &d)) << Dec(r.sequence_number);
        EXPECT_FALSE(d.legacy);
        EXPECT_EQ(d.shard_index, index);
        EXPECT_EQ(d.seq, seq_of[r.data]);
        // The same number every time the directory is opened.
        if (pass == 0) first_read[r.data] = Dec(r.sequence_number);
        EXPECT_EQ(first_read[r.data], Dec(r.sequence_number));
      }
      EXPECT_EQ(got, datas) << shard;
    }
    Reopen();
  }
}

TEST_F(LegacyDataDirectoryTest, OldNumbersStillPositionIteratorsAndNewOnesSortAfter) {
  for (size_t i = 0; i < records_.size(); ++i) {
    const FixtureRecord& r = records_[i];
    const auto at =
        Drain(Iterator("legacy", r.shard, ShardIteratorType::kAtSequenceNumber, r.number));
    ASSERT_FALSE(at.empty()) << r.data;
    EXPECT_EQ(at[0].data, r.data);
    const auto after =
        Drain(Iterator("legacy", r.shard, ShardIteratorType::kAfterSequenceNumber, r.number));
    EXPECT_EQ(after.size(), at.size() - 1) << r.data;
  }
  // New records go to the open shards (1 and 2) above every old number there.
  const PutRecordResult on1 = Put("legacy", "k", "new1", Pow2(127) + 5);
  const PutRecordResult on2 = Put("legacy", "k", "new2", u128{5});
  EXPECT_EQ(on1.shard_index, 1u);
  EXPECT_EQ(on2.shard_index, 2u);
  for (const auto& r : records_) {
    const SequenceNumber& mine =
        r.shard == "shardId-000000000001" ? on1.sequence_number : on2.sequence_number;
    EXPECT_GT(mine, r.number) << r.data;
  }
  // The split's lineage is intact: the closed parent's range ends below its children's starts.
  const auto shards = Shards("legacy");
  ASSERT_EQ(shards.size(), 4u);
  ASSERT_TRUE(shards[0].ending_sequence_number.has_value());
  for (size_t child : {2u, 3u}) {
    EXPECT_EQ(shards[child].parent_shard_id, "shardId-000000000000");
    EXPECT_GT(shards[child].starting_sequence_number, *shards[0].ending_sequence_number);
  }
}

}  // namespace
}  // namespace tidelog::testing
