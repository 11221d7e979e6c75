// LogStore's in-place reopen: a write error RocksDB 7.8 cannot resume (EIO on
// the WAL is fatal to the instance) makes the store close and reopen RocksDB
// by itself, on its resumer thread, while callers keep running. Everything
// acknowledged before stays readable, a Segment held across the reopen keeps
// working, readers running meanwhile never crash, and writes succeed again
// without a restart. A reopen that fails (the disk still failing) leaves the
// store closed, answering every call with an error, until a later attempt
// succeeds.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/log_store.h"
#include "storage/sequence.h"
#include "tests/support/fault_injection_fs.h"

namespace tidelog::storage {
namespace {

using tidelog::testing::FaultError;
using tidelog::testing::FaultInjectionFileSystem;
using tidelog::testing::FaultOp;
using tidelog::testing::FileClass;

constexpr int64_t kWindowMs = 3600 * 1000;
constexpr int64_t kBaseMs = 1'700'000'400'000'000 / 1000 / kWindowMs * kWindowMs;
constexpr uint64_t kShard = 7;
constexpr uint32_t kEveryCall =
    (1u << static_cast<int>(FaultOp::kCreate)) | (1u << static_cast<int>(FaultOp::kWrite)) |
    (1u << static_cast<int>(FaultOp::kSync)) | (1u << static_cast<int>(FaultOp::kRename)) |
    (1u << static_cast<int>(FaultOp::kDirSync));

class ReopenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("tidelog-reopen-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    fs_ = std::make_shared<FaultInjectionFileSystem>();
    env_ = FaultInjectionFileSystem::NewEnv(fs_);
    LogStoreOptions o;
    o.dir = (root_ / "db").string();
    o.block_cache_bytes = 1 << 20;
    o.write_buffer_bytes = 1 << 20;
    o.min_free_bytes = 0;
    o.env = env_.get();
    o.log_sink = [this](LogLevel, std::string_view line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.emplace_back(line);
    };
    ASSERT_TRUE(LogStore::Open(o, &store_).ok());
    ASSERT_TRUE(store_->SegmentFor(kBaseMs + 1000, kWindowMs, &segment_).ok());
  }
  void TearDown() override {
    segment_.reset();
    store_.reset();
    std::filesystem::remove_all(root_);
  }

  // Writes `n` records synced; true if acknowledged (then they are in acked_).
  bool Append(int n) {
    LogBatch batch = store_->NewBatch();
    std::map<uint64_t, std::string> pending;
    for (int i = 0; i < n; ++i) {
      const uint64_t seq = MakeSeq(kBaseMs + 1000 + next_, 0);
      ++next_;
      pending[seq] = "record " + std::to_string(seq) + std::string(200, 'r');
    }
    for (const auto& [seq, value] : pending) batch.PutRecord(segment_, kShard, seq, value);
    batch.PutMeta("last", std::to_string(next_));
    if (!store_->Write(&batch, /*sync=*/true).ok()) return false;
    acked_.merge(pending);
    return true;
  }

  // Every acknowledged record is there, once, with its value.
  void ExpectAcknowledgedReadable() {
    std::map<uint64_t, std::string> got;
    rocksdb::Status s =
        store_->ReadShard(kShard, 0, UINT64_MAX, [&](uint64_t seq, std::string_view v) {
          EXPECT_TRUE(got.emplace(seq, std::string(v)).second) << seq << " read twice";
          return true;
        });
    ASSERT_TRUE(s.ok()) << s.ToString();
    for (const auto& [seq, value] : acked_) {
      auto it = got.find(seq);
      ASSERT_TRUE(it != got.end()) << "acknowledged " << seq << " lost";
      EXPECT_EQ(it->second, value);
    }
  }

  // Polls (bounded) until the store has reopened `n` times and writes again.
  bool WaitForReopens(uint64_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (store_->reopens() >= n && !store_->degraded()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling, not synchronising
    }
    return false;
  }

  bool Logged(std::string_view what) {
    std::lock_guard<std::mutex> lock(log_mu_);
    for (const auto& line : log_) {
      if (line.find(what) != std::string::npos) return true;
    }
    return false;
  }

  std::filesystem::path root_;
  std::shared_ptr<FaultInjectionFileSystem> fs_;
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<LogStore> store_;
  std::shared_ptr<Segment> segment_;  // held across reopens, as a batch being built holds one
  std::map<uint64_t, std::string> acked_;
  uint64_t next_ = 0;
  std::mutex log_mu_;
  std::vector<std::string> log_;  // guarded by log_mu_
};

TEST_F(ReopenTest, FatalWalErrorReopensInPlaceUnderReadersAndLosesNothingAcknowledged) {
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Append(50));
  ASSERT_TRUE(store_->Flush().ok());  // some records in SST files, some only in the WAL
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Append(50));

  // Readers run through the reopen: each read is either complete or refused.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0}, refused{0};
  std::vector<std::thread> readers;
  const size_t acked_before = acked_.size();
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        size_t n = 0;
        rocksdb::Status s =
            store_->ReadShard(kShard, 0, UINT64_MAX, [&](uint64_t, std::string_view) {
              ++n;
              return true;
            });
        if (!s.ok()) {
          refused.fetch_add(1);
          continue;
        }
        EXPECT_GE(n, acked_before) << "a read saw fewer records than were acknowledged";
        std::string last;
        EXPECT_TRUE(store_->GetMeta("last", &last).ok() || store_->degraded());
        reads.fetch_add(1);
      }
    });
  }

  fs_->FailNext(FaultOp::kWrite, 1, FaultError::kIo, FileClass::kWal);
  EXPECT_FALSE(Append(10)) << "the failed WAL write was acknowledged";
  EXPECT_TRUE(store_->degraded());
  ASSERT_TRUE(WaitForReopens(1)) << "the store did not reopen by itself";
  EXPECT_TRUE(Logged("closing and reopening")) << "the reopen was not logged";
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Append(50)) << "writes after the reopen";
  stop.store(true);
  for (auto& t : readers) t.join();
  EXPECT_GT(reads.load(), 0u);
  ASSERT_NE(segment_->handle(), nullptr) << "the held segment lost its column family";
  ExpectAcknowledgedReadable();
  std::string last;
  ASSERT_TRUE(store_->GetMeta("last", &last).ok());
  EXPECT_EQ(last, std::to_string(next_));
  std::printf("reopened %llu time(s); %llu reads during the test, %llu refused\n",
              static_cast<unsigned long long>(store_->reopens()),
              static_cast<unsigned long long>(reads.load()),
              static_cast<unsigned long long>(refused.load()));

  // And the directory opens cleanly afterwards, with everything in it.
  segment_.reset();
  store_.reset();
  fs_->ClearErrors();
  LogStoreOptions o;
  o.dir = (root_ / "db").string();
  o.min_free_bytes = 0;
  o.env = env_.get();
  o.log_sink = [](LogLevel, std::string_view) {};
  ASSERT_TRUE(LogStore::Open(o, &store_).ok());
  ExpectAcknowledgedReadable();
}

TEST_F(ReopenTest, ReopenThatFailsLeavesTheStoreClosedAndRefusingUntilALaterOneSucceeds) {
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Append(20));
  fs_->FailNext(FaultOp::kWrite, 1, FaultError::kIo, FileClass::kWal);
  EXPECT_FALSE(Append(10));
  // The disk keeps failing: every reopen attempt fails.
  fs_->SetRandomErrors(kEveryCall, 1.0, FaultError::kIo, 1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!Logged("storage reopen failed") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling, not synchronising
  }
  ASSERT_TRUE(Logged("storage reopen failed"));
  // Closed: calls are refused with an error, never crash.
  std::string v;
  EXPECT_TRUE(store_->GetMeta("last", &v).IsIOError());
  EXPECT_FALSE(
      store_->ReadShard(kShard, 0, UINT64_MAX, [](uint64_t, std::string_view) { return true; })
          .ok());
  EXPECT_FALSE(Append(5));
  std::shared_ptr<Segment> seg;
  EXPECT_FALSE(store_->SegmentFor(kBaseMs + 2 * kWindowMs, kWindowMs, &seg).ok());
  EXPECT_EQ(segment_->handle(), nullptr);
  // The disk heals: a later attempt reopens, and nothing acknowledged is lost.
  fs_->ClearErrors();
  ASSERT_TRUE(WaitForReopens(1));
  ASSERT_NE(segment_->handle(), nullptr);
  ASSERT_TRUE(Append(5));
  ExpectAcknowledgedReadable();
}

}  // namespace
}  // namespace tidelog::storage
