// The operation table and the helpers the operation files share.
#include "server/kinesis/operations.h"

#include <map>

#include "server/kinesis/errors.h"
#include "server/kinesis/request_fields.h"

namespace tidelog::server::kinesis {

OperationEntry FindOperation(std::string_view name) {
  static const std::map<std::string_view, OperationEntry, std::less<>> kTable = {
      {"AddTagsToStream", {AddTagsToStream, nullptr}},
      {"CreateStream", {CreateStream, nullptr}},
      {"DecreaseStreamRetentionPeriod", {DecreaseStreamRetentionPeriod, nullptr}},
      {"DeleteResourcePolicy", {DeleteResourcePolicy, nullptr}},
      {"DeleteStream", {DeleteStream, nullptr}},
      {"DeregisterStreamConsumer", {DeregisterStreamConsumer, nullptr}},
      {"DescribeAccountSettings", {DescribeAccountSettings, nullptr}},
      {"DescribeLimits", {DescribeLimits, nullptr}},
      {"DescribeStream", {DescribeStream, nullptr}},
      {"DescribeStreamConsumer", {DescribeStreamConsumer, nullptr}},
      {"DescribeStreamSummary", {DescribeStreamSummary, nullptr}},
      {"DisableEnhancedMonitoring", {DisableEnhancedMonitoring, nullptr}},
      {"EnableEnhancedMonitoring", {EnableEnhancedMonitoring, nullptr}},
      {"GetRecords", {GetRecords, nullptr}},
      {"GetResourcePolicy", {GetResourcePolicy, nullptr}},
      {"GetShardIterator", {GetShardIterator, nullptr}},
      {"IncreaseStreamRetentionPeriod", {IncreaseStreamRetentionPeriod, nullptr}},
      {"ListShards", {ListShards, nullptr}},
      {"ListStreamConsumers", {ListStreamConsumers, nullptr}},
      {"ListStreams", {ListStreams, nullptr}},
      {"ListTagsForResource", {ListTagsForResource, nullptr}},
      {"ListTagsForStream", {ListTagsForStream, nullptr}},
      {"MergeShards", {MergeShards, nullptr}},
      {"PutRecord", {nullptr, PutRecord}},
      {"PutRecords", {nullptr, PutRecords}},
      {"PutResourcePolicy", {PutResourcePolicy, nullptr}},
      {"RegisterStreamConsumer", {RegisterStreamConsumer, nullptr}},
      {"RemoveTagsFromStream", {RemoveTagsFromStream, nullptr}},
      {"SplitShard", {SplitShard, nullptr}},
      {"StartStreamEncryption", {StartStreamEncryption, nullptr}},
      {"StopStreamEncryption", {StopStreamEncryption, nullptr}},
      {"SubscribeToShard", {nullptr, nullptr, SubscribeToShard}},
      {"TagResource", {TagResource, nullptr}},
      {"UntagResource", {UntagResource, nullptr}},
      {"UpdateAccountSettings", {UpdateAccountSettings, nullptr}},
      {"UpdateMaxRecordSize", {UpdateMaxRecordSize, nullptr}},
      {"UpdateShardCount", {UpdateShardCount, nullptr}},
      {"UpdateStreamMode", {UpdateStreamMode, nullptr}},
      {"UpdateStreamWarmThroughput", {UpdateStreamWarmThroughput, nullptr}},
  };
  auto it = kTable.find(name);
  return it == kTable.end() ? OperationEntry{} : it->second;
}

const char* UnsupportedOperationMessage(std::string_view name) {
  (void)name;  // every model operation is served
  return nullptr;
}

Status ResolveStreamOf(Engine& engine, const JsonValue& body, std::string* stream) {
  return engine.ResolveStream(StringField(body, "StreamName"), StringField(body, "StreamARN"),
                              StringField(body, "StreamId"), stream);
}

std::string AccountId(Engine& engine) {
  // arn:aws:kinesis:<region>:<account>:stream/<name>
  std::string arn = engine.StreamArn("x");
  size_t pos = 0;
  for (int i = 0; i < 4 && pos != std::string::npos; ++i) pos = arn.find(':', pos + 1);
  if (pos == std::string::npos) return "";
  size_t end = arn.find(':', pos + 1);
  return arn.substr(pos + 1, end == std::string::npos ? std::string::npos : end - pos - 1);
}

HttpResponse EmptyOrError(const Status& s) { return s.ok() ? JsonResponse("") : StatusResponse(s); }

}  // namespace tidelog::server::kinesis
