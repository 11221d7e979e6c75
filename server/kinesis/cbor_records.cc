// The data plane's CBOR response bodies (see record_bodies.h): the same
// members as the JSON bodies, with Data as byte strings and
// ApproximateArrivalTimestamp as tag 1 epoch milliseconds.
#include "server/kinesis/cbor_writer.h"
#include "server/kinesis/errors.h"
#include "server/kinesis/model_json.h"
#include "server/kinesis/record_bodies.h"

namespace tidelog::server::kinesis {
namespace {

void AppendKey(std::string_view key, std::string* out) { AppendCborText(key, out); }

}  // namespace

std::string PutRecordCborBody(const PutRecordResult& r) {
  std::string out;
  out.reserve(96);
  AppendCborHead(5, 2, &out);
  AppendKey("ShardId", &out);
  AppendCborShardId(r.shard_index, &out);
  AppendKey("SequenceNumber", &out);
  AppendCborSequenceNumber(r.sequence_number, &out);
  return out;
}

std::string PutRecordsCborBody(const std::vector<PutRecordResult>& results) {
  int64_t failed = 0;
  for (const PutRecordResult& r : results) failed += r.status.ok() ? 0 : 1;
  std::string out;
  out.reserve(48 + results.size() * 80);
  AppendCborHead(5, 2, &out);
  AppendKey("FailedRecordCount", &out);
  AppendCborInt(failed, &out);
  AppendKey("Records", &out);
  AppendCborHead(4, results.size(), &out);
  for (const PutRecordResult& r : results) {
    AppendCborHead(5, 2, &out);
    if (r.status.ok()) {
      AppendKey("SequenceNumber", &out);
      AppendCborSequenceNumber(r.sequence_number, &out);
      AppendKey("ShardId", &out);
      AppendCborShardId(r.shard_index, &out);
    } else {
      AppendKey("ErrorCode", &out);
      AppendCborText(r.status.aws_name(), &out);
      AppendKey("ErrorMessage", &out);
      AppendCborText(r.status.message(), &out);
    }
  }
  return out;
}

std::string GetRecordsCborBody(const GetRecordsResult& result) {
  size_t size = 64 + result.next_shard_iterator.size();
  for (const Record& r : result.records) size += 128 + r.data.size() + r.partition_key.size();
  std::string out;
  out.reserve(size);
  const bool next = !result.next_shard_iterator.empty();
  const bool children = !result.child_shards.empty();
  AppendCborHead(5, 2 + (next ? 1 : 0) + (children ? 1 : 0), &out);
  AppendKey("Records", &out);
  AppendCborHead(4, result.records.size(), &out);
  for (const Record& r : result.records) {
    AppendCborHead(5, 4, &out);
    AppendKey("SequenceNumber", &out);
    AppendCborSequenceNumber(r.sequence_number, &out);
    AppendKey("ApproximateArrivalTimestamp", &out);
    AppendCborTimestamp(r.arrival_millis, &out);
    AppendKey("Data", &out);
    AppendCborBytes(r.data, &out);
    AppendKey("PartitionKey", &out);
    AppendCborText(r.partition_key, &out);
  }
  if (next) {
    AppendKey("NextShardIterator", &out);
    AppendCborText(result.next_shard_iterator, &out);
  }
  AppendKey("MillisBehindLatest", &out);
  AppendCborInt(result.millis_behind_latest, &out);
  if (children) {  // only at the end of a closed shard: not the hot path
    JsonWriter w;
    w.StartArray();
    for (const ChildShard& c : result.child_shards) WriteChildShard(c, &w);
    w.EndArray();
    AppendKey("ChildShards", &out);
    out.append(JsonToCbor(w.str()));
  }
  return out;
}

HttpResponse PutRecordResponse(const PutRecordResult& r, WireFormat format) {
  return format == WireFormat::kCbor ? CborResponse(PutRecordCborBody(r))
                                     : JsonResponse(PutRecordJsonBody(r));
}

HttpResponse PutRecordsResponse(const std::vector<PutRecordResult>& results, WireFormat format) {
  return format == WireFormat::kCbor ? CborResponse(PutRecordsCborBody(results))
                                     : JsonResponse(PutRecordsJsonBody(results));
}

}  // namespace tidelog::server::kinesis
