// EngineImpl: open and recovery, the committer plumbing, streams and their
// settings (retention, mode, encryption, monitoring, tags, consumers, quotas).
#include "engine/src/engine_impl.h"

#include <openssl/rand.h>

#include <algorithm>
#include <future>

#include "engine/src/messages.h"
#include "engine/src/sequence.h"
#include "storage/keys.h"
#include "storage/sequence.h"

namespace tidelog {
namespace {

constexpr int32_t kMinRetentionHours = 24;
constexpr int32_t kMaxRetentionHours = 8760;
constexpr int32_t kMaxTagsPerStream = 50;
constexpr int32_t kMaxConsumersPerStream = 20;
constexpr int32_t kOnDemandDefaultShards = 4;

const std::vector<std::string>& AllShardLevelMetrics() {
  static const std::vector<std::string> all = {"IncomingBytes",
                                               "IncomingRecords",
                                               "OutgoingBytes",
                                               "OutgoingRecords",
                                               "WriteProvisionedThroughputExceeded",
                                               "ReadProvisionedThroughputExceeded",
                                               "IteratorAgeMilliseconds"};
  return all;
}

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
    : options_(options), clock_(options.clock ? options.clock : SystemClock()) {}

EngineImpl::~EngineImpl() {
  {
    std::lock_guard<std::mutex> lock(retention_stop_mu_);
    retention_stop_ = true;
  }
  retention_cv_.notify_all();
  if (retention_thread_.joinable()) retention_thread_.join();
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
  return Status::OK();
}

Status EngineImpl::Mutate(std::function<Status(storage::LogBatch*)> fn, storage::WriteKind kind) {
  auto job = std::make_unique<MutateJob>(std::move(fn), kind);
  std::future<Status> done = job->future();
  committer_->RunOrSubmit(std::move(job));
  return done.get();
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
  info.starting_sequence_number = ExternalSeq(shard.starting_seq, shard.index);
  if (shard.closed) {
    info.ending_sequence_number =
        ExternalSeq(std::max(shard.ending_seq, shard.starting_seq), shard.index);
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

// ---- Streams ---------------------------------------------------------------

Status EngineImpl::CreateStream(const CreateStreamRequest& req) {
  Status s = ValidateStreamName(req.stream_name);
  if (!s.ok()) return s;
  int32_t shard_count = 0;
  if (req.mode == StreamMode::kOnDemand) {
    shard_count = req.shard_count.value_or(kOnDemandDefaultShards);
  } else if (!req.shard_count) {
    return msg::Validation({msg::NotNull("shardCount")});
  } else {
    shard_count = *req.shard_count;
  }
  if (shard_count < 1) {
    return msg::Validation({msg::Constraint(std::to_string(shard_count), "shardCount",
                                            "have value greater than or equal to 1")});
  }
  if (req.tags.size() > static_cast<size_t>(kMaxTagsPerStream)) {
    return Status::InvalidArgument("Failed to create stream " + req.stream_name +
                                   " under account " + account() +
                                   " because a given stream cannot have more than 50 tags.");
  }
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    if (FindStream(req.stream_name)) return msg::StreamExists(req.stream_name, account());
    // Before anything per shard is allocated: shard_count may be any int32.
    Status limit = msg::CheckShardLimit(account(), options_.region, catalog_.TotalShards(),
                                        options_.shard_limit, shard_count);
    if (!limit.ok()) return limit;
    if (req.mode == StreamMode::kOnDemand) {
      int32_t on_demand = 0;
      for (const auto& [n, st] : catalog_.streams) on_demand += st->mode == StreamMode::kOnDemand;
      if (on_demand >= options_.on_demand_stream_count_limit) {
        return Status::LimitExceeded(
            "This request would exceed the on-demand stream count limit "
            "for the account " +
            account() + " in " + options_.region +
            ". Limit: " + std::to_string(options_.on_demand_stream_count_limit) + ".");
      }
    }
    auto stream = std::make_shared<StreamState>();
    stream->uid = AllocateUid(batch);
    stream->name = req.stream_name;
    stream->created_ms = NowMs();
    stream->mode = req.mode;
    stream->quota = req.quota_override;
    for (const auto& t : req.tags) stream->tags[t.key] = t.value;
    // AWS's split: step floor(2^128 / N); the last shard ends at 2^128 - 1.
    const u128 step =
        kMaxHashKey / static_cast<u128>(shard_count) +
        (kMaxHashKey % static_cast<u128>(shard_count) + 1 == static_cast<u128>(shard_count) ? 1
                                                                                            : 0);
    for (int32_t i = 0; i < shard_count; ++i) {
      HashKeyRange r;
      r.starting_hash_key = step * static_cast<u128>(i);
      r.ending_hash_key = i == shard_count - 1 ? kMaxHashKey : step * static_cast<u128>(i + 1) - 1;
      NewShard(stream.get(), r, -1, -1, 0, batch);
    }
    stream->RebuildRouting();
    batch->PutMeta(StreamMetaKey(stream->uid), EncodeStreamMeta(*stream));
    catalog_.streams[stream->name] = stream;
    catalog_.streams_by_uid[stream->uid] = stream;
    RefreshSegmentWindow();
    return Status::OK();
  });
}

Status EngineImpl::DeleteStream(std::string_view name, bool enforce_consumer_deletion) {
  // kReclaim: accepted below the free-space reserve; the retention thread is
  // woken to purge the records (and free their space) at once.
  Status deleted = Mutate(
      [&](storage::LogBatch* batch) -> Status {
        std::unique_lock<std::shared_mutex> lock(catalog_.mu);
        StreamState* stream = FindStream(name);
        if (!stream) return msg::StreamNotFound(name, account());
        if (!stream->consumers.empty() && !enforce_consumer_deletion) {
          return Status::InUse("Stream " + std::string(name) + " under account " + account() +
                               " has registered consumers. Deregister them first or set "
                               "EnforceConsumerDeletion.");
        }
        for (auto& [index, shard] : stream->shards) {
          batch->DeleteMeta(ShardMetaKey(shard->uid));
          batch->DeleteMeta(ShardSeqKey(shard->uid));
          batch->PutMeta(std::string(kPurgePrefix) + storage::BigEndian64(shard->uid), "");
          catalog_.shards_by_uid.erase(shard->uid);
        }
        batch->DeleteMeta(StreamMetaKey(stream->uid));
        auto keep = catalog_.streams[stream->name];  // destroy after unlinking
        catalog_.streams_by_uid.erase(stream->uid);
        catalog_.streams.erase(stream->name);
        RefreshSegmentWindow();
        return Status::OK();
      },
      storage::WriteKind::kReclaim);
  if (deleted.ok()) {
    std::lock_guard<std::mutex> lock(retention_stop_mu_);
    retention_kick_ = true;
    retention_cv_.notify_all();
  }
  return deleted;
}

Status EngineImpl::DescribeStream(std::string_view name, StreamInfo* info) {
  std::shared_lock<std::shared_mutex> lock(catalog_.mu);
  StreamState* s = FindStream(name);
  if (!s) return msg::StreamNotFound(name, account());
  *info = StreamInfo{};
  info->stream_name = s->name;
  info->stream_arn = StreamArn(s->name);
  info->status = StreamStatus::kActive;
  info->mode = s->mode;
  info->retention_period_hours = s->retention_hours;
  info->created_millis = s->created_ms;
  info->encryption_type = s->encryption;
  info->key_id = s->key_id;
  info->shard_level_metrics.assign(s->metrics.begin(), s->metrics.end());
  info->open_shard_count = s->OpenShardCount();
  info->consumer_count = static_cast<int32_t>(s->consumers.size());
  info->quota_override = s->quota;
  return Status::OK();
}

Status EngineImpl::ListStreams(std::vector<StreamInfo>* streams) {
  std::vector<std::string> names;
  {
    std::shared_lock<std::shared_mutex> lock(catalog_.mu);
    for (const auto& [name, s] : catalog_.streams) names.push_back(name);
  }
  streams->clear();
  for (const auto& n : names) {
    StreamInfo info;
    if (DescribeStream(n, &info).ok()) streams->push_back(std::move(info));
  }
  return Status::OK();
}

Status EngineImpl::ListShards(std::string_view name, const ShardFilter& filter,
                              std::vector<ShardInfo>* shards) {
  std::shared_lock<std::shared_mutex> lock(catalog_.mu);
  StreamState* s = FindStream(name);
  if (!s) return msg::StreamNotFound(name, account());
  const int64_t now = NowMs();
  uint32_t after_index = 0;
  bool has_after = false;
  if (filter.type == ShardFilterType::kAfterShardId) {
    if (!ParseShardId(filter.shard_id, &after_index)) {
      return Status::InvalidArgument("Invalid ShardId: " + filter.shard_id);
    }
    has_after = true;
  }
  auto live = [&](int64_t index) {
    if (index < 0) return false;
    auto it = s->shards.find(static_cast<uint32_t>(index));
    return it != s->shards.end() && !ShardExpired(s->retention_hours, *it->second, now);
  };
  shards->clear();
  for (const auto& [index, sh] : s->shards) {
    if (ShardExpired(s->retention_hours, *sh, now)) continue;
    bool keep = true;
    switch (filter.type) {
      case ShardFilterType::kNone:
      case ShardFilterType::kFromTrimHorizon:
        break;
      case ShardFilterType::kAfterShardId:
        keep = has_after && index > after_index;
        break;
      case ShardFilterType::kAtTrimHorizon:
        // The shards open at the trim horizon: those with no live parent.
        keep = !live(sh->parent) && !live(sh->adjacent_parent);
        break;
      case ShardFilterType::kAtLatest:
        keep = !sh->closed;
        break;
      case ShardFilterType::kAtTimestamp:
        keep = sh->created_ms <= filter.timestamp_millis &&
               (!sh->closed || sh->closed_ms > filter.timestamp_millis);
        // Shards created before the stream's first shard closed count from creation.
        if (!keep && sh->parent < 0 && sh->adjacent_parent < 0 &&
            filter.timestamp_millis < sh->created_ms) {
          keep = !sh->closed || sh->closed_ms > filter.timestamp_millis;
        }
        break;
      case ShardFilterType::kFromTimestamp:
        keep = !sh->closed || sh->closed_ms > filter.timestamp_millis;
        break;
    }
    if (keep) shards->push_back(DescribeShard(*sh));
  }
  return Status::OK();
}

Status EngineImpl::ChangeRetention(std::string_view name, int32_t hours, bool increase) {
  if (hours < kMinRetentionHours) {
    return Status::InvalidArgument(
        "Minimum allowed retention period is 24 hours. Requested "
        "retention period (" +
        std::to_string(hours) + " hours) is too short.");
  }
  if (hours > kMaxRetentionHours) {
    return Status::InvalidArgument(
        "Maximum allowed retention period is 8760 hours. Requested "
        "retention period (" +
        std::to_string(hours) + " hours) is too long.");
  }
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    StreamState* s = FindStream(name);
    if (!s) return msg::StreamNotFound(name, account());
    if (increase && hours < s->retention_hours) {
      return Status::InvalidArgument(
          "Requested retention period (" + std::to_string(hours) + " hours) for stream " +
          std::string(name) + " can not be shorter than existing retention period (" +
          std::to_string(s->retention_hours) + " hours). Use DecreaseRetentionPeriod API.");
    }
    if (!increase && hours > s->retention_hours) {
      return Status::InvalidArgument(
          "Requested retention period (" + std::to_string(hours) + " hours) for stream " +
          std::string(name) + " can not be longer than existing retention period (" +
          std::to_string(s->retention_hours) + " hours). Use IncreaseRetentionPeriod API.");
    }
    s->retention_hours = hours;
    RefreshSegmentWindow();
    batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
    return Status::OK();
  });
}

Status EngineImpl::IncreaseRetentionPeriod(std::string_view stream, int32_t hours) {
  return ChangeRetention(stream, hours, true);
}

Status EngineImpl::DecreaseRetentionPeriod(std::string_view stream, int32_t hours) {
  return ChangeRetention(stream, hours, false);
}

Status EngineImpl::UpdateStreamMode(std::string_view name, StreamMode mode) {
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    StreamState* s = FindStream(name);
    if (!s) return msg::StreamNotFound(name, account());
    if (s->mode == mode) {
      return Status::InvalidArgument("Stream " + std::string(name) + " under account " + account() +
                                     " is already in " + std::string(ToString(mode)) + " mode.");
    }
    s->mode = mode;
    batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
    return Status::OK();
  });
}

Status EngineImpl::StartStreamEncryption(std::string_view name, EncryptionType type,
                                         std::string_view key_id) {
  if (type != EncryptionType::kKms) {
    return Status::InvalidArgument("Encryption type " + std::string(ToString(type)) +
                                   " is not valid for StartStreamEncryption; use KMS.");
  }
  if (key_id.empty() || key_id.size() > 2048) {
    return msg::Validation(
        {msg::Constraint(key_id, "keyId", "have length greater than or equal to 1")});
  }
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    StreamState* s = FindStream(name);
    if (!s) return msg::StreamNotFound(name, account());
    s->encryption = EncryptionType::kKms;
    s->key_id = std::string(key_id);
    batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
    return Status::OK();
  });
}

Status EngineImpl::StopStreamEncryption(std::string_view name, EncryptionType type,
                                        std::string_view key_id) {
  if (type != EncryptionType::kKms) {
    return Status::InvalidArgument("Encryption type " + std::string(ToString(type)) +
                                   " is not valid for StopStreamEncryption; use KMS.");
  }
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    StreamState* s = FindStream(name);
    if (!s) return msg::StreamNotFound(name, account());
    if (s->encryption == EncryptionType::kKms && !key_id.empty() && key_id != s->key_id) {
      return Status::InvalidArgument("KeyId " + std::string(key_id) +
                                     " does not match the stream's key.");
    }
    s->encryption = EncryptionType::kNone;
    s->key_id.clear();
    batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
    return Status::OK();
  });
}

Status EngineImpl::ChangeMonitoring(std::string_view name, const std::vector<std::string>& metrics,
                                    bool enable, std::vector<std::string>* current,
                                    std::vector<std::string>* desired) {
  std::vector<std::string> expanded;
  for (const auto& m : metrics) {
    if (m == "ALL") {
      expanded.insert(expanded.end(), AllShardLevelMetrics().begin(), AllShardLevelMetrics().end());
    } else if (std::find(AllShardLevelMetrics().begin(), AllShardLevelMetrics().end(), m) !=
               AllShardLevelMetrics().end()) {
      expanded.push_back(m);
    } else {
      return msg::Validation({msg::Constraint(
          "[" + m + "]", "shardLevelMetrics",
          "satisfy constraint: [Member must satisfy enum value set: [IncomingBytes, "
          "OutgoingRecords, IteratorAgeMilliseconds, IncomingRecords, "
          "ReadProvisionedThroughputExceeded, WriteProvisionedThroughputExceeded, "
          "OutgoingBytes, ALL]]")});
    }
  }
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    StreamState* s = FindStream(name);
    if (!s) return msg::StreamNotFound(name, account());
    current->assign(s->metrics.begin(), s->metrics.end());
    for (const auto& m : expanded) {
      if (enable)
        s->metrics.insert(m);
      else
        s->metrics.erase(m);
    }
    desired->assign(s->metrics.begin(), s->metrics.end());
    batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
    return Status::OK();
  });
}

Status EngineImpl::EnableEnhancedMonitoring(std::string_view stream,
                                            const std::vector<std::string>& metrics,
                                            std::vector<std::string>* current,
                                            std::vector<std::string>* desired) {
  return ChangeMonitoring(stream, metrics, true, current, desired);
}

Status EngineImpl::DisableEnhancedMonitoring(std::string_view stream,
                                             const std::vector<std::string>& metrics,
                                             std::vector<std::string>* current,
                                             std::vector<std::string>* desired) {
  return ChangeMonitoring(stream, metrics, false, current, desired);
}

Status EngineImpl::SetStreamQuota(std::string_view name, std::optional<ShardQuota> quota) {
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    StreamState* s = FindStream(name);
    if (!s) return msg::StreamNotFound(name, account());
    s->quota = quota;
    for (auto& [index, shard] : s->shards) ApplyQuota(*s, shard.get());
    batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
    return Status::OK();
  });
}

Status EngineImpl::DescribeLimits(StreamLimits* limits) {
  std::shared_lock<std::shared_mutex> lock(catalog_.mu);
  *limits = StreamLimits{};
  limits->shard_limit = options_.shard_limit;
  limits->on_demand_stream_count_limit = options_.on_demand_stream_count_limit;
  for (const auto& [n, s] : catalog_.streams) {
    limits->open_shard_count += s->OpenShardCount();
    limits->on_demand_stream_count += s->mode == StreamMode::kOnDemand;
  }
  return Status::OK();
}

// ---- Tags ------------------------------------------------------------------

Status EngineImpl::AddTags(std::string_view name, const std::vector<Tag>& tags) {
  if (tags.empty())
    return msg::Validation(
        {msg::Constraint("{}", "tags", "have length greater than or equal to 1")});
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    StreamState* s = FindStream(name);
    if (!s) return msg::StreamNotFound(name, account());
    std::map<std::string, std::string> merged = s->tags;
    for (const auto& t : tags) merged[t.key] = t.value;
    if (merged.size() > static_cast<size_t>(kMaxTagsPerStream)) {
      return Status::LimitExceeded("Failed to add tags to stream " + std::string(name) +
                                   " under account " + account() +
                                   " because a given stream cannot have more than 50 tags.");
    }
    s->tags = std::move(merged);
    batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
    return Status::OK();
  });
}

Status EngineImpl::RemoveTags(std::string_view name, const std::vector<std::string>& keys) {
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    StreamState* s = FindStream(name);
    if (!s) return msg::StreamNotFound(name, account());
    for (const auto& k : keys) s->tags.erase(k);
    batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
    return Status::OK();
  });
}

Status EngineImpl::ListTags(std::string_view name, std::vector<Tag>* tags) {
  std::shared_lock<std::shared_mutex> lock(catalog_.mu);
  StreamState* s = FindStream(name);
  if (!s) return msg::StreamNotFound(name, account());
  tags->clear();
  for (const auto& [k, v] : s->tags) tags->push_back({k, v});
  return Status::OK();
}

// ---- Consumers -------------------------------------------------------------

ConsumerInfo EngineImpl::DescribeConsumer(const StreamState& s, const ConsumerState& c) const {
  ConsumerInfo info;
  info.consumer_name = c.name;
  info.stream_arn = StreamArn(s.name);
  info.consumer_arn =
      info.stream_arn + "/consumer/" + c.name + ":" + std::to_string(c.created_ms / 1000);
  info.status = ConsumerStatus::kActive;
  info.created_millis = c.created_ms;
  return info;
}

Status EngineImpl::FindConsumer(std::string_view stream, std::string_view consumer_name,
                                std::string_view consumer_arn, StreamState** out,
                                size_t* index) const {
  std::string stream_name(stream);
  std::string name(consumer_name);
  if (!consumer_arn.empty()) {
    // <stream arn>/consumer/<name>:<epoch seconds>
    std::string prefix = StreamArn("");
    size_t mid = consumer_arn.find("/consumer/");
    size_t colon = consumer_arn.rfind(':');
    if (!consumer_arn.starts_with(prefix) || mid == std::string_view::npos ||
        colon == std::string_view::npos || colon < mid) {
      return Status::InvalidArgument("Invalid ConsumerARN: " + std::string(consumer_arn));
    }
    stream_name = std::string(consumer_arn.substr(prefix.size(), mid - prefix.size()));
    name = std::string(consumer_arn.substr(mid + 10, colon - mid - 10));
  } else if (stream.empty() || consumer_name.empty()) {
    return Status::InvalidArgument(
        "Either ConsumerARN or both StreamARN and ConsumerName must be provided.");
  }
  StreamState* s = FindStream(stream_name);
  if (!s) return msg::StreamNotFound(stream_name, account());
  for (size_t i = 0; i < s->consumers.size(); ++i) {
    if (s->consumers[i].name == name &&
        (consumer_arn.empty() ||
         DescribeConsumer(*s, s->consumers[i]).consumer_arn == consumer_arn)) {
      *out = s;
      *index = i;
      return Status::OK();
    }
  }
  return Status::NotFound("Consumer " + name + " under stream " + stream_name + " under account " +
                          account() + " not found.");
}

Status EngineImpl::RegisterStreamConsumer(std::string_view stream, std::string_view consumer_name,
                                          ConsumerInfo* consumer) {
  if (consumer_name.empty() || consumer_name.size() > 128) {
    return msg::Validation(
        {msg::Constraint(consumer_name, "consumerName", "have length less than or equal to 128")});
  }
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    StreamState* s = FindStream(stream);
    if (!s) return msg::StreamNotFound(stream, account());
    for (const auto& c : s->consumers) {
      if (c.name == consumer_name) {
        return Status::InUse("Consumer " + std::string(consumer_name) + " under stream " + s->name +
                             " already exists for account " + account() + ".");
      }
    }
    if (s->consumers.size() >= static_cast<size_t>(kMaxConsumersPerStream)) {
      return Status::LimitExceeded("Stream " + s->name + " under account " + account() +
                                   " already has the maximum of 20 registered consumers.");
    }
    s->consumers.push_back({std::string(consumer_name), NowMs()});
    *consumer = DescribeConsumer(*s, s->consumers.back());
    batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
    return Status::OK();
  });
}

Status EngineImpl::DeregisterStreamConsumer(std::string_view stream, std::string_view consumer_name,
                                            std::string_view consumer_arn) {
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    StreamState* s = nullptr;
    size_t index = 0;
    Status st = FindConsumer(stream, consumer_name, consumer_arn, &s, &index);
    if (!st.ok()) return st;
    s->consumers.erase(s->consumers.begin() + static_cast<ptrdiff_t>(index));
    batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
    return Status::OK();
  });
}

Status EngineImpl::DescribeStreamConsumer(std::string_view stream, std::string_view consumer_name,
                                          std::string_view consumer_arn, ConsumerInfo* consumer) {
  std::shared_lock<std::shared_mutex> lock(catalog_.mu);
  StreamState* s = nullptr;
  size_t index = 0;
  Status st = FindConsumer(stream, consumer_name, consumer_arn, &s, &index);
  if (!st.ok()) return st;
  *consumer = DescribeConsumer(*s, s->consumers[index]);
  return Status::OK();
}

Status EngineImpl::ListStreamConsumers(std::string_view stream,
                                       std::vector<ConsumerInfo>* consumers) {
  std::shared_lock<std::shared_mutex> lock(catalog_.mu);
  StreamState* s = FindStream(stream);
  if (!s) return msg::StreamNotFound(stream, account());
  consumers->clear();
  for (const auto& c : s->consumers) consumers->push_back(DescribeConsumer(*s, c));
  return Status::OK();
}

// ---- Maintenance -----------------------------------------------------------

Status EngineImpl::Flush() {
  rocksdb::Status s = store_->Flush();
  return s.ok() ? Status::OK() : Status::IoError(s.ToString());
}

uint64_t EngineImpl::DiskUsageBytes() { return store_->DiskUsageBytes(); }

}  // namespace tidelog
