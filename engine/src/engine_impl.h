// EngineImpl: the Engine behind the public header.
//
// Threads: callers (any thread) validate and encode; the GroupCommitter's
// writer (its thread, or a waiting caller that found it idle) runs every
// state change in a single serial order (appends, stream and shard
// metadata, resharding), so routing, sequence assignment and write quotas
// need no locks and a record can never be routed to a shard that a split has
// already closed. Readers take Catalog::mu shared and never read past a
// shard's durable_seq. A retention thread (optional) reclaims disk.
//
// Implementation is split by concern: engine_impl.cc (open, recovery, the
// committer plumbing, shared helpers), engine_streams.cc (stream lifecycle
// and listing), engine_transitions.cc (CREATING / UPDATING / DELETING),
// engine_settings.cc (retention, mode, encryption, monitoring, consumers),
// engine_tags.cc (tags on streams and consumers), engine_capacity.cc (record
// size, warm throughput), engine_policies.cc, engine_account.cc,
// engine_reshard.cc, engine_data.cc (put, iterators, get),
// engine_retention.cc, engine_on_demand.cc (on-demand scaling), engine_metrics.cc (CollectMetrics;
// the counters themselves are in engine_stats.h). Kinesis limits live in limits.h.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "engine/src/catalog.h"
#include "engine/src/engine_subscriptions.h"
#include "engine/src/iterator_token.h"
#include "storage/group_committer.h"
#include "storage/log_store.h"
#include "tidelog/engine.h"

namespace tidelog {

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(const EngineOptions& options);
  ~EngineImpl() override;
  Status Init();

  Status CreateStream(const CreateStreamRequest& request) override;
  Status DeleteStream(std::string_view stream, bool enforce_consumer_deletion) override;
  Status DescribeStream(std::string_view stream, StreamInfo* info) override;
  Status ListStreams(std::vector<StreamInfo>* streams) override;
  Status ListShards(std::string_view stream, const ShardFilter& filter,
                    std::vector<ShardInfo>* shards) override;
  Status ResolveStream(std::string_view name, std::string_view arn,
                       std::string* stream_name) override;
  Status ResolveStream(std::string_view name, std::string_view arn, std::string_view stream_id,
                       std::string* stream_name) override;
  std::string StreamArn(std::string_view stream_name) const override;
  Status IncreaseRetentionPeriod(std::string_view stream, int32_t hours) override;
  Status DecreaseRetentionPeriod(std::string_view stream, int32_t hours) override;
  Status UpdateStreamMode(std::string_view stream, StreamMode mode) override;
  Status UpdateStreamMode(std::string_view stream, StreamMode mode,
                          std::optional<int32_t> warm_throughput_mibps) override;
  Status UpdateMaxRecordSize(std::string_view stream, int32_t max_record_size_kib) override;
  Status UpdateStreamWarmThroughput(std::string_view stream, int32_t mibps,
                                    WarmThroughput* warm) override;
  Status StartStreamEncryption(std::string_view stream, EncryptionType type,
                               std::string_view key_id) override;
  Status StopStreamEncryption(std::string_view stream, EncryptionType type,
                              std::string_view key_id) override;
  Status EnableEnhancedMonitoring(std::string_view stream, const std::vector<std::string>& metrics,
                                  std::vector<std::string>* current,
                                  std::vector<std::string>* desired) override;
  Status DisableEnhancedMonitoring(std::string_view stream, const std::vector<std::string>& metrics,
                                   std::vector<std::string>* current,
                                   std::vector<std::string>* desired) override;
  Status SetStreamQuota(std::string_view stream, std::optional<ShardQuota> quota) override;
  Status DescribeLimits(StreamLimits* limits) override;
  Status AddTags(std::string_view stream, const std::vector<Tag>& tags) override;
  Status RemoveTags(std::string_view stream, const std::vector<std::string>& keys) override;
  Status ListTags(std::string_view stream, std::vector<Tag>* tags) override;
  Status TagResource(std::string_view resource_arn, const std::vector<Tag>& tags) override;
  Status UntagResource(std::string_view resource_arn,
                       const std::vector<std::string>& keys) override;
  Status ListTagsForResource(std::string_view resource_arn, std::vector<Tag>* tags) override;
  Status PutResourcePolicy(std::string_view resource_arn, std::string_view policy) override;
  Status GetResourcePolicy(std::string_view resource_arn, std::string* policy) override;
  Status DeleteResourcePolicy(std::string_view resource_arn) override;
  Status DescribeAccountSettings(AccountSettings* settings) override;
  Status UpdateAccountSettings(bool enable_commitment, AccountSettings* settings) override;
  Status SplitShard(std::string_view stream, std::string_view shard_to_split,
                    u128 new_starting_hash_key) override;
  Status MergeShards(std::string_view stream, std::string_view shard_to_merge,
                     std::string_view adjacent_shard_to_merge) override;
  Status UpdateShardCount(std::string_view stream, int32_t target_shard_count,
                          int32_t* current_shard_count) override;
  Status RegisterStreamConsumer(std::string_view stream, std::string_view consumer_name,
                                ConsumerInfo* consumer) override;
  Status RegisterStreamConsumer(std::string_view stream, std::string_view consumer_name,
                                const std::vector<Tag>& tags, ConsumerInfo* consumer) override;
  Status DeregisterStreamConsumer(std::string_view stream, std::string_view consumer_name,
                                  std::string_view consumer_arn) override;
  Status DescribeStreamConsumer(std::string_view stream, std::string_view consumer_name,
                                std::string_view consumer_arn, ConsumerInfo* consumer) override;
  Status ListStreamConsumers(std::string_view stream,
                             std::vector<ConsumerInfo>* consumers) override;
  Status PutRecords(std::string_view stream, std::span<const PutRecordEntry> records,
                    std::vector<PutRecordResult>* results) override;
  void PutRecordsAsync(std::string_view stream, std::span<const PutRecordEntry> records,
                       PutCallback done) override;
  void PutRecordAsync(std::string_view stream, const PutRecordEntry& record,
                      PutCallback done) override;
  Status PutRecord(std::string_view stream, const PutRecordEntry& record,
                   std::optional<SequenceNumber> sequence_number_for_ordering,
                   PutRecordResult* result) override;
  Status GetShardIterator(std::string_view stream, std::string_view shard_id,
                          ShardIteratorType type,
                          std::optional<SequenceNumber> starting_sequence_number,
                          std::optional<int64_t> timestamp_millis,
                          std::string* shard_iterator) override;
  Status GetRecords(std::string_view shard_iterator, int32_t limit,
                    GetRecordsResult* result) override;
  Status GetRecords(std::string_view shard_iterator, int32_t limit, const RecordVisitor& visit,
                    GetRecordsResult* result) override;
  // engine_subscriptions.cc
  Status SubscribeToShard(const SubscribeToShardRequest& request, std::function<void()> wake,
                          std::shared_ptr<ShardSubscription>* subscription) override;
  void EndSubscriptions() override;
  Status RunRetention() override;
  Status RunOnDemandScaling() override;  // engine_on_demand.cc
  Status Flush() override;
  uint64_t DiskUsageBytes() override;
  Status CollectMetrics(EngineMetrics* metrics) override;  // engine_metrics.cc
  Status CollectStoreMetrics(StoreMetrics* metrics) override;
  Status CollectTrafficMetrics(EngineMetrics* metrics) override;  // engine_metrics.cc

  // ---- Shared by the engine_*.cc files ----
  const std::string& account() const { return options_.account_id; }
  int64_t NowMs() const { return clock_->NowMillis(); }
  int64_t NowUs() const { return clock_->NowMicros(); }

  // The stream named `name`; caller holds catalog_.mu (any mode) or is the
  // committer thread. nullptr if none.
  StreamState* FindStream(std::string_view name) const;

  // Runs `fn` on the committer thread (serialised with every append and
  // metadata change), writes what it added to the batch with fsync, and
  // returns fn's status, or the write's if fn succeeded. `kind`: kAppend
  // (default) for changes that add data, refused with kDiskFull below the
  // free-space reserve without running fn; kReclaim for deletions.
  Status Mutate(std::function<Status(storage::LogBatch*)> fn,
                storage::WriteKind kind = storage::WriteKind::kAppend);

  // The client-facing status of a failed storage write: kDiskFull for
  // NoSpace, else a generic kIoError. Never RocksDB's text (it names server
  // paths); the store has logged the details.
  static Status WriteError(const rocksdb::Status& s);

  // Committer-thread helpers.
  uint64_t AllocateUid(storage::LogBatch* batch);
  std::shared_ptr<ShardState> NewShard(StreamState* stream, HashKeyRange range, int64_t parent,
                                       int64_t adjacent_parent, uint64_t starting_seq,
                                       storage::LogBatch* batch);
  void CloseShard(StreamState* stream, ShardState* shard, storage::LogBatch* batch);
  Status SplitLocked(StreamState* stream, ShardState* shard, u128 new_start,
                     storage::LogBatch* batch, bool any_interior_key);
  Status MergeLocked(StreamState* stream, ShardState* a, ShardState* b, storage::LogBatch* batch);
  void ApplyQuota(const StreamState& stream, ShardState* shard);
  // Window of new segments: max(segment_min_window_ms, longest retention /
  // max_segments). Cached; RefreshSegmentWindow() after retention changes.
  int64_t SegmentWindowMs() const { return segment_window_ms_; }
  void RefreshSegmentWindow();

  // Retention rules.
  static int64_t RetentionMs(int32_t hours) { return int64_t{hours} * 3600 * 1000; }
  // First internal seq not yet expired at `now_ms`.
  static uint64_t TrimSeq(int32_t retention_hours, int64_t now_ms);
  static bool ShardExpired(int32_t retention_hours, const ShardState& shard, int64_t now_ms);

  ShardInfo DescribeShard(const ShardState& shard) const;

 private:
  // engine_metrics.cc: every stream's and shard's counters, under the catalog's shared lock,
  // and the uids of the shards listed (in order) for the stored-bytes estimate.
  void CollectTraffic(EngineMetrics* out, std::vector<uint64_t>* shard_uids);
  friend class AppendJob;
  friend class SubscriptionImpl;
  // engine_subscriptions.cc. After a group commit made records of the shard
  // durable (the committer thread): wakes its subscribers. Never blocks.
  void NotifySubscribers(uint64_t shard_uid);
  // After a metadata change is written (Mutate): ends the subscriptions whose
  // consumer or stream is gone and wakes those whose shard closed.
  void RevalidateSubscriptions();
  Status ValidateStreamName(std::string_view name) const;
  Status ChangeRetention(std::string_view stream, int32_t hours, bool increase);
  Status ChangeMonitoring(std::string_view stream, const std::vector<std::string>& metrics,
                          bool enable, std::vector<std::string>* current,
                          std::vector<std::string>* desired);
  Status FindConsumer(std::string_view stream, std::string_view consumer_name,
                      std::string_view consumer_arn, StreamState** s, size_t* index) const;
  ConsumerInfo DescribeConsumer(const StreamState& stream, const ConsumerState& c) const;
  void RetentionLoop();
  void OnDemandLoop();
  Status PurgeDeletedShards();
  // engine_transitions.cc: CREATING / UPDATING / DELETING for
  // options_.stream_transition_ms. Callers hold catalog_.mu (MarkUpdating,
  // ShowDeleting: exclusively) or are the committer.
  StreamStatus StatusOf(const StreamState& stream) const;
  // ResourceInUseException "... not ACTIVE, instead in state S" unless ACTIVE.
  Status RequireActive(const StreamState& stream) const;
  void MarkUpdating(StreamState* stream);
  void ShowDeleting(StreamInfo info);
  // engine_streams.cc: DescribeStream's answer for a stream in the catalog.
  void DescribeLocked(const StreamState& stream, StreamInfo* info) const;
  // The DELETING description of `name`, or nullptr.
  const StreamInfo* FindDeleting(std::string_view name) const;
  // engine_reads.cc: the records of `shard` with after < seq <= upto, in
  // order, read in place into `visit`: at most max_records, and past the
  // first record at most max_bytes of data and keys. `visit` must not call
  // back into the engine.
  struct ShardRead {
    size_t bytes = 0;
    uint64_t last = 0;  // seq of the last record visited (`after` if none)
    int32_t count = 0;
    bool stopped_early = false;  // a bound stopped it with more readable
  };
  Status ReadRecords(const ShardState& shard, uint64_t after, uint64_t upto, int32_t max_records,
                     size_t max_bytes, const RecordVisitor& visit, ShardRead* out);
  // The children of shard `shard_index` of stream `stream_uid`; caller holds
  // catalog_.mu.
  std::vector<ChildShard> ChildShardsOf(uint64_t stream_uid, uint32_t shard_index) const;
  // engine_tags.cc: the tag map of a stream or consumer ARN and its name in
  // messages ("stream S", "consumer ARN"); caller holds catalog_.mu or is the
  // committer. CheckTagCharacters: AWS's character rules.
  Status FindTags(std::string_view resource_arn, std::map<std::string, std::string>** tags,
                  StreamState** stream, std::string* resource);
  Status CheckTagCharacters(const std::vector<Tag>& tags, std::string_view resource) const;
  // The tags of a consumer being registered: characters and count.
  Status CheckConsumerTags(const std::vector<Tag>& tags, std::string_view consumer_name) const;
  // engine_capacity.cc: a warm throughput the stream and the account allow;
  // caller holds catalog_.mu.
  Status CheckWarmThroughput(std::string_view stream, StreamMode mode, int32_t mibps);
  // engine_policies.cc: the policy slot of a stream or consumer ARN; caller
  // holds catalog_.mu or is the committer.
  Status FindPolicy(std::string_view resource_arn, std::string** policy, StreamState** stream);
  // engine_account.cc: the stored settings, read on first use; caller holds
  // account_mu_.
  Status LoadAccountSettingsLocked();

  EngineOptions options_;
  std::shared_ptr<Clock> clock_;
  std::unique_ptr<storage::LogStore> store_;
  std::unique_ptr<storage::GroupCommitter> committer_;
  std::unique_ptr<IteratorCodec> iterators_;
  Catalog catalog_;
  uint64_t next_uid_ = 1;          // committer only (and Init)
  int64_t segment_window_ms_ = 0;  // committer only (and Init)

  std::mutex retention_mu_;  // serialises RunRetention
  std::mutex retention_stop_mu_;
  std::condition_variable retention_cv_;
  bool retention_stop_ = false;
  bool retention_kick_ = false;  // guarded by retention_stop_mu_: run a round now
  std::thread retention_thread_;

  // On-demand scaling (engine_on_demand.cc): the previous round's counters
  // per open shard of an on-demand stream, and each stream's last action.
  // Guarded by on_demand_mu_ (one round at a time). Its thread stops with
  // the retention thread (retention_stop_).
  struct OnDemandSample {
    int64_t ms = 0;
    uint64_t bytes = 0;    // stored and refused
    uint64_t records = 0;  // stored and refused
    int cold_rounds = 0;   // rounds in a row this shard and its right neighbour were cold
  };
  std::mutex on_demand_mu_;
  std::unordered_map<uint64_t, OnDemandSample> on_demand_samples_;  // by shard uid
  std::unordered_map<uint64_t, int64_t> on_demand_last_action_ms_;  // by stream uid
  std::thread on_demand_thread_;

  // SubscribeToShard's registry (engine_subscriptions.h). Shared so that
  // subscriptions outliving the engine reach it by weak_ptr only.
  std::shared_ptr<SubscriptionRegistry> subscriptions_;

  std::mutex account_mu_;  // guards account_ and account_loaded_
  AccountSettings account_;
  bool account_loaded_ = false;
};

}  // namespace tidelog
