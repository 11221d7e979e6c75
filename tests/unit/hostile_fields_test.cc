// Client-supplied counts, sizes, keys, sequence numbers and times at the edges
// of their types: every call answers AWS's error (or succeeds) without
// overflowing, and a count is checked before anything per shard is allocated.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <string>

#include "engine_test_util.h"

namespace tidelog::testing {
namespace {

constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

std::string ShardLimitMessage(int64_t current, int64_t limit, int64_t additional) {
  return "This request would exceed the shard limit for the account 000000000000 in us-east-1. "
         "Current shard count for the account: " +
         std::to_string(current) + ". Limit: " + std::to_string(limit) +
         ". Number of additional shards that would have resulted from this request: " +
         std::to_string(additional) +
         ". Refer to the AWS Service Limits page "
         "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current "
         "limits and how to request higher limits.";
}

// Bytes of address space this process maps now (VmSize), 0 if unknown.
uint64_t MappedBytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmSize:", 0) == 0) return std::stoull(line.substr(7)) * 1024;
  }
  return 0;
}

// While alive, the process may map at most `headroom` more bytes: a call that
// tries to allocate per requested shard fails with bad_alloc (ending the test
// process) instead of taking the machine's memory.
class AddressSpaceCap {
 public:
  explicit AddressSpaceCap(uint64_t headroom) {
    getrlimit(RLIMIT_AS, &saved_);
    const uint64_t now = MappedBytes();
    if (now == 0) return;
    rlimit capped = saved_;
    capped.rlim_cur = std::min<rlim_t>(saved_.rlim_max, now + headroom);
    active_ = setrlimit(RLIMIT_AS, &capped) == 0;
  }
  ~AddressSpaceCap() {
    if (active_) setrlimit(RLIMIT_AS, &saved_);
  }
  AddressSpaceCap(const AddressSpaceCap&) = delete;
  AddressSpaceCap& operator=(const AddressSpaceCap&) = delete;

 private:
  rlimit saved_{};
  bool active_ = false;
};

class HostileFieldsTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Open();
  }

  Status Create(const std::string& name, int32_t shards) {
    CreateStreamRequest req;
    req.stream_name = name;
    req.shard_count = shards;
    return engine_->CreateStream(req);
  }

  int64_t TotalShards() {
    std::vector<StreamInfo> streams;
    EXPECT_OK(engine_->ListStreams(&streams));
    int64_t n = 0;
    for (const StreamInfo& s : streams) n += static_cast<int64_t>(Shards(s.stream_name).size());
    return n;
  }
};

// The reported bug: with a stream present, TotalShards() + INT32_MAX wrapped
// negative, passed the check and the engine allocated shards until OOM.
TEST_F(HostileFieldsTest, CreateStreamWithAnyShardCountChecksTheLimitFirst) {
  CreateStream("present", 1);
  AddressSpaceCap cap(512 << 20);
  for (int32_t n : {kInt32Max, kInt32Max - 1, 20000}) {
    EXPECT_TRUE(
        StatusIs(Create("huge", n), ErrorCode::kLimitExceeded, ShardLimitMessage(1, 20000, n)))
        << n;
  }
  for (int32_t n : {0, -1, kInt32Min}) {
    EXPECT_TRUE(StatusIs(Create("huge", n), ErrorCode::kValidation,
                         "1 validation error detected: Value '" + std::to_string(n) +
                             "' at 'shardCount' failed to satisfy constraint: Member must have "
                             "value greater than or equal to 1"))
        << n;
  }
  std::vector<StreamInfo> streams;
  ASSERT_OK(engine_->ListStreams(&streams));
  EXPECT_EQ(streams.size(), 1u);
}

TEST_F(HostileFieldsTest, ShardLimitAtInt32MaxDoesNotWrap) {
  EngineOptions o = DefaultOptions();
  o.shard_limit = kInt32Max;
  Open(o);
  CreateStream("present", 2);
  AddressSpaceCap cap(512 << 20);
  EXPECT_TRUE(StatusIs(Create("huge", kInt32Max), ErrorCode::kLimitExceeded,
                       ShardLimitMessage(2, kInt32Max, kInt32Max)));
  EXPECT_TRUE(StatusIs(Create("huge", kInt32Max - 1), ErrorCode::kLimitExceeded,
                       ShardLimitMessage(2, kInt32Max, kInt32Max - 1)));
}

TEST_F(HostileFieldsTest, ShardLimitIsExactAtTheBoundary) {
  EngineOptions o = DefaultOptions();
  o.shard_limit = 10;
  Open(o);
  CreateStream("a", 4);
  EXPECT_TRUE(StatusIs(Create("b", 7), ErrorCode::kLimitExceeded, ShardLimitMessage(4, 10, 7)));
  ASSERT_OK(Create("b", 6));
  EXPECT_TRUE(StatusIs(Create("c", 1), ErrorCode::kLimitExceeded, ShardLimitMessage(10, 10, 1)));
  // A split keeps its parent until it expires: two more shards.
  EXPECT_TRUE(StatusIs(engine_->SplitShard("a", "shardId-000000000000", Pow2(100)),
                       ErrorCode::kLimitExceeded, ShardLimitMessage(10, 10, 2)));
}

TEST_F(HostileFieldsTest, UpdateShardCountWithAnyTargetAnswersAtOnce) {
  CreateStream("s", 2);
  AddressSpaceCap cap(512 << 20);
  int32_t current = 0;
  const std::string prefix =
      "UpdateShardCount cannot scale up over double your current open shard count. Current open "
      "shard count: 2, Target shard count: ";
  for (int32_t n : {kInt32Max, kInt32Max / 2 + 1, 5}) {
    EXPECT_TRUE(StatusIs(engine_->UpdateShardCount("s", n, &current), ErrorCode::kLimitExceeded,
                         prefix + std::to_string(n)))
        << n;
  }
  for (int32_t n : {0, kInt32Min}) {
    EXPECT_TRUE(StatusIs(engine_->UpdateShardCount("s", n, &current), ErrorCode::kValidation)) << n;
  }
  EXPECT_EQ(Shards("s").size(), 2u);
}

// UpdateShardCount counts the shards it will make (splits, their children and
// the merges) against the account limit before making any.
TEST_F(HostileFieldsTest, UpdateShardCountIsCheckedAgainstTheAccountLimit) {
  EngineOptions o = DefaultOptions();
  o.shard_limit = 1000;
  Open(o);
  CreateStream("probe", 3);
  CreateStream("s", 3);
  int32_t current = 0;
  ASSERT_OK(engine_->UpdateShardCount("probe", 5, &current));
  const int64_t added = static_cast<int64_t>(Shards("probe").size()) - 3;
  ASSERT_GT(added, 2);

  const int64_t total = TotalShards();
  o.shard_limit = static_cast<int32_t>(total + added - 1);
  Open(o);
  EXPECT_TRUE(StatusIs(engine_->UpdateShardCount("s", 5, &current), ErrorCode::kLimitExceeded,
                       ShardLimitMessage(total, total + added - 1, added)));
  EXPECT_EQ(Shards("s").size(), 3u);

  o.shard_limit = static_cast<int32_t>(total + added);
  Open(o);
  ASSERT_OK(engine_->UpdateShardCount("s", 5, &current));
  EXPECT_EQ(TotalShards(), total + added);
  EXPECT_EQ(OpenShards("s").size(), 5u);
}

TEST_F(HostileFieldsTest, RetentionHoursAtTheInt32Edges) {
  CreateStream("s", 1);
  EXPECT_TRUE(StatusIs(engine_->IncreaseRetentionPeriod("s", kInt32Max),
                       ErrorCode::kInvalidArgument,
                       "Maximum allowed retention period is 8760 hours. Requested retention "
                       "period (2147483647 hours) is too long."));
  EXPECT_TRUE(StatusIs(engine_->DecreaseRetentionPeriod("s", kInt32Min),
                       ErrorCode::kInvalidArgument,
                       "Minimum allowed retention period is 24 hours. Requested retention "
                       "period (-2147483648 hours) is too short."));
  ASSERT_OK(engine_->IncreaseRetentionPeriod("s", 8760));
  StreamInfo info;
  ASSERT_OK(engine_->DescribeStream("s", &info));
  EXPECT_EQ(info.retention_period_hours, 8760);
}

TEST_F(HostileFieldsTest, GetRecordsLimitAtTheInt32Edges) {
  CreateStream("s", 1);
  const std::string it = Iterator("s", "shardId-000000000000", ShardIteratorType::kTrimHorizon);
  GetRecordsResult r;
  EXPECT_TRUE(StatusIs(engine_->GetRecords(it, kInt32Max, &r), ErrorCode::kValidation));
  EXPECT_TRUE(StatusIs(engine_->GetRecords(it, kInt32Min, &r), ErrorCode::kValidation));
}

TEST_F(HostileFieldsTest, TimestampsAtTheInt64Edges) {
  CreateStream("s", 1);
  const std::string shard = "shardId-000000000000";
  std::string it;
  EXPECT_TRUE(StatusIs(
      engine_->GetShardIterator("s", shard, ShardIteratorType::kAtTimestamp, {}, kInt64Max, &it),
      ErrorCode::kInvalidArgument));
  // Before the epoch: the trim horizon.
  Put("s", "k", "v");
  ASSERT_OK(
      engine_->GetShardIterator("s", shard, ShardIteratorType::kAtTimestamp, {}, kInt64Min, &it));
  EXPECT_EQ(Drain(it).size(), 1u);

  for (int64_t t : {kInt64Min, kInt64Max}) {
    ShardFilter f;
    f.type = ShardFilterType::kAtTimestamp;
    f.timestamp_millis = t;
    std::vector<ShardInfo> shards;
    EXPECT_OK(engine_->ListShards("s", f, &shards));
    f.type = ShardFilterType::kFromTimestamp;
    EXPECT_OK(engine_->ListShards("s", f, &shards));
  }
}

TEST_F(HostileFieldsTest, SequenceNumbersAtTheEdges) {
  CreateStream("s", 1);
  const std::string shard = "shardId-000000000000";
  std::string it;
  const SequenceNumber all_ones{~uint64_t{0}, kMaxHashKey};  // 2^192 - 1: neither layout
  const SequenceNumber legacy_max{0, kMaxHashKey};           // shard index bits past uint32
  for (const SequenceNumber& bad : {all_ones, legacy_max}) {
    EXPECT_TRUE(StatusIs(
        engine_->GetShardIterator("s", shard, ShardIteratorType::kAtSequenceNumber, bad, {}, &it),
        ErrorCode::kInvalidArgument))
        << Dec(bad);
  }
  // AWS's layout with the sequence index's top bit set: never handed out.
  SequenceNumber top_bit = EncodeSequenceNumber(0, 0, 0);
  top_bit.high |= uint64_t{1} << (143 - 128);
  EXPECT_TRUE(StatusIs(
      engine_->GetShardIterator("s", shard, ShardIteratorType::kAtSequenceNumber, top_bit, {}, &it),
      ErrorCode::kInvalidArgument));

  // Right shard, largest internal seq, old layout: an empty read, not a wrap to the start.
  const PutRecordResult first = Put("s", "k", "v");
  const SequenceNumber legacy_last = LegacySeq(~uint64_t{0}, 0);
  ASSERT_OK(engine_->GetShardIterator("s", shard, ShardIteratorType::kAfterSequenceNumber,
                                      legacy_last, {}, &it));
  EXPECT_TRUE(Drain(it).empty());
  // The same in AWS's layout (the largest index it allows).
  DecodedSequenceNumber d;
  ASSERT_TRUE(DecodeSequenceNumber(first.sequence_number, &d));
  const SequenceNumber aws_last = EncodeSequenceNumber(~uint64_t{0} >> 1, 0, d.epoch_secs);
  ASSERT_OK(engine_->GetShardIterator("s", shard, ShardIteratorType::kAfterSequenceNumber, aws_last,
                                      {}, &it));
  EXPECT_TRUE(Drain(it).empty());
  ASSERT_OK(engine_->GetShardIterator("s", shard, ShardIteratorType::kAtSequenceNumber,
                                      SequenceNumber{}, {}, &it));
  EXPECT_EQ(Drain(it).size(), 1u);

  // An ordering number from the far future would drag the shard's clock; one
  // in neither layout is no number.
  PutRecordEntry e{"k", "v", std::nullopt};
  PutRecordResult r;
  for (const SequenceNumber& bad : {legacy_last, aws_last, all_ones, top_bit}) {
    EXPECT_TRUE(StatusIs(engine_->PutRecord("s", e, bad, &r), ErrorCode::kInvalidArgument))
        << Dec(bad);
  }
}

TEST_F(HostileFieldsTest, HashKeysAtTheU128Edges) {
  CreateStream("s", 2);
  const PutRecordResult hi = Put("s", "k", "v", kMaxHashKey);
  EXPECT_EQ(hi.shard_index, 1u);
  const PutRecordResult lo = Put("s", "k", "v", u128{0});
  EXPECT_EQ(lo.shard_index, 0u);
  for (u128 bad : {u128{0}, u128{1}, Pow2(127) + 1, kMaxHashKey}) {
    EXPECT_TRUE(StatusIs(engine_->SplitShard("s", "shardId-000000000001", bad),
                         ErrorCode::kInvalidArgument))
        << Dec(bad);
  }
  ASSERT_OK(engine_->SplitShard("s", "shardId-000000000001", kMaxHashKey - 1));
}

TEST(HostileTextTest, ShardIdsPastUint32AreNotShards) {
  uint32_t index = 7;
  EXPECT_TRUE(ParseShardId("shardId-004294967295", &index));
  EXPECT_EQ(index, 4294967295u);
  for (std::string_view bad :
       {"shardId-004294967296", "shardId-99999999999999999999", "shardId-184467440737095516160",
        "18446744073709551616", "shardId--1", "shardId-+1", "shardId-", ""}) {
    EXPECT_FALSE(ParseShardId(bad, &index)) << bad;
  }
}

TEST(HostileTextTest, SequenceNumbersPast2To192AreRefused) {
  SequenceNumber v;
  const std::string max = "6277101735386680763835789423207666416102355444464034512895";  // 2^192-1
  ASSERT_TRUE(ParseSequenceNumber(max, &v));
  EXPECT_EQ(v, (SequenceNumber{~uint64_t{0}, kMaxHashKey}));
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "6277101735386680763835789423207666416102355444464034512896",
           "9999999999999999999999999999999999999999999999999999999999",
           "10000000000000000000000000000000000000000000000000000000000", std::string_view(), "-1",
           "01", "1e5", " 1"}) {
    EXPECT_FALSE(ParseSequenceNumber(bad, &v)) << bad;
  }
  // The model's pattern admits 129 digits: refused without overflow.
  EXPECT_FALSE(ParseSequenceNumber(std::string(129, '9'), &v));
}

TEST(HostileTextTest, DecimalsPastU128AreRefused) {
  u128 v = 0;
  EXPECT_TRUE(ParseU128Decimal("340282366920938463463374607431768211455", &v));
  EXPECT_EQ(v, kMaxHashKey);
  for (std::string_view bad :
       {"340282366920938463463374607431768211456", "999999999999999999999999999999999999999",
        "1000000000000000000000000000000000000000", "-1", "01", ""}) {
    EXPECT_FALSE(ParseU128Decimal(bad, &v)) << bad;
  }
}

}  // namespace
}  // namespace tidelog::testing
