// The Kinesis operations over the engine. Each takes a body that passed
// CheckTypes and CheckConstraints for its input shape.
//
// Synchronous operations may block on the engine: the service runs them on
// its worker pool. Asynchronous ones (the put path) start the engine call and
// answer through `done`, running blocking parts through `post`.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "server/http/http_message.h"
#include "server/kinesis/json_value.h"
#include "server/kinesis/wire_format.h"
#include "tidelog/engine.h"

namespace tidelog::server::kinesis {

using SyncOperation = HttpResponse (*)(Engine& engine, const JsonValue& body);
// Runs `work` on the worker pool.
using Post = std::function<void(std::function<void()> work)>;
using AsyncOperation = void (*)(Engine& engine, JsonValue body, Responder done, const Post& post);

// An operation whose response is an event stream (SubscribeToShard): it
// answers through `done`, possibly with an HttpResponse carrying a
// ResponseStream, and encodes its events in `format`.
using StreamingOperation = void (*)(Engine& engine, JsonValue body, WireFormat format,
                                    Responder done, const Post& post);

struct OperationEntry {
  SyncOperation sync = nullptr;
  AsyncOperation async = nullptr;
  StreamingOperation streaming = nullptr;
};

// The handler of `name`, or an entry with neither set when the model has the
// operation but the broker answers it with an error (see UnsupportedOperation).
OperationEntry FindOperation(std::string_view name);

// The error for model operations the engine has no support for, or nullptr
// when `name` is supported.
const char* UnsupportedOperationMessage(std::string_view name);

// ---- Helpers shared by the operation files ----------------------------------

// The stream named by the body's StreamName and/or StreamARN.
Status ResolveStreamOf(Engine& engine, const JsonValue& body, std::string* stream);
// The account id in the engine's ARNs, for AWS's message texts.
std::string AccountId(Engine& engine);
// 200 with no body, or the status' error.
HttpResponse EmptyOrError(const Status& s);

// ---- Operations, grouped as in the files that define them --------------------

// stream_operations.cc
HttpResponse CreateStream(Engine& e, const JsonValue& body);
HttpResponse DeleteStream(Engine& e, const JsonValue& body);
HttpResponse DescribeStream(Engine& e, const JsonValue& body);
HttpResponse DescribeStreamSummary(Engine& e, const JsonValue& body);
HttpResponse ListStreams(Engine& e, const JsonValue& body);
HttpResponse ListShards(Engine& e, const JsonValue& body);
HttpResponse DescribeLimits(Engine& e, const JsonValue& body);

// stream_settings_operations.cc
HttpResponse IncreaseStreamRetentionPeriod(Engine& e, const JsonValue& body);
HttpResponse DecreaseStreamRetentionPeriod(Engine& e, const JsonValue& body);
HttpResponse UpdateStreamMode(Engine& e, const JsonValue& body);
HttpResponse StartStreamEncryption(Engine& e, const JsonValue& body);
HttpResponse StopStreamEncryption(Engine& e, const JsonValue& body);
HttpResponse EnableEnhancedMonitoring(Engine& e, const JsonValue& body);
HttpResponse DisableEnhancedMonitoring(Engine& e, const JsonValue& body);
HttpResponse UpdateMaxRecordSize(Engine& e, const JsonValue& body);
HttpResponse UpdateStreamWarmThroughput(Engine& e, const JsonValue& body);

// shard_operations.cc
HttpResponse SplitShard(Engine& e, const JsonValue& body);
HttpResponse MergeShards(Engine& e, const JsonValue& body);
HttpResponse UpdateShardCount(Engine& e, const JsonValue& body);

// tag_operations.cc
HttpResponse AddTagsToStream(Engine& e, const JsonValue& body);
HttpResponse RemoveTagsFromStream(Engine& e, const JsonValue& body);
HttpResponse ListTagsForStream(Engine& e, const JsonValue& body);
HttpResponse TagResource(Engine& e, const JsonValue& body);
HttpResponse UntagResource(Engine& e, const JsonValue& body);
HttpResponse ListTagsForResource(Engine& e, const JsonValue& body);

// consumer_operations.cc
HttpResponse RegisterStreamConsumer(Engine& e, const JsonValue& body);
HttpResponse DeregisterStreamConsumer(Engine& e, const JsonValue& body);
HttpResponse DescribeStreamConsumer(Engine& e, const JsonValue& body);
HttpResponse ListStreamConsumers(Engine& e, const JsonValue& body);

// policy_operations.cc
HttpResponse PutResourcePolicy(Engine& e, const JsonValue& body);
HttpResponse GetResourcePolicy(Engine& e, const JsonValue& body);
HttpResponse DeleteResourcePolicy(Engine& e, const JsonValue& body);

// account_operations.cc
HttpResponse DescribeAccountSettings(Engine& e, const JsonValue& body);
HttpResponse UpdateAccountSettings(Engine& e, const JsonValue& body);

// record_operations.cc
struct FastPut;
// Appends a put parsed by ParsePutFast (`batch`: PutRecords) and answers.
void PutFast(Engine& e, std::shared_ptr<FastPut> call, bool batch, Responder done);
void PutRecord(Engine& e, JsonValue body, Responder done, const Post& post);
void PutRecords(Engine& e, JsonValue body, Responder done, const Post& post);
HttpResponse GetShardIterator(Engine& e, const JsonValue& body);
HttpResponse GetRecords(Engine& e, const JsonValue& body);

// subscribe_operations.cc
void SubscribeToShard(Engine& e, JsonValue body, WireFormat format, Responder done,
                      const Post& post);

}  // namespace tidelog::server::kinesis
