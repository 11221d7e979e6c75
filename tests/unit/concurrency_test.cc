// Concurrency rule: with 8 writer threads appending (sync and async APIs) while a SplitShard and
// then a MergeShards run, every acknowledged record is read back exactly once, and each key's
// records keep their order across parent and child shards.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine_test_util.h"

namespace tidelog::testing {
namespace {

constexpr int kWriters = 8;
constexpr int kKeysPerWriter = 16;
constexpr int kBatchesPerWriter = 120;
constexpr int kBatchSize = 20;

class ConcurrencyTest : public EngineTest {};

TEST_F(ConcurrencyTest, EveryAckedRecordOnceAndInKeyOrderAcrossSplitAndMerge) {
  Open();
  CreateStream("c", 2);
  std::atomic<int> batches_done{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::condition_variable cv;
  std::string first_error;
  // acked[key] = number of records of `key` acknowledged; counters are 0..acked-1 in order.
  std::vector<std::map<std::string, int>> acked(kWriters);

  auto writer = [&](int w) {
    std::vector<int> next(kKeysPerWriter, 0);
    for (int b = 0; b < kBatchesPerWriter && !failed; ++b) {
      std::vector<std::string> keys, datas;
      std::vector<int> key_ix;
      for (int i = 0; i < kBatchSize; ++i) {
        const int k = (b * 7 + i * 3) % kKeysPerWriter;
        keys.push_back("w" + std::to_string(w) + "-k" + std::to_string(k));
        datas.push_back(keys.back() + "#" + std::to_string(next[k]++));
        key_ix.push_back(k);
      }
      std::vector<PutRecordEntry> entries;
      for (int i = 0; i < kBatchSize; ++i) entries.push_back({keys[i], datas[i], std::nullopt});
      Status s;
      std::vector<PutRecordResult> results;
      if (w % 4 == 3) {  // a quarter of the writers use the async API
        // Shared so a late callback after a timeout still has a live promise.
        auto p = std::make_shared<std::promise<std::pair<Status, std::vector<PutRecordResult>>>>();
        auto f = p->get_future();
        engine_->PutRecordsAsync("c", entries, [p](Status st, std::vector<PutRecordResult> rs) {
          p->set_value({std::move(st), std::move(rs)});
        });
        if (f.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
          std::lock_guard<std::mutex> l(mu);
          first_error = "PutRecordsAsync callback did not run within 60 s";
          failed = true;
          break;
        }
        std::tie(s, results) = f.get();
      } else {
        s = engine_->PutRecords("c", entries, &results);
      }
      bool batch_ok = s.ok() && results.size() == entries.size();
      for (size_t i = 0; batch_ok && i < results.size(); ++i) batch_ok = results[i].status.ok();
      if (!batch_ok) {
        std::lock_guard<std::mutex> l(mu);
        if (first_error.empty()) {
          first_error =
              !s.ok() ? s.ToString() : "a record failed in batch of writer " + std::to_string(w);
        }
        failed = true;
        break;
      }
      for (int i = 0; i < kBatchSize; ++i) acked[w][keys[i]]++;
      {
        std::lock_guard<std::mutex> l(mu);
        batches_done++;
      }
      cv.notify_all();
    }
    cv.notify_all();
  };

  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) threads.emplace_back(writer, w);

  auto wait_for_batches = [&](int n) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::seconds(120),
                       [&] { return batches_done >= n || failed.load(); });
  };
  const int total_batches = kWriters * kBatchesPerWriter;
  // shard 0 = [0, 2^127-1], shard 1 = [2^127, max]. Split 0 -> 2, 3; merge 3 + 1 -> 4.
  Status split, merge;
  if (wait_for_batches(total_batches / 4)) {
    split = engine_->SplitShard("c", "shardId-000000000000", Pow2(126));
  }
  if (wait_for_batches(total_batches / 2)) {
    merge = engine_->MergeShards("c", "shardId-000000000003", "shardId-000000000001");
  }
  for (auto& t : threads) t.join();
  ASSERT_FALSE(failed) << first_error;
  ASSERT_OK(split);
  ASSERT_OK(merge);
  ASSERT_EQ(batches_done.load(), total_batches);

  // Read every shard, parents before children (ids grow along lineage).
  std::map<std::string, std::vector<int>> seen;  // key -> counters in read order
  std::set<std::string> seqs;
  size_t total = 0;
  for (const auto& shard : Shards("c")) {
    const auto recs = ReadShard("c", shard.shard_id);
    for (size_t i = 0; i < recs.size(); ++i) {
      const auto& r = recs[i];
      if (i > 0) {
        ASSERT_TRUE(r.sequence_number > recs[i - 1].sequence_number) << shard.shard_id;
      }
      ASSERT_TRUE(seqs.insert(Dec(r.sequence_number)).second) << "duplicate seq";
      const auto hash = r.data.find('#');
      ASSERT_NE(hash, std::string::npos);
      ASSERT_EQ(r.data.substr(0, hash), r.partition_key);
      seen[r.partition_key].push_back(std::stoi(r.data.substr(hash + 1)));
      ++total;
    }
  }
  EXPECT_EQ(total, static_cast<size_t>(total_batches * kBatchSize));
  int keys_checked = 0;
  for (int w = 0; w < kWriters; ++w) {
    for (const auto& [key, n] : acked[w]) {
      const auto& got = seen[key];
      std::vector<int> want(n);
      for (int i = 0; i < n; ++i) want[i] = i;
      EXPECT_EQ(got, want) << "key " << key;
      ++keys_checked;
    }
  }
  EXPECT_EQ(keys_checked, kWriters * kKeysPerWriter);
  const auto shards = Shards("c");
  ASSERT_EQ(shards.size(), 5u);
  // The reshards really happened while data flowed: every shard holds records.
  for (const auto& shard : shards) {
    EXPECT_FALSE(ReadShard("c", shard.shard_id).empty()) << shard.shard_id;
  }
}

}  // namespace
}  // namespace tidelog::testing
