// Engine: the embeddable Tidelog log store with the Kinesis data model.
//
// Open a directory, create streams, append records, read them back through
// shard iterators, reshard, and close, with no server. Every method is
// thread-safe. Streams are named by StreamName; ARNs are resolved with
// ResolveStream(). Every failure is a Status carrying the AWS exception name
// and message.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tidelog/metrics.h"
#include "tidelog/options.h"
#include "tidelog/status.h"
#include "tidelog/types.h"

namespace tidelog {

// ---- Enhanced fan-out push (SubscribeToShard) -------------------------------
// A subscription of a consumer to one shard (Engine::SubscribeToShard).
// Ownership: the caller holds it by shared_ptr; the engine holds it too while
// it is active (to wake it), and lets go of it, and of the wake callback, the
// moment it ends. Thread-safe; ReadEvent calls are serialised internally.
class ShardSubscription {
 public:
  virtual ~ShardSubscription() = default;
  // Reads what is durable past the subscription's position, at most
  // `max_records` records and about `max_bytes` (one record over is allowed
  // when it is the first), handing each to `visit` (views valid during the
  // call; `visit` must not call into the engine), and advances the position.
  // Returns non-OK only when reading failed; the subscription has then ended
  // (kFailed). See SubscriptionEvent for the outputs.
  virtual Status ReadEvent(int32_t max_records, size_t max_bytes,
                           const std::function<void(const RecordView&)>& visit,
                           SubscriptionEvent* event) = 0;
  // Ends the subscription (the client went away). Idempotent; the engine
  // drops its references, and the wake callback, before it returns.
  virtual void Close() = 0;
};

class Engine {
 public:
  // Opens (creating if missing) the store in options.data_dir and recovers
  // every stream, shard and record acknowledged before the last close or crash.
  static Status Open(const EngineOptions& options, std::unique_ptr<Engine>* engine);

  // Flushes and closes. Blocks until in-flight appends are completed.
  virtual ~Engine() = default;

  // ---- Streams -----------------------------------------------------------
  virtual Status CreateStream(const CreateStreamRequest& request) = 0;
  virtual Status DeleteStream(std::string_view stream, bool enforce_consumer_deletion) = 0;
  virtual Status DescribeStream(std::string_view stream, StreamInfo* info) = 0;
  // Every stream, sorted by name.
  virtual Status ListStreams(std::vector<StreamInfo>* streams) = 0;
  // Shards sorted by shard id. Expired shards (closed and past retention)
  // are never listed.
  virtual Status ListShards(std::string_view stream, const ShardFilter& filter,
                            std::vector<ShardInfo>* shards) = 0;
  // Picks the stream named by `name` and/or `arn` (at least one non-empty;
  // when both, they must agree) and returns its name.
  // As above, also by StreamId (`stream_id`; any of the three may be empty,
  // at least one must not be; those given must name the same stream).
  virtual Status ResolveStream(std::string_view name, std::string_view arn,
                               std::string_view stream_id, std::string* stream_name) = 0;
  virtual Status ResolveStream(std::string_view name, std::string_view arn,
                               std::string* stream_name) = 0;
  virtual std::string StreamArn(std::string_view stream_name) const = 0;

  virtual Status IncreaseRetentionPeriod(std::string_view stream, int32_t hours) = 0;
  virtual Status DecreaseRetentionPeriod(std::string_view stream, int32_t hours) = 0;
  virtual Status UpdateStreamMode(std::string_view stream, StreamMode mode) = 0;
  // Switching to ON_DEMAND with a warm throughput (WarmThroughputMiBps).
  virtual Status UpdateStreamMode(std::string_view stream, StreamMode mode,
                                  std::optional<int32_t> warm_throughput_mibps) = 0;
  // The largest record the stream takes and returns, 1024..10240 KiB.
  virtual Status UpdateMaxRecordSize(std::string_view stream, int32_t max_record_size_kib) = 0;
  // An on-demand stream's warm throughput, in an account with the minimum
  // throughput billing commitment enabled. Outputs the stream's setting.
  virtual Status UpdateStreamWarmThroughput(std::string_view stream, int32_t mibps,
                                            WarmThroughput* warm) = 0;
  virtual Status StartStreamEncryption(std::string_view stream, EncryptionType type,
                                       std::string_view key_id) = 0;
  virtual Status StopStreamEncryption(std::string_view stream, EncryptionType type,
                                      std::string_view key_id) = 0;
  // Metrics are AWS shard-level metric names or "ALL". Outputs the metrics
  // enabled before and after the call.
  virtual Status EnableEnhancedMonitoring(std::string_view stream,
                                          const std::vector<std::string>& metrics,
                                          std::vector<std::string>* current,
                                          std::vector<std::string>* desired) = 0;
  virtual Status DisableEnhancedMonitoring(std::string_view stream,
                                           const std::vector<std::string>& metrics,
                                           std::vector<std::string>* current,
                                           std::vector<std::string>* desired) = 0;
  // Per-stream quota override; nullopt returns to the engine default.
  virtual Status SetStreamQuota(std::string_view stream, std::optional<ShardQuota> quota) = 0;
  virtual Status DescribeLimits(StreamLimits* limits) = 0;

  // ---- Tags --------------------------------------------------------------
  virtual Status AddTags(std::string_view stream, const std::vector<Tag>& tags) = 0;
  virtual Status RemoveTags(std::string_view stream, const std::vector<std::string>& keys) = 0;
  // Sorted by key.
  virtual Status ListTags(std::string_view stream, std::vector<Tag>* tags) = 0;
  // The same on a stream ARN or a consumer ARN (TagResource, UntagResource,
  // ListTagsForResource). A consumer's tags go with it when it is deregistered.
  virtual Status TagResource(std::string_view resource_arn, const std::vector<Tag>& tags) = 0;
  virtual Status UntagResource(std::string_view resource_arn,
                               const std::vector<std::string>& keys) = 0;
  virtual Status ListTagsForResource(std::string_view resource_arn, std::vector<Tag>* tags) = 0;

  // ---- Resource policies -------------------------------------------------
  // A policy per stream ARN or consumer ARN (`resource_arn`), a JSON document
  // the caller has checked. Deleting the stream (or deregistering the
  // consumer) drops it.
  virtual Status PutResourcePolicy(std::string_view resource_arn, std::string_view policy) = 0;
  // "{}" when the resource has none, as AWS answers.
  virtual Status GetResourcePolicy(std::string_view resource_arn, std::string* policy) = 0;
  virtual Status DeleteResourcePolicy(std::string_view resource_arn) = 0;

  // ---- Account settings ----------------------------------------------------
  virtual Status DescribeAccountSettings(AccountSettings* settings) = 0;
  // Enables or disables the minimum throughput billing commitment and outputs
  // the settings after the call.
  virtual Status UpdateAccountSettings(bool enable_commitment, AccountSettings* settings) = 0;

  // ---- Resharding --------------------------------------------------------
  virtual Status SplitShard(std::string_view stream, std::string_view shard_to_split,
                            u128 new_starting_hash_key) = 0;
  virtual Status MergeShards(std::string_view stream, std::string_view shard_to_merge,
                             std::string_view adjacent_shard_to_merge) = 0;
  // UNIFORM_SCALING. Outputs the open shard count before the call.
  virtual Status UpdateShardCount(std::string_view stream, int32_t target_shard_count,
                                  int32_t* current_shard_count) = 0;

  // ---- Enhanced fan-out consumers ------------------------------------------
  virtual Status RegisterStreamConsumer(std::string_view stream, std::string_view consumer_name,
                                        ConsumerInfo* consumer) = 0;
  // With tags on the new consumer (as TagResource on its ARN would set them).
  virtual Status RegisterStreamConsumer(std::string_view stream, std::string_view consumer_name,
                                        const std::vector<Tag>& tags, ConsumerInfo* consumer) = 0;
  // Names a consumer by ARN, or by stream plus consumer name.
  virtual Status DeregisterStreamConsumer(std::string_view stream, std::string_view consumer_name,
                                          std::string_view consumer_arn) = 0;
  virtual Status DescribeStreamConsumer(std::string_view stream, std::string_view consumer_name,
                                        std::string_view consumer_arn, ConsumerInfo* consumer) = 0;
  virtual Status ListStreamConsumers(std::string_view stream,
                                     std::vector<ConsumerInfo>* consumers) = 0;

  // ---- Enhanced fan-out push (SubscribeToShard) -----------------------------
  // Subscribes the consumer (which must exist; its stream must own the shard)
  // to the shard from the request's starting position. `wake` is called,
  // coalesced (at most once per ReadEvent), when records become durable on
  // the shard after a group commit, when the shard closes, when a throttled
  // read may go on, and once when the engine ends the subscription (lifetime,
  // takeover, deregistration, stream deletion, EndSubscriptions). It runs on
  // engine threads (the committer's among them): it must not block or call
  // into the engine; hand the ReadEvent to another thread. It is never called
  // after Close() returns, nor from the engine's destructor.
  // Fails with ResourceInUse while another subscription of the consumer to
  // the shard, begun less than 5 s ago, is active; an older one is taken over
  // (it ends with kTakenOver).
  virtual Status SubscribeToShard(const SubscribeToShardRequest& request,
                                  std::function<void()> wake,
                                  std::shared_ptr<ShardSubscription>* subscription) = 0;
  // Ends every active subscription (kClosed, woken) and refuses new ones
  // (InternalFailure): the first step of an orderly shutdown, so streaming
  // responses finish before the server drains.
  virtual void EndSubscriptions() = 0;

  // ---- Data plane --------------------------------------------------------
  // Appends a batch (1..500 records, <= 5 MiB). Whole-call failures (unknown
  // stream, validation) return non-OK and store nothing; otherwise `results`
  // has one entry per record in request order, each OK or failed on its own
  // (throttling). Returns after the successful records are acknowledged under
  // the configured durability.
  virtual Status PutRecords(std::string_view stream, std::span<const PutRecordEntry> records,
                            std::vector<PutRecordResult>* results) = 0;

  using PutCallback = std::function<void(Status, std::vector<PutRecordResult>)>;
  // As PutRecords, but returns at once; `done` runs exactly once, on an engine
  // thread, when the batch is acknowledged or has failed. It must not block.
  virtual void PutRecordsAsync(std::string_view stream, std::span<const PutRecordEntry> records,
                               PutCallback done) = 0;
  // As PutRecordsAsync for one record, with PutRecord's error texts (which
  // name `data`, not `records.1.member.data`).
  virtual void PutRecordAsync(std::string_view stream, const PutRecordEntry& record,
                              PutCallback done) = 0;

  // One record. With `sequence_number_for_ordering` (any number in either
  // layout, "0" included), the new record's internal seq is above the
  // number's, so its sequence number is strictly greater than any earlier
  // number of the same shard.
  virtual Status PutRecord(std::string_view stream, const PutRecordEntry& record,
                           std::optional<SequenceNumber> sequence_number_for_ordering,
                           PutRecordResult* result) = 0;

  // `starting_sequence_number` is used by AT_/AFTER_SEQUENCE_NUMBER,
  // `timestamp_millis` by AT_TIMESTAMP.
  virtual Status GetShardIterator(std::string_view stream, std::string_view shard_id,
                                  ShardIteratorType type,
                                  std::optional<SequenceNumber> starting_sequence_number,
                                  std::optional<int64_t> timestamp_millis,
                                  std::string* shard_iterator) = 0;

  // Up to `limit` (1..10000) records and at most 10 MiB from the iterator.
  virtual Status GetRecords(std::string_view shard_iterator, int32_t limit,
                            GetRecordsResult* result) = 0;

  using RecordVisitor = std::function<void(const RecordView&)>;
  // As GetRecords, without copying: each record is handed to `visit` in
  // order, read in place from storage, and `result->records` stays empty.
  // `visit` must not call back into the engine.
  virtual Status GetRecords(std::string_view shard_iterator, int32_t limit,
                            const RecordVisitor& visit, GetRecordsResult* result) = 0;

  // ---- Maintenance -------------------------------------------------------
  // Enforces retention now: hides expired records (this is always exact, even
  // without calling this), expires closed shards, and reclaims disk.
  virtual Status RunRetention() = 0;
  // Runs one round of on-demand scaling now (EngineOptions::
  // on_demand_interval_ms runs them in the background): splits the hot shards
  // and merges a cold adjacent pair of every ON_DEMAND stream outside its
  // cooldown, by the write demand measured since the previous round.
  virtual Status RunOnDemandScaling() = 0;
  // Flushes memtables to SST files (for tests and tools measuring disk use).
  virtual Status Flush() = 0;
  // Bytes of live SST and WAL files under the data directory.
  virtual uint64_t DiskUsageBytes() = 0;
  // A snapshot of every stream's and shard's counters and of the store
  // (tidelog/metrics.h). Costs a RocksDB size estimate per segment: meant for
  // a scrape every few seconds, not per request.
  virtual Status CollectMetrics(EngineMetrics* metrics) = 0;
  // The streams' and shards' counters only (no stored bytes, no store
  // figures): no I/O, for sampling every second.
  virtual Status CollectTrafficMetrics(EngineMetrics* metrics) = 0;
  // Only the store's figures (EngineMetrics::store): cheap, for health checks.
  virtual Status CollectStoreMetrics(StoreMetrics* metrics) = 0;
};

}  // namespace tidelog
