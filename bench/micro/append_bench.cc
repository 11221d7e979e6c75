// Append throughput: Engine::PutRecords against the raw RocksDB baseline
// (one WriteBatch + DB::Write per batch), registered in adjacent pairs so each
// engine/raw ratio comes from the same run.
#include <benchmark/benchmark.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "bench/micro/bench_common.h"
#include "bench/micro/benchmarks.h"

namespace tidelog::bench {
namespace {

struct AppendConfig {
  int batch;
  size_t data_bytes;
  bool sync;
  int threads;
};

// One benchmark runs at a time; thread 0 sets these up before the timed loop
// (the other threads wait at Google Benchmark's start barrier) and tears them
// down after it (all threads have passed the stop barrier).
struct EngineRun {
  std::optional<TempDir> dir;
  std::unique_ptr<Engine> engine;
};
EngineRun g_engine;

struct RawRun {
  std::optional<TempDir> dir;
  std::unique_ptr<rocksdb::DB> db;
  std::array<std::atomic<uint64_t>, kAppendShards> next_sequence{};
};
RawRun g_raw;

void SetCounters(benchmark::State& state, const AppendConfig& cfg) {
  const int64_t records = state.iterations() * cfg.batch;
  state.SetItemsProcessed(records);
  state.SetBytesProcessed(records * static_cast<int64_t>(cfg.data_bytes));
}

void EngineAppend(benchmark::State& state, AppendConfig cfg) {
  if (state.thread_index() == 0) {
    g_engine.dir.emplace("engine");
    std::string err =
        OpenBenchEngine(g_engine.dir->path(), cfg.sync ? Durability::kSync : Durability::kAsync,
                        kAppendShards, &g_engine.engine);
    if (!err.empty()) state.SkipWithError(err.c_str());
  }
  RecordCursor cursor(cfg.data_bytes, state.thread_index() + 1);
  std::vector<PutRecordEntry> entries(cfg.batch);
  std::vector<PutRecordResult> results;
  uint32_t unused_shard = 0;
  bool failed = false;
  for (auto _ : state) {
    // On failure, spin out the remaining iterations instead of breaking out:
    // every thread must reach the stop barrier.
    Engine* engine = g_engine.engine.get();
    if (failed || engine == nullptr) continue;
    for (auto& e : entries) cursor.Next(&e.partition_key, &e.data, &unused_shard);
    Status s = engine->PutRecords(kStreamName, entries, &results);
    if (s.ok()) {
      for (const auto& r : results) {
        if (!r.status.ok()) {
          s = r.status;
          break;
        }
      }
    }
    if (!s.ok()) {
      state.SkipWithError(("PutRecords: " + s.ToString()).c_str());
      failed = true;
    }
  }
  SetCounters(state, cfg);
  if (state.thread_index() == 0) {
    g_engine.engine.reset();
    g_engine.dir.reset();
  }
}

void RawAppend(benchmark::State& state, AppendConfig cfg) {
  if (state.thread_index() == 0) {
    g_raw.dir.emplace("raw");
    for (auto& seq : g_raw.next_sequence) seq.store(0);
    std::string err = OpenRawDb(g_raw.dir->path(), &g_raw.db);
    if (!err.empty()) state.SkipWithError(err.c_str());
  }
  RecordCursor cursor(cfg.data_bytes, state.thread_index() + 1);
  rocksdb::WriteOptions write_options;
  write_options.sync = cfg.sync;
  rocksdb::WriteBatch batch;
  std::string value;
  char key[16];
  bool failed = false;
  for (auto _ : state) {
    rocksdb::DB* db = g_raw.db.get();
    if (failed || db == nullptr) continue;
    batch.Clear();
    const int64_t arrival = NowMillis();
    for (int i = 0; i < cfg.batch; ++i) {
      std::string_view pk, data;
      uint32_t shard = 0;
      cursor.Next(&pk, &data, &shard);
      const uint64_t seq = g_raw.next_sequence[shard].fetch_add(1, std::memory_order_relaxed);
      EncodeRawKey(shard, seq, key);
      EncodeRawValue(arrival, pk, data, &value);
      batch.Put(rocksdb::Slice(key, sizeof(key)), value);
    }
    rocksdb::Status s = db->Write(write_options, &batch);
    if (!s.ok()) {
      state.SkipWithError(("DB::Write: " + s.ToString()).c_str());
      failed = true;
    }
  }
  SetCounters(state, cfg);
  if (state.thread_index() == 0) {
    if (g_raw.db) g_raw.db->Close().PermitUncheckedError();
    g_raw.db.reset();
    g_raw.dir.reset();
  }
}

std::string ConfigName(const AppendConfig& cfg) {
  return "/batch:" + std::to_string(cfg.batch) + "/size:" + std::to_string(cfg.data_bytes) +
         "/durability:" + (cfg.sync ? "sync" : "async");
}

}  // namespace

void RegisterAppendBenchmarks(double min_time) {
  std::vector<AppendConfig> configs;
  for (bool sync : {false, true}) {
    for (size_t size : {size_t{100}, size_t{1024}}) {
      for (int batch : {1, 100, 500}) configs.push_back({batch, size, sync, 1});
      // Concurrent single-record writers: group commit should merge them.
      configs.push_back({1, size, sync, 8});
    }
  }
  for (const AppendConfig& cfg : configs) {
    const std::string suffix = ConfigName(cfg);
    for (auto* b :
         {benchmark::RegisterBenchmark(("EngineAppend" + suffix).c_str(), EngineAppend, cfg),
          benchmark::RegisterBenchmark(("RawAppend" + suffix).c_str(), RawAppend, cfg)}) {
      b->UseRealTime()->MinTime(min_time)->Threads(cfg.threads);
    }
  }
}

}  // namespace tidelog::bench
