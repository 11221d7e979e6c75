// Catalog: the in-memory Kinesis model (streams and shards) and its encoding
// in the meta column family.
//
// Ownership and threading: the GroupCommitter's writer is the only writer of every
// field below except where noted. It mutates the catalog's structure (streams
// added/removed, shards split/merged/closed) while holding Catalog::mu
// exclusively; every other thread reads under a shared lock. Fields marked
// "committer only" are never read by other threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "engine/src/engine_stats.h"
#include "engine/src/token_bucket.h"
#include "tidelog/sequence_number.h"
#include "tidelog/types.h"

namespace tidelog {

struct ShardState {
  uint64_t uid = 0;  // unique in the data directory, never reused
  uint32_t index = 0;
  HashKeyRange range;
  int64_t parent = -1;  // shard index
  int64_t adjacent_parent = -1;
  uint64_t starting_seq = 1;
  bool closed = false;
  uint64_t ending_seq = 0;  // valid when closed
  int64_t created_ms = 0;
  int64_t closed_ms = 0;  // valid when closed
  // The epoch second of the shard's external sequence numbers
  // (tidelog/sequence_number.h): created_ms / 1000, or one above every parent's when that
  // is more, so children's numbers exceed their parents'. Fixed at creation.
  int64_t seq_epoch_secs = 0;

  // Last seq handed out. Writer only.
  uint64_t last_seq = 0;
  // Highest seq acknowledged durable; readers never go past it.
  std::atomic<uint64_t> durable_seq{0};

  // Write quota buckets. Writer only.
  TokenBucket write_bytes, write_records;
  // Read quota buckets, guarded by read_mu.
  std::mutex read_mu;
  TokenBucket read_bytes, read_calls;

  // Records below this seq were already deleted by retention. Retention only.
  uint64_t reclaimed_below = 0;

  // Traffic counters (engine_stats.h); any thread.
  ShardStats stats;

  std::string id() const { return FormatShardId(index); }
  // The external sequence number of internal seq `seq` of this shard.
  SequenceNumber external_seq(uint64_t seq) const {
    return EncodeSequenceNumber(seq, index, seq_epoch_secs);
  }
};

struct ConsumerState {
  std::string name;
  int64_t created_ms = 0;
  std::string policy;  // resource policy; empty: none
  std::map<std::string, std::string> tags;
};

struct StreamState {
  uint64_t uid = 0;
  std::string name;
  int64_t created_ms = 0;
  int32_t retention_hours = 24;
  StreamMode mode = StreamMode::kProvisioned;
  EncryptionType encryption = EncryptionType::kNone;
  std::string key_id;
  std::set<std::string> metrics;
  std::map<std::string, std::string> tags;
  std::vector<ConsumerState> consumers;
  std::optional<ShardQuota> quota;
  uint32_t next_shard_index = 0;
  std::vector<int64_t> scaling_events_ms;
  std::string policy;     // resource policy; empty: none
  std::string stream_id;  // StreamId, fixed at creation
  int32_t max_record_size_kib = 1024;
  int32_t warm_target_mibps = 0;  // on-demand warm throughput; 0: none
  // UPDATING until then (engine_transitions.cc). Not stored: a restart ends
  // every transition.
  int64_t updating_until_ms = 0;
  // Traffic counters (engine_stats.h), not stored: shared with the calls in
  // flight on the stream.
  std::shared_ptr<StreamStats> stats = std::make_shared<StreamStats>();

  // Every non-expired shard by index.
  std::map<uint32_t, std::shared_ptr<ShardState>> shards;
  // Open shards sorted by starting hash key; they tile [0, 2^128-1].
  std::vector<ShardState*> open_by_hash;

  void RebuildRouting();
  // The open shard whose range holds `hash`. O(log n).
  ShardState* Route(u128 hash) const;
  int32_t OpenShardCount() const { return static_cast<int32_t>(open_by_hash.size()); }
};

struct Catalog {
  std::shared_mutex mu;
  std::map<std::string, std::shared_ptr<StreamState>, std::less<>> streams;  // by name
  std::map<uint64_t, std::shared_ptr<StreamState>> streams_by_uid;
  std::map<uint64_t, std::shared_ptr<ShardState>> shards_by_uid;
  // Deleted streams still shown as DELETING, until `until_ms`: their data is
  // gone (deleted in the DeleteStream batch); only their description stays.
  struct Deleting {
    StreamInfo info;
    int64_t until_ms = 0;
  };
  std::map<std::string, Deleting, std::less<>> deleting;
  // Shards of streams deleted within the last iterator lifetime, by uid, so
  // GetRecords on an iterator into one names it (stream name, shard index).
  struct DeletedShard {
    std::string stream;
    uint32_t index = 0;
    int64_t deleted_ms = 0;
  };
  std::map<uint64_t, DeletedShard> deleted_shards;

  int32_t TotalShards() const { return static_cast<int32_t>(shards_by_uid.size()); }
};

// ---- Meta column family keys and encodings ----
std::string StreamMetaKey(uint64_t stream_uid);  // "s/" + be64
std::string ShardMetaKey(uint64_t shard_uid);    // "h/" + be64
std::string ShardSeqKey(uint64_t shard_uid);     // "q/" + be64 -> be64 last seq
inline constexpr char kStreamMetaPrefix[] = "s/";
inline constexpr char kShardMetaPrefix[] = "h/";
inline constexpr char kShardSeqPrefix[] = "q/";
inline constexpr char kPurgePrefix[] = "x/";  // "x/" + be64 shard uid: records to delete
inline constexpr char kNextUidKey[] = "d/next_uid";
inline constexpr char kIteratorKeyKey[] = "d/iterator_key";
inline constexpr char kAccountSettingsKey[] = "d/account_settings";

std::string EncodeStreamMeta(const StreamState& stream);
// The StreamId of streams stored before StreamIds existed: a fixed function
// of the stream's uid (never reused), so it stays the same across restarts.
std::string DerivedStreamId(uint64_t stream_uid);
// A new random StreamId.
std::string NewStreamId();
std::string EncodeShardMeta(uint64_t stream_uid, const ShardState& shard);
bool DecodeStreamMeta(std::string_view bytes, StreamState* stream);
bool DecodeShardMeta(std::string_view bytes, uint64_t* stream_uid, ShardState* shard);
std::string EncodeAccountSettings(const AccountSettings& settings);
bool DecodeAccountSettings(std::string_view bytes, AccountSettings* settings);

}  // namespace tidelog
