// GroupCommitter: jobs run in submission order, concurrent submitters share
// groups (one write, one fsync), and a job sees the outcome of its own write.
#include "storage/group_committer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "storage/sequence.h"

namespace tidelog::storage {
namespace {

class CountingJob final : public CommitJob {
 public:
  CountingJob(std::vector<int>* order, int id, std::promise<rocksdb::Status> done)
      : order_(order), id_(id), done_(std::move(done)) {}
  void Prepare(LogStore* store, LogBatch* batch) override {
    order_->push_back(id_);  // committer thread only: no lock needed
    std::shared_ptr<Segment> seg;
    ASSERT_TRUE(store->SegmentFor(1'000, 60'000, &seg).ok());
    // A shard's seqs increase in the order records are put.
    batch->PutRecord(seg, 1, MakeSeq(1'000, order_->size()), "v");
  }
  void Complete(const rocksdb::Status& s) override { done_.set_value(s); }

 private:
  std::vector<int>* order_;
  int id_;
  std::promise<rocksdb::Status> done_;
};

TEST(GroupCommitterTest, RunsInOrderAndMergesConcurrentJobs) {
  auto dir = std::filesystem::temp_directory_path() / ("tidelog-gc-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    std::unique_ptr<LogStore> store;
    LogStoreOptions o;
    o.dir = dir.string();
    ASSERT_TRUE(LogStore::Open(o, &store).ok());
    std::vector<int> order;
    constexpr int kThreads = 8, kPerThread = 200;
    {
      GroupCommitter committer(store.get(), /*sync=*/true, 1 << 20);
      std::vector<std::thread> threads;
      std::atomic<int> failures{0};
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
          for (int i = 0; i < kPerThread; ++i) {
            std::promise<rocksdb::Status> p;
            auto f = p.get_future();
            committer.Submit(
                std::make_unique<CountingJob>(&order, t * kPerThread + i, std::move(p)));
            if (!f.get().ok()) failures++;
          }
        });
      }
      for (auto& th : threads) th.join();
      EXPECT_EQ(failures.load(), 0);
      // 1600 synced jobs from 8 concurrent submitters must share fsyncs.
      EXPECT_LT(committer.groups_written(), static_cast<uint64_t>(kThreads * kPerThread));
    }
    ASSERT_EQ(order.size(), static_cast<size_t>(kThreads * kPerThread));
    // Per submitting thread, jobs ran in submission order.
    std::vector<int> last(kThreads, -1);
    for (int id : order) {
      int t = id / kPerThread;
      EXPECT_GT(id, last[t]);
      last[t] = id;
    }
    int count = 0;
    ASSERT_TRUE(store
                    ->ReadShard(1, 0, UINT64_MAX,
                                [&](uint64_t, std::string_view) {
                                  ++count;
                                  return true;
                                })
                    .ok());
    EXPECT_EQ(count, kThreads * kPerThread);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tidelog::storage
