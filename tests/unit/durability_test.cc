// Durability modes and scale: sync and async acknowledgement both persist across reopen, the
// async API calls back exactly once, and 10,000 shards can be created and recovered.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "engine_test_util.h"

namespace tidelog::testing {
namespace {

class DurabilityTest : public EngineTest, public ::testing::WithParamInterface<Durability> {};

TEST_P(DurabilityTest, AcknowledgedRecordsSurviveReopen) {
  EngineOptions o = DefaultOptions();
  o.durability = GetParam();
  Open(o);
  CreateStream("d", 3);
  std::vector<std::string> keys, datas;
  for (int i = 0; i < 300; ++i) {
    keys.push_back("key" + std::to_string(i % 17));
    datas.push_back("rec" + std::to_string(i));
  }
  // 100 single puts, 100 in one batch, 100 in async batches of 10.
  for (int i = 0; i < 100; ++i) Put("d", keys[i], datas[i]);
  std::vector<PutRecordEntry> batch;
  for (int i = 100; i < 200; ++i) batch.push_back({keys[i], datas[i], std::nullopt});
  std::vector<PutRecordResult> results;
  ASSERT_OK(engine_->PutRecords("d", batch, &results));
  for (const auto& r : results) ASSERT_TRUE(r.status.ok());
  std::vector<std::future<Status>> futures;
  auto calls = std::make_shared<std::atomic<int>>(0);
  for (int b = 0; b < 10; ++b) {
    std::vector<PutRecordEntry> entries;
    for (int i = 200 + b * 10; i < 210 + b * 10; ++i) {
      entries.push_back({keys[i], datas[i], std::nullopt});
    }
    auto p = std::make_shared<std::promise<Status>>();
    futures.push_back(p->get_future());
    engine_->PutRecordsAsync("d", entries, [p, calls](Status s, std::vector<PutRecordResult> rs) {
      calls->fetch_add(1);
      if (s.ok() && rs.size() != 10) s = Status::Internal("size");
      for (const auto& r : rs) {
        if (s.ok() && !r.status.ok()) s = r.status;
      }
      p->set_value(s);
    });
  }
  for (auto& f : futures) {
    ASSERT_EQ(f.wait_for(std::chrono::seconds(60)), std::future_status::ready);
    ASSERT_OK(f.get());
  }
  Reopen();
  EXPECT_EQ(calls->load(), 10);  // exactly once each, none after close
  std::multiset<std::string> got;
  for (const auto& r : ReadStream("d")) got.insert(r.record.data);
  EXPECT_EQ(got, std::multiset<std::string>(datas.begin(), datas.end()));
}

TEST_P(DurabilityTest, AsyncPutToUnknownStreamFailsThroughCallback) {
  EngineOptions o = DefaultOptions();
  o.durability = GetParam();
  Open(o);
  PutRecordEntry e{"k", "v", std::nullopt};
  auto p = std::make_shared<std::promise<Status>>();
  auto f = p->get_future();
  engine_->PutRecordsAsync("missing", std::span(&e, 1),
                           [p](Status s, std::vector<PutRecordResult>) { p->set_value(s); });
  ASSERT_EQ(f.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_TRUE(StatusIs(f.get(), ErrorCode::kResourceNotFound, NotFoundMessage("missing")));
}

INSTANTIATE_TEST_SUITE_P(Modes, DurabilityTest,
                         ::testing::Values(Durability::kSync, Durability::kAsync),
                         [](const auto& info) {
                           return info.param == Durability::kSync ? "Sync" : "Async";
                         });

class ScaleTest : public EngineTest {};

TEST_F(ScaleTest, TenThousandShardsCreateAndReopen) {
  Open();
  const auto t0 = std::chrono::steady_clock::now();
  for (int s = 0; s < 20; ++s) CreateStream("scale" + std::to_string(100 + s), 500);
  StreamLimits limits;
  ASSERT_OK(engine_->DescribeLimits(&limits));
  EXPECT_EQ(limits.open_shard_count, 10000);
  Put("scale119", "k", "v");
  const auto t1 = std::chrono::steady_clock::now();
  Reopen();
  const auto t2 = std::chrono::steady_clock::now();
  ASSERT_OK(engine_->DescribeLimits(&limits));
  EXPECT_EQ(limits.open_shard_count, 10000);
  std::vector<StreamInfo> streams;
  ASSERT_OK(engine_->ListStreams(&streams));
  ASSERT_EQ(streams.size(), 20u);
  size_t shards = 0;
  for (const auto& s : streams) shards += Shards(s.stream_name).size();
  EXPECT_EQ(shards, 10000u);
  EXPECT_EQ(ReadStream("scale119").size(), 1u);
  const auto ms = [](auto d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  // Only a loose sanity bound (a hang or quadratic blow-up), not a performance assertion.
  EXPECT_LT(ms(t2 - t1), 120'000);
  RecordProperty("create_ms", static_cast<int>(ms(t1 - t0)));
  RecordProperty("reopen_ms", static_cast<int>(ms(t2 - t1)));
  std::printf("10000 shards: create %lld ms, reopen %lld ms\n", static_cast<long long>(ms(t1 - t0)),
              static_cast<long long>(ms(t2 - t1)));
}

}  // namespace
}  // namespace tidelog::testing
