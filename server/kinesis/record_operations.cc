// The data plane: PutRecord, PutRecords, GetShardIterator, GetRecords.
//
// Puts go through Engine::PutRecordsAsync so the event loop never waits for a
// group commit; only calls that need a blocking engine call (stream ARN
// resolution, SequenceNumberForOrdering) are posted to the worker pool.
#include <charconv>
#include <memory>

#include "server/kinesis/errors.h"
#include "server/kinesis/json_writer.h"
#include "server/kinesis/model_json.h"
#include "server/kinesis/operations.h"
#include "server/kinesis/put_fast_path.h"
#include "server/kinesis/record_bodies.h"
#include "server/kinesis/request_fields.h"
#include "tidelog/base64.h"

namespace tidelog::server::kinesis {
namespace {

constexpr int32_t kMaxGetRecordsLimit = 10000;

// A put request whose entries point into `body`; the body never moves after
// the entries are built.
struct PutCall {
  JsonValue body;
  std::vector<PutRecordEntry> entries;
  bool single = false;  // PutRecord (one entry), not PutRecords
};

// Builds the engine entry for one PutRecord(s) member; fails on an
// ExplicitHashKey the pattern admits but past 2^128-1.
Status MakeEntry(const JsonValue& record, PutRecordEntry* entry) {
  entry->partition_key = StringField(record, "PartitionKey");
  entry->data = StringField(record, "Data");
  if (const JsonValue* key = record.Find("ExplicitHashKey")) {
    u128 k = 0;
    if (!ParseU128Decimal(key->string, &k)) {
      return Status::InvalidArgument(
          "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
          "Specified value was " +
          key->string);
    }
    entry->explicit_hash_key = k;
  }
  return Status::OK();
}

}  // namespace

// {"ShardId":"shardId-000000000001","SequenceNumber":"4959..."}
std::string PutRecordJsonBody(const PutRecordResult& r) {
  std::string out;
  out.reserve(96);
  out.append(R"({"ShardId":")");
  AppendShardId(r.shard_index, &out);
  out.append(R"(","SequenceNumber":")");
  AppendSequenceNumber(r.sequence_number, &out);
  out.append("\"}");
  return out;
}

// Written straight into one presized string (the same bytes JsonWriter made).
std::string PutRecordsJsonBody(const std::vector<PutRecordResult>& results) {
  int64_t failed = 0;
  for (const PutRecordResult& r : results) failed += r.status.ok() ? 0 : 1;
  std::string out;
  out.reserve(48 + results.size() * 96);
  out.append(R"({"FailedRecordCount":)");
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof(buf), failed).ptr);
  out.append(R"(,"Records":[)");
  bool first = true;
  for (const PutRecordResult& r : results) {
    if (!first) out.push_back(',');
    first = false;
    if (r.status.ok()) {
      out.append(R"({"SequenceNumber":")");
      AppendSequenceNumber(r.sequence_number, &out);
      out.append(R"(","ShardId":")");
      AppendShardId(r.shard_index, &out);
      out.append("\"}");
    } else {
      out.append(R"({"ErrorCode":)");
      AppendJsonString(r.status.aws_name(), &out);
      out.append(R"(,"ErrorMessage":)");
      AppendJsonString(r.status.message(), &out);
      out.push_back('}');
    }
  }
  out.append("]}");
  return out;
}

namespace {

// Starts the append of `call` and answers with `respond(results)`. Resolves a
// StreamARN (or reports a missing stream) on the pool first.
void StartPut(Engine& e, std::shared_ptr<PutCall> call, Responder done, const Post& post,
              std::function<HttpResponse(std::vector<PutRecordResult>)> respond) {
  auto append = [&e, call, done, respond](std::string_view stream) {
    Engine::PutCallback answer = [call, done, respond](Status s,
                                                       std::vector<PutRecordResult> results) {
      done(s.ok() ? respond(std::move(results)) : StatusResponse(s));
    };
    // PutRecord's own engine call words its errors as PutRecord (`data`).
    if (call->single) return e.PutRecordAsync(stream, call->entries[0], std::move(answer));
    e.PutRecordsAsync(stream, call->entries, std::move(answer));
  };
  if (!HasField(call->body, "StreamARN") && HasField(call->body, "StreamName")) {
    append(StringField(call->body, "StreamName"));
    return;
  }
  post([&e, call, done, append] {
    std::string stream;
    Status s = ResolveStreamOf(e, call->body, &stream);
    if (!s.ok()) return done(StatusResponse(s));
    append(stream);
  });
}

}  // namespace

void PutRecords(Engine& e, JsonValue body, Responder done, const Post& post) {
  auto call = std::make_shared<PutCall>();
  call->body = std::move(body);
  const JsonValue* records = call->body.Find("Records");
  call->entries.resize(records->array.size());
  for (size_t i = 0; i < records->array.size(); ++i) {
    Status s = MakeEntry(records->array[i], &call->entries[i]);
    if (!s.ok()) return done(StatusResponse(s));
  }
  // The engine checks the record and request size limits (per stream).
  StartPut(e, call, std::move(done), post, [](std::vector<PutRecordResult> results) {
    return JsonResponse(PutRecordsJsonBody(results));
  });
}

void PutRecord(Engine& e, JsonValue body, Responder done, const Post& post) {
  auto call = std::make_shared<PutCall>();
  call->body = std::move(body);
  call->single = true;
  call->entries.resize(1);
  Status s = MakeEntry(call->body, &call->entries[0]);
  if (!s.ok()) return done(StatusResponse(s));

  if (const JsonValue* ordering = call->body.Find("SequenceNumberForOrdering")) {
    SequenceNumber after;
    bool valid = ParseSequenceNumber(ordering->string, &after);
    // Ordering needs the synchronous Engine::PutRecord.
    post([&e, call, done, valid, after] {
      std::string stream;
      Status s = ResolveStreamOf(e, call->body, &stream);
      if (!s.ok()) return done(StatusResponse(s));
      if (!valid) {
        return done(
            ErrorResponse("InvalidArgumentException",
                          "ExclusiveMinimumSequenceNumber " +
                              std::string(StringField(call->body, "SequenceNumberForOrdering")) +
                              " used in PutRecord on stream " + stream + " under account " +
                              AccountId(e) + " is invalid."));
      }
      PutRecordResult result;
      s = e.PutRecord(stream, call->entries[0], after, &result);
      if (s.ok()) s = result.status;
      done(s.ok() ? JsonResponse(PutRecordJsonBody(result)) : StatusResponse(s));
    });
    return;
  }
  StartPut(e, call, std::move(done), post, [](std::vector<PutRecordResult> results) {
    if (results.size() != 1)
      return StatusResponse(Status::Internal("The engine answered a put of one record with " +
                                             std::to_string(results.size()) + " results."));
    if (!results[0].status.ok()) return StatusResponse(results[0].status);
    return JsonResponse(PutRecordJsonBody(results[0]));
  });
}

void PutFast(Engine& e, std::shared_ptr<FastPut> call, bool batch, Responder done) {
  const std::string_view stream = call->stream;
  const std::span<const PutRecordEntry> entries = call->entries;
  const WireFormat format = call->format;
  // Errors are JSON here; the service's responder puts them in `format`.
  Engine::PutCallback answer = [call, batch, format, done = std::move(done)](
                                   Status s, std::vector<PutRecordResult> results) mutable {
    call.reset();  // the engine has copied what it keeps
    if (!s.ok()) return done(StatusResponse(s));
    if (batch) return done(PutRecordsResponse(results, format));
    if (results.size() != 1)
      return done(StatusResponse(Status::Internal("The engine answered a put of one record with " +
                                                  std::to_string(results.size()) + " results.")));
    if (!results[0].status.ok()) return done(StatusResponse(results[0].status));
    done(PutRecordResponse(results[0], format));
  };
  // `answer` holds the last reference to `call` once the engine has copied
  // the entries, so the views stay valid for the duration of the call.
  if (batch) return e.PutRecordsAsync(stream, entries, std::move(answer));
  e.PutRecordAsync(stream, entries[0], std::move(answer));
}

HttpResponse GetShardIterator(Engine& e, const JsonValue& body) {
  std::string stream;
  Status s = ResolveStreamOf(e, body, &stream);
  if (!s.ok()) return StatusResponse(s);
  std::string_view shard_id = StringField(body, "ShardId");
  ShardIteratorType type = ShardIteratorType::kLatest;
  ParseShardIteratorType(StringField(body, "ShardIteratorType"), &type);
  std::optional<SequenceNumber> start;
  if (const JsonValue* seq = body.Find("StartingSequenceNumber")) {
    SequenceNumber v;
    if (!ParseSequenceNumber(seq->string, &v)) {
      return ErrorResponse("InvalidArgumentException", "StartingSequenceNumber " + seq->string +
                                                           " used in GetShardIterator on shard " +
                                                           std::string(shard_id) + " in stream " +
                                                           stream + " under account " +
                                                           AccountId(e) + " is invalid.");
    }
    start = v;
  }
  std::string iterator;
  s = e.GetShardIterator(stream, shard_id, type, start, TimestampMillisField(body, "Timestamp"),
                         &iterator);
  if (!s.ok()) return StatusResponse(s);
  JsonWriter w;
  w.StartObject();
  w.Field("ShardIterator", iterator);
  w.EndObject();
  return JsonResponse(w.Release());
}

// Written straight into one presized string: the same bytes as JsonWriter +
// WriteRecord, without per-record temporaries.
std::string GetRecordsJsonBody(const GetRecordsResult& result) {
  size_t size = 96 + result.next_shard_iterator.size();
  for (const Record& r : result.records)
    size += 112 + Base64EncodedLength(r.data.size()) + r.partition_key.size();
  std::string out;
  out.reserve(size);
  out.append(R"({"Records":[)");
  bool first = true;
  for (const Record& r : result.records) {
    out.append(first ? R"({"SequenceNumber":")" : R"(,{"SequenceNumber":")");
    first = false;
    AppendSequenceNumber(r.sequence_number, &out);
    out.append(R"(","ApproximateArrivalTimestamp":)");
    AppendEpochSeconds(r.arrival_millis, &out);
    out.append(R"(,"Data":)");
    AppendJsonBlob(r.data, &out);
    out.append(R"(,"PartitionKey":)");
    AppendJsonString(r.partition_key, &out);
    out.push_back('}');
  }
  out.push_back(']');
  if (!result.next_shard_iterator.empty()) {
    out.append(R"(,"NextShardIterator":)");
    AppendJsonString(result.next_shard_iterator, &out);
  }
  out.append(R"(,"MillisBehindLatest":)");
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof(buf), result.millis_behind_latest).ptr);
  if (!result.child_shards.empty()) {
    JsonWriter w;
    w.StartArray();
    for (const ChildShard& c : result.child_shards) WriteChildShard(c, &w);
    w.EndArray();
    out.append(R"(,"ChildShards":)").append(w.str());
  }
  out.push_back('}');
  return out;
}

HttpResponse GetRecordsIn(WireFormat format, Engine& e, const JsonValue& body) {
  GetRecordsResult result;
  Status s =
      e.GetRecords(StringField(body, "ShardIterator"),
                   LimitField(body, "Limit", kMaxGetRecordsLimit, kMaxGetRecordsLimit), &result);
  if (!s.ok()) return StatusResponse(s);
  if (format == WireFormat::kCbor) return CborResponse(GetRecordsCborBody(result));
  return JsonResponse(GetRecordsJsonBody(result));
}

HttpResponse GetRecords(Engine& e, const JsonValue& body) {
  return GetRecordsIn(WireFormat::kJson, e, body);
}

}  // namespace tidelog::server::kinesis
