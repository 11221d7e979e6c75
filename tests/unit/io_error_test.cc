// I/O errors under load: writers, a resharder and a reader run against an
// engine whose file system fails writes, fsyncs, file creations, renames and
// directory fsyncs at random (EIO, then ENOSPC, as two cases), with memtables
// small enough that flushes and compactions fail too. Nothing may abort; every
// failure a caller sees is a retryable service error (ServiceUnavailable or
// InternalFailure); every acknowledged record is readable exactly once at its
// sequence number, before and after a restart; and once the errors stop,
// writes resume by themselves within 10 s, without a restart (the store
// resumes RocksDB, or reopens it in place where RocksDB 7.8 cannot resume: EIO
// on its WAL or MANIFEST, a failed WAL while no memtable holds data). The
// time to recover is printed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/fault_injection_fs.h"
#include "tests/unit/engine_test_util.h"

namespace tidelog::testing {
namespace {

constexpr uint32_t kAllCalls =
    (1u << static_cast<int>(FaultOp::kCreate)) | (1u << static_cast<int>(FaultOp::kWrite)) |
    (1u << static_cast<int>(FaultOp::kSync)) | (1u << static_cast<int>(FaultOp::kRename)) |
    (1u << static_cast<int>(FaultOp::kDirSync));

struct Stored {
  std::string shard_id, key, data;
};

class IoErrorTest : public EngineTest, public ::testing::WithParamInterface<FaultError> {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    fs_ = std::make_shared<FaultInjectionFileSystem>();
    env_ = FaultInjectionFileSystem::NewEnv(fs_);
    EngineOptions o = DefaultOptions();
    o.storage_env = env_.get();
    o.block_cache_bytes = 1 << 20;
    o.write_buffer_bytes = 1 << 20;  // flushes every ~1 MiB, compactions follow
    o.min_free_bytes = 0;
    const bool print = std::getenv("TIDELOG_TEST_LOG") != nullptr;
    o.log_sink = [this, print](LogSeverity, std::string_view line) {
      if (print || log_lines_.fetch_add(1) < 20) {
        std::fprintf(stderr, "engine log: %.*s\n", static_cast<int>(line.size()), line.data());
      }
    };
    Open(o);
    CreateStream("s", 4);
  }
  void TearDown() override {
    engine_.reset();
    EngineTest::TearDown();
  }

  // A record's identity: its data without the padding.
  static std::string Id(const std::string& data) { return data.substr(0, data.find('d')); }

  // One writer's loop: PutRecords of 40 records until `stop`.
  void Writer(int id, const std::atomic<bool>& stop, const std::atomic<bool>& clean) {
    int consecutive_ok = 0;
    for (int batch = 0; !stop.load(); ++batch) {
      std::vector<std::string> keys, data;
      for (int i = 0; i < 40; ++i) {
        keys.push_back("k" + std::to_string((batch + i) % 31));
        data.push_back("w" + std::to_string(id) + " b" + std::to_string(batch) + " r" +
                       std::to_string(i) + std::string(400, 'd'));
      }
      std::vector<PutRecordEntry> entries;
      for (int i = 0; i < 40; ++i) entries.push_back({keys[i], data[i], std::nullopt});
      std::vector<PutRecordResult> results;
      const Status s = engine_->PutRecords("s", entries, &results);
      std::unique_lock<std::mutex> lock(mu_);
      ++attempts_;
      for (int i = 0; i < 40; ++i) unacked_.insert(Id(data[i]));
      if (!s.ok()) {
        ++failures_[std::string(AwsErrorName(s.code()))];
        if (s.code() != ErrorCode::kDiskFull && s.code() != ErrorCode::kInternalFailure &&
            s.code() != ErrorCode::kIoError) {
          unexpected_.push_back(s.ToString());
        }
        consecutive_ok = 0;
        lock.unlock();
        // A client backs off before retrying a 5xx (as the AWS SDKs do).
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      bool all = true;
      for (int i = 0; i < 40; ++i) {
        if (!results[i].status.ok()) {
          all = false;
          ++failures_[std::string(AwsErrorName(results[i].status.code()))];
          continue;
        }
        unacked_.erase(Id(data[i]));
        acked_[Dec(results[i].sequence_number)] = {FormatShardId(results[i].shard_index), keys[i],
                                                   data[i]};
      }
      if (clean.load()) consecutive_ok = all ? consecutive_ok + 1 : 0;
      if (consecutive_ok >= 20) recovered_[id] = true;
    }
  }

  void Verify(const std::string& where) {
    std::set<std::string> seen, seen_unacked;
    for (const auto& r : ReadStream("s")) {
      const std::string seq = Dec(r.record.sequence_number);
      ASSERT_TRUE(seen.insert(seq).second) << where << ": " << seq << " read twice";
      auto it = acked_.find(seq);
      if (it == acked_.end()) {
        // A record of a failed call: it may have landed, once.
        ASSERT_TRUE(unacked_.count(Id(r.record.data)))
            << where << ": " << seq << " was never written (" << r.record.data.substr(0, 16) << ")";
        ASSERT_TRUE(seen_unacked.insert(Id(r.record.data)).second) << where << ": stored twice";
        continue;
      }
      ASSERT_EQ(it->second.shard_id, r.shard_id) << where << ": " << seq;
      ASSERT_EQ(it->second.data, r.record.data) << where << ": " << seq;
    }
    for (const auto& [seq, rec] : acked_) {
      ASSERT_TRUE(seen.count(seq))
          << where << ": acknowledged " << rec.shard_id << " " << seq << " lost";
    }
  }

  std::shared_ptr<FaultInjectionFileSystem> fs_;
  std::unique_ptr<rocksdb::Env> env_;
  std::atomic<uint64_t> log_lines_{0};
  std::mutex mu_;
  uint64_t attempts_ = 0;                // guarded by mu_
  std::map<std::string, Stored> acked_;  // by sequence number; guarded
  std::set<std::string> unacked_;        // Id() of records not acknowledged; guarded
  std::map<std::string, int> failures_;  // by AWS error name; guarded
  std::vector<std::string> unexpected_;  // guarded
  bool recovered_[3] = {};               // guarded
};

TEST_P(IoErrorTest, UnderLoadNothingAbortsNothingAcknowledgedIsLostAndWritesResume) {
  constexpr int kWriters = 3;
  std::atomic<bool> stop{false}, clean{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) threads.emplace_back([&, i] { Writer(i, stop, clean); });
  std::map<std::string, int> reshard_results;
  std::mutex reshard_mu;
  threads.emplace_back([&] {
    for (int i = 0; !stop.load(); ++i) {
      int32_t before = 0;
      const Status s = engine_->UpdateShardCount("s", i % 2 == 0 ? 8 : 4, &before);
      std::unique_lock<std::mutex> lock(reshard_mu);
      ++reshard_results[s.ok() ? std::string("OK") : std::string(AwsErrorName(s.code()))];
      lock.unlock();
      if (!s.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a client's backoff
    }
  });
  std::atomic<uint64_t> reads{0}, read_errors{0};
  threads.emplace_back([&] {
    while (!stop.load()) {
      for (const auto& shard : Shards("s")) {
        std::string it;
        if (!engine_
                 ->GetShardIterator("s", shard.shard_id, ShardIteratorType::kTrimHorizon,
                                    std::nullopt, std::nullopt, &it)
                 .ok()) {
          read_errors.fetch_add(1);
          continue;
        }
        GetRecordsResult res;
        if (!engine_->GetRecords(it, 1000, &res).ok()) read_errors.fetch_add(1);
        reads.fetch_add(1);
      }
    }
  });

  // Errors on: until the writers have tried 300 batches and 20 errors were
  // injected (refused calls fail fast and touch no file, so batches alone
  // would end the phase after the first error or two).
  fs_->SetRandomErrors(kAllCalls, 0.02, GetParam(), 20261202);
  auto attempts = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    return attempts_;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while ((attempts() < 300 || fs_->injected_errors() < 20) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling, not synchronising
  }
  const uint64_t injected = fs_->injected_errors();
  // Errors off: writes must resume by themselves (every writer sees 20 clean
  // batches in a row) within 10 s.
  fs_->ClearErrors();
  const auto cleared = std::chrono::steady_clock::now();
  clean.store(true);
  bool recovered = false;
  while (!recovered && std::chrono::steady_clock::now() < cleared + std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling, not synchronising
    std::lock_guard<std::mutex> lock(mu_);
    recovered = recovered_[0] && recovered_[1] && recovered_[2];
  }
  const double recovery_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - cleared).count();
  stop.store(true);
  {
    // A stuck engine call fails the test at once, with a message, instead of
    // running into the ctest timeout.
    std::mutex joined_mu;
    std::condition_variable joined_cv;
    bool joined = false;
    std::thread watchdog([&] {
      std::unique_lock<std::mutex> lock(joined_mu);
      if (!joined_cv.wait_for(lock, std::chrono::seconds(60), [&] { return joined; })) {
        std::fprintf(stderr, "an engine call is still blocked 60 s after the load stopped: hang\n");
        std::abort();
      }
    });
    for (auto& t : threads) t.join();
    {
      std::lock_guard<std::mutex> lock(joined_mu);
      joined = true;
    }
    joined_cv.notify_one();
    watchdog.join();
  }

  std::printf(
      "%s: %llu batches tried, %zu records acknowledged, %llu injected errors; "
      "%s; %llu shard reads (%llu failed)\n",
      GetParam() == FaultError::kIo ? "EIO" : "ENOSPC", static_cast<unsigned long long>(attempts_),
      acked_.size(), static_cast<unsigned long long>(injected),
      recovered ? ("writes resumed by themselves in " + std::to_string(recovery_s) + " s").c_str()
                : "writes did not resume within 10 s without a restart",
      static_cast<unsigned long long>(reads.load()),
      static_cast<unsigned long long>(read_errors.load()));
  for (const auto& [name, n] : failures_) std::printf("  put failures %s: %d\n", name.c_str(), n);
  for (const auto& [name, n] : reshard_results) std::printf("  reshards %s: %d\n", name.c_str(), n);
  EXPECT_GT(injected, 0u);
  EXPECT_TRUE(unexpected_.empty()) << unexpected_.front();
  EXPECT_TRUE(recovered) << "writes did not resume within 10 s of the errors stopping";
  Verify("after the errors");
  if (HasFatalFailure()) return;
  // A restart (the engine reopened) always clears the errors.
  Reopen();
  Verify("after reopening");
  if (HasFatalFailure()) return;
  std::vector<PutRecordEntry> one{{"k", "after the restart", std::nullopt}};
  std::vector<PutRecordResult> results;
  ASSERT_OK(engine_->PutRecords("s", one, &results));
  ASSERT_OK(results[0].status);
}

INSTANTIATE_TEST_SUITE_P(Errors, IoErrorTest,
                         ::testing::Values(FaultError::kIo, FaultError::kNoSpace),
                         [](const auto& info) {
                           return info.param == FaultError::kIo ? std::string("EIO")
                                                                : std::string("ENOSPC");
                         });

}  // namespace
}  // namespace tidelog::testing
