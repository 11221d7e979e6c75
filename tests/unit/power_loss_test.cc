// Power loss under the engine: a Kinesis workload (CreateStream, PutRecords
// group commits, SplitShard, MergeShards, UpdateShardCount, tags, retention
// changes, flushes, retention expiring everything, DeleteStream) runs on the
// fault-injecting file system; the power is cut before its n-th mutating
// file-system call for n across the whole run; the unsynced data is dropped
// and the engine reopened. Every point must reopen, and everything that was
// acknowledged must hold: each acknowledged record readable exactly once, in
// its shard, at its sequence number; shard lineage as acknowledged (or as the
// reshard in flight left it, all or nothing); tags, retention; a deleted
// stream stays deleted. Prints the kinds of point hit.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/support/fault_injection_fs.h"
#include "tests/unit/engine_test_util.h"

namespace tidelog::testing {
namespace {

enum class Step {
  kOpen,
  kCreate,
  kPut,
  kSplit,
  kMerge,
  kScale,
  kTags,
  kRetention,
  kFlush,
  kExpire,
  kDelete
};
constexpr int kStepCount = 11;
const char* StepName(Step s) {
  static const char* const names[] = {
      "open",  "create stream",      "group commit", "split",
      "merge", "update shard count", "tags",         "retention change",
      "flush", "retention expiry",   "delete stream"};
  return names[static_cast<int>(s)];
}

struct AckedRecord {
  std::string stream, shard_id, key, data;
};

// What the workload had acknowledged when the power went.
struct Acked {
  // By stream, then sequence number (decimal): numbers are unique per shard
  // only, and two streams' first shards may share them.
  std::map<std::string, AckedRecord> records;
  std::map<std::string, AckedRecord> inflight;  // candidates of the put at the cut
  std::map<std::string, AckedRecord> expired;   // acknowledged, then past retention
  std::map<std::string, size_t> open_shards;    // by stream
  std::optional<std::pair<std::string, size_t>> inflight_shards;  // a reshard at the cut
  std::map<std::string, std::set<std::string>> tags;
  std::map<std::string, int32_t> retention_hours;
  std::set<std::string> deleted;
  std::optional<std::string> inflight_delete;
};

class PowerLossEngineTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    fs_ = std::make_shared<FaultInjectionFileSystem>();
    env_ = FaultInjectionFileSystem::NewEnv(fs_);
  }
  void TearDown() override {
    engine_.reset();
    EngineTest::TearDown();
  }
  EngineOptions Options() const {
    EngineOptions o = DefaultOptions();
    o.storage_env = env_.get();
    o.block_cache_bytes = 1 << 20;
    o.write_buffer_bytes = 1 << 20;
    o.min_free_bytes = 0;
    o.log_sink = [](LogSeverity, std::string_view) {};  // errors are the point here
    return o;
  }

  bool PutBatch(Acked* acked, const std::string& stream, int n, int round) {
    std::vector<std::string> keys, data;
    for (int i = 0; i < n; ++i) {
      keys.push_back("key-" + std::to_string((round * 7 + i) % 23));
      data.push_back("round " + std::to_string(round) + " record " + std::to_string(i) +
                     std::string(200 + i % 50, 'x'));
    }
    std::vector<PutRecordEntry> entries;
    for (int i = 0; i < n; ++i) entries.push_back(PutRecordEntry{keys[i], data[i], std::nullopt});
    std::vector<PutRecordResult> results;
    // The candidates carry no number yet: any record of this batch that shows
    // up unacknowledged is matched by content.
    acked->inflight.clear();
    for (int i = 0; i < n; ++i) {
      acked->inflight["inflight-" + std::to_string(i)] = {stream, "", keys[i], data[i]};
    }
    if (!engine_->PutRecords(stream, entries, &results).ok()) return false;
    for (int i = 0; i < n; ++i) {
      if (!results[i].status.ok()) return false;
      acked->records[stream + "/" + Dec(results[i].sequence_number)] = {
          stream, FormatShardId(results[i].shard_index), keys[i], data[i]};
    }
    acked->inflight.clear();
    return true;
  }

  // Runs the workload until it ends or a call fails (the power is cut).
  void RunWorkload(Acked* acked, Step* step) {
    *step = Step::kOpen;
    engine_.reset();
    if (!Engine::Open(Options(), &engine_).ok()) {
      engine_.reset();
      return;
    }
    const std::string a = "alpha", b = "beta";
    int round = 0;
    auto create = [&](const std::string& name, int shards) {
      *step = Step::kCreate;
      CreateStreamRequest req;
      req.stream_name = name;
      req.shard_count = shards;
      if (!engine_->CreateStream(req).ok()) return false;
      acked->open_shards[name] = shards;
      return true;
    };
    auto put = [&](const std::string& stream, int n) {
      *step = Step::kPut;
      return PutBatch(acked, stream, n, round++);
    };
    auto reshard = [&](Step kind, const std::string& stream, size_t after,
                       const std::function<Status()>& call) {
      *step = kind;
      acked->inflight_shards = {stream, after};
      if (!call().ok()) return false;
      acked->open_shards[stream] = after;
      acked->inflight_shards.reset();
      return true;
    };
    if (!create(a, 2) || !create(b, 1)) return;
    for (int i = 0; i < 4; ++i) {
      if (!put(a, 60) || !put(b, 20)) return;
    }
    const auto shards = OpenShards(a);
    if (shards.size() != 2) return;
    if (!reshard(Step::kSplit, a, 3, [&] {
          return engine_->SplitShard(a, shards[0].shard_id,
                                     shards[0].hash_key_range.starting_hash_key +
                                         (shards[0].hash_key_range.ending_hash_key -
                                          shards[0].hash_key_range.starting_hash_key) /
                                             2);
        })) {
      return;
    }
    if (!put(a, 60)) return;
    *step = Step::kTags;
    if (!engine_->AddTags(a, {Tag{"team", "storage"}}).ok()) return;
    acked->tags[a].insert("team");
    *step = Step::kRetention;
    if (!engine_->IncreaseRetentionPeriod(b, 48).ok()) return;
    acked->retention_hours[b] = 48;
    *step = Step::kFlush;
    if (!engine_->Flush().ok()) return;
    if (!put(a, 60) || !put(b, 20)) return;
    const auto open = OpenShards(a);
    if (open.size() != 3) return;
    if (!reshard(Step::kMerge, a, 2,
                 [&] { return engine_->MergeShards(a, open[1].shard_id, open[2].shard_id); })) {
      return;
    }
    if (!put(a, 60)) return;
    int32_t before = 0;
    if (!reshard(Step::kScale, b, 2, [&] { return engine_->UpdateShardCount(b, 2, &before); })) {
      return;
    }
    if (!put(b, 40)) return;
    // Everything written so far expires (alpha keeps 24 h, beta 48 h).
    // (Reads hide expired records at once, RunRetention or not.)
    clock_->AdvanceMillis(49 * kHourMs);
    acked->expired.merge(acked->records);
    acked->records.clear();
    *step = Step::kExpire;
    if (!engine_->RunRetention().ok()) return;
    if (!put(a, 30)) return;
    *step = Step::kDelete;
    acked->inflight_delete = b;
    if (!engine_->DeleteStream(b, false).ok()) return;
    acked->deleted.insert(b);
    acked->inflight_delete.reset();
    if (!put(a, 30)) return;
  }

  void Verify(const Acked& acked, const std::string& where) {
    engine_.reset();
    const Status s = Engine::Open(Options(), &engine_);
    ASSERT_TRUE(s.ok()) << where << ": reopen failed: " << s.ToString();
    std::set<std::string> streams;
    for (const auto& [name, count] : acked.open_shards) streams.insert(name);
    for (const auto& name : streams) {
      StreamInfo info;
      const Status d = engine_->DescribeStream(name, &info);
      if (acked.deleted.count(name)) {
        ASSERT_EQ(d.code(), ErrorCode::kResourceNotFound) << where << ": deleted " << name;
        continue;
      }
      if (acked.inflight_delete == name && d.code() == ErrorCode::kResourceNotFound) continue;
      ASSERT_TRUE(d.ok()) << where << ": acknowledged stream " << name << ": " << d.ToString();
      const size_t open = OpenShards(name).size();
      const size_t want = acked.open_shards.at(name);
      if (acked.inflight_shards && acked.inflight_shards->first == name) {
        ASSERT_TRUE(open == want || open == acked.inflight_shards->second)
            << where << ": " << name << " has " << open << " open shards";
      } else {
        ASSERT_EQ(open, want) << where << ": " << name << " open shards";
      }
      if (acked.tags.count(name)) {
        std::vector<Tag> tags;
        ASSERT_OK(engine_->ListTags(name, &tags));
        ASSERT_EQ(tags.size(), acked.tags.at(name).size()) << where;
      }
      if (acked.retention_hours.count(name)) {
        ASSERT_EQ(info.retention_period_hours, acked.retention_hours.at(name)) << where;
      }
      // Every record of the stream: acknowledged ones at their numbers, at
      // most the batch in flight besides, nothing twice.
      std::set<std::string> seen;
      std::map<std::string, int> inflight_seen;
      for (const auto& r : ReadStream(name)) {
        const std::string seq = name + "/" + Dec(r.record.sequence_number);
        ASSERT_TRUE(seen.insert(seq).second) << where << ": " << seq << " read twice";
        const AckedRecord* rec = nullptr;
        if (auto it = acked.records.find(seq); it != acked.records.end()) rec = &it->second;
        if (auto it = acked.expired.find(seq); it != acked.expired.end()) rec = &it->second;
        if (rec != nullptr) {
          ASSERT_EQ(rec->stream, name) << where;
          ASSERT_EQ(rec->shard_id, r.shard_id) << where << ": " << seq;
          ASSERT_EQ(rec->key, r.record.partition_key) << where;
          ASSERT_EQ(rec->data, r.record.data) << where << ": " << seq;
          continue;
        }
        bool matched = false;
        for (const auto& [id, c] : acked.inflight) {
          if (c.stream == name && c.key == r.record.partition_key && c.data == r.record.data) {
            matched = ++inflight_seen[id] == 1;
            break;
          }
        }
        ASSERT_TRUE(matched) << where << ": " << name << " " << r.shard_id << " holds " << seq
                             << " (" << r.record.data.substr(0, 24)
                             << "), never acknowledged nor in flight";
      }
      for (const auto& [seq, rec] : acked.records) {
        if (rec.stream != name) continue;
        ASSERT_TRUE(seen.count(seq))
            << where << ": acknowledged " << name << " " << rec.shard_id << " " << seq << " lost";
      }
    }
    engine_.reset();
  }

  std::shared_ptr<FaultInjectionFileSystem> fs_;
  std::unique_ptr<rocksdb::Env> env_;
};

TEST_F(PowerLossEngineTest, EveryPointReopensWithEveryAcknowledgedChange) {
  Acked full;
  Step step;
  RunWorkload(&full, &step);
  engine_.reset();
  const uint64_t total = fs_->mutating_calls();
  ASSERT_EQ(full.deleted.size(), 1u) << "the workload did not run to its end";
  Verify(full, "no cut");
  if (HasFatalFailure()) return;

  uint64_t points = 300;
  if (const char* env = std::getenv("TIDELOG_POWER_POINTS")) points = std::stoull(env);
  const uint64_t stride = std::max<uint64_t>(1, total / points);
  int by_step[kStepCount] = {};
  std::map<std::string, int> kinds;
  uint64_t cuts = 0, checked = 0;
  for (uint64_t n = 1; n <= total; n += stride) {
    std::filesystem::remove_all(dir_ / "db");
    fs_->ResetState();
    clock_ = std::make_shared<ManualClock>(kStartMicros);
    fs_->CutPowerAfter(n);
    Acked acked;
    RunWorkload(&acked, &step);
    engine_.reset();  // the process dies
    if (fs_->powered()) continue;
    ++cuts;
    ++by_step[static_cast<int>(step)];
    const std::string kind = std::string(StepName(step)) + " / " + FaultOpName(fs_->cut_op()) +
                             " " + FileClassName(fs_->cut_file());
    ++kinds[kind];
    ASSERT_TRUE(fs_->DropUnsyncedData().ok());
    checked += acked.records.size();
    Verify(acked, "cut before call " + std::to_string(n) + " (" + kind + ")");
    if (HasFatalFailure()) return;
  }
  std::printf("power cuts: %llu points of %llu calls, %llu acknowledged records checked\n",
              static_cast<unsigned long long>(cuts), static_cast<unsigned long long>(total),
              static_cast<unsigned long long>(checked));
  for (const auto& [kind, count] : kinds) std::printf("  %4d  %s\n", count, kind.c_str());
  // Every kind of step is cut when every call is (the default point count).
  if (stride == 1) {
    for (int s = 0; s < kStepCount; ++s) {
      EXPECT_GT(by_step[s], 0) << "no power cut during " << StepName(static_cast<Step>(s));
    }
  }
}

}  // namespace
}  // namespace tidelog::testing
