// The input shape of every operation of the Kinesis model (botocore 1.43),
// with one deliberate difference: Data is limited to 1 MiB, the record size of
// a stream with the default MaxRecordSizeInKiB (the engine's only size).
#include <map>
#include <memory>
#include <string>

#include "server/kinesis/shape.h"

namespace tidelog::server::kinesis {
namespace {

Shape Str(std::optional<int64_t> min, std::optional<int64_t> max, Pattern p = Pattern::kNone) {
  Shape s;
  s.type = ShapeType::kString;
  s.min_length = min;
  s.max_length = max;
  s.pattern = p;
  return s;
}

Shape Enum(std::vector<std::string_view> values) {
  Shape s;
  s.type = ShapeType::kString;
  s.enum_values = std::move(values);
  return s;
}

Shape Int(std::optional<int64_t> min, std::optional<int64_t> max) {
  Shape s;
  s.type = ShapeType::kInteger;
  s.min_value = min;
  s.max_value = max;
  return s;
}

Shape Of(ShapeType t) {
  Shape s;
  s.type = t;
  return s;
}

Shape List(const Shape* element, std::optional<int64_t> min, std::optional<int64_t> max,
           std::string_view element_str = {}) {
  Shape s;
  s.type = ShapeType::kList;
  s.element = element;
  s.min_length = min;
  s.max_length = max;
  s.element_str = element_str;
  return s;
}

Shape Struct(std::vector<Member> members) {
  Shape s;
  s.type = ShapeType::kStructure;
  s.members = std::move(members);
  return s;
}

class Model {
 public:
  Model() {
    const Shape* name = Add(Str(1, 128, Pattern::kName));
    const Shape* stream_arn = Add(Str(1, 2048, Pattern::kStreamArn));
    const Shape* stream_id = Add(Str(1, 24, Pattern::kStreamId));
    const Shape* consumer_arn = Add(Str(1, 2048, Pattern::kConsumerArn));
    const Shape* resource_arn = Add(Str(1, 2048, Pattern::kResourceArn));
    const Shape* hash_key = Add(Str({}, {}, Pattern::kHashKey));
    const Shape* sequence_number = Add(Str({}, {}, Pattern::kSequenceNumber));
    const Shape* partition_key = Add(Str(1, 256));
    Shape data_shape = Of(ShapeType::kBlob);
    data_shape.min_length = 0;
    data_shape.max_length = 10485760;
    const Shape* data = Add(data_shape);
    const Shape* tag_key = Add(Str(1, 128));
    const Shape* tag_value = Add(Str(0, 256));
    Shape tag_map_shape = Of(ShapeType::kMap);
    tag_map_shape.key = tag_key;
    tag_map_shape.element = tag_value;
    tag_map_shape.min_length = 1;
    tag_map_shape.max_length = 200;
    const Shape* tag_map = Add(tag_map_shape);
    const Shape* tag_key_list = Add(List(tag_key, 1, 50));
    const Shape* next_token = Add(Str(1, 1048576));
    const Shape* timestamp = Add(Of(ShapeType::kTimestamp));
    const Shape* boolean = Add(Of(ShapeType::kBoolean));
    const Shape* integer = Add(Int({}, {}));
    const Shape* positive = Add(Int(1, {}));
    const Shape* natural = Add(Int(0, {}));
    const Shape* max_record_size = Add(Int(1024, 10240));
    const Shape* stream_mode = Add(Enum({"PROVISIONED", "ON_DEMAND"}));
    const Shape* stream_mode_details = Add(Struct({{"StreamMode", stream_mode, true}}));
    const Shape* metrics_name =
        Add(Enum({"IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
                  "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
                  "IteratorAgeMilliseconds", "ALL"}));
    const Shape* metrics_list = Add(List(metrics_name, 1, 7));
    const Shape* encryption_type = Add(Enum({"NONE", "KMS"}));
    const Shape* key_id = Add(Str(1, 2048));
    // In the order AWS lists them in its message (its Java set's order, as
    // kinesalite's tests against AWS recorded it), not the model's.
    const Shape* iterator_type = Add(Enum(
        {"AFTER_SEQUENCE_NUMBER", "LATEST", "AT_TIMESTAMP", "AT_SEQUENCE_NUMBER", "TRIM_HORIZON"}));
    const Shape* limit_10000 = Add(Int(1, 10000));
    const Shape* limit_50 = Add(Int(1, 50));
    const Shape* shard_filter_type =
        Add(Enum({"AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST",
                  "AT_TIMESTAMP", "FROM_TIMESTAMP"}));
    const Shape* shard_filter = Add(
        Struct({{"Type", shard_filter_type, true}, {"ShardId", name}, {"Timestamp", timestamp}}));
    const Shape* starting_position = Add(Struct({{"Type", iterator_type, true},
                                                 {"SequenceNumber", sequence_number},
                                                 {"Timestamp", timestamp}}));
    const Shape* entry = Add(Struct({{"PartitionKey", partition_key, true},
                                     {"ExplicitHashKey", hash_key},
                                     {"Data", data, true}}));
    const Shape* records =
        Add(List(entry, 1, 500, "com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@2"));
    const Shape* scaling_type = Add(Enum({"UNIFORM_SCALING"}));
    const Shape* commitment_status = Add(Enum({"ENABLED", "DISABLED"}));
    const Shape* commitment = Add(Struct({{"Status", commitment_status, true}}));
    const Shape* policy = Add(Str({}, {}));

    // Members of a stream-addressed operation, after its own members.
    auto stream = [&](std::vector<Member> own) {
      own.push_back({"StreamName", name});
      own.push_back({"StreamARN", stream_arn});
      own.push_back({"StreamId", stream_id});
      return Struct(std::move(own));
    };

    Op("AddTagsToStream", stream({{"Tags", tag_map, true}}));
    Op("CreateStream", Struct({{"ShardCount", positive},
                               {"StreamModeDetails", stream_mode_details},
                               {"Tags", tag_map},
                               {"WarmThroughputMiBps", natural},
                               {"MaxRecordSizeInKiB", max_record_size},
                               {"StreamName", name, true}}));
    Op("DecreaseStreamRetentionPeriod", stream({{"RetentionPeriodHours", integer, true}}));
    Op("DeleteResourcePolicy",
       Struct({{"ResourceARN", resource_arn, true}, {"StreamId", stream_id}}));
    Op("DeleteStream", stream({{"EnforceConsumerDeletion", boolean}}));
    Op("DeregisterStreamConsumer", Struct({{"StreamARN", stream_arn},
                                           {"ConsumerName", name},
                                           {"ConsumerARN", consumer_arn},
                                           {"StreamId", stream_id}}));
    Op("DescribeAccountSettings", Struct({}));
    Op("DescribeLimits", Struct({}));
    Op("DescribeStream", stream({{"Limit", limit_10000}, {"ExclusiveStartShardId", name}}));
    Op("DescribeStreamConsumer", Struct({{"StreamARN", stream_arn},
                                         {"ConsumerName", name},
                                         {"ConsumerARN", consumer_arn},
                                         {"StreamId", stream_id}}));
    Op("DescribeStreamSummary", stream({}));
    Op("DisableEnhancedMonitoring", stream({{"ShardLevelMetrics", metrics_list, true}}));
    Op("EnableEnhancedMonitoring", stream({{"ShardLevelMetrics", metrics_list, true}}));
    Op("GetRecords", Struct({{"ShardIterator", Add(Str(1, 512)), true},
                             {"Limit", limit_10000},
                             {"StreamARN", stream_arn},
                             {"StreamId", stream_id}}));
    Op("GetResourcePolicy", Struct({{"ResourceARN", resource_arn, true}, {"StreamId", stream_id}}));
    Op("GetShardIterator", stream({{"ShardId", name, true},
                                   {"ShardIteratorType", iterator_type, true},
                                   {"StartingSequenceNumber", sequence_number},
                                   {"Timestamp", timestamp}}));
    Op("IncreaseStreamRetentionPeriod", stream({{"RetentionPeriodHours", integer, true}}));
    Op("ListShards", stream({{"NextToken", next_token},
                             {"ExclusiveStartShardId", name},
                             {"MaxResults", limit_10000},
                             {"StreamCreationTimestamp", timestamp},
                             {"ShardFilter", shard_filter}}));
    Op("ListStreamConsumers", Struct({{"StreamARN", stream_arn, true},
                                      {"NextToken", next_token},
                                      {"MaxResults", limit_10000},
                                      {"StreamCreationTimestamp", timestamp},
                                      {"StreamId", stream_id}}));
    Op("ListStreams", Struct({{"Limit", limit_10000},
                              {"ExclusiveStartStreamName", name},
                              {"NextToken", next_token}}));
    Op("ListTagsForResource",
       Struct({{"ResourceARN", resource_arn, true}, {"StreamId", stream_id}}));
    Op("ListTagsForStream", stream({{"ExclusiveStartTagKey", tag_key}, {"Limit", limit_50}}));
    Op("MergeShards", stream({{"ShardToMerge", name, true}, {"AdjacentShardToMerge", name, true}}));
    Op("PutRecord", stream({{"SequenceNumberForOrdering", sequence_number},
                            {"PartitionKey", partition_key, true},
                            {"ExplicitHashKey", hash_key},
                            {"Data", data, true}}));
    Op("PutRecords", stream({{"Records", records, true}}));
    Op("PutResourcePolicy", Struct({{"ResourceARN", resource_arn, true},
                                    {"StreamId", stream_id},
                                    {"Policy", policy, true}}));
    Op("RegisterStreamConsumer", Struct({{"StreamARN", stream_arn, true},
                                         {"ConsumerName", name, true},
                                         {"StreamId", stream_id},
                                         {"Tags", tag_map}}));
    Op("RemoveTagsFromStream", stream({{"TagKeys", tag_key_list, true}}));
    Op("SplitShard",
       stream({{"ShardToSplit", name, true}, {"NewStartingHashKey", hash_key, true}}));
    Op("StartStreamEncryption",
       stream({{"EncryptionType", encryption_type, true}, {"KeyId", key_id, true}}));
    Op("StopStreamEncryption",
       stream({{"EncryptionType", encryption_type, true}, {"KeyId", key_id, true}}));
    Op("SubscribeToShard", Struct({{"ConsumerARN", consumer_arn, true},
                                   {"StreamId", stream_id},
                                   {"ShardId", name, true},
                                   {"StartingPosition", starting_position, true}}));
    Op("TagResource", Struct({{"Tags", tag_map, true},
                              {"ResourceARN", resource_arn, true},
                              {"StreamId", stream_id}}));
    Op("UntagResource", Struct({{"TagKeys", tag_key_list, true},
                                {"ResourceARN", resource_arn, true},
                                {"StreamId", stream_id}}));
    Op("UpdateAccountSettings", Struct({{"MinimumThroughputBillingCommitment", commitment, true}}));
    Op("UpdateMaxRecordSize", Struct({{"StreamARN", stream_arn},
                                      {"StreamId", stream_id},
                                      {"MaxRecordSizeInKiB", max_record_size, true}}));
    Op("UpdateShardCount",
       stream({{"TargetShardCount", positive, true}, {"ScalingType", scaling_type, true}}));
    Op("UpdateStreamMode", Struct({{"StreamARN", stream_arn, true},
                                   {"StreamId", stream_id},
                                   {"StreamModeDetails", stream_mode_details, true},
                                   {"WarmThroughputMiBps", natural}}));
    Op("UpdateStreamWarmThroughput", stream({{"WarmThroughputMiBps", natural, true}}));
  }

  const Shape* Find(std::string_view op) const {
    auto it = ops_.find(op);
    return it == ops_.end() ? nullptr : it->second;
  }

 private:
  const Shape* Add(Shape s) {
    storage_.push_back(std::make_unique<Shape>(std::move(s)));
    return storage_.back().get();
  }
  void Op(std::string_view name, Shape s) { ops_.emplace(name, Add(std::move(s))); }

  std::vector<std::unique_ptr<Shape>> storage_;
  std::map<std::string_view, const Shape*, std::less<>> ops_;
};

}  // namespace

const Shape* InputShape(std::string_view operation) {
  static const Model* model = new Model();
  return model->Find(operation);
}

}  // namespace tidelog::server::kinesis
