// Resharding: SplitShard, MergeShards, UpdateShardCount.
#include "server/kinesis/errors.h"
#include "server/kinesis/json_writer.h"
#include "server/kinesis/operations.h"
#include "server/kinesis/request_fields.h"

namespace tidelog::server::kinesis {

HttpResponse SplitShard(Engine& e, const JsonValue& body) {
  std::string_view key_text = StringField(body, "NewStartingHashKey");
  u128 key = 0;
  // The model's pattern admits 39-digit values past 2^128-1.
  if (!ParseU128Decimal(key_text, &key)) {
    return ErrorResponse("InvalidArgumentException",
                         "Invalid NewStartingHashKey. NewStartingHashKey must be in the range: "
                         "[0, 2^128-1]. Specified value was " +
                             std::string(key_text));
  }
  std::string stream;
  Status s = ResolveStreamOf(e, body, &stream);
  if (s.ok()) s = e.SplitShard(stream, StringField(body, "ShardToSplit"), key);
  return EmptyOrError(s);
}

HttpResponse MergeShards(Engine& e, const JsonValue& body) {
  std::string stream;
  Status s = ResolveStreamOf(e, body, &stream);
  if (s.ok())
    s = e.MergeShards(stream, StringField(body, "ShardToMerge"),
                      StringField(body, "AdjacentShardToMerge"));
  return EmptyOrError(s);
}

HttpResponse UpdateShardCount(Engine& e, const JsonValue& body) {
  std::string stream;
  const int32_t target = Int32Field(body, "TargetShardCount").value_or(0);
  int32_t current = 0;
  Status s = ResolveStreamOf(e, body, &stream);
  if (s.ok()) s = e.UpdateShardCount(stream, target, &current);
  if (!s.ok()) return StatusResponse(s);
  JsonWriter w;
  w.StartObject();
  w.Field("StreamName", stream);
  w.IntField("CurrentShardCount", current);
  w.IntField("TargetShardCount", target);
  w.Field("StreamARN", e.StreamArn(stream));
  w.EndObject();
  return JsonResponse(w.Release());
}

}  // namespace tidelog::server::kinesis
