// Retention rules: records older than the stream's retention are never returned (even before
// RunRetention), RunRetention reclaims disk, and closed shards past retention stop being listed.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine_test_util.h"

namespace tidelog::testing {
namespace {

constexpr char kShard0[] = "shardId-000000000000";

class RetentionTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Open();
  }

  static std::vector<std::string> Datas(const std::vector<Record>& recs) {
    std::vector<std::string> out;
    for (const auto& r : recs) out.push_back(r.data);
    return out;
  }
  using V = std::vector<std::string>;

  std::vector<std::string> ReadAllData(const std::string& stream) {
    std::vector<std::string> out;
    for (const auto& r : ReadStream(stream)) out.push_back(r.record.data);
    return out;
  }

  // Writes `batches` PutRecords of 16 x 256 KiB incompressible records (4 MiB each).
  void WriteRandom(const std::string& stream, int batches) {
    std::mt19937_64 rng(11);
    std::vector<std::string> keys, datas(16, std::string(256 * 1024, '\0'));
    for (int i = 0; i < 16; ++i) keys.push_back("k" + std::to_string(i));
    for (int batch = 0; batch < batches; ++batch) {
      std::vector<PutRecordEntry> entries;
      for (int i = 0; i < 16; ++i) {
        for (size_t j = 0; j < datas[i].size(); j += 8) {
          const uint64_t v = rng();
          datas[i].replace(j, 8, reinterpret_cast<const char*>(&v), 8);
        }
        entries.push_back({keys[i], datas[i], std::nullopt});
      }
      std::vector<PutRecordResult> results;
      ASSERT_OK(engine_->PutRecords(stream, entries, &results));
      for (const auto& r : results) ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    }
  }
};

TEST_F(RetentionTest, ExpiredRecordsAreHiddenWithoutRunRetention) {
  CreateStream("r", 1);
  const int64_t t0 = clock_->NowMillis();
  const auto old = Put("r", "k", "old");
  clock_->AdvanceMillis(23 * kHourMs);
  Put("r", "k", "young");
  // One minute before "old" expires: an iterator at the trim horizon still points at it.
  clock_->AdvanceMillis(kHourMs - 60'000);
  const std::string it = Iterator("r", kShard0, ShardIteratorType::kTrimHorizon);
  EXPECT_EQ(Datas(ReadShard("r", kShard0)), (V{"old", "young"}));
  // Two minutes later (iterator still valid) "old" is past 24 h and must not come back.
  clock_->AdvanceMillis(120'000);
  EXPECT_EQ(Datas(Drain(it)), V{"young"});
  EXPECT_EQ(Datas(ReadShard("r", kShard0)), V{"young"});
  EXPECT_EQ(Datas(Drain(Iterator("r", kShard0, ShardIteratorType::kAtTimestamp, std::nullopt, t0))),
            V{"young"});
  // AT_SEQUENCE_NUMBER of an expired record starts no earlier than the trim horizon.
  std::string at_old;
  const Status s = engine_->GetShardIterator("r", kShard0, ShardIteratorType::kAtSequenceNumber,
                                             old.sequence_number, std::nullopt, &at_old);
  if (s.ok()) {
    EXPECT_EQ(Datas(Drain(at_old)), V{"young"});
  }
  ASSERT_OK(engine_->RunRetention());
  EXPECT_EQ(Datas(ReadShard("r", kShard0)), V{"young"});
}

TEST_F(RetentionTest, LongerRetentionKeepsRecordsAndShorterHidesThem) {
  CreateStream("r", 1);
  ASSERT_OK(engine_->IncreaseRetentionPeriod("r", 48));
  Put("r", "k", "a");
  clock_->AdvanceMillis(30 * kHourMs);
  Put("r", "k", "b");
  ASSERT_OK(engine_->RunRetention());
  EXPECT_EQ(Datas(ReadShard("r", kShard0)), (V{"a", "b"}));
  ASSERT_OK(engine_->DecreaseRetentionPeriod("r", 24));
  EXPECT_EQ(Datas(ReadShard("r", kShard0)), V{"b"});
}

TEST_F(RetentionTest, RunRetentionReclaimsDisk) {
  CreateStream("big", 2);
  WriteRandom("big", 8);
  ASSERT_OK(engine_->Flush());
  const uint64_t before = engine_->DiskUsageBytes();
  EXPECT_GT(before, 30u << 20) << "32 MiB of random data should be on disk";

  clock_->AdvanceMillis(26 * kHourMs);
  Put("big", "k", "fresh");
  ASSERT_OK(engine_->RunRetention());
  ASSERT_OK(engine_->Flush());
  const uint64_t after = engine_->DiskUsageBytes();
  EXPECT_LT(after, before / 4) << "before " << before << " after " << after;
  EXPECT_EQ(ReadAllData("big"), V{"fresh"});
  Reopen();  // expired data does not reappear after a reopen
  EXPECT_EQ(ReadAllData("big"), V{"fresh"});
}

TEST_F(RetentionTest, RunRetentionReclaimsDiskNextToALongRetentionStream) {
  // "keep" writes into the same time window with 7-day retention: reclaiming "big" must not
  // depend on every stream of the window expiring.
  CreateStream("big", 2);
  CreateStream("keep", 1);
  ASSERT_OK(engine_->IncreaseRetentionPeriod("keep", 168));
  Put("keep", "k", "kept");
  WriteRandom("big", 8);
  ASSERT_OK(engine_->Flush());
  const uint64_t before = engine_->DiskUsageBytes();
  EXPECT_GT(before, 30u << 20);
  clock_->AdvanceMillis(26 * kHourMs);
  ASSERT_OK(engine_->RunRetention());
  ASSERT_OK(engine_->Flush());
  const uint64_t after = engine_->DiskUsageBytes();
  EXPECT_LT(after, before / 4) << "before " << before << " after " << after;
  EXPECT_TRUE(ReadAllData("big").empty());
  EXPECT_EQ(Datas(ReadShard("keep", kShard0)), V{"kept"});
  Reopen();
  EXPECT_TRUE(ReadAllData("big").empty());
  EXPECT_EQ(Datas(ReadShard("keep", kShard0)), V{"kept"});
}

TEST_F(RetentionTest, ClosedShardsPastRetentionAreNoLongerListed) {
  CreateStream("x", 1);
  Put("x", "k", "parent-data");
  ASSERT_OK(engine_->SplitShard("x", kShard0, Pow2(127)));
  clock_->AdvanceMillis(23 * kHourMs);
  ASSERT_OK(engine_->RunRetention());
  EXPECT_EQ(Shards("x").size(), 3u);  // still within retention: parent listed and readable
  EXPECT_EQ(Datas(ReadShard("x", kShard0)), V{"parent-data"});
  clock_->AdvanceMillis(2 * kHourMs);
  ASSERT_OK(engine_->RunRetention());
  const auto shards = Shards("x");
  ASSERT_EQ(shards.size(), 2u);
  EXPECT_EQ(shards[0].shard_id, "shardId-000000000001");
  EXPECT_EQ(shards[1].shard_id, "shardId-000000000002");
  EXPECT_EQ(shards[0].parent_shard_id, kShard0);  // lineage keeps naming the expired parent
  StreamInfo info;
  ASSERT_OK(engine_->DescribeStream("x", &info));
  EXPECT_EQ(info.open_shard_count, 2);
  // Expired shards stop counting against the shard limit, and stay gone after reopen.
  StreamLimits limits;
  ASSERT_OK(engine_->DescribeLimits(&limits));
  EXPECT_EQ(limits.open_shard_count, 2);
  Reopen();
  EXPECT_EQ(Shards("x").size(), 2u);
}

}  // namespace
}  // namespace tidelog::testing
