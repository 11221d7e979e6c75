// Value types of the Kinesis data model as the engine exposes them: hash keys,
// sequence numbers, shards, streams, consumers and records.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tidelog/status.h"

namespace tidelog {

// 128-bit unsigned integer: hash keys.
__extension__ typedef unsigned __int128 u128;
inline constexpr u128 kMaxHashKey = ~static_cast<u128>(0);  // 2^128 - 1

// Decimal text <-> u128. Parse accepts `0|[1-9][0-9]*` only (no sign, no
// leading zeros, no overflow past 2^128-1).
std::string U128ToDecimal(u128 v);
// Longest decimal of a u128 (2^128-1 has 39 digits).
inline constexpr size_t kMaxU128DecimalChars = 39;
// Writes the decimal digits of `v` at `out` (room for kMaxU128DecimalChars)
// and returns the end. 19-digit limbs: at most two 128-bit divisions.
char* WriteU128Decimal(u128 v, char* out);
bool ParseU128Decimal(std::string_view s, u128* out);

// A sequence number as clients see it: an unsigned integer below 2^192,
// written in decimal. The engine hands out AWS's 186-bit layout (56 decimal
// digits; tidelog/sequence_number.h documents the fields) and still reads the
// 128-bit numbers of data directories written before it. Ordered as integers.
struct SequenceNumber {
  uint64_t high = 0;  // bits 128..191
  u128 low = 0;       // bits 0..127
  auto operator<=>(const SequenceNumber&) const = default;
};
// Longest decimal of a SequenceNumber (2^192-1 has 58 digits).
inline constexpr size_t kMaxSequenceNumberDecimalChars = 58;
// Writes the decimal digits of `v` at `out` (room for
// kMaxSequenceNumberDecimalChars) and returns the end.
char* WriteSequenceNumberDecimal(const SequenceNumber& v, char* out);
std::string SequenceNumberToDecimal(const SequenceNumber& v);
// Accepts `0|[1-9][0-9]*` below 2^192 (no sign, no leading zeros).
bool ParseSequenceNumber(std::string_view s, SequenceNumber* out);

// MD5 of the partition key as an unsigned 128-bit big-endian integer: the
// Kinesis routing hash.
u128 PartitionKeyHash(std::string_view partition_key);

// "shardId-000000000007" for index 7; ParseShardId also accepts "shardId-7"
// and a bare decimal index as kinesalite does. Returns false on bad input.
std::string FormatShardId(uint32_t index);
bool ParseShardId(std::string_view id, uint32_t* index);
// A ShardId as a request names it, resolved as AWS does (kinesalite's
// db.resolveShardId and its tests against AWS record the rule): the text
// between the first '-' and the next (or the end), or the whole id when it
// has no '-' or nothing follows it, must be ASCII digits, any number of
// leading zeros, of a value 0..2147483647. So "shardId-5", "foo-5", "-5", "5"
// and "shardId-000000000005" all name shard 5; "shardId-2147483648",
// "shardId--1" and "2.14E4" name none. FormatShardId gives the canonical name.
bool ResolveShardId(std::string_view id, uint32_t* index);

enum class StreamStatus { kCreating, kDeleting, kActive, kUpdating };
enum class StreamMode { kProvisioned, kOnDemand };
enum class EncryptionType { kNone, kKms };
enum class ShardIteratorType {
  kAtSequenceNumber,
  kAfterSequenceNumber,
  kTrimHorizon,
  kLatest,
  kAtTimestamp,
};
// ListShards ShardFilter types.
enum class ShardFilterType {
  kNone,  // every shard that has not expired
  kAfterShardId,
  kAtTrimHorizon,
  kFromTrimHorizon,
  kAtLatest,
  kAtTimestamp,
  kFromTimestamp,
};

std::string_view ToString(StreamStatus s);       // "ACTIVE", ...
std::string_view ToString(StreamMode m);         // "PROVISIONED" | "ON_DEMAND"
std::string_view ToString(EncryptionType e);     // "NONE" | "KMS"
std::string_view ToString(ShardIteratorType t);  // "TRIM_HORIZON", ...
bool ParseStreamMode(std::string_view s, StreamMode* out);
bool ParseEncryptionType(std::string_view s, EncryptionType* out);
bool ParseShardIteratorType(std::string_view s, ShardIteratorType* out);
bool ParseShardFilterType(std::string_view s, ShardFilterType* out);

struct HashKeyRange {
  u128 starting_hash_key = 0;
  u128 ending_hash_key = 0;  // inclusive
};

// The hash-key ranges of `n` shards as CreateStream (and UpdateShardCount's
// UNIFORM_SCALING) lays them out: step floor(2^128 / n), shard i starts at
// i * step, the last one ends at 2^128 - 1. Empty for n == 0.
std::vector<HashKeyRange> UniformHashKeyRanges(uint32_t n);

struct ShardInfo {
  std::string shard_id;                  // "shardId-000000000000"
  std::string parent_shard_id;           // empty when none
  std::string adjacent_parent_shard_id;  // empty when none
  HashKeyRange hash_key_range;
  SequenceNumber starting_sequence_number;
  std::optional<SequenceNumber> ending_sequence_number;  // set once the shard is closed
  int64_t created_millis = 0;
  bool open() const { return !ending_sequence_number.has_value(); }
};

struct ChildShard {
  std::string shard_id;
  std::vector<std::string> parent_shards;
  HashKeyRange hash_key_range;
};

struct Tag {
  std::string key;
  std::string value;
  bool operator==(const Tag&) const = default;
};

enum class ConsumerStatus { kCreating, kDeleting, kActive };
std::string_view ToString(ConsumerStatus s);

struct ConsumerInfo {
  std::string consumer_name;
  std::string consumer_arn;  // <stream arn>/consumer/<name>:<creation epoch seconds>
  ConsumerStatus status = ConsumerStatus::kActive;
  int64_t created_millis = 0;
  std::string stream_arn;
};

// Per-shard throughput limits. 0 means unlimited for that dimension.
struct ShardQuota {
  uint64_t write_bytes_per_sec = 1 << 20;  // 1 MiB/s (data + partition key)
  uint64_t write_records_per_sec = 1000;
  uint64_t read_bytes_per_sec = 2 << 20;  // 2 MiB/s
  uint64_t read_calls_per_sec = 5;        // GetRecords calls per second
  static ShardQuota Unlimited() { return {0, 0, 0, 0}; }
  bool operator==(const ShardQuota&) const = default;
};

// Warm throughput of an on-demand stream (WarmThroughputObject): the write
// throughput in MiB/s it is asked to handle at once, and what it handles now.
struct WarmThroughput {
  int32_t target_mibps = 0;
  int32_t current_mibps = 0;
};

// StreamId: 20 characters of [a-z0-9], '-', 3 more, unique per stream and
// fixed for its life (the model's `[a-z0-9]{20}-[a-z0-9]{3}`).
inline constexpr size_t kStreamIdLength = 24;

// The DescribeStreamSummary view of a stream.
struct StreamInfo {
  std::string stream_name;
  std::string stream_arn;
  std::string stream_id;
  StreamStatus status = StreamStatus::kActive;
  StreamMode mode = StreamMode::kProvisioned;
  int32_t retention_period_hours = 24;
  int64_t created_millis = 0;
  EncryptionType encryption_type = EncryptionType::kNone;
  std::string key_id;                            // KMS key id when encryption_type == kKms
  std::vector<std::string> shard_level_metrics;  // enhanced monitoring, sorted
  int32_t open_shard_count = 0;
  int32_t consumer_count = 0;
  int32_t max_record_size_kib = 1024;             // the largest Data a record may hold, in KiB
  std::optional<ShardQuota> quota_override;       // per-stream quota, if set
  std::optional<WarmThroughput> warm_throughput;  // on-demand streams with one set
};

struct CreateStreamRequest {
  std::string stream_name;
  std::optional<int32_t> shard_count;  // required for PROVISIONED; ON_DEMAND defaults to 4
  StreamMode mode = StreamMode::kProvisioned;
  std::vector<Tag> tags;
  std::optional<ShardQuota> quota_override;
  int32_t max_record_size_kib = 1024;            // 1024..10240
  std::optional<int32_t> warm_throughput_mibps;  // on-demand only
};

// One record to append. The views need only stay valid for the duration of the
// Put* call that receives them: the engine encodes the record before returning.
struct PutRecordEntry {
  std::string_view partition_key;
  std::string_view data;
  std::optional<u128> explicit_hash_key;
};

// The outcome of one record of a put. On success `status` is OK and the other
// fields are set; on per-record failure `status` is
// ProvisionedThroughputExceeded or InternalFailure.
struct PutRecordResult {
  Status status;
  uint32_t shard_index = 0;  // FormatShardId(shard_index) is the ShardId
  SequenceNumber sequence_number;
};

struct Record {
  SequenceNumber sequence_number;
  int64_t arrival_millis = 0;  // ApproximateArrivalTimestamp
  std::string partition_key;
  std::string data;
  std::optional<u128> explicit_hash_key;
};

// A record read in place: the views point into storage buffers and are valid
// only during the visitor call that receives them.
struct RecordView {
  SequenceNumber sequence_number;
  int64_t arrival_millis = 0;
  std::string_view partition_key;
  std::string_view data;
  std::optional<u128> explicit_hash_key;
};

struct GetRecordsResult {
  std::vector<Record> records;
  std::string next_shard_iterator;  // empty: null (end of a closed shard)
  int64_t millis_behind_latest = 0;
  std::vector<ChildShard> child_shards;  // set at the end of a closed shard
};

struct ShardFilter {
  ShardFilterType type = ShardFilterType::kNone;
  std::string shard_id;          // for kAfterShardId
  int64_t timestamp_millis = 0;  // for kAtTimestamp / kFromTimestamp
};

// Account settings (DescribeAccountSettings / UpdateAccountSettings): the
// minimum throughput billing commitment. Enabling starts a commitment of at
// least 24 hours; disabling before its earliest allowed end schedules the end
// for then (status kEnabledUntilEarliestAllowedEnd), and enabling again before
// that cancels the scheduled end.
enum class CommitmentStatus { kDisabled, kEnabled, kEnabledUntilEarliestAllowedEnd };

struct AccountSettings {
  CommitmentStatus commitment = CommitmentStatus::kDisabled;
  std::optional<int64_t> started_millis;               // StartedAt
  std::optional<int64_t> ended_millis;                 // EndedAt
  std::optional<int64_t> earliest_allowed_end_millis;  // EarliestAllowedEndAt
};

struct StreamLimits {
  int32_t shard_limit = 0;
  int32_t open_shard_count = 0;
  int32_t on_demand_stream_count = 0;
  int32_t on_demand_stream_count_limit = 0;
};

// ---- Enhanced fan-out push (SubscribeToShard) -------------------------------

// Where a subscription starts and whom it reads for.
struct SubscribeToShardRequest {
  std::string consumer_arn;
  std::string shard_id;
  ShardIteratorType starting_position = ShardIteratorType::kLatest;
  std::optional<SequenceNumber> sequence_number;  // AT_/AFTER_SEQUENCE_NUMBER
  std::optional<int64_t> timestamp_millis;        // AT_TIMESTAMP
};

// Why a subscription ended.
enum class SubscriptionEnd {
  kNone,             // still active
  kLifetime,         // EngineOptions::subscription_lifetime_ms passed (clean end)
  kShardEnd,         // the shard is closed and was read to its end (clean end)
  kTakenOver,        // a newer subscription of the consumer to the shard took over
  kConsumerDeleted,  // the consumer was deregistered
  kStreamDeleted,    // the stream was deleted
  kClosed,           // Engine::EndSubscriptions or the engine closed (clean end)
  kFailed,           // a read failed (end_status holds the error)
};

// One SubscribeToShardEvent's worth of a subscription, as ReadEvent outputs
// it (the records themselves go to its visitor).
struct SubscriptionEvent {
  // An event to send now: records, the first event of the subscription, or
  // the end of the shard. False: nothing new (wait for the wake callback).
  bool has_event = false;
  int32_t record_count = 0;
  size_t record_bytes = 0;  // data + partition keys
  // Resubscribe AFTER_SEQUENCE_NUMBER this to lose and repeat nothing.
  // Absent exactly when the shard is closed and has been read to its end;
  // child_shards then lists its children.
  std::optional<SequenceNumber> continuation_sequence_number;
  int64_t millis_behind_latest = 0;
  std::vector<ChildShard> child_shards;
  // Set once the subscription is over: send has_event's event (if any), then
  // end the stream, with end_status as the error for kTakenOver,
  // kConsumerDeleted, kStreamDeleted and kFailed (OK for clean ends).
  SubscriptionEnd end = SubscriptionEnd::kNone;
  Status end_status;
};

}  // namespace tidelog
