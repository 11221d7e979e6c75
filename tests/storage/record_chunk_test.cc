// RecordChunk: round trip, the (after, upto] window, early stop, and malformed
// chunks reported as corrupt without reading out of bounds.
#include "storage/record_chunk.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

namespace tidelog::storage {
namespace {

using Entries = std::vector<std::pair<uint64_t, std::string>>;

ChunkWalk Walk(std::string_view chunk, uint64_t key_seq, uint64_t after, uint64_t upto,
               Entries* out, size_t stop_after = SIZE_MAX) {
  return WalkChunk(chunk, key_seq, after, upto, [&](uint64_t seq, std::string_view v) {
    out->emplace_back(seq, std::string(v));
    return out->size() < stop_after;
  });
}

std::string Join(const std::vector<std::string_view>& pieces) {
  std::string out;
  for (std::string_view p : pieces) out.append(p);
  return out;
}

std::string Build(const Entries& entries) {
  ChunkBuilder b;
  for (const auto& [seq, v] : entries) b.Add(seq, v);
  std::string chunk = Join(b.Finish());
  EXPECT_EQ(chunk.size(), b.size_bytes());
  return chunk;
}

TEST(RecordChunkTest, RoundTripsValuesOfEverySize) {
  Entries in;
  for (uint64_t i = 0; i < 40; ++i) in.emplace_back(10 + 3 * i, std::string(i, char('a' + i % 26)));
  const std::string chunk = Build(in);
  EXPECT_EQ(chunk.size() % 8, 0u);
  Entries out;
  EXPECT_EQ(Walk(chunk, 127, 0, UINT64_MAX, &out), ChunkWalk::kEnd);
  EXPECT_EQ(out, in);
}

TEST(RecordChunkTest, VisitsOnlyTheWindowAndStops) {
  const std::string chunk = Build({{5, "a"}, {6, "b"}, {9, "c"}, {12, "d"}});
  Entries out;
  EXPECT_EQ(Walk(chunk, 12, 5, 9, &out), ChunkWalk::kStopped);  // 12 > upto
  EXPECT_EQ(out, (Entries{{6, "b"}, {9, "c"}}));
  out.clear();
  EXPECT_EQ(Walk(chunk, 12, 6, UINT64_MAX, &out), ChunkWalk::kEnd);
  EXPECT_EQ(out, (Entries{{9, "c"}, {12, "d"}}));
  out.clear();
  EXPECT_EQ(Walk(chunk, 12, 0, UINT64_MAX, &out, 1), ChunkWalk::kStopped);
  EXPECT_EQ(out, (Entries{{5, "a"}}));
  out.clear();
  EXPECT_EQ(Walk(chunk, 12, 12, UINT64_MAX, &out), ChunkWalk::kEnd);
  EXPECT_TRUE(out.empty());
}

TEST(RecordChunkTest, BuilderIsReusableAfterReset) {
  ChunkBuilder b;
  b.Add(1, "x");
  b.Reset();
  EXPECT_TRUE(b.empty());
  b.Add(2, "y");
  EXPECT_EQ(b.last_seq(), 2u);
  Entries out;
  EXPECT_EQ(Walk(Join(b.Finish()), 2, 0, UINT64_MAX, &out), ChunkWalk::kEnd);
  EXPECT_EQ(out, (Entries{{2, "y"}}));
}

TEST(RecordChunkTest, MalformedChunksAreCorrupt) {
  const std::string good = Build({{5, "hello"}, {7, "world!"}});
  Entries out;
  EXPECT_EQ(Walk("", 7, 0, UINT64_MAX, &out), ChunkWalk::kCorrupt);
  std::string bad_magic = good;
  bad_magic[0] ^= 1;
  EXPECT_EQ(Walk(bad_magic, 7, 0, UINT64_MAX, &out), ChunkWalk::kCorrupt);
  // Every truncation is caught, and nothing past the cut is visited.
  for (size_t n = 0; n < good.size(); ++n) {
    out.clear();
    EXPECT_EQ(Walk(good.substr(0, n), 7, 0, UINT64_MAX, &out), ChunkWalk::kCorrupt) << n;
    for (const auto& [seq, v] : out) EXPECT_EQ(v, seq == 5 ? "hello" : "world!");
  }
  // The last entry's seq must be the key's.
  out.clear();
  EXPECT_EQ(Walk(good, 8, 0, UINT64_MAX, &out), ChunkWalk::kCorrupt);
  EXPECT_EQ(Walk(Build({}), 0, 0, UINT64_MAX, &out), ChunkWalk::kCorrupt);  // empty
  std::string trailing = good + std::string(8, '\0');
  EXPECT_EQ(Walk(trailing, 7, 0, UINT64_MAX, &out), ChunkWalk::kCorrupt);
  std::string huge_size = good;
  huge_size[8 + 8 + 3] = '\x7f';  // first entry's size: ~2 GiB
  out.clear();
  EXPECT_EQ(Walk(huge_size, 7, 0, UINT64_MAX, &out), ChunkWalk::kCorrupt);
  EXPECT_TRUE(out.empty());
  // Sequence numbers must increase.
  std::string backwards = Build({{7, "a"}, {8, "b"}});
  backwards[8 + 16 + 8] = 6;  // second entry's seq: 6 after 7
  out.clear();
  EXPECT_EQ(Walk(backwards, 8, 0, UINT64_MAX, &out), ChunkWalk::kCorrupt);
}

TEST(RecordChunkTest, RandomBytesNeverCrash) {
  std::mt19937_64 rng(11);
  const std::string good = Build({{1, std::string(100, 'q')}, {2, "r"}, {3, "s"}});
  for (int i = 0; i < 20000; ++i) {
    std::string s = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) s[rng() % s.size()] = static_cast<char>(rng());
    Entries out;
    const ChunkWalk w = Walk(s, 3, 0, UINT64_MAX, &out);
    EXPECT_TRUE(w == ChunkWalk::kEnd || w == ChunkWalk::kCorrupt || w == ChunkWalk::kStopped);
    for (const auto& [seq, v] : out) EXPECT_LE(v.size(), s.size());
  }
}

}  // namespace
}  // namespace tidelog::storage
