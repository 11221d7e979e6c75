// tidelog_consumer: embeds an installed Tidelog through its public headers:
// opens an engine in DATA_DIR, creates a stream, appends a record, reads it
// back. Exits 0 only if the record read back is the one appended.
//
//   tidelog_consumer DATA_DIR
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tidelog/engine.h"

namespace {

int Fail(const char* what, const tidelog::Status& s) {
  std::fprintf(stderr, "tidelog_consumer: %s: %s\n", what, s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: tidelog_consumer DATA_DIR\n");
    return 2;
  }
  tidelog::EngineOptions options;
  options.data_dir = argv[1];
  std::unique_ptr<tidelog::Engine> engine;
  tidelog::Status s = tidelog::Engine::Open(options, &engine);
  if (!s.ok()) return Fail("open", s);

  tidelog::CreateStreamRequest create;
  create.stream_name = "packaging";
  create.shard_count = 1;
  s = engine->CreateStream(create);
  if (!s.ok()) return Fail("CreateStream", s);

  const std::string key = "consumer-key";
  const std::string payload = "installed Tidelog works";
  std::vector<tidelog::PutRecordEntry> batch = {{key, payload, std::nullopt}};
  std::vector<tidelog::PutRecordResult> results;
  s = engine->PutRecords("packaging", batch, &results);
  if (!s.ok()) return Fail("PutRecords", s);
  if (results.size() != 1 || !results[0].status.ok()) {
    std::fprintf(stderr, "tidelog_consumer: the record was not appended\n");
    return 1;
  }

  std::string iterator;
  s = engine->GetShardIterator("packaging", tidelog::FormatShardId(results[0].shard_index),
                               tidelog::ShardIteratorType::kTrimHorizon, std::nullopt, std::nullopt,
                               &iterator);
  if (!s.ok()) return Fail("GetShardIterator", s);
  tidelog::GetRecordsResult page;
  s = engine->GetRecords(iterator, 10, &page);
  if (!s.ok()) return Fail("GetRecords", s);
  if (page.records.size() != 1 || page.records[0].data != payload ||
      page.records[0].partition_key != key) {
    std::fprintf(stderr, "tidelog_consumer: read back %zu records, not the one appended\n",
                 page.records.size());
    return 1;
  }
  engine.reset();  // closes the store
  std::printf("tidelog_consumer: read back \"%s\" from %s\n", payload.c_str(),
              tidelog::FormatShardId(results[0].shard_index).c_str());
  return 0;
}
