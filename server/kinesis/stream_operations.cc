// Stream lifecycle and listing: CreateStream, DeleteStream, DescribeStream,
// DescribeStreamSummary, ListStreams, ListShards, DescribeLimits.
#include <algorithm>

#include "server/kinesis/errors.h"
#include "server/kinesis/json_writer.h"
#include "server/kinesis/model_json.h"
#include "server/kinesis/next_token.h"
#include "server/kinesis/operations.h"
#include "server/kinesis/request_fields.h"
#include "tidelog/clock.h"

namespace tidelog::server::kinesis {
namespace {

constexpr int32_t kDescribeStreamMaxShards = 100;
constexpr int32_t kListStreamsMaxStreams = 100;
constexpr int32_t kListShardsMaxShards = 1000;

// Shard ids compare as their indexes (a request's ExclusiveStartShardId
// resolved as AWS does, ResolveShardId); ids that do not parse compare as text
// after every canonical one.
bool ShardIdAfter(const std::string& id, std::string_view start) {
  uint32_t a = 0, b = 0;
  bool pa = ParseShardId(id, &a), pb = ResolveShardId(start, &b);
  if (pa && pb) return a > b;
  if (pa != pb) return !pa;
  return id > start;
}

int64_t NowMillis() { return SystemClock()->NowMillis(); }

}  // namespace

HttpResponse CreateStream(Engine& e, const JsonValue& body) {
  CreateStreamRequest req;
  req.stream_name = std::string(StringField(body, "StreamName"));
  req.shard_count = Int32Field(body, "ShardCount");
  if (const JsonValue* details = body.Find("StreamModeDetails"))
    ParseStreamMode(StringField(*details, "StreamMode"), &req.mode);
  req.tags = TagMapField(body, "Tags");
  req.max_record_size_kib = Int32Field(body, "MaxRecordSizeInKiB").value_or(1024);
  req.warm_throughput_mibps = Int32Field(body, "WarmThroughputMiBps");
  return EmptyOrError(e.CreateStream(req));
}

HttpResponse DeleteStream(Engine& e, const JsonValue& body) {
  std::string stream;
  Status s = ResolveStreamOf(e, body, &stream);
  if (s.ok()) s = e.DeleteStream(stream, BoolField(body, "EnforceConsumerDeletion"));
  return EmptyOrError(s);
}

HttpResponse DescribeStream(Engine& e, const JsonValue& body) {
  std::string stream;
  StreamInfo info;
  std::vector<ShardInfo> shards;
  Status s = ResolveStreamOf(e, body, &stream);
  if (s.ok()) s = e.DescribeStream(stream, &info);
  if (s.ok()) s = e.ListShards(stream, ShardFilter{}, &shards);
  if (!s.ok()) return StatusResponse(s);

  const size_t limit = LimitField(body, "Limit", 100, kDescribeStreamMaxShards);
  std::string_view start = StringField(body, "ExclusiveStartShardId");
  JsonWriter w;
  w.StartObject();
  w.Key("StreamDescription");
  w.StartObject();
  w.Key("Shards");
  w.StartArray();
  size_t written = 0;
  bool more = false;
  for (const ShardInfo& shard : shards) {
    if (!start.empty() && !ShardIdAfter(shard.shard_id, start)) continue;
    if (written == limit) {
      more = true;
      break;
    }
    WriteShard(shard, &w);
    ++written;
  }
  w.EndArray();
  w.BoolField("HasMoreShards", more);
  WriteStreamCommon(info, &w);
  w.EndObject();
  w.EndObject();
  return JsonResponse(w.Release());
}

HttpResponse DescribeStreamSummary(Engine& e, const JsonValue& body) {
  std::string stream;
  StreamInfo info;
  Status s = ResolveStreamOf(e, body, &stream);
  if (s.ok()) s = e.DescribeStream(stream, &info);
  if (!s.ok()) return StatusResponse(s);
  JsonWriter w;
  w.StartObject();
  w.Key("StreamDescriptionSummary");
  w.StartObject();
  WriteStreamCommon(info, &w);
  w.Field("StreamId", info.stream_id);
  w.IntField("OpenShardCount", info.open_shard_count);
  w.IntField("ConsumerCount", info.consumer_count);
  if (info.warm_throughput) WriteWarmThroughput(*info.warm_throughput, &w);
  w.IntField("MaxRecordSizeInKiB", info.max_record_size_kib);
  w.EndObject();
  w.EndObject();
  return JsonResponse(w.Release());
}

HttpResponse ListStreams(Engine& e, const JsonValue& body) {
  std::string start(StringField(body, "ExclusiveStartStreamName"));
  if (HasField(body, "NextToken")) {
    if (!start.empty()) {
      return ErrorResponse("InvalidArgumentException",
                           "NextToken and ExclusiveStartStreamName cannot be provided together.");
    }
    NextToken token;
    Status s = DecodeNextToken(StringField(body, "NextToken"), "ListStreams", NowMillis(), &token);
    if (!s.ok()) return StatusResponse(s);
    start = token.last;
  }
  std::vector<StreamInfo> streams;
  Status s = e.ListStreams(&streams);
  if (!s.ok()) return StatusResponse(s);

  const size_t limit = LimitField(body, "Limit", 100, kListStreamsMaxStreams);
  std::vector<const StreamInfo*> page;
  bool more = false;
  for (const StreamInfo& info : streams) {
    if (!start.empty() && info.stream_name <= start) continue;
    if (page.size() == limit) {
      more = true;
      break;
    }
    page.push_back(&info);
  }
  JsonWriter w;
  w.StartObject();
  w.Key("StreamNames");
  w.StartArray();
  for (const StreamInfo* info : page) w.String(info->stream_name);
  w.EndArray();
  w.BoolField("HasMoreStreams", more);
  if (more) {
    NextToken token;
    token.kind = "ListStreams";
    token.last = page.empty() ? start : page.back()->stream_name;
    token.issued_millis = NowMillis();
    w.Field("NextToken", EncodeNextToken(token));
  }
  w.Key("StreamSummaries");
  w.StartArray();
  for (const StreamInfo* info : page) {
    w.StartObject();
    w.Field("StreamName", info->stream_name);
    w.Field("StreamARN", info->stream_arn);
    w.Field("StreamStatus", ToString(info->status));
    WriteStreamModeDetails(info->mode, &w);
    w.Key("StreamCreationTimestamp");
    w.Timestamp(info->created_millis);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return JsonResponse(w.Release());
}

HttpResponse ListShards(Engine& e, const JsonValue& body) {
  bool has_stream =
      HasField(body, "StreamName") || HasField(body, "StreamARN") || HasField(body, "StreamId");
  std::string stream;
  std::string start(StringField(body, "ExclusiveStartShardId"));
  ShardFilter filter;
  std::string filter_type = "";
  if (HasField(body, "NextToken")) {
    if (has_stream) {
      return ErrorResponse("InvalidArgumentException",
                           "NextToken and StreamName cannot be provided together.");
    }
    if (!start.empty() || HasField(body, "StreamCreationTimestamp")) {
      return ErrorResponse("InvalidArgumentException",
                           "NextToken cannot be provided together with ExclusiveStartShardId or "
                           "StreamCreationTimestamp.");
    }
    NextToken token;
    Status s = DecodeNextToken(StringField(body, "NextToken"), "ListShards", NowMillis(), &token);
    if (!s.ok()) return StatusResponse(s);
    stream = token.stream;
    start = token.last;
    filter_type = token.filter_type;
    filter.shard_id = token.filter_shard_id;
    filter.timestamp_millis = token.filter_timestamp_millis;
  } else {
    if (!has_stream) {
      return ErrorResponse("InvalidArgumentException",
                           "Either NextToken or StreamName should be provided.");
    }
    Status s = ResolveStreamOf(e, body, &stream);
    if (!s.ok()) return StatusResponse(s);
    if (const JsonValue* f = body.Find("ShardFilter")) {
      filter_type = std::string(StringField(*f, "Type"));
      filter.shard_id = std::string(StringField(*f, "ShardId"));
      filter.timestamp_millis = TimestampMillisField(*f, "Timestamp").value_or(0);
      if (filter_type == "AFTER_SHARD_ID" && !HasField(*f, "ShardId")) {
        return ErrorResponse(
            "InvalidArgumentException",
            "ShardId must be supplied in a ShardFilter with a Type of AFTER_SHARD_ID");
      }
      if ((filter_type == "AT_TIMESTAMP" || filter_type == "FROM_TIMESTAMP") &&
          !HasField(*f, "Timestamp")) {
        return ErrorResponse("InvalidArgumentException",
                             "Timestamp must be supplied in a ShardFilter with a Type of "
                             "FROM_TIMESTAMP or AT_TIMESTAMP");
      }
    }
  }
  if (!filter_type.empty() && !ParseShardFilterType(filter_type, &filter.type)) {
    return ErrorResponse("InvalidArgumentException", "Invalid ShardFilter Type " + filter_type);
  }
  std::vector<ShardInfo> shards;
  Status s = e.ListShards(stream, filter, &shards);
  if (!s.ok()) return StatusResponse(s);

  const size_t limit = LimitField(body, "MaxResults", 1000, kListShardsMaxShards);
  JsonWriter w;
  w.StartObject();
  w.Key("Shards");
  w.StartArray();
  size_t written = 0;
  std::string last;
  bool more = false;
  for (const ShardInfo& shard : shards) {
    if (!start.empty() && !ShardIdAfter(shard.shard_id, start)) continue;
    if (written == limit) {
      more = true;
      break;
    }
    WriteShard(shard, &w);
    last = shard.shard_id;
    ++written;
  }
  w.EndArray();
  if (more) {
    NextToken token;
    token.kind = "ListShards";
    token.stream = stream;
    token.last = last;
    token.filter_type = filter_type;
    token.filter_shard_id = filter.shard_id;
    token.filter_timestamp_millis = filter.timestamp_millis;
    token.issued_millis = NowMillis();
    w.Field("NextToken", EncodeNextToken(token));
  }
  w.EndObject();
  return JsonResponse(w.Release());
}

HttpResponse DescribeLimits(Engine& e, const JsonValue&) {
  StreamLimits limits;
  Status s = e.DescribeLimits(&limits);
  if (!s.ok()) return StatusResponse(s);
  JsonWriter w;
  w.StartObject();
  w.IntField("ShardLimit", limits.shard_limit);
  w.IntField("OpenShardCount", limits.open_shard_count);
  w.IntField("OnDemandStreamCount", limits.on_demand_stream_count);
  w.IntField("OnDemandStreamCountLimit", limits.on_demand_stream_count_limit);
  w.EndObject();
  return JsonResponse(w.Release());
}

}  // namespace tidelog::server::kinesis
