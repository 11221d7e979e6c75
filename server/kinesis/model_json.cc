// Model shapes as JSON.
#include "server/kinesis/model_json.h"

namespace tidelog::server::kinesis {

namespace {

void WriteHashKeyRange(const HashKeyRange& r, JsonWriter* w) {
  w->Key("HashKeyRange");
  w->StartObject();
  w->Key("StartingHashKey");
  w->Decimal(r.starting_hash_key);
  w->Key("EndingHashKey");
  w->Decimal(r.ending_hash_key);
  w->EndObject();
}

}  // namespace

void WriteShard(const ShardInfo& s, JsonWriter* w) {
  w->StartObject();
  w->Field("ShardId", s.shard_id);
  if (!s.parent_shard_id.empty()) w->Field("ParentShardId", s.parent_shard_id);
  if (!s.adjacent_parent_shard_id.empty())
    w->Field("AdjacentParentShardId", s.adjacent_parent_shard_id);
  WriteHashKeyRange(s.hash_key_range, w);
  w->Key("SequenceNumberRange");
  w->StartObject();
  w->Key("StartingSequenceNumber");
  w->Decimal(s.starting_sequence_number);
  if (s.ending_sequence_number) {
    w->Key("EndingSequenceNumber");
    w->Decimal(*s.ending_sequence_number);
  }
  w->EndObject();
  w->EndObject();
}

void WriteChildShard(const ChildShard& c, JsonWriter* w) {
  w->StartObject();
  w->Field("ShardId", c.shard_id);
  w->Key("ParentShards");
  WriteStringList(c.parent_shards, w);
  WriteHashKeyRange(c.hash_key_range, w);
  w->EndObject();
}

void WriteRecord(const Record& r, JsonWriter* w) {
  w->StartObject();
  w->Key("SequenceNumber");
  w->Decimal(r.sequence_number);
  w->Key("ApproximateArrivalTimestamp");
  w->Timestamp(r.arrival_millis);
  w->Key("Data");
  w->Blob(r.data);
  w->Field("PartitionKey", r.partition_key);
  w->EndObject();
}

void WriteConsumer(const ConsumerInfo& c, bool with_stream_arn, JsonWriter* w) {
  w->StartObject();
  w->Field("ConsumerName", c.consumer_name);
  w->Field("ConsumerARN", c.consumer_arn);
  w->Field("ConsumerStatus", ToString(c.status));
  w->Key("ConsumerCreationTimestamp");
  w->Timestamp(c.created_millis);
  if (with_stream_arn) w->Field("StreamARN", c.stream_arn);
  w->EndObject();
}

void WriteStreamModeDetails(StreamMode mode, JsonWriter* w) {
  w->Key("StreamModeDetails");
  w->StartObject();
  w->Field("StreamMode", ToString(mode));
  w->EndObject();
}

void WriteStringList(const std::vector<std::string>& items, JsonWriter* w) {
  w->StartArray();
  for (const std::string& s : items) w->String(s);
  w->EndArray();
}

void WriteWarmThroughput(const WarmThroughput& warm, JsonWriter* w) {
  w->Key("WarmThroughput");
  w->StartObject();
  w->IntField("TargetMiBps", warm.target_mibps);
  w->IntField("CurrentMiBps", warm.current_mibps);
  w->EndObject();
}

void WriteStreamCommon(const StreamInfo& info, JsonWriter* w) {
  w->Field("StreamName", info.stream_name);
  w->Field("StreamARN", info.stream_arn);
  w->Field("StreamStatus", ToString(info.status));
  WriteStreamModeDetails(info.mode, w);
  w->IntField("RetentionPeriodHours", info.retention_period_hours);
  w->Key("StreamCreationTimestamp");
  w->Timestamp(info.created_millis);
  w->Key("EnhancedMonitoring");
  w->StartArray();
  w->StartObject();
  w->Key("ShardLevelMetrics");
  WriteStringList(info.shard_level_metrics, w);
  w->EndObject();
  w->EndArray();
  w->Field("EncryptionType", ToString(info.encryption_type));
  if (info.encryption_type == EncryptionType::kKms) w->Field("KeyId", info.key_id);
}

}  // namespace tidelog::server::kinesis
