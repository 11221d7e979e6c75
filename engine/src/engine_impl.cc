// EngineImpl: open and recovery, the committer plumbing (Mutate), and the
// helpers the other engine_*.cc files share (stream lookup, shard creation,
// quotas, the segment window, ARNs and names).
#include "engine/src/engine_impl.h"

#include <openssl/rand.h>

#include <algorithm>
#include <future>

#include "engine/src/limits.h"
#include "engine/src/messages.h"
#include "storage/keys.h"
#include "storage/sequence.h"
#include "tidelog/sequence_number.h"

namespace tidelog {
namespace {

// A metadata-only job: runs `fn` serially with appends.
class MutateJob final : public storage::CommitJob {
 public:
  MutateJob(std::function<Status(storage::LogBatch*)> fn, storage::WriteKind kind)
      : fn_(std::move(fn)), kind_(kind) {}
  storage::WriteKind kind() const override { return kind_; }
  std::future<Status> future() { return promise_.get_future(); }
  void Prepare(storage::LogStore*, storage::LogBatch* batch) override {
    prepared_ = true;
    result_ = fn_(batch);
  }
  void Complete(const rocksdb::Status& s) override {
    if (!prepared_ || !s.ok()) {
      promise_.set_value(EngineImpl::WriteError(s));
      return;
    }
    promise_.set_value(std::move(result_));
  }

 private:
  std::function<Status(storage::LogBatch*)> fn_;
  const storage::WriteKind kind_;
  bool prepared_ = false;
  Status result_;
  std::promise<Status> promise_;
};

storage::LogSink StorageLogSink(const LogSink& sink) {
  if (!sink) return {};  // the store's default: warnings and errors to stderr
  return [sink](storage::LogLevel level, std::string_view line) {
    sink(level == storage::LogLevel::kError     ? LogSeverity::kError
         : level == storage::LogLevel::kWarning ? LogSeverity::kWarning
                                                : LogSeverity::kInfo,
         line);
  };
}

}  // namespace

Status EngineImpl::WriteError(const rocksdb::Status& s) {
  if (s.IsNoSpace()) return Status::DiskFull();
  return Status::IoError("storage write failed; see the broker's log");
}

Status Engine::Open(const EngineOptions& options, std::unique_ptr<Engine>* engine) {
  auto impl = std::make_unique<EngineImpl>(options);
  Status s = impl->Init();
  if (!s.ok()) return s;
  *engine = std::move(impl);
  return Status::OK();
}

EngineImpl::EngineImpl(const EngineOptions& options)
    : options_(options),
      clock_(options.clock ? options.clock : SystemClock()),
      subscriptions_(std::make_shared<SubscriptionRegistry>()) {}

EngineImpl::~EngineImpl() {
  // First: no subscription reads or is woken from here on (their callbacks
  // are dropped unwoken: the server's worker pool may be gone already).
  subscriptions_->StopTimers();
  for (const auto& sub : subscriptions_->CloseAll()) {
    sub->End(SubscriptionEnd::kClosed, Status::OK(), /*wake=*/false);
  }
  {
    std::lock_guard<std::mutex> lock(retention_stop_mu_);
    retention_stop_ = true;
  }
  retention_cv_.notify_all();
  if (retention_thread_.joinable()) retention_thread_.join();
  if (on_demand_thread_.joinable()) on_demand_thread_.join();
  committer_.reset();  // runs every queued job first
  {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    catalog_.streams.clear();
    catalog_.streams_by_uid.clear();
    catalog_.shards_by_uid.clear();
  }
  store_.reset();
}

Status EngineImpl::Init() {
  storage::LogStoreOptions so;
  so.dir = options_.data_dir;
  so.block_cache_bytes = options_.block_cache_bytes;
  so.write_buffer_bytes = options_.write_buffer_bytes;
  so.min_free_bytes = options_.min_free_bytes;
  so.log_sink = StorageLogSink(options_.log_sink);
  so.env = options_.storage_env;
  rocksdb::Status rs = storage::LogStore::Open(so, &store_);
  if (!rs.ok()) return Status::IoError("cannot open " + options_.data_dir + ": " + rs.ToString());

  // The iterator MAC key: random per data directory, kept across restarts.
  std::string key;
  rs = store_->GetMeta(kIteratorKeyKey, &key);
  if (rs.IsNotFound()) {
    key.resize(32);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), 32) != 1) {
      return Status::Internal("no randomness for the iterator key");
    }
    storage::LogBatch batch = store_->NewBatch();
    batch.PutMeta(kIteratorKeyKey, key);
    rs = store_->WriteMetaSync(&batch);
  }
  if (!rs.ok()) return Status::IoError(rs.ToString());
  iterators_ = std::make_unique<IteratorCodec>(key);

  std::string v;
  rs = store_->GetMeta(kNextUidKey, &v);
  if (rs.ok() && v.size() == 8) next_uid_ = storage::GetBigEndian64(v.data());

  Status bad;
  rs = store_->ScanMeta(kStreamMetaPrefix, [&](std::string_view, std::string_view value) {
    auto stream = std::make_shared<StreamState>();
    if (!DecodeStreamMeta(value, stream.get())) {
      bad = Status::IoError("corrupt stream metadata");
      return;
    }
    catalog_.streams_by_uid[stream->uid] = stream;
    catalog_.streams[stream->name] = stream;
  });
  if (!rs.ok()) return Status::IoError(rs.ToString());
  rs = store_->ScanMeta(kShardMetaPrefix, [&](std::string_view, std::string_view value) {
    auto shard = std::make_shared<ShardState>();
    uint64_t stream_uid = 0;
    if (!DecodeShardMeta(value, &stream_uid, shard.get())) {
      bad = Status::IoError("corrupt shard metadata");
      return;
    }
    auto it = catalog_.streams_by_uid.find(stream_uid);
    if (it == catalog_.streams_by_uid.end()) return;  // stream deleted; purge pending
    shard->last_seq = shard->starting_seq - 1;
    it->second->shards[shard->index] = shard;
    catalog_.shards_by_uid[shard->uid] = shard;
  });
  if (!rs.ok()) return Status::IoError(rs.ToString());
  rs = store_->ScanMeta(kShardSeqPrefix, [&](std::string_view k, std::string_view value) {
    if (k.size() != 10 || value.size() != 8) return;
    auto it = catalog_.shards_by_uid.find(storage::GetBigEndian64(k.data() + 2));
    if (it == catalog_.shards_by_uid.end()) return;
    it->second->last_seq = std::max(it->second->last_seq, storage::GetBigEndian64(value.data()));
  });
  if (!rs.ok()) return Status::IoError(rs.ToString());
  if (!bad.ok()) return bad;
  for (auto& [uid, shard] : catalog_.shards_by_uid) {
    if (shard->closed) shard->last_seq = std::max(shard->last_seq, shard->ending_seq);
    shard->durable_seq.store(shard->last_seq);
  }
  for (auto& [uid, stream] : catalog_.streams_by_uid) {
    stream->RebuildRouting();
    for (auto& [index, shard] : stream->shards) ApplyQuota(*stream, shard.get());
  }

  RefreshSegmentWindow();
  committer_ = std::make_unique<storage::GroupCommitter>(
      store_.get(), options_.durability == Durability::kSync, options_.max_group_bytes);
  if (options_.retention_interval_ms > 0) {
    retention_thread_ = std::thread([this] { RetentionLoop(); });
  }
  if (options_.on_demand_interval_ms > 0) {
    on_demand_thread_ = std::thread([this] { OnDemandLoop(); });
  }
  return Status::OK();
}

Status EngineImpl::Mutate(std::function<Status(storage::LogBatch*)> fn, storage::WriteKind kind) {
  auto job = std::make_unique<MutateJob>(std::move(fn), kind);
  std::future<Status> done = job->future();
  committer_->RunOrSubmit(std::move(job));
  Status s = done.get();
  RevalidateSubscriptions();  // a consumer, stream or shard may have gone or closed
  return s;
}

StreamState* EngineImpl::FindStream(std::string_view name) const {
  auto it = catalog_.streams.find(name);
  return it == catalog_.streams.end() ? nullptr : it->second.get();
}

uint64_t EngineImpl::AllocateUid(storage::LogBatch* batch) {
  uint64_t uid = next_uid_++;
  batch->PutMeta(kNextUidKey, storage::BigEndian64(next_uid_));
  return uid;
}

std::shared_ptr<ShardState> EngineImpl::NewShard(StreamState* stream, HashKeyRange range,
                                                 int64_t parent, int64_t adjacent_parent,
                                                 uint64_t starting_seq, storage::LogBatch* batch) {
  auto shard = std::make_shared<ShardState>();
  shard->uid = AllocateUid(batch);
  shard->index = stream->next_shard_index++;
  shard->range = range;
  shard->parent = parent;
  shard->adjacent_parent = adjacent_parent;
  shard->created_ms = NowMs();
  shard->seq_epoch_secs = shard->created_ms / 1000;
  for (int64_t p : {parent, adjacent_parent}) {
    if (p < 0) continue;
    auto it = stream->shards.find(static_cast<uint32_t>(p));
    if (it != stream->shards.end()) {
      shard->seq_epoch_secs = std::max(shard->seq_epoch_secs, it->second->seq_epoch_secs + 1);
    }
  }
  shard->starting_seq = std::max<uint64_t>(starting_seq, storage::MakeSeq(shard->created_ms, 0));
  shard->last_seq = shard->starting_seq - 1;
  shard->durable_seq.store(shard->last_seq);
  ApplyQuota(*stream, shard.get());
  stream->shards[shard->index] = shard;
  catalog_.shards_by_uid[shard->uid] = shard;
  batch->PutMeta(ShardMetaKey(shard->uid), EncodeShardMeta(stream->uid, *shard));
  return shard;
}

void EngineImpl::CloseShard(StreamState* stream, ShardState* shard, storage::LogBatch* batch) {
  shard->closed = true;
  shard->ending_seq = shard->last_seq;
  shard->closed_ms = NowMs();
  batch->PutMeta(ShardMetaKey(shard->uid), EncodeShardMeta(stream->uid, *shard));
}

void EngineImpl::ApplyQuota(const StreamState& stream, ShardState* shard) {
  ShardQuota q = stream.quota.value_or(options_.default_quota);
  int64_t now = NowUs();
  shard->write_bytes.SetRate(q.write_bytes_per_sec, now);
  shard->write_records.SetRate(q.write_records_per_sec, now);
  std::lock_guard<std::mutex> lock(shard->read_mu);
  shard->read_bytes.SetRate(q.read_bytes_per_sec, now);
  shard->read_calls.SetRate(q.read_calls_per_sec, now);
}

void EngineImpl::RefreshSegmentWindow() {
  int32_t max_hours = kMinRetentionHours;
  for (const auto& [name, s] : catalog_.streams)
    max_hours = std::max(max_hours, s->retention_hours);
  int64_t by_count = RetentionMs(max_hours) / std::max(1, options_.max_segments);
  segment_window_ms_ = std::max(options_.segment_min_window_ms, by_count);
}

uint64_t EngineImpl::TrimSeq(int32_t retention_hours, int64_t now_ms) {
  return std::max<uint64_t>(1, storage::MakeSeq(now_ms - RetentionMs(retention_hours), 0));
}

bool EngineImpl::ShardExpired(int32_t retention_hours, const ShardState& shard, int64_t now_ms) {
  if (!shard.closed) return false;
  int64_t last_ms = std::max(shard.closed_ms, storage::SeqMillis(shard.ending_seq));
  return last_ms + RetentionMs(retention_hours) <= now_ms;
}

ShardInfo EngineImpl::DescribeShard(const ShardState& shard) const {
  ShardInfo info;
  info.shard_id = shard.id();
  if (shard.parent >= 0) info.parent_shard_id = FormatShardId(static_cast<uint32_t>(shard.parent));
  if (shard.adjacent_parent >= 0) {
    info.adjacent_parent_shard_id = FormatShardId(static_cast<uint32_t>(shard.adjacent_parent));
  }
  info.hash_key_range = shard.range;
  info.starting_sequence_number = shard.external_seq(shard.starting_seq);
  if (shard.closed) {
    info.ending_sequence_number =
        shard.external_seq(std::max(shard.ending_seq, shard.starting_seq));
  }
  info.created_millis = shard.created_ms;
  return info;
}

std::string EngineImpl::StreamArn(std::string_view stream_name) const {
  std::string arn = "arn:aws:kinesis:" + options_.region + ":" + options_.account_id + ":stream/";
  arn.append(stream_name);
  return arn;
}

Status EngineImpl::ValidateStreamName(std::string_view name) const {
  if (name.empty()) {
    return msg::Validation(
        {msg::Constraint(name, "streamName", "have length greater than or equal to 1")});
  }
  if (name.size() > 128) {
    return msg::Validation(
        {msg::Constraint(name, "streamName", "have length less than or equal to 128")});
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) {
      return msg::Validation({msg::Constraint(
          name, "streamName", "satisfy regular expression pattern: [a-zA-Z0-9_.-]+")});
    }
  }
  return Status::OK();
}

Status EngineImpl::ResolveStream(std::string_view name, std::string_view arn,
                                 std::string* stream_name) {
  if (name.empty() && arn.empty()) {
    return Status::InvalidArgument("Either StreamName or StreamARN should be provided.");
  }
  if (!arn.empty()) {
    std::string prefix = StreamArn("");
    if (!arn.starts_with(prefix) || arn.size() == prefix.size()) {
      // A well-formed ARN of another account or region names no stream here.
      std::string_view tail =
          arn.substr(arn.rfind('/') == std::string_view::npos ? arn.size() : arn.rfind('/') + 1);
      return msg::StreamNotFound(tail, options_.account_id);
    }
    std::string_view from_arn = arn.substr(prefix.size());
    if (!name.empty() && name != from_arn) {
      return Status::InvalidArgument("StreamARN " + std::string(arn) +
                                     " does not match StreamName " + std::string(name) + ".");
    }
    *stream_name = std::string(from_arn);
    return Status::OK();
  }
  *stream_name = std::string(name);
  return Status::OK();
}

Status EngineImpl::ResolveStream(std::string_view name, std::string_view arn,
                                 std::string_view stream_id, std::string* stream_name) {
  if (stream_id.empty()) return ResolveStream(name, arn, stream_name);
  std::string by_id;
  {
    std::shared_lock<std::shared_mutex> lock(catalog_.mu);
    for (const auto& [n, st] : catalog_.streams) {
      if (st->stream_id == stream_id) {
        by_id = n;
        break;
      }
    }
  }
  if (by_id.empty()) {
    return Status::NotFound("Stream with id " + std::string(stream_id) + " under account " +
                            account() + " not found.");
  }
  if (name.empty() && arn.empty()) {
    *stream_name = std::move(by_id);
    return Status::OK();
  }
  Status s = ResolveStream(name, arn, stream_name);
  if (!s.ok()) return s;
  if (*stream_name != by_id) {
    return Status::InvalidArgument("StreamId " + std::string(stream_id) +
                                   " does not match the stream " + *stream_name + ".");
  }
  return Status::OK();
}

Status EngineImpl::Flush() {
  rocksdb::Status s = store_->Flush();
  return s.ok() ? Status::OK() : Status::IoError(s.ToString());
}

uint64_t EngineImpl::DiskUsageBytes() { return store_->DiskUsageBytes(); }

}  // namespace tidelog
