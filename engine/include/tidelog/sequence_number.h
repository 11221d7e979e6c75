// External (Kinesis) sequence numbers: the engine's internal per-shard seq
// written in AWS's layout, and read back from it.
//
// Layout (version 2, as AWS hands out today; kinesalite's
// db.stringifySequence/parseSequence and the KCL's SequenceNumberValidator
// decode it the same way). 47 hex digits, 186 bits, 56 decimal digits:
//
//   bits 184..187  version, 2
//   bits 148..183  the shard's sequence epoch, in seconds (36 bits)
//   bits 144..147  the shard index's low 4 bits
//   bits  80..143  the sequence index: the engine's internal seq (< 2^63)
//   bits  72..79   zero
//   bits  36..71   arrival second of the seq (SeqMillis(seq) / 1000)
//   bits   4..35   the shard index (32 bits)
//   bits   0..3    2
//
// Invariants:
// - strictly increasing within a shard: the fields above the sequence index
//   are fixed per shard and internal seqs strictly increase;
// - unique in the stream: the shard index differs between shards;
// - a child's numbers exceed its parents': a child's epoch is above every
//   parent's (NewShard), and the epoch is compared first;
// - a number names its shard (wrong-shard use is detected) and its shard's
//   epoch (a number from another stream's shard of the same index is told
//   apart unless both were created in the same second).
//
// Numbers below 2^128 are the layout written before this one:
// internal seq << 64 | shard index. They are still accepted as input, so
// checkpoints taken before an upgrade keep working; the engine no longer
// hands them out.
#pragma once

#include <cstdint>

#include "tidelog/types.h"

namespace tidelog {

// Builds the number for internal seq `seq` of the shard with `shard_index`
// and sequence epoch `epoch_secs`.
SequenceNumber EncodeSequenceNumber(uint64_t seq, uint32_t shard_index, int64_t epoch_secs);

struct DecodedSequenceNumber {
  bool legacy = false;  // the 128-bit layout: no epoch or arrival second
  uint64_t seq = 0;     // internal seq
  uint64_t shard_index = 0;
  int64_t epoch_secs = 0;    // version 2 only
  int64_t arrival_secs = 0;  // version 2 only
};

// False when `n` is in neither layout (or its sequence index has the top bit
// set, which AWS never hands out).
bool DecodeSequenceNumber(const SequenceNumber& n, DecodedSequenceNumber* out);

}  // namespace tidelog
