// Power loss under the LogStore: a scripted workload (group commits, segment
// creation, metadata writes, flushes, range deletes with their compaction,
// segment drops) runs on the fault-injecting file system, the power is cut
// before its n-th mutating file-system call for n across the whole run, the
// unsynced data is dropped as a power loss would, and the store is reopened.
// Every point must reopen, and every acknowledged write must be there: records
// with their exact values, metadata, dropped segments gone. A write in flight
// at the cut is all or nothing. The test prints which kinds of point it hit
// (phase x call x file) and requires every phase to have been cut.
//
// Also: a damaged directory (lost CURRENT, lost or truncated table file,
// truncated MANIFEST) is refused with an error naming the damage, never read
// as empty or short.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "storage/log_store.h"
#include "storage/sequence.h"
#include "tests/support/fault_injection_fs.h"

namespace tidelog::storage {
namespace {

using tidelog::testing::FaultInjectionFileSystem;
using tidelog::testing::FaultOp;
using tidelog::testing::FileClass;

constexpr int64_t kWindowMs = 3600 * 1000;
constexpr int64_t kBaseMs = 1'700'000'400'000'000 / 1000 / kWindowMs * kWindowMs;
constexpr uint64_t kShards[] = {1, 2, 3};

enum class Phase { kOpen, kGroupCommit, kSegmentCreate, kMetadata, kFlush, kCompaction, kDrop };
constexpr int kPhaseCount = 7;
const char* PhaseName(Phase p) {
  switch (p) {
    case Phase::kOpen:
      return "open";
    case Phase::kGroupCommit:
      return "group commit";
    case Phase::kSegmentCreate:
      return "segment create";
    case Phase::kMetadata:
      return "metadata change";
    case Phase::kFlush:
      return "flush";
    case Phase::kCompaction:
      return "range delete + compaction";
    case Phase::kDrop:
      return "segment drop";
  }
  return "?";
}

// What the workload had acknowledged when the power went, and what was in flight.
struct Acked {
  std::map<uint64_t, std::map<uint64_t, std::string>> records;   // shard -> seq -> value
  std::map<uint64_t, std::map<uint64_t, std::string>> inflight;  // the write at the cut
  std::map<std::string, std::string> meta;
  std::optional<std::pair<std::string, std::string>> inflight_meta;
  // Records an acknowledged delete or drop removed: they may come back (a range
  // delete is not synced; retention repeats it), with their own value only.
  std::map<uint64_t, std::map<uint64_t, std::string>> removed;
  std::set<int64_t> dropped_windows;  // acknowledged drops: must stay gone
  std::optional<int64_t> inflight_drop;
};

std::string Value(uint64_t shard, uint64_t seq) {
  std::string v = "shard " + std::to_string(shard) + " seq " + std::to_string(seq) + " ";
  v.resize(300 + seq % 200, static_cast<char>('a' + seq % 26));
  return v;
}

class PowerLossTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("tidelog-power-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    fs_ = std::make_shared<FaultInjectionFileSystem>();
    env_ = FaultInjectionFileSystem::NewEnv(fs_);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(root_);
  }

  LogStoreOptions Options() const {
    LogStoreOptions o;
    o.dir = (root_ / "db").string();
    o.block_cache_bytes = 1 << 20;
    o.write_buffer_bytes = 1 << 20;
    o.min_free_bytes = 0;
    o.env = env_.get();
    o.log_sink = [](LogLevel, std::string_view) {};  // errors are expected here
    return o;
  }

  // Runs the workload until it ends or a call fails (the power is cut).
  // `phase` is the phase that was running at the end.
  void RunWorkload(Acked* acked, Phase* phase) {
    *phase = Phase::kOpen;
    if (!LogStore::Open(Options(), &store_).ok()) return;
    uint64_t counter = 0;
    auto append = [&](int64_t window, int records) -> bool {
      *phase = Phase::kSegmentCreate;
      std::shared_ptr<Segment> seg;
      if (!store_->SegmentFor(kBaseMs + window * kWindowMs, kWindowMs, &seg).ok()) return false;
      *phase = Phase::kGroupCommit;
      LogBatch batch = store_->NewBatch();
      std::vector<std::string> values;
      values.reserve(records * std::size(kShards));
      acked->inflight.clear();
      for (int i = 0; i < records; ++i) {
        const uint64_t seq = MakeSeq(kBaseMs + window * kWindowMs + 1000 + counter, 0);
        ++counter;
        for (uint64_t shard : kShards) {
          values.push_back(Value(shard, seq));
          batch.PutRecord(seg, shard, seq, values.back());
          acked->inflight[shard][seq] = values.back();
        }
      }
      if (!store_->Write(&batch, /*sync=*/true).ok()) return false;
      for (auto& [shard, recs] : acked->inflight) acked->records[shard].merge(recs);
      acked->inflight.clear();
      return true;
    };
    auto meta = [&](const std::string& key, const std::string& value) -> bool {
      *phase = Phase::kMetadata;
      acked->inflight_meta = {key, value};
      LogBatch batch = store_->NewBatch();
      batch.PutMeta(key, value);
      if (!store_->WriteMetaSync(&batch).ok()) return false;
      acked->meta[key] = value;
      acked->inflight_meta.reset();
      return true;
    };
    auto flush = [&]() {
      *phase = Phase::kFlush;
      return store_->Flush().ok();
    };
    for (int64_t w = 0; w < 3; ++w) {
      for (int b = 0; b < 3; ++b) {
        if (!append(w, 40)) return;
      }
      if (!meta("stream-" + std::to_string(w), "v" + std::to_string(w))) return;
      if (!flush()) return;
      if (!append(w, 30)) return;
      if (!meta("stream-" + std::to_string(w), "v" + std::to_string(w) + "-changed")) return;
    }
    if (!flush()) return;
    // Trim shard 1 in window 1 (as retention trims a shard), compacting the range away.
    *phase = Phase::kCompaction;
    const uint64_t from = MakeSeq(kBaseMs + kWindowMs, 0);
    const uint64_t to = MakeSeq(kBaseMs + 2 * kWindowMs, 0);
    if (!store_->DeleteShardRange(1, from, to).ok()) return;
    for (auto it = acked->records[1].lower_bound(from);
         it != acked->records[1].end() && it->first < to;) {
      acked->removed[1].insert(*it);
      it = acked->records[1].erase(it);
    }
    if (!store_->CompactPending().ok()) return;
    // Drop window 0 (retention dropping an expired segment).
    *phase = Phase::kDrop;
    acked->inflight_drop = kBaseMs;
    int dropped = 0;
    if (!store_->DropSegmentsEndingBy(kBaseMs + kWindowMs, &dropped).ok()) return;
    acked->dropped_windows.insert(kBaseMs);
    acked->inflight_drop.reset();
    const uint64_t window_end = MakeSeq(kBaseMs + kWindowMs, 0);
    for (auto& [shard, recs] : acked->records) {
      for (auto it = recs.begin(); it != recs.end() && it->first < window_end;) {
        acked->removed[shard].insert(*it);
        it = recs.erase(it);
      }
    }
    if (!append(3, 20)) return;
    if (!meta("stream-3", "v3")) return;
  }

  // Reopens after the power loss and checks the store against `acked`.
  void Verify(const Acked& acked, const std::string& where) {
    std::unique_ptr<LogStore> store;
    LogStoreOptions o = Options();
    rocksdb::Status s = LogStore::Open(o, &store);
    ASSERT_TRUE(s.ok()) << where << ": reopen failed: " << s.ToString();
    for (uint64_t shard : kShards) {
      std::map<uint64_t, std::string> got;
      s = store->ReadShard(shard, 0, UINT64_MAX, [&](uint64_t seq, std::string_view v) {
        EXPECT_TRUE(got.emplace(seq, std::string(v)).second) << where << ": seq read twice";
        return true;
      });
      ASSERT_TRUE(s.ok()) << where << ": " << s.ToString();
      auto find = [&](const std::map<uint64_t, std::map<uint64_t, std::string>>& m,
                      uint64_t seq) -> const std::string* {
        auto sh = m.find(shard);
        if (sh == m.end()) return nullptr;
        auto it = sh->second.find(seq);
        return it == sh->second.end() ? nullptr : &it->second;
      };
      auto in = acked.inflight.find(shard);
      size_t inflight_seen = 0;
      for (const auto& [seq, value] : got) {
        const std::string* want = find(acked.records, seq);
        if (want == nullptr) want = find(acked.removed, seq);
        if (want == nullptr && in != acked.inflight.end()) {
          auto it = in->second.find(seq);
          if (it != in->second.end()) {
            want = &it->second;
            ++inflight_seen;
          }
        }
        ASSERT_NE(want, nullptr) << where << ": shard " << shard << " has seq " << seq
                                 << " that was never written";
        ASSERT_EQ(value, *want) << where << ": shard " << shard << " seq " << seq;
      }
      if (in != acked.inflight.end()) {
        ASSERT_TRUE(inflight_seen == 0 || inflight_seen == in->second.size())
            << where << ": a group commit half applied (" << inflight_seen << " of "
            << in->second.size() << ")";
      }
      auto want = acked.records.find(shard);
      if (want == acked.records.end()) continue;
      const uint64_t drop_end =
          acked.inflight_drop ? MakeSeq(*acked.inflight_drop + kWindowMs, 0) : 0;
      for (const auto& [seq, value] : want->second) {
        if (seq < drop_end) continue;  // its segment's drop was in flight
        ASSERT_TRUE(got.count(seq))
            << where << ": acknowledged shard " << shard << " seq " << seq << " lost ("
            << got.size() << " records read, " << want->second.size() << " acknowledged)";
      }
    }
    for (const auto& [key, value] : acked.meta) {
      std::string got;
      s = store->GetMeta(key, &got);
      ASSERT_TRUE(s.ok()) << where << ": acknowledged metadata " << key << ": " << s.ToString();
      if (acked.inflight_meta && acked.inflight_meta->first == key && got != value) {
        ASSERT_EQ(got, acked.inflight_meta->second) << where;
      } else {
        ASSERT_EQ(got, value) << where << ": metadata " << key;
      }
    }
    for (const auto& seg : store->Segments()) {
      ASSERT_FALSE(acked.dropped_windows.count(seg.start_ms))
          << where << ": a dropped segment came back";
    }
  }

  std::filesystem::path root_;
  std::shared_ptr<FaultInjectionFileSystem> fs_;
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<LogStore> store_;
};

TEST_F(PowerLossTest, EveryPointReopensWithEveryAcknowledgedWrite) {
  // A full run without a cut: how many mutating calls there are.
  Acked full;
  Phase phase;
  RunWorkload(&full, &phase);
  store_.reset();
  const uint64_t total = fs_->mutating_calls();
  ASSERT_GT(total, 100u);
  ASSERT_TRUE(full.inflight.empty());
  Verify(full, "no cut");
  if (HasFatalFailure()) return;

  // Points: every call for the first 400, then a stride keeping the test to
  // ~400 points in all (TIDELOG_POWER_POINTS=N for N points).
  uint64_t points = 400;
  if (const char* env = std::getenv("TIDELOG_POWER_POINTS")) points = std::stoull(env);
  const uint64_t stride = std::max<uint64_t>(1, total / points);
  int by_phase[kPhaseCount] = {};
  std::map<std::string, int> kinds;
  uint64_t cuts = 0, acked_records = 0;
  for (uint64_t n = 1; n <= total; n += (n < 150 ? 1 : stride)) {
    std::filesystem::remove_all(root_);
    fs_->ResetState();
    fs_->CutPowerAfter(n);
    Acked acked;
    RunWorkload(&acked, &phase);
    store_.reset();                // the process dies: nothing more reaches the disk
    if (fs_->powered()) continue;  // the run ended before the n-th call
    ++cuts;
    ++by_phase[static_cast<int>(phase)];
    const std::string kind = std::string(PhaseName(phase)) + " / " +
                             tidelog::testing::FaultOpName(fs_->cut_op()) + " " +
                             tidelog::testing::FileClassName(fs_->cut_file());
    ++kinds[kind];
    ASSERT_TRUE(fs_->DropUnsyncedData().ok());
    for (const auto& [shard, recs] : acked.records) acked_records += recs.size();
    Verify(acked, "cut before call " + std::to_string(n) + " (" + kind + ")");
    if (HasFatalFailure()) return;
  }
  std::printf("power cuts: %llu points of %llu calls, %llu acknowledged records checked\n",
              static_cast<unsigned long long>(cuts), static_cast<unsigned long long>(total),
              static_cast<unsigned long long>(acked_records));
  for (const auto& [kind, count] : kinds) std::printf("  %4d  %s\n", count, kind.c_str());
  // Every kind of step is cut when every call is (the default point count).
  if (stride == 1) {
    for (int p = 0; p < kPhaseCount; ++p) {
      EXPECT_GT(by_phase[p], 0) << "no power cut during " << PhaseName(static_cast<Phase>(p));
    }
  }
}

// ---- Damaged directories ---------------------------------------------------

class DamagedDirectoryTest : public PowerLossTest {
 protected:
  // A store with data in table files and in the WAL, closed cleanly.
  void Build() {
    Acked acked;
    Phase phase;
    RunWorkload(&acked, &phase);
    ASSERT_TRUE(store_ != nullptr);
    store_.reset();
    dir_ = root_ / "db";
  }
  rocksdb::Status Reopen() {
    std::unique_ptr<LogStore> store;
    return LogStore::Open(Options(), &store);
  }
  std::vector<std::filesystem::path> Files(std::string_view prefix, std::string_view suffix) {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      const std::string name = e.path().filename().string();
      if (name.starts_with(prefix) && name.ends_with(suffix)) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // Cuts the newest file named prefix*suffix to 1/divisor of its size.
  rocksdb::Status TruncateNewestAndReopen(std::string_view prefix, std::string_view suffix,
                                          int divisor) {
    const auto files = Files(prefix, suffix);
    if (files.empty()) return rocksdb::Status::NotFound("no file to truncate");
    std::filesystem::resize_file(files.back(), std::filesystem::file_size(files.back()) / divisor);
    return Reopen();
  }
  std::filesystem::path dir_;
};

TEST_F(DamagedDirectoryTest, LostCurrentFileIsRefusedNotOpenedEmpty) {
  Build();
  ASSERT_TRUE(std::filesystem::remove(dir_ / "CURRENT"));
  const rocksdb::Status s = Reopen();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("lost its CURRENT file"), std::string::npos) << s.ToString();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "CURRENT")) << "the store was recreated";
}

TEST_F(DamagedDirectoryTest, LostTableFileIsRefused) {
  Build();
  const auto tables = Files("", ".sst");
  ASSERT_FALSE(tables.empty());
  std::filesystem::remove(tables.back());
  const rocksdb::Status s = Reopen();
  ASSERT_FALSE(s.ok()) << "opened with a table file missing";
  EXPECT_TRUE(s.IsCorruption() || s.IsPathNotFound() || s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find(tables.back().filename().string().substr(0, 6)), std::string::npos)
      << "the error does not name the missing file: " << s.ToString();
}

TEST_F(DamagedDirectoryTest, TruncatedTableFileIsRefused) {
  Build();
  const rocksdb::Status s = TruncateNewestAndReopen("", ".sst", 2);
  ASSERT_FALSE(s.ok()) << "opened with a truncated table file";
  EXPECT_TRUE(s.IsCorruption() || s.IsIOError()) << s.ToString();
}

TEST_F(DamagedDirectoryTest, TruncatedManifestIsRefused) {
  Build();
  const rocksdb::Status s = TruncateNewestAndReopen("MANIFEST-", "", 3);
  ASSERT_FALSE(s.ok()) << "opened with a truncated MANIFEST";
  EXPECT_TRUE(s.IsCorruption() || s.IsIOError()) << s.ToString();
}

TEST_F(DamagedDirectoryTest, InterruptedCreationIsCreatedAgain) {
  // The power went before the store was complete: no marker, no CURRENT.
  fs_->CutPowerAfter(3);
  std::unique_ptr<LogStore> store;
  EXPECT_FALSE(LogStore::Open(Options(), &store).ok());
  store.reset();
  ASSERT_TRUE(fs_->DropUnsyncedData().ok());
  const rocksdb::Status s = Reopen();
  EXPECT_TRUE(s.ok()) << s.ToString();
}

}  // namespace
}  // namespace tidelog::storage
