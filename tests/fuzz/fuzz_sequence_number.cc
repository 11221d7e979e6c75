// Fuzz target: sequence numbers, hash keys, shard ids and enum names as text (types.cc).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "server/kinesis/shape.h"
#include "storage/sequence.h"
#include "tests/fuzz/fuzz_util.h"
#include "tidelog/sequence_number.h"
#include "tidelog/types.h"

namespace {

using namespace tidelog;
using server::kinesis::MatchesPattern;
using server::kinesis::Pattern;

void CheckText(std::string_view text) {
  SequenceNumber n;
  if (ParseSequenceNumber(text, &n)) {
    // `0|[1-9][0-9]*`: the text is the one decimal spelling of the number.
    FUZZ_CHECK(SequenceNumberToDecimal(n) == text, text);
    char buf[kMaxSequenceNumberDecimalChars];
    FUZZ_CHECK(std::string_view(buf, WriteSequenceNumberDecimal(n, buf) - buf) == text, text);
    FUZZ_CHECK(MatchesPattern(Pattern::kSequenceNumber, text), text);
    DecodedSequenceNumber d;
    if (DecodeSequenceNumber(n, &d) && !d.legacy) {
      // A version-2 number names its fields; building one from them keeps them.
      const SequenceNumber rebuilt =
          EncodeSequenceNumber(d.seq, static_cast<uint32_t>(d.shard_index), d.epoch_secs);
      DecodedSequenceNumber e;
      FUZZ_CHECK(DecodeSequenceNumber(rebuilt, &e) && !e.legacy, text);
      FUZZ_CHECK(e.seq == d.seq && e.shard_index == d.shard_index && e.epoch_secs == d.epoch_secs,
                 text);
    }
  }
  u128 v = 0;
  if (ParseU128Decimal(text, &v)) {
    FUZZ_CHECK(U128ToDecimal(v) == text, text);
    char buf[kMaxU128DecimalChars];
    FUZZ_CHECK(std::string_view(buf, WriteU128Decimal(v, buf) - buf) == text, text);
    FUZZ_CHECK(MatchesPattern(Pattern::kHashKey, text), text);
    SequenceNumber as_seq;
    FUZZ_CHECK(ParseSequenceNumber(text, &as_seq) && as_seq.high == 0 && as_seq.low == v, text);
  }
  uint32_t index = 0;
  if (ParseShardId(text, &index)) {
    uint32_t again = ~index;
    FUZZ_CHECK(ParseShardId(FormatShardId(index), &again) && again == index, text);
  }
  if (ResolveShardId(text, &index)) {
    FUZZ_CHECK(index <= static_cast<uint32_t>(INT32_MAX), text);
    uint32_t again = ~index;
    FUZZ_CHECK(ResolveShardId(FormatShardId(index), &again) && again == index, text);
  }
  // Enum names: whatever parses prints back as itself.
  StreamMode mode;
  if (ParseStreamMode(text, &mode)) FUZZ_CHECK(ToString(mode) == text, text);
  EncryptionType encryption;
  if (ParseEncryptionType(text, &encryption)) FUZZ_CHECK(ToString(encryption) == text, text);
  ShardIteratorType iterator_type;
  if (ParseShardIteratorType(text, &iterator_type)) {
    FUZZ_CHECK(ToString(iterator_type) == text, text);
  }
  ShardFilterType filter_type;
  (void)ParseShardFilterType(text, &filter_type);
  (void)PartitionKeyHash(text);
  for (Pattern p : {Pattern::kName, Pattern::kStreamArn, Pattern::kResourceArn,
                    Pattern::kConsumerArn, Pattern::kStreamId}) {
    (void)MatchesPattern(p, text);
  }
}

// Layout properties over raw numbers: the first 40 bytes of the input.
void CheckLayout(const uint8_t* data, size_t size) {
  if (size < 40) return;
  uint64_t seq, seq2, epoch, high;
  uint32_t shard;
  std::memcpy(&seq, data, 8);
  std::memcpy(&seq2, data + 8, 8);
  std::memcpy(&epoch, data + 16, 8);
  std::memcpy(&shard, data + 24, 4);
  std::memcpy(&high, data + 28, 8);
  seq &= ~(uint64_t{1} << 63);  // internal seqs stay below 2^63
  seq2 &= ~(uint64_t{1} << 63);
  epoch &= (uint64_t{1} << 36) - 1;
  const auto epoch_secs = static_cast<int64_t>(epoch);

  const SequenceNumber a = EncodeSequenceNumber(seq, shard, epoch_secs);
  DecodedSequenceNumber d;
  FUZZ_CHECK(DecodeSequenceNumber(a, &d) && !d.legacy);
  FUZZ_CHECK(d.seq == seq && d.shard_index == shard && d.epoch_secs == epoch_secs);
  FUZZ_CHECK(d.arrival_secs ==
             static_cast<int64_t>(static_cast<uint64_t>(storage::SeqMillis(seq) / 1000) &
                                  ((uint64_t{1} << 36) - 1)));
  // Numbers grow with the seq within a shard, and print as they parse.
  const SequenceNumber b = EncodeSequenceNumber(seq2, shard, epoch_secs);
  FUZZ_CHECK((seq < seq2) == (a < b) && (seq == seq2) == (a == b));
  SequenceNumber parsed;
  FUZZ_CHECK(ParseSequenceNumber(SequenceNumberToDecimal(a), &parsed) && parsed == a);

  // Any 192-bit value prints as text that parses back.
  u128 low = 0;
  std::memcpy(&low, data + 8, 16);
  const SequenceNumber any{high, low};
  FUZZ_CHECK(ParseSequenceNumber(SequenceNumberToDecimal(any), &parsed) && parsed == any);
  u128 key = 0;
  FUZZ_CHECK(ParseU128Decimal(U128ToDecimal(low), &key) && key == low);
}

}  // namespace

// The model's numeric text (engine/src/types.cc, sequence_number.cc): sequence numbers, 128-bit
// hash keys and shard ids, parsed and printed back, and the AWS sequence-number layout's
// encode/decode.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckText(tidelog::fuzz::AsView(data, size));
  CheckLayout(data, size);
  return 0;
}
