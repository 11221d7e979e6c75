// Per-stream settings: retention, capacity mode, encryption, enhanced
// monitoring, quota overrides, account limits and enhanced fan-out consumers.
// (Tags are in engine_tags.cc, record size and warm throughput in
// engine_capacity.cc.)
#include <algorithm>
#include <string>

#include "engine/src/engine_impl.h"
#include "engine/src/limits.h"
#include "engine/src/messages.h"
#include "storage/keys.h"

namespace tidelog {
namespace {

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

}  // namespace

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
    if (Status active = RequireActive(*s); !active.ok()) return active;
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
  return UpdateStreamMode(name, mode, std::nullopt);  // engine_capacity.cc
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
    if (Status active = RequireActive(*s); !active.ok()) return active;
    s->encryption = EncryptionType::kKms;
    MarkUpdating(s);
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
    if (Status active = RequireActive(*s); !active.ok()) return active;
    if (s->encryption == EncryptionType::kKms && !key_id.empty() && key_id != s->key_id) {
      return Status::InvalidArgument("KeyId " + std::string(key_id) +
                                     " does not match the stream's key.");
    }
    s->encryption = EncryptionType::kNone;
    s->key_id.clear();
    MarkUpdating(s);
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
  return RegisterStreamConsumer(stream, consumer_name, {}, consumer);
}

Status EngineImpl::RegisterStreamConsumer(std::string_view stream, std::string_view consumer_name,
                                          const std::vector<Tag>& tags, ConsumerInfo* consumer) {
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
    if (Status t = CheckConsumerTags(tags, consumer_name); !t.ok()) return t;
    s->consumers.push_back({std::string(consumer_name), NowMs()});
    for (const Tag& t : tags) s->consumers.back().tags[t.key] = t.value;
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

}  // namespace tidelog
