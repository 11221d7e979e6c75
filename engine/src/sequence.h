// External (Kinesis) sequence numbers.
//
// external = internal seq (high 64 bits) ‖ shard index (low 64 bits), printed
// in decimal. Invariants: strictly increasing within a shard (internal seqs
// are); unique in the stream (the shard index differs between shards); a
// child's numbers exceed its parents' (children start above the parents' last
// internal seq, which is compared first); and a number names its shard, so a
// number used on the wrong shard is detected.
#pragma once

#include <cstdint>

#include "tidelog/types.h"

namespace tidelog {

inline u128 ExternalSeq(uint64_t seq, uint32_t shard_index) {
  return (static_cast<u128>(seq) << 64) | shard_index;
}
inline uint64_t InternalSeq(u128 external) { return static_cast<uint64_t>(external >> 64); }
inline uint64_t ExternalSeqShardIndex(u128 external) { return static_cast<uint64_t>(external); }

}  // namespace tidelog
