// Fuzz target: record chunks and their Record FlatBuffers as read back from a segment.
#include <flatbuffers/flatbuffers.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "storage/record_chunk.h"
#include "storage/record_generated.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using tidelog::storage::ChunkBuilder;
using tidelog::storage::ChunkWalk;
using tidelog::storage::WalkChunk;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

using Entries = std::vector<std::pair<uint64_t, std::string_view>>;

ChunkWalk Walk(std::string_view chunk, uint64_t key_seq, uint64_t after, uint64_t upto,
               Entries* out) {
  return WalkChunk(chunk, key_seq, after, upto, [&](uint64_t seq, std::string_view value) {
    out->emplace_back(seq, value);
    return true;
  });
}

// A stored record value, verified and read field by field as
// EngineImpl::ReadRecords does; every view must stay inside the value.
void ReadRecord(std::string_view value) {
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(value.data()), value.size());
  if (!verifier.VerifyBuffer<tidelog::storage::fb::Record>(nullptr)) return;
  const auto* rec = flatbuffers::GetRoot<tidelog::storage::fb::Record>(value.data());
  const char* begin = value.data();
  const char* end = begin + value.size();
  auto inside = [&](const void* p, size_t n) {
    const char* c = static_cast<const char*>(p);
    return c >= begin && c + n <= end;
  };
  (void)rec->arrival_ms();
  if (rec->partition_key()) {
    FUZZ_CHECK(inside(rec->partition_key()->data(), rec->partition_key()->size()), value);
  }
  if (rec->data()) FUZZ_CHECK(inside(rec->data()->data(), rec->data()->size()), value);
  if (rec->explicit_hash_key()) {
    FUZZ_CHECK(inside(rec->explicit_hash_key()->data(), rec->explicit_hash_key()->size()), value);
  }
}

}  // namespace

// Record chunks read back from a segment (storage/record_chunk.cc) and the Record FlatBuffers in
// them, verified as the engine reads them.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Copied: chunks come out of RocksDB blocks at arbitrary offsets, but the
  // input must end where its allocation does so ASan sees any overrun.
  std::string owned(tidelog::fuzz::AsView(data, size));
  const std::string_view chunk = owned;

  // A full walk (key unknown: the last seq becomes the key for the second).
  Entries all;
  const ChunkWalk first = Walk(chunk, 0, 0, kMax, &all);
  FUZZ_CHECK(first != ChunkWalk::kStopped);
  for (size_t i = 0; i < all.size(); ++i) {
    FUZZ_CHECK(i == 0 || all[i].first > all[i - 1].first, chunk);
    FUZZ_CHECK(all[i].second.data() >= chunk.data() &&
                   all[i].second.data() + all[i].second.size() <= chunk.data() + chunk.size(),
               chunk);
    ReadRecord(all[i].second);
  }
  if (all.empty()) return 0;
  const uint64_t key_seq = all.back().first;
  Entries again;
  const ChunkWalk keyed = Walk(chunk, key_seq, 0, kMax, &again);
  FUZZ_CHECK(again == all, chunk);

  // A range walk visits exactly the entries in (after, upto], in order.
  uint64_t after = 0, upto = kMax;
  if (size >= 16) {
    std::memcpy(&after, data, 8);
    std::memcpy(&upto, data + 8, 8);
    if (key_seq != kMax) after %= key_seq + 1;
  }
  Entries range;
  const ChunkWalk ranged = Walk(chunk, key_seq, after, upto, &range);
  Entries expected;
  bool past_upto = false;
  for (const auto& e : all) {
    if (e.first > upto) {
      past_upto = true;
      break;
    }
    if (e.first > after) expected.push_back(e);
  }
  if (keyed == ChunkWalk::kEnd) {
    FUZZ_CHECK(range == expected, chunk);
    FUZZ_CHECK(ranged == (past_upto ? ChunkWalk::kStopped : ChunkWalk::kEnd), chunk);
  }

  // A well-formed chunk is what ChunkBuilder writes for its entries, up to
  // the reserved zero words and padding, which the reader does not check.
  // (Entries of seq 0 are never visited, as no position is before them.)
  uint64_t first_seq = 0;
  std::memcpy(&first_seq, chunk.data() + 8, 8);  // little-endian, as on x86-64 and ARM64
  if (keyed != ChunkWalk::kEnd || first_seq == 0) return 0;
  ChunkBuilder builder;
  for (const auto& [seq, value] : all) builder.Add(seq, value);
  std::string rebuilt;
  for (std::string_view piece : builder.Finish()) rebuilt.append(piece);
  FUZZ_CHECK(rebuilt.size() == chunk.size() && builder.size_bytes() == chunk.size(), chunk);
  FUZZ_CHECK(builder.last_seq() == key_seq);
  Entries reread;
  FUZZ_CHECK(Walk(rebuilt, key_seq, 0, kMax, &reread) == ChunkWalk::kEnd, chunk);
  FUZZ_CHECK(reread.size() == all.size(), chunk);
  for (size_t i = 0; i < all.size(); ++i) {
    FUZZ_CHECK(reread[i].first == all[i].first && reread[i].second == all[i].second, chunk);
  }
  return 0;
}
