// Crash-test child: opens a Tidelog directory in sync mode and appends records forever, reporting
// readiness ("R") and every acknowledged record ("A <shard> <seq> <data>") on stdout, one line per
// write(2) so each line reaches the parent's pipe whole. The parent SIGKILLs it at random.
//
// Usage: tidelog_crash_child <data_dir> <stream> <tag> <seed>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "tidelog/engine.h"

namespace {

void WriteLine(const std::string& line) {
  size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = write(STDOUT_FILENO, line.data() + off, line.size() - off);
    if (n <= 0) std::_Exit(3);  // the parent is gone
    off += static_cast<size_t>(n);
  }
}

[[noreturn]] void Die(const std::string& what, const tidelog::Status& s) {
  std::fprintf(stderr, "crash_child: %s: %s\n", what.c_str(), s.ToString().c_str());
  std::_Exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s <data_dir> <stream> <tag> <seed>\n", argv[0]);
    return 1;
  }
  const std::string stream = argv[2];
  const std::string tag = argv[3];
  std::mt19937_64 rng(std::strtoull(argv[4], nullptr, 10));

  tidelog::EngineOptions options;
  options.data_dir = argv[1];
  options.durability = tidelog::Durability::kSync;
  options.quotas_enabled = false;
  options.retention_interval_ms = 0;
  std::unique_ptr<tidelog::Engine> engine;
  const tidelog::Status open = tidelog::Engine::Open(options, &engine);
  if (!open.ok()) Die("Open", open);
  WriteLine("R\n");

  uint64_t counter = 0;
  std::vector<std::string> keys, datas;
  std::vector<tidelog::PutRecordEntry> entries;
  std::vector<tidelog::PutRecordResult> results;
  for (;;) {
    const size_t n = 1 + rng() % 40;
    keys.clear();
    datas.clear();
    entries.clear();
    for (size_t i = 0; i < n; ++i) {
      keys.push_back("key" + std::to_string(rng() % 64));
      datas.push_back(tag + "-" + std::to_string(counter++) + std::string(rng() % 2000, 'p'));
    }
    for (size_t i = 0; i < n; ++i) entries.push_back({keys[i], datas[i], std::nullopt});
    if (n == 1) {
      results.assign(1, {});
      const tidelog::Status s = engine->PutRecord(stream, entries[0], std::nullopt, &results[0]);
      if (!s.ok()) Die("PutRecord", s);
    } else {
      const tidelog::Status s = engine->PutRecords(stream, entries, &results);
      if (!s.ok()) Die("PutRecords", s);
    }
    for (size_t i = 0; i < results.size(); ++i) {
      if (!results[i].status.ok()) Die("record", results[i].status);
      // Only the data's "<tag>-<n>" head goes in the ack line; the padding is implied.
      WriteLine("A " + std::to_string(results[i].shard_index) + " " +
                tidelog::SequenceNumberToDecimal(results[i].sequence_number) + " " +
                datas[i].substr(0, datas[i].find('p')) + " " + std::to_string(datas[i].size()) +
                "\n");
    }
  }
}
