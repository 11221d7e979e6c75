// LogStore and GroupCommitter on a full disk: a size-limited tmpfs (mounted
// by the test) is filled during appends, flushes and compactions. Nothing may
// abort; writes fail with NoSpace; reads keep working; the reserve refuses
// appends early while deletions still free space; writes resume by
// themselves once the filesystem grows or space is freed; every write
// acknowledged before is readable, also after reopening on a full disk.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <random>

#include "storage/group_committer.h"
#include "storage/log_store.h"
#include "storage/sequence.h"
#include "tests/storage/small_fs.h"

namespace tidelog::storage {
namespace {

using tidelog::testing::PollUntil;
using tidelog::testing::SmallFs;
using namespace std::chrono_literals;

constexpr int64_t kWindowMs = 3600 * 1000;
constexpr int64_t kBaseMs = 1'700'000'000'000;
constexpr size_t kValueBytes = 64 << 10;
constexpr uint64_t kShard = 7;

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!fs_.Mount(16, &why)) GTEST_SKIP() << why;
    dir_ = fs_.dir() + "/db";
  }
  void TearDown() override {
    if (HasFailure()) {
      std::lock_guard<std::mutex> lock(log_mu_);
      for (const auto& l : log_) std::printf("store log: %s\n", l.c_str());
    }
    committer_.reset();
    store_.reset();
    fs_.Unmount();
  }

  rocksdb::Status Open(uint64_t min_free_bytes) {
    committer_.reset();
    store_.reset();
    LogStoreOptions o;
    o.dir = dir_;
    o.block_cache_bytes = 1 << 20;
    o.write_buffer_bytes = 2 << 20;  // flushes every ~2 MiB of appends
    o.min_free_bytes = min_free_bytes;
    o.log_sink = [this](LogLevel, std::string_view line) {
      if (std::getenv("TIDELOG_TEST_LOG") != nullptr) {
        std::fprintf(stderr, "store log: %.*s\n", static_cast<int>(line.size()), line.data());
      }
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.emplace_back(line);
    };
    return LogStore::Open(o, &store_);
  }

  // Incompressible, and derived from seq so a read can be checked.
  static std::string Value(uint64_t seq) {
    std::mt19937_64 rng(seq);
    std::string v(kValueBytes, '\0');
    for (size_t i = 0; i + 8 <= v.size(); i += 8) {
      uint64_t r = rng();
      std::memcpy(v.data() + i, &r, 8);
    }
    return v;
  }

  // One record straight to RocksDB (no admission). Acknowledged seqs are kept.
  rocksdb::Status AppendOne(bool sync = true) {
    const uint64_t seq = MakeSeq(kBaseMs, next_++);
    std::shared_ptr<Segment> seg;
    rocksdb::Status s = store_->SegmentFor(SeqMillis(seq), kWindowMs, &seg);
    if (!s.ok()) return s;
    const std::string value = Value(seq);
    LogBatch b = store_->NewBatch();
    b.PutRecord(seg, kShard, seq, value);
    s = store_->Write(&b, sync);
    if (s.ok()) acked_.push_back(seq);
    return s;
  }

  // Appends until a write fails; returns that failure.
  rocksdb::Status AppendUntilFailure() {
    for (int i = 0; i < 10000; ++i) {
      rocksdb::Status s = AppendOne();
      if (!s.ok()) return s;
    }
    return rocksdb::Status::OK();
  }

  // Every acknowledged record is there, intact and in order.
  void ExpectAckedReadable() {
    std::vector<uint64_t> seen;
    bool intact = true;
    rocksdb::Status s =
        store_->ReadShard(kShard, 0, UINT64_MAX, [&](uint64_t seq, std::string_view v) {
          seen.push_back(seq);
          intact = intact && v == Value(seq);
          return true;
        });
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(intact);
    // Failed writes may land too (unacknowledged), never in place of an acked one.
    size_t j = 0;
    for (uint64_t seq : seen)
      if (j < acked_.size() && seq == acked_[j]) ++j;
    EXPECT_EQ(j, acked_.size()) << "acknowledged records missing";
  }

  // Bounded poll until an admitted append succeeds; returns how long it took.
  std::chrono::milliseconds WaitUntilWritable() {
    return PollUntil([&] { return store_->Admit(WriteKind::kAppend).ok() && AppendOne().ok(); },
                     30s);
  }

  bool Logged(std::string_view needle) {
    std::lock_guard<std::mutex> lock(log_mu_);
    for (const auto& l : log_)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }

  SmallFs fs_;
  std::string dir_;
  std::unique_ptr<LogStore> store_;
  std::unique_ptr<GroupCommitter> committer_;
  std::vector<uint64_t> acked_;
  uint64_t next_ = 1;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(DiskFullTest, NoLogFileOnTheDataDisk) {
  ASSERT_TRUE(Open(0).ok());
  ASSERT_TRUE(AppendOne().ok());
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    EXPECT_FALSE(e.path().filename().string().starts_with("LOG")) << e.path();
  }
}

// No reserve: RocksDB itself meets ENOSPC (WAL appends, flushes of the
// memtables the appends filled).
TEST_F(DiskFullTest, AppendsFillTheDiskThenResumeAfterGrowing) {
  ASSERT_TRUE(Open(0).ok());
  rocksdb::Status s = AppendUntilFailure();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  ASSERT_GT(acked_.size(), 10u);
  EXPECT_FALSE(AppendOne().ok());  // still full: fails again, cleanly
  ExpectAckedReadable();

  ASSERT_TRUE(fs_.Resize(64));
  const auto took = WaitUntilWritable();
  ASSERT_GE(took.count(), 0) << "writes did not resume after the filesystem grew";
  std::printf("[ measured ] appends resumed %lld ms after the tmpfs grew\n",
              static_cast<long long>(took.count()));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(AppendOne().ok());
  ASSERT_TRUE(store_->Flush().ok());
  ExpectAckedReadable();
  ASSERT_TRUE(Open(0).ok());
  ExpectAckedReadable();
}

// The WAL has room, the SST of a flush has none.
TEST_F(DiskFullTest, FlushFailsThenResumesAfterSpaceIsFreed) {
  ASSERT_TRUE(Open(1 << 20).ok());
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(AppendOne().ok());
  fs_.Fill();
  rocksdb::Status s = store_->Flush();
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(store_->degraded());
  s = AppendOne();
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  // Free space is re-read at most every 100 ms: a bounded poll.
  EXPECT_GE(PollUntil([&] { return store_->Admit(WriteKind::kAppend).IsNoSpace(); }, 5s).count(),
            0);
  ExpectAckedReadable();

  fs_.RemoveFiller();
  const auto took = WaitUntilWritable();
  ASSERT_GE(took.count(), 0) << "writes did not resume after space was freed";
  std::printf("[ measured ] appends resumed %lld ms after the filler was removed\n",
              static_cast<long long>(took.count()));
  EXPECT_GE(store_->resumes(), 1u);
  EXPECT_TRUE(Logged("storage resumed"));
  ASSERT_TRUE(store_->Flush().ok());
  ExpectAckedReadable();
}

// Reclaim's compaction has no room for its output.
TEST_F(DiskFullTest, CompactionFailsThenResumes) {
  ASSERT_TRUE(Open(0).ok());
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(AppendOne().ok());
    ASSERT_TRUE(store_->Flush().ok());
  }
  fs_.Fill();
  // Deletes the middle of the shard: files straddle the ends, so the
  // compaction must write new ones.
  const uint64_t from = acked_[3], to = acked_[acked_.size() - 3];
  rocksdb::Status s = store_->DeleteShardRange(kShard, from, to);
  if (s.ok()) s = store_->CompactPending();
  (void)s;  // fails or not depending on what fits; must not abort
  std::vector<uint64_t> keep;
  for (uint64_t seq : acked_)
    if (seq < from || seq >= to) keep.push_back(seq);
  acked_ = keep;
  ExpectAckedReadable();

  fs_.RemoveFiller();
  ASSERT_GE(WaitUntilWritable().count(), 0);
  ASSERT_TRUE(store_->DeleteShardRange(kShard, acked_.back() + 1, acked_.back() + 1).ok());
  ASSERT_TRUE(store_->Flush().ok());
  ExpectAckedReadable();
}

TEST_F(DiskFullTest, ReopenOnAFullDiskDoesNotAbort) {
  ASSERT_TRUE(Open(0).ok());
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(AppendOne().ok());
  store_.reset();
  fs_.Fill();
  rocksdb::Status s = Open(1 << 20);
  if (s.ok()) {
    ExpectAckedReadable();
    EXPECT_TRUE(store_->Admit(WriteKind::kAppend).IsNoSpace());
  }
  store_.reset();
  s = Open(1 << 20);  // and again, after a failed or refused open
  fs_.RemoveFiller();
  ASSERT_TRUE(Open(1 << 20).ok());
  ExpectAckedReadable();
  ASSERT_GE(WaitUntilWritable().count(), 0);
  ASSERT_TRUE(Open(1 << 20).ok());
  ExpectAckedReadable();
}

// The reserve refuses appends before the disk is full; a deletion is still
// accepted and frees the space, and appends are accepted again.
TEST_F(DiskFullTest, ReserveRefusesAppendsButDeletionsFreeSpace) {
  ASSERT_TRUE(Open(6 << 20).ok());
  rocksdb::Status s;
  for (int i = 0; i < 1000; ++i) {
    s = store_->Admit(WriteKind::kAppend);
    if (!s.ok()) break;
    ASSERT_TRUE(AppendOne().ok()) << "the reserve must refuse before RocksDB fails";
  }
  ASSERT_TRUE(s.IsNoSpace()) << s.ToString();
  EXPECT_FALSE(store_->degraded());  // RocksDB never met ENOSPC
  EXPECT_TRUE(Logged("below the reserve"));
  EXPECT_TRUE(store_->Admit(WriteKind::kReclaim).ok());
  ExpectAckedReadable();

  // Delete all but the last record and reclaim.
  ASSERT_TRUE(store_->DeleteShardRange(kShard, 0, acked_.back()).ok());
  // A background compaction may hold the room a flush needs for a moment:
  // retried as retention retries (bounded).
  ASSERT_GE(PollUntil([&] { return store_->Flush().ok(); }, 10s).count(), 0);
  ASSERT_GE(PollUntil([&] { return store_->CompactPending().ok(); }, 10s).count(), 0);
  acked_ = {acked_.back()};
  const auto took = PollUntil([&] { return store_->Admit(WriteKind::kAppend).ok(); }, 10s);
  ASSERT_GE(took.count(), 0) << "reclaim freed no space: " << fs_.FreeBytes() << " bytes free";
  ASSERT_TRUE(AppendOne().ok());
  ExpectAckedReadable();
}

// A job refused or failed never wedges the committer: later jobs are
// admitted once the store can write again.
class TestJob final : public CommitJob {
 public:
  TestJob(WriteKind kind, std::function<void(LogStore*, LogBatch*)> prepare)
      : kind_(kind), prepare_(std::move(prepare)) {}
  void Prepare(LogStore* store, LogBatch* batch) override {
    prepared_ = true;
    prepare_(store, batch);
  }
  void Complete(const rocksdb::Status& s) override { done_.set_value({prepared_, s}); }
  WriteKind kind() const override { return kind_; }
  std::future<std::pair<bool, rocksdb::Status>> future() { return done_.get_future(); }

 private:
  const WriteKind kind_;
  std::function<void(LogStore*, LogBatch*)> prepare_;
  bool prepared_ = false;
  std::promise<std::pair<bool, rocksdb::Status>> done_;
};

TEST_F(DiskFullTest, GroupCommitterRefusesAndRecovers) {
  ASSERT_TRUE(Open(2 << 20).ok());
  committer_ = std::make_unique<GroupCommitter>(store_.get(), true, 8 << 20);
  std::shared_ptr<Segment> seg;
  ASSERT_TRUE(store_->SegmentFor(kBaseMs, kWindowMs, &seg).ok());
  auto run = [&](WriteKind kind, uint64_t seq) {
    std::string value = Value(seq);
    auto job = std::make_unique<TestJob>(kind, [&](LogStore*, LogBatch* b) {
      if (kind == WriteKind::kAppend) {
        b->PutRecord(seg, kShard, seq, value);
      } else {
        b->PutMeta("k", "v");
      }
    });
    auto f = job->future();
    committer_->RunOrSubmit(std::move(job));
    return f.get();
  };
  auto [prepared, s] = run(WriteKind::kAppend, MakeSeq(kBaseMs, 1));
  ASSERT_TRUE(prepared && s.ok()) << s.ToString();
  fs_.Fill("filler", 1 << 20);  // below the 2 MiB reserve, not full
  // Free space is re-read at most every 100 ms: appends that still got in
  // are fine; the first refused one must be unprepared and NoSpace.
  uint64_t next = MakeSeq(kBaseMs, 2);
  ASSERT_GE(PollUntil(
                [&] {
                  std::tie(prepared, s) = run(WriteKind::kAppend, next++);
                  return !prepared;
                },
                5s)
                .count(),
            0);
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  std::tie(prepared, s) = run(WriteKind::kReclaim, 0);
  EXPECT_TRUE(prepared && s.ok()) << s.ToString();

  fs_.RemoveFiller("filler");
  uint64_t seq = next;
  const auto took = PollUntil(
      [&] {
        auto [p, st] = run(WriteKind::kAppend, ++seq);
        return p && st.ok();
      },
      30s);
  ASSERT_GE(took.count(), 0) << "the committer stayed wedged";
  std::printf("[ measured ] group commits resumed %lld ms after space was freed\n",
              static_cast<long long>(took.count()));
}

}  // namespace
}  // namespace tidelog::storage
