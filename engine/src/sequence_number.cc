// External sequence numbers: AWS's version-2 layout (see tidelog/sequence_number.h).
#include "tidelog/sequence_number.h"

#include <array>

#include "storage/sequence.h"

namespace tidelog {

namespace {

using Limbs = std::array<uint64_t, 3>;  // little-endian 64-bit limbs

constexpr uint64_t Mask(int width) { return width == 64 ? ~0ULL : (1ULL << width) - 1; }

// Field `width` bits wide (<= 64) at bit `offset` of a 192-bit value.
void Put(Limbs* w, int offset, int width, uint64_t value) {
  value &= Mask(width);
  const int limb = offset / 64;
  const int shift = offset % 64;
  (*w)[limb] |= value << shift;
  if (shift + width > 64) (*w)[limb + 1] |= value >> (64 - shift);
}

uint64_t Get(const Limbs& w, int offset, int width) {
  const int limb = offset / 64;
  const int shift = offset % 64;
  uint64_t v = w[limb] >> shift;
  if (shift + width > 64) v |= w[limb + 1] << (64 - shift);
  return v & Mask(width);
}

// Field offsets and widths, from bit 0 up.
constexpr int kLowVersionAt = 0, kNibble = 4;
constexpr int kShardIndexAt = 4, kShardIndexBits = 32;
constexpr int kArrivalAt = 36, kSecondsBits = 36;
constexpr int kSeqIndexAt = 80, kSeqIndexBits = 64;
constexpr int kShardNibbleAt = 144;
constexpr int kEpochAt = 148;
constexpr int kVersionAt = 184;
constexpr uint64_t kVersion = 2;

uint64_t Seconds(int64_t secs) { return secs < 0 ? 0 : static_cast<uint64_t>(secs); }

}  // namespace

SequenceNumber EncodeSequenceNumber(uint64_t seq, uint32_t shard_index, int64_t epoch_secs) {
  Limbs w{0, 0, 0};
  Put(&w, kLowVersionAt, kNibble, kVersion);
  Put(&w, kShardIndexAt, kShardIndexBits, shard_index);
  Put(&w, kArrivalAt, kSecondsBits, Seconds(storage::SeqMillis(seq) / 1000));
  // Internal seqs are ms << 20: below 2^63 until the year 2248, so the top bit
  // of the sequence index stays clear as AWS's does.
  Put(&w, kSeqIndexAt, kSeqIndexBits, seq & Mask(63));
  Put(&w, kShardNibbleAt, kNibble, shard_index);
  Put(&w, kEpochAt, kSecondsBits, Seconds(epoch_secs));
  Put(&w, kVersionAt, kNibble, kVersion);
  return SequenceNumber{w[2], (static_cast<u128>(w[1]) << 64) | w[0]};
}

bool DecodeSequenceNumber(const SequenceNumber& n, DecodedSequenceNumber* out) {
  if (n.high == 0) {
    *out = DecodedSequenceNumber{};
    out->legacy = true;
    out->seq = static_cast<uint64_t>(n.low >> 64);
    out->shard_index = static_cast<uint64_t>(n.low);
    return true;
  }
  const Limbs w{static_cast<uint64_t>(n.low), static_cast<uint64_t>(n.low >> 64), n.high};
  // 186 bits exactly, version 2 at both ends (the KCL checks the top; AWS
  // has always ended its version-2 numbers in 2).
  if ((n.high >> (kVersionAt - 128)) != kVersion) return false;
  if (Get(w, kLowVersionAt, kNibble) != kVersion) return false;
  const uint64_t seq = Get(w, kSeqIndexAt, kSeqIndexBits);
  if (seq >> 63) return false;
  *out = DecodedSequenceNumber{};
  out->seq = seq;
  out->shard_index = Get(w, kShardIndexAt, kShardIndexBits);
  out->epoch_secs = static_cast<int64_t>(Get(w, kEpochAt, kSecondsBits));
  out->arrival_secs = static_cast<int64_t>(Get(w, kArrivalAt, kSecondsBits));
  return true;
}

}  // namespace tidelog
