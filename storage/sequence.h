// Internal sequence numbers of the log: seq = arrival_ms << 20 | counter.
//
// Invariant: within a shard, seqs strictly increase and the time part never
// goes backwards, even when the wall clock does (the Redis stream-ID rule:
// if now is not past the last seq's ms, keep that ms and bump the counter;
// counter overflow carries into the ms). Because time is inside the seq, a
// record's segment and an AT_TIMESTAMP position are computed, not looked up.
#pragma once

#include <algorithm>
#include <cstdint>

namespace tidelog::storage {

inline constexpr int kSeqCounterBits = 20;

constexpr uint64_t MakeSeq(int64_t ms, uint64_t counter) {
  return (static_cast<uint64_t>(ms < 0 ? 0 : ms) << kSeqCounterBits) | counter;
}
constexpr int64_t SeqMillis(uint64_t seq) { return static_cast<int64_t>(seq >> kSeqCounterBits); }

// The next seq after `last` at wall time `now_ms`: strictly greater than
// `last`, and at least MakeSeq(now_ms, 0).
constexpr uint64_t NextSeq(uint64_t last, int64_t now_ms) {
  return std::max(last + 1, MakeSeq(now_ms, 0));
}

}  // namespace tidelog::storage
