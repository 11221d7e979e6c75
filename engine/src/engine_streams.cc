// Stream lifecycle and listing: CreateStream, DeleteStream, DescribeStream,
// ListStreams and ListShards.
#include <algorithm>
#include <string>

#include "engine/src/engine_impl.h"
#include "engine/src/limits.h"
#include "engine/src/messages.h"
#include "storage/keys.h"

namespace tidelog {

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
  s = CheckTagCharacters(req.tags, "stream " + req.stream_name);
  if (!s.ok()) return s;
  if (req.max_record_size_kib < kDefaultMaxRecordSizeKiB ||
      req.max_record_size_kib > kMaxMaxRecordSizeKiB) {
    return msg::Validation(
        {msg::Constraint(std::to_string(req.max_record_size_kib), "maxRecordSizeInKiB",
                         req.max_record_size_kib < kDefaultMaxRecordSizeKiB
                             ? "have value greater than or equal to 1024"
                             : "have value less than or equal to 10240")});
  }
  if (req.warm_throughput_mibps) {
    if (*req.warm_throughput_mibps < 0) {
      return msg::Validation(
          {msg::Constraint(std::to_string(*req.warm_throughput_mibps), "warmThroughputMiBps",
                           "have value greater than or equal to 0")});
    }
    s = CheckWarmThroughput(req.stream_name, req.mode, *req.warm_throughput_mibps);
    if (!s.ok()) return s;
  }
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    if (FindStream(req.stream_name) || FindDeleting(req.stream_name))
      return msg::StreamExists(req.stream_name, account());
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
    stream->stream_id = NewStreamId();
    stream->max_record_size_kib = req.max_record_size_kib;
    stream->warm_target_mibps = req.warm_throughput_mibps.value_or(0);
    for (const auto& t : req.tags) stream->tags[t.key] = t.value;
    for (const HashKeyRange& r : UniformHashKeyRanges(static_cast<uint32_t>(shard_count))) {
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
        if (!stream && FindDeleting(name)) return Status::OK();  // DELETING already
        if (!stream) return msg::StreamNotFound(name, account());
        if (StatusOf(*stream) == StreamStatus::kCreating) return RequireActive(*stream);
        if (!stream->consumers.empty() && !enforce_consumer_deletion) {
          return Status::InUse("Stream " + std::string(name) + " under account " + account() +
                               " has registered consumers. Deregister them first or set "
                               "EnforceConsumerDeletion.");
        }
        // Iterators live iterator_ttl_ms: forget deleted shards older than that.
        const int64_t now = NowMs();
        std::erase_if(catalog_.deleted_shards, [&](const auto& e) {
          return e.second.deleted_ms <= now - options_.iterator_ttl_ms;
        });
        for (auto& [index, shard] : stream->shards) {
          catalog_.deleted_shards[shard->uid] = {stream->name, shard->index, now};
          batch->DeleteMeta(ShardMetaKey(shard->uid));
          batch->DeleteMeta(ShardSeqKey(shard->uid));
          batch->PutMeta(std::string(kPurgePrefix) + storage::BigEndian64(shard->uid), "");
          catalog_.shards_by_uid.erase(shard->uid);
        }
        batch->DeleteMeta(StreamMetaKey(stream->uid));
        StreamInfo shown;
        DescribeLocked(*stream, &shown);
        shown.open_shard_count = 0;
        ShowDeleting(std::move(shown));
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
  if (!s) {
    const StreamInfo* deleting = FindDeleting(name);
    if (!deleting) return msg::StreamNotFound(name, account());
    *info = *deleting;
    return Status::OK();
  }
  DescribeLocked(*s, info);
  return Status::OK();
}

void EngineImpl::DescribeLocked(const StreamState& stream, StreamInfo* info) const {
  const StreamState* s = &stream;
  *info = StreamInfo{};
  info->stream_name = s->name;
  info->stream_arn = StreamArn(s->name);
  info->stream_id = s->stream_id;
  info->status = StatusOf(*s);
  info->mode = s->mode;
  info->retention_period_hours = s->retention_hours;
  info->created_millis = s->created_ms;
  info->encryption_type = s->encryption;
  info->key_id = s->key_id;
  info->shard_level_metrics.assign(s->metrics.begin(), s->metrics.end());
  info->open_shard_count = s->OpenShardCount();
  info->consumer_count = static_cast<int32_t>(s->consumers.size());
  info->quota_override = s->quota;
  info->max_record_size_kib = s->max_record_size_kib;
  if (s->mode == StreamMode::kOnDemand && s->warm_target_mibps > 0)
    info->warm_throughput = WarmThroughput{s->warm_target_mibps, s->warm_target_mibps};
}

Status EngineImpl::ListStreams(std::vector<StreamInfo>* streams) {
  std::vector<std::string> names;
  {
    std::shared_lock<std::shared_mutex> lock(catalog_.mu);
    for (const auto& [name, s] : catalog_.streams) names.push_back(name);
    for (const auto& [name, d] : catalog_.deleting) {
      if (FindDeleting(name)) names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
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
  if (!s && FindDeleting(name)) {  // DELETING: no shards left
    shards->clear();
    return Status::OK();
  }
  if (!s) return msg::StreamNotFound(name, account());
  const int64_t now = NowMs();
  uint32_t after_index = 0;
  bool has_after = false;
  if (filter.type == ShardFilterType::kAfterShardId) {
    if (!ResolveShardId(filter.shard_id, &after_index)) {
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

}  // namespace tidelog
