// tidelog_example: embeds the engine with only the public headers. Opens a
// directory, creates a stream, appends a batch, reads it back, splits a shard.
//
//   tidelog_example [data-dir]
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tidelog/engine.h"

namespace {

int Fail(const tidelog::Status& s) {
  std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  tidelog::EngineOptions options;
  options.data_dir = argc > 1 ? argv[1] : "./example-data";
  std::unique_ptr<tidelog::Engine> engine;
  tidelog::Status s = tidelog::Engine::Open(options, &engine);
  if (!s.ok()) return Fail(s);

  tidelog::CreateStreamRequest create;
  create.stream_name = "example";
  create.shard_count = 2;
  s = engine->CreateStream(create);
  if (!s.ok() && s.code() != tidelog::ErrorCode::kResourceInUse) return Fail(s);

  std::vector<std::string> payloads;
  std::vector<tidelog::PutRecordEntry> batch;
  for (int i = 0; i < 10; ++i) payloads.push_back("event-" + std::to_string(i));
  for (const auto& p : payloads) batch.push_back({"user-1", p, std::nullopt});
  std::vector<tidelog::PutRecordResult> results;
  s = engine->PutRecords("example", batch, &results);
  if (!s.ok()) return Fail(s);
  const std::string shard = tidelog::FormatShardId(results[0].shard_index);
  std::printf("appended %zu records to %s\n", results.size(), shard.c_str());

  std::string iterator;
  s = engine->GetShardIterator("example", shard, tidelog::ShardIteratorType::kTrimHorizon,
                               std::nullopt, std::nullopt, &iterator);
  if (!s.ok()) return Fail(s);
  tidelog::GetRecordsResult page;
  s = engine->GetRecords(iterator, 100, &page);
  if (!s.ok()) return Fail(s);
  for (const auto& r : page.records) {
    std::printf("%s %s %s\n", tidelog::SequenceNumberToDecimal(r.sequence_number).c_str(),
                r.partition_key.c_str(), r.data.c_str());
  }

  std::vector<tidelog::ShardInfo> shards;
  s = engine->ListShards("example", {}, &shards);
  if (!s.ok()) return Fail(s);
  const auto& first = shards.front();
  if (first.open()) {
    tidelog::u128 mid =
        first.hash_key_range.starting_hash_key +
        (first.hash_key_range.ending_hash_key - first.hash_key_range.starting_hash_key) / 2;
    s = engine->SplitShard("example", first.shard_id, mid);
    if (!s.ok()) return Fail(s);
    std::printf("split %s\n", first.shard_id.c_str());
  }
  return 0;
}
