// Fuzz target: catalog metadata read back from the meta column family (engine/src/catalog.cc).
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/src/catalog.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using namespace tidelog;

void StreamRoundTrip(std::string_view bytes) {
  StreamState first;
  if (!DecodeStreamMeta(bytes, &first)) return;
  const std::string encoded = EncodeStreamMeta(first);
  StreamState second;
  FUZZ_CHECK(DecodeStreamMeta(encoded, &second), bytes);
  FUZZ_CHECK(EncodeStreamMeta(second) == encoded, bytes);
  FUZZ_CHECK(second.uid == first.uid && second.name == first.name &&
                 second.created_ms == first.created_ms &&
                 second.retention_hours == first.retention_hours && second.mode == first.mode &&
                 second.encryption == first.encryption && second.key_id == first.key_id &&
                 second.metrics == first.metrics && second.tags == first.tags &&
                 second.consumers.size() == first.consumers.size() && second.quota == first.quota &&
                 second.next_shard_index == first.next_shard_index &&
                 second.scaling_events_ms == first.scaling_events_ms &&
                 second.policy == first.policy && second.stream_id == first.stream_id &&
                 second.max_record_size_kib == first.max_record_size_kib &&
                 second.warm_target_mibps == first.warm_target_mibps,
             bytes);
  FUZZ_CHECK(first.stream_id.size() == kStreamIdLength, bytes);
  FUZZ_CHECK(first.max_record_size_kib >= 1024 && first.max_record_size_kib <= 10240, bytes);
  FUZZ_CHECK(first.warm_target_mibps >= 0, bytes);
  for (size_t i = 0; i < first.consumers.size(); ++i) {
    const ConsumerState& a = first.consumers[i];
    const ConsumerState& b = second.consumers[i];
    FUZZ_CHECK(a.name == b.name && a.created_ms == b.created_ms && a.policy == b.policy &&
                   a.tags == b.tags,
               bytes);
  }
}

void ShardRoundTrip(std::string_view bytes) {
  uint64_t stream_uid = 0;
  ShardState first;
  if (!DecodeShardMeta(bytes, &stream_uid, &first)) return;
  const std::string encoded = EncodeShardMeta(stream_uid, first);
  uint64_t stream_uid2 = 0;
  ShardState second;
  FUZZ_CHECK(DecodeShardMeta(encoded, &stream_uid2, &second), bytes);
  FUZZ_CHECK(EncodeShardMeta(stream_uid2, second) == encoded, bytes);
  FUZZ_CHECK(stream_uid2 == stream_uid && second.uid == first.uid && second.index == first.index &&
                 second.range.starting_hash_key == first.range.starting_hash_key &&
                 second.range.ending_hash_key == first.range.ending_hash_key &&
                 second.parent == first.parent && second.adjacent_parent == first.adjacent_parent &&
                 second.starting_seq == first.starting_seq && second.closed == first.closed &&
                 second.ending_seq == first.ending_seq && second.created_ms == first.created_ms &&
                 second.closed_ms == first.closed_ms &&
                 second.seq_epoch_secs == first.seq_epoch_secs,
             bytes);
  // What the engine computes from a shard read back must be defined.
  (void)first.id();
  (void)first.external_seq(first.starting_seq);
}

void AccountRoundTrip(std::string_view bytes) {
  AccountSettings first;
  if (!DecodeAccountSettings(bytes, &first)) return;
  const std::string encoded = EncodeAccountSettings(first);
  AccountSettings second;
  FUZZ_CHECK(DecodeAccountSettings(encoded, &second), bytes);
  FUZZ_CHECK(EncodeAccountSettings(second) == encoded, bytes);
  FUZZ_CHECK(second.commitment == first.commitment &&
                 second.started_millis == first.started_millis &&
                 second.ended_millis == first.ended_millis &&
                 second.earliest_allowed_end_millis == first.earliest_allowed_end_millis,
             bytes);
}

}  // namespace

// Stream, shard and account metadata as read back from the meta column family
// (engine/src/catalog.cc): FlatBuffers verification, and decode(encode(decode(x))) == decode(x).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the record kind; the rest is the stored value,
  // copied so that it starts where a fresh allocation would (as RocksDB's).
  const std::string value(tidelog::fuzz::AsView(data + 1, size - 1));
  switch (data[0] % 3) {
    case 0:
      StreamRoundTrip(value);
      break;
    case 1:
      ShardRoundTrip(value);
      break;
    default:
      AccountRoundTrip(value);
      break;
  }
  return 0;
}
