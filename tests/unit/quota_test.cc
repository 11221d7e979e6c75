// Throughput quota rules: per-shard write limits reject individual records of a batch, buckets
// refill as the (manual) clock moves, GetRecords call limits, per-stream overrides and the global
// switch.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine_test_util.h"

namespace tidelog::testing {
namespace {

constexpr char kShard0[] = "shardId-000000000000";

class QuotaTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    EngineOptions o = DefaultOptions();
    o.quotas_enabled = true;
    Open(o);
  }

  // Puts `n` records of `size` data bytes with key "k" in one PutRecords; returns the results.
  std::vector<PutRecordResult> Batch(const std::string& stream, int n, size_t size,
                                     std::string tag = "") {
    datas_.clear();
    for (int i = 0; i < n; ++i) datas_.push_back(tag + std::to_string(i) + std::string(size, 'x'));
    std::vector<PutRecordEntry> entries;
    for (const auto& d : datas_) entries.push_back({"k", d, std::nullopt});
    std::vector<PutRecordResult> results;
    const Status s = engine_->PutRecords(stream, entries, &results);
    EXPECT_TRUE(s.ok()) << s.ToString();  // throttling never fails the whole call
    EXPECT_EQ(results.size(), static_cast<size_t>(n));
    return results;
  }

  static int Succeeded(const std::vector<PutRecordResult>& rs) {
    int n = 0;
    for (const auto& r : rs) n += r.status.ok();
    return n;
  }

  std::vector<std::string> datas_;
};

TEST_F(QuotaTest, WriteBytesLimitRejectsSomeRecordsOfABatch) {
  CreateStream("w", 1);
  // 500 records x ~3000 bytes = ~1.5 MB, over the 1 MiB/s shard write limit.
  const auto results = Batch("w", 500, 3000);
  const int ok = Succeeded(results);
  EXPECT_GT(ok, 0);
  EXPECT_LT(ok, 500);
  EXPECT_LE(ok * 3004, 2 * 1024 * 1024);  // no more than a second's worth plus burst
  std::vector<std::string> acked;
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].status.ok()) {
      acked.push_back(datas_[i]);
    } else {
      EXPECT_EQ(results[i].status.code(), ErrorCode::kProvisionedThroughputExceeded);
      EXPECT_NE(results[i].status.message().find("Rate exceeded"), std::string::npos)
          << results[i].status.message();
    }
  }
  // Exactly the successful records are stored.
  std::vector<std::string> got;
  for (const auto& r : ReadShard("w", kShard0)) got.push_back(r.data);
  EXPECT_EQ(got, acked);
}

TEST_F(QuotaTest, WriteRecordsLimitRefillsWithTheClock) {
  CreateStream("r", 1);
  EXPECT_EQ(Succeeded(Batch("r", 500, 1)), 500);
  EXPECT_EQ(Succeeded(Batch("r", 500, 1)), 500);
  // 1000 records in the same instant: the 1000 records/s budget is spent.
  EXPECT_EQ(Succeeded(Batch("r", 500, 1)), 0);
  PutRecordEntry e{"k", "single", std::nullopt};
  PutRecordResult single;
  const Status s = engine_->PutRecord("r", e, std::nullopt, &single);
  EXPECT_TRUE(StatusIs(s.ok() ? single.status : s, ErrorCode::kProvisionedThroughputExceeded));
  clock_->AdvanceMillis(500);
  const int half = Succeeded(Batch("r", 500, 1));
  EXPECT_GE(half, 400);
  EXPECT_LE(half, 600);
  clock_->AdvanceMillis(2000);
  EXPECT_EQ(Succeeded(Batch("r", 500, 1)), 500);
}

TEST_F(QuotaTest, LimitsArePerShard) {
  CreateStream("p", 2);
  const auto shards = Shards("p");
  std::vector<PutRecordEntry> entries;
  for (int i = 0; i < 500; ++i) {
    entries.push_back({"k", "d", shards[i % 2].hash_key_range.starting_hash_key});
  }
  std::vector<PutRecordResult> results;
  for (int round = 0; round < 4; ++round) {  // 1000 records per shard
    ASSERT_OK(engine_->PutRecords("p", entries, &results));
    EXPECT_EQ(Succeeded(results), 500) << round;
  }
  ASSERT_OK(engine_->PutRecords("p", entries, &results));
  EXPECT_EQ(Succeeded(results), 0);
}

TEST_F(QuotaTest, GetRecordsCallLimitAndRefill) {
  CreateStream("g", 1);
  Put("g", "k", "v");
  std::string it = Iterator("g", kShard0, ShardIteratorType::kTrimHorizon);
  GetRecordsResult res;
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(engine_->GetRecords(it, 100, &res));
    it = res.next_shard_iterator;
  }
  EXPECT_TRUE(
      StatusIs(engine_->GetRecords(it, 100, &res), ErrorCode::kProvisionedThroughputExceeded));
  clock_->AdvanceMillis(1000);
  EXPECT_OK(engine_->GetRecords(it, 100, &res));
}

TEST_F(QuotaTest, PerStreamOverrideAndUnlimited) {
  CreateStreamRequest req;
  req.stream_name = "o";
  req.shard_count = 1;
  req.quota_override = ShardQuota{0, 10, 0, 0};  // 10 records/s, bytes and reads unlimited
  ASSERT_OK(engine_->CreateStream(req));
  StreamInfo info;
  ASSERT_OK(engine_->DescribeStream("o", &info));
  ASSERT_TRUE(info.quota_override.has_value());
  EXPECT_EQ(*info.quota_override, (ShardQuota{0, 10, 0, 0}));
  EXPECT_EQ(Succeeded(Batch("o", 25, 1)), 10);

  ASSERT_OK(engine_->SetStreamQuota("o", ShardQuota::Unlimited()));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(Succeeded(Batch("o", 500, 4000)), 500);  // ~12 MB, 3000
  std::string it = Iterator("o", kShard0, ShardIteratorType::kLatest);
  GetRecordsResult res;
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK(engine_->GetRecords(it, 1, &res)) << "call " << i;
    it = res.next_shard_iterator;
  }

  ASSERT_OK(engine_->SetStreamQuota("o", std::nullopt));  // back to the engine default
  ASSERT_OK(engine_->DescribeStream("o", &info));
  EXPECT_FALSE(info.quota_override.has_value());
  clock_->AdvanceMillis(2000);
  EXPECT_EQ(Succeeded(Batch("o", 500, 1)), 500);
  EXPECT_EQ(Succeeded(Batch("o", 500, 1)), 500);
  EXPECT_EQ(Succeeded(Batch("o", 500, 1)), 0);
}

TEST_F(QuotaTest, EngineDefaultQuotaIsConfigurable) {
  EngineOptions o = DefaultOptions();
  o.quotas_enabled = true;
  o.default_quota = ShardQuota{0, 3, 0, 2};
  Open(o);
  CreateStream("d", 1);
  EXPECT_EQ(Succeeded(Batch("d", 10, 1)), 3);
  std::string it = Iterator("d", kShard0, ShardIteratorType::kTrimHorizon);
  GetRecordsResult res;
  ASSERT_OK(engine_->GetRecords(it, 100, &res));
  ASSERT_OK(engine_->GetRecords(res.next_shard_iterator, 100, &res));
  EXPECT_TRUE(StatusIs(engine_->GetRecords(res.next_shard_iterator, 100, &res),
                       ErrorCode::kProvisionedThroughputExceeded));
}

TEST_F(QuotaTest, DisabledQuotasNeverThrottle) {
  EngineOptions o = DefaultOptions();
  o.quotas_enabled = false;
  Open(o);
  CreateStream("n", 1);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(Succeeded(Batch("n", 500, 3000)), 500);
  std::string it = Iterator("n", kShard0, ShardIteratorType::kTrimHorizon);
  GetRecordsResult res;
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK(engine_->GetRecords(it, 10, &res)) << "call " << i;
    it = res.next_shard_iterator;
  }
}

}  // namespace
}  // namespace tidelog::testing
