// Read throughput: draining a pre-filled shard with Engine::GetRecords
// (Limit 10000) against a raw RocksDB iterator scan of the same records.
#include <benchmark/benchmark.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/micro/bench_common.h"
#include "bench/micro/benchmarks.h"

namespace tidelog::bench {
namespace {

constexpr int64_t kReadRecords = 50000;
constexpr int32_t kGetRecordsLimit = 10000;
constexpr int kFillBatch = 500;

// One single-shard engine stream and one raw DB, each holding kReadRecords
// records of `data_bytes`, flushed to SST files. Built on first use.
struct ReadFixture {
  std::optional<TempDir> engine_dir;
  std::optional<TempDir> raw_dir;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<rocksdb::DB> db;
  std::string shard_id;
  std::string error;
};

std::map<size_t, std::unique_ptr<ReadFixture>>& Fixtures() {
  static auto* fixtures = new std::map<size_t, std::unique_ptr<ReadFixture>>();
  return *fixtures;
}

std::string FillEngine(ReadFixture* f, size_t data_bytes) {
  f->engine_dir.emplace("engine-read");
  std::string err = OpenBenchEngine(f->engine_dir->path(), Durability::kAsync, 1, &f->engine);
  if (!err.empty()) return err;
  std::vector<ShardInfo> shards;
  Status s = f->engine->ListShards(kStreamName, ShardFilter{}, &shards);
  if (!s.ok()) return "ListShards: " + s.ToString();
  if (shards.size() != 1) return "expected one shard";
  f->shard_id = shards[0].shard_id;
  RecordCursor cursor(data_bytes, 0);
  std::vector<PutRecordEntry> entries(kFillBatch);
  std::vector<PutRecordResult> results;
  uint32_t unused_shard = 0;
  for (int64_t done = 0; done < kReadRecords; done += kFillBatch) {
    for (auto& e : entries) cursor.Next(&e.partition_key, &e.data, &unused_shard);
    s = f->engine->PutRecords(kStreamName, entries, &results);
    if (!s.ok()) return "PutRecords: " + s.ToString();
    for (const auto& r : results) {
      if (!r.status.ok()) return "PutRecords: " + r.status.ToString();
    }
  }
  s = f->engine->Flush();
  if (!s.ok()) return "Flush: " + s.ToString();
  return {};
}

std::string FillRaw(ReadFixture* f, size_t data_bytes) {
  f->raw_dir.emplace("raw-read");
  std::string err = OpenRawDb(f->raw_dir->path(), &f->db);
  if (!err.empty()) return err;
  RecordCursor cursor(data_bytes, 0);
  rocksdb::WriteBatch batch;
  std::string value;
  char key[16];
  uint32_t unused_shard = 0;
  for (int64_t seq = 0; seq < kReadRecords;) {
    batch.Clear();
    const int64_t arrival = NowMillis();
    for (int i = 0; i < kFillBatch; ++i, ++seq) {
      std::string_view pk, data;
      cursor.Next(&pk, &data, &unused_shard);
      EncodeRawKey(0, static_cast<uint64_t>(seq), key);
      EncodeRawValue(arrival, pk, data, &value);
      batch.Put(rocksdb::Slice(key, sizeof(key)), value);
    }
    rocksdb::Status s = f->db->Write(rocksdb::WriteOptions(), &batch);
    if (!s.ok()) return "DB::Write: " + s.ToString();
  }
  rocksdb::Status s = f->db->Flush(rocksdb::FlushOptions());
  if (!s.ok()) return "DB::Flush: " + s.ToString();
  return {};
}

const ReadFixture& GetFixture(size_t data_bytes) {
  auto& fixtures = Fixtures();
  if (!fixtures.count(data_bytes)) fixtures.clear();  // keep one store open at a time
  auto& slot = fixtures[data_bytes];
  if (!slot) {
    slot = std::make_unique<ReadFixture>();
    slot->error = FillEngine(slot.get(), data_bytes);
    if (slot->error.empty()) slot->error = FillRaw(slot.get(), data_bytes);
  }
  return *slot;
}

void SetCounters(benchmark::State& state, size_t data_bytes) {
  state.SetItemsProcessed(state.iterations() * kReadRecords);
  state.SetBytesProcessed(state.iterations() * kReadRecords * static_cast<int64_t>(data_bytes));
}

// Each iteration: TRIM_HORIZON iterator, then GetRecords until every
// pre-filled record has been returned.
void EngineRead(benchmark::State& state, size_t data_bytes) {
  const ReadFixture& f = GetFixture(data_bytes);
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  GetRecordsResult result;
  for (auto _ : state) {
    std::string iterator;
    Status s = f.engine->GetShardIterator(kStreamName, f.shard_id, ShardIteratorType::kTrimHorizon,
                                          std::nullopt, std::nullopt, &iterator);
    int64_t seen = 0;
    while (s.ok() && seen < kReadRecords) {
      s = f.engine->GetRecords(iterator, kGetRecordsLimit, &result);
      if (!s.ok() || result.records.empty()) break;
      seen += static_cast<int64_t>(result.records.size());
      iterator = std::move(result.next_shard_iterator);
    }
    if (!s.ok()) {
      state.SkipWithError(("GetRecords: " + s.ToString()).c_str());
      break;
    }
    if (seen != kReadRecords) {
      state.SkipWithError(
          ("drained " + std::to_string(seen) + " records, expected " + std::to_string(kReadRecords))
              .c_str());
      break;
    }
  }
  SetCounters(state, data_bytes);
}

// Each iteration: one iterator over the shard's key range, copying keys and
// values into pages of kGetRecordsLimit strings (a reader has to hand the
// bytes out somehow), without decoding anything.
void RawRead(benchmark::State& state, size_t data_bytes) {
  const ReadFixture& f = GetFixture(data_bytes);
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  char lower[16], upper[16];
  EncodeRawKey(0, 0, lower);
  EncodeRawKey(1, 0, upper);
  const rocksdb::Slice lower_bound(lower, sizeof(lower));
  const rocksdb::Slice upper_bound(upper, sizeof(upper));
  std::vector<std::string> page(kGetRecordsLimit);
  for (auto _ : state) {
    rocksdb::ReadOptions read_options;
    read_options.iterate_lower_bound = &lower_bound;
    read_options.iterate_upper_bound = &upper_bound;
    read_options.prefix_same_as_start = true;  // as LogStore's shard scans
    std::unique_ptr<rocksdb::Iterator> it(f.db->NewIterator(read_options));
    int64_t seen = 0;
    size_t slot = 0;
    for (it->Seek(lower_bound); it->Valid(); it->Next()) {
      page[slot].assign(it->value().data(), it->value().size());
      benchmark::DoNotOptimize(page[slot].data());
      if (++slot == page.size()) slot = 0;
      ++seen;
    }
    if (!it->status().ok() || seen != kReadRecords) {
      state.SkipWithError(
          ("scan: " + it->status().ToString() + ", " + std::to_string(seen) + " records").c_str());
      break;
    }
  }
  SetCounters(state, data_bytes);
}

}  // namespace

void RegisterReadBenchmarks(double min_time) {
  for (size_t size : {size_t{100}, size_t{1024}}) {
    const std::string suffix =
        "/records:" + std::to_string(kReadRecords) + "/size:" + std::to_string(size);
    benchmark::RegisterBenchmark(("EngineRead" + suffix).c_str(), EngineRead, size)
        ->UseRealTime()
        ->MinTime(min_time);
    benchmark::RegisterBenchmark(("RawRead" + suffix).c_str(), RawRead, size)
        ->UseRealTime()
        ->MinTime(min_time);
  }
}

void ReleaseReadFixtures() { Fixtures().clear(); }

}  // namespace tidelog::bench
