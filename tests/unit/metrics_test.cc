// Engine::CollectMetrics: the CloudWatch counters per stream and per shard
// (IncomingBytes/Records, throttles, GetRecords and SubscribeToShard figures,
// latencies), iterator age with its one-minute window, stored bytes, and the
// store's group-commit figures, all against what the test itself did.
#include "tidelog/metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "engine_test_util.h"

namespace tidelog::testing {
namespace {

class MetricsTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    EngineOptions o = DefaultOptions();
    o.quotas_enabled = true;
    Open(o);
  }

  EngineMetrics Collect() {
    EngineMetrics m;
    EXPECT_OK(engine_->CollectMetrics(&m));
    return m;
  }

  static const StreamMetrics* Find(const EngineMetrics& m, const std::string& name) {
    for (const auto& s : m.streams)
      if (s.stream_name == name) return &s;
    return nullptr;
  }

  static uint64_t Sum(const HistogramSnapshot& h) {
    uint64_t n = 0;
    for (uint64_t c : h.counts) n += c;
    return n;
  }
};

TEST_F(MetricsTest, PutsCountStoredRecordsAndThrottledOnesApart) {
  CreateStream("m", 1);
  // 1500 records of 2 bytes with key "k" in three calls: the shard takes
  // 1000 records/s (plus no burst past a second's worth), the rest throttled.
  std::vector<std::string> datas(500, "ab");
  std::vector<PutRecordEntry> entries;
  for (const auto& d : datas) entries.push_back({"k", d, std::nullopt});
  uint64_t ok = 0, throttled = 0;
  for (int call = 0; call < 3; ++call) {
    std::vector<PutRecordResult> results;
    ASSERT_OK(engine_->PutRecords("m", entries, &results));
    for (const auto& r : results) (r.status.ok() ? ok : throttled)++;
  }
  ASSERT_GT(throttled, 0u) << "the test needs some throttling";
  ASSERT_GT(ok, 0u);
  clock_->AdvanceMillis(2000);  // the buckets refill
  Put("m", "key", "hello");     // one PutRecord

  const EngineMetrics m = Collect();
  const StreamMetrics* s = Find(m, "m");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->traffic.incoming_records, ok + 1);
  EXPECT_EQ(s->traffic.incoming_bytes, ok * 3 + 8);  // data + partition key
  EXPECT_EQ(s->traffic.write_throttled_records, throttled);
  EXPECT_EQ(s->put_records_successful_records, ok);
  EXPECT_EQ(s->put_records_throttled_records, throttled);
  EXPECT_EQ(s->put_records_failed_records, 0u);
  EXPECT_EQ(s->put_record_success, 1u);
  EXPECT_EQ(s->put_records_latency_us.count, 3u);
  EXPECT_EQ(Sum(s->put_records_latency_us), 3u);
  EXPECT_EQ(s->put_record_latency_us.count, 1u);
  ASSERT_EQ(s->shards.size(), 1u);
  EXPECT_EQ(s->shards[0].traffic.incoming_records, ok + 1);
  EXPECT_EQ(s->shards[0].traffic.write_throttled_records, throttled);
  EXPECT_EQ(s->open_shard_count, 1);
  EXPECT_GT(m.store.group_commits, 0u);
  EXPECT_EQ(m.store.jobs_per_group.count, m.store.group_commits);
  EXPECT_EQ(m.store.group_write_us.count, m.store.group_commits);
}

TEST_F(MetricsTest, ReadsCountOutgoingRecordsIteratorAgeAndReadThrottles) {
  CreateStream("r", 2);
  // Ten records on each shard by explicit hash key, a second apart.
  for (int i = 0; i < 10; ++i) {
    Put("r", "a", "0123456789", u128{0});
    Put("r", "b", "0123456789", kMaxHashKey);
    clock_->AdvanceMillis(1000);
  }
  // Read shard 0 in pages of 4: the first pages stop early (age > 0).
  std::string it = Iterator("r", "shardId-000000000000", ShardIteratorType::kTrimHorizon);
  GetRecordsResult page;
  ASSERT_OK(engine_->GetRecords(it, 4, &page));
  ASSERT_EQ(page.records.size(), 4u);
  EXPECT_GT(page.millis_behind_latest, 0);
  EngineMetrics m = Collect();
  const StreamMetrics* s = Find(m, "r");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->traffic.outgoing_records, 4u);
  EXPECT_EQ(s->traffic.outgoing_bytes, 4u * 11);  // data and key, as GetRecords counts bytes
  EXPECT_EQ(s->get_records_success, 1u);
  EXPECT_EQ(s->get_records_records, 4u);
  EXPECT_EQ(s->iterator_age_ms, page.millis_behind_latest);
  EXPECT_EQ(s->shards[0].iterator_age_ms, page.millis_behind_latest);
  EXPECT_EQ(s->shards[1].iterator_age_ms, 0);
  EXPECT_EQ(s->get_records_latency_us.count, 1u);

  // Past a minute without reads, the age no longer counts.
  clock_->AdvanceMillis(61'000);
  m = Collect();
  EXPECT_EQ(Find(m, "r")->iterator_age_ms, 0);

  // Six GetRecords in the same instant: the 5 calls/s quota refuses one.
  it = Iterator("r", "shardId-000000000001", ShardIteratorType::kLatest);
  int refused = 0;
  for (int i = 0; i < 6; ++i) {
    GetRecordsResult r;
    Status st = engine_->GetRecords(it, 10, &r);
    if (!st.ok()) ++refused;
  }
  ASSERT_EQ(refused, 1);
  m = Collect();
  EXPECT_EQ(Find(m, "r")->traffic.read_throttled_calls, 1u);
  EXPECT_EQ(Find(m, "r")->shards[1].traffic.read_throttled_calls, 1u);
}

TEST_F(MetricsTest, EnhancedMonitoringListsShardLevelMetricsAndStoredBytesGrow) {
  CreateStream("e", 1);
  std::vector<std::string> current, desired;
  ASSERT_OK(engine_->EnableEnhancedMonitoring("e", {"IncomingBytes", "IteratorAgeMilliseconds"},
                                              &current, &desired));
  const std::string data(4000, 'z');
  for (int i = 0; i < 50; ++i) {
    Put("e", "k" + std::to_string(i), data);
    clock_->AdvanceMillis(10);
  }
  ASSERT_OK(engine_->Flush());
  const EngineMetrics m = Collect();
  const StreamMetrics* s = Find(m, "e");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->shard_level_metrics,
            (std::vector<std::string>{"IncomingBytes", "IteratorAgeMilliseconds"}));
  // 200 KB of data, compressible: stored as something, never more than ~2x.
  EXPECT_GT(s->stored_bytes, 0u);
  EXPECT_LT(s->stored_bytes, 2u * 50 * 4000);
  EXPECT_EQ(s->stored_bytes, s->shards[0].stored_bytes);
}

TEST_F(MetricsTest, CountersSurviveASplitAndTheStreamsTotalsKeepClosedShards) {
  CreateStream("s", 1);
  for (int i = 0; i < 20; ++i) Put("s", "k" + std::to_string(i), "x");
  std::vector<ShardInfo> shards = OpenShards("s");
  ASSERT_OK(engine_->SplitShard("s", shards[0].shard_id, Pow2(127)));
  for (int i = 0; i < 20; ++i) Put("s", "k" + std::to_string(i), "y");
  const EngineMetrics m = Collect();
  const StreamMetrics* s = Find(m, "s");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->traffic.incoming_records, 40u);
  ASSERT_EQ(s->shards.size(), 3u);
  EXPECT_FALSE(s->shards[0].open);
  EXPECT_EQ(s->shards[0].traffic.incoming_records, 20u);
  EXPECT_EQ(s->shards[1].traffic.incoming_records + s->shards[2].traffic.incoming_records, 20u);
  EXPECT_EQ(s->open_shard_count, 2);
}

// Collections race with writers, a reader and resharding (run under
// ThreadSanitizer too): every acknowledged record is counted exactly once.
TEST_F(MetricsTest, CollectingUnderLoadCountsEveryAcknowledgedRecordOnce) {
  // No quotas: every record is acknowledged.
  EngineOptions o = DefaultOptions();
  o.quotas_enabled = false;
  Open(o);
  CreateStream("load", 2);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> acked{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 200; ++i) {
        std::vector<std::string> keys;
        for (int j = 0; j < 10; ++j)
          keys.push_back(std::to_string(w) + "-" + std::to_string(i * 10 + j));
        std::vector<PutRecordEntry> entries;
        for (const auto& k : keys) entries.push_back({k, "data", std::nullopt});
        std::vector<PutRecordResult> results;
        if (!engine_->PutRecords("load", entries, &results).ok()) continue;
        for (const auto& r : results) acked.fetch_add(r.status.ok() ? 1 : 0);
      }
    });
  }
  threads.emplace_back([&] {
    uint64_t collections = 0;
    while (!stop.load() || collections < 10) {
      EngineMetrics m;
      EXPECT_OK(engine_->CollectMetrics(&m));
      ++collections;
    }
  });
  EXPECT_OK(engine_->SplitShard("load", "shardId-000000000000", Pow2(126)));
  EXPECT_OK(engine_->MergeShards("load", "shardId-000000000002", "shardId-000000000003"));
  for (size_t i = 0; i < 2; ++i) threads[i].join();
  stop.store(true);
  threads[2].join();
  const EngineMetrics m = Collect();
  const StreamMetrics* s = Find(m, "load");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->traffic.incoming_records, acked.load());
  uint64_t per_shard = 0;
  for (const auto& sh : s->shards) per_shard += sh.traffic.incoming_records;
  EXPECT_EQ(per_shard, acked.load());
  EXPECT_EQ(s->put_records_success, 400u);
}

}  // namespace
}  // namespace tidelog::testing
