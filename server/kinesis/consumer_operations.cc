// Enhanced fan-out consumer registry: Register, Deregister, Describe and
// ListStreamConsumers. (SubscribeToShard is not served yet.)
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

constexpr int32_t kListConsumersMax = 100;

// The stream of a call naming a consumer by ConsumerARN, or by StreamARN plus
// ConsumerName; "" when only the ConsumerARN is given.
Status ConsumerStream(Engine& e, const JsonValue& body, std::string* stream) {
  if (!HasField(body, "StreamARN")) {
    if (!HasField(body, "ConsumerARN")) {
      return Status::InvalidArgument(
          "Either ConsumerARN or both StreamARN and ConsumerName must be provided.");
    }
    return Status::OK();
  }
  if (!HasField(body, "ConsumerARN") && !HasField(body, "ConsumerName")) {
    return Status::InvalidArgument(
        "Either ConsumerARN or both StreamARN and ConsumerName must be provided.");
  }
  return e.ResolveStream("", StringField(body, "StreamARN"), stream);
}

}  // namespace

HttpResponse RegisterStreamConsumer(Engine& e, const JsonValue& body) {
  std::string stream;
  ConsumerInfo consumer;
  Status s =
      e.ResolveStream("", StringField(body, "StreamARN"), StringField(body, "StreamId"), &stream);
  if (s.ok())
    s = e.RegisterStreamConsumer(stream, StringField(body, "ConsumerName"),
                                 TagMapField(body, "Tags"), &consumer);
  if (!s.ok()) return StatusResponse(s);
  JsonWriter w;
  w.StartObject();
  w.Key("Consumer");
  WriteConsumer(consumer, false, &w);
  w.EndObject();
  return JsonResponse(w.Release());
}

HttpResponse DeregisterStreamConsumer(Engine& e, const JsonValue& body) {
  std::string stream;
  Status s = ConsumerStream(e, body, &stream);
  if (s.ok())
    s = e.DeregisterStreamConsumer(stream, StringField(body, "ConsumerName"),
                                   StringField(body, "ConsumerARN"));
  return EmptyOrError(s);
}

HttpResponse DescribeStreamConsumer(Engine& e, const JsonValue& body) {
  std::string stream;
  ConsumerInfo consumer;
  Status s = ConsumerStream(e, body, &stream);
  if (s.ok())
    s = e.DescribeStreamConsumer(stream, StringField(body, "ConsumerName"),
                                 StringField(body, "ConsumerARN"), &consumer);
  if (!s.ok()) return StatusResponse(s);
  JsonWriter w;
  w.StartObject();
  w.Key("ConsumerDescription");
  WriteConsumer(consumer, true, &w);
  w.EndObject();
  return JsonResponse(w.Release());
}

HttpResponse ListStreamConsumers(Engine& e, const JsonValue& body) {
  std::string stream;
  std::vector<ConsumerInfo> consumers;
  Status s = e.ResolveStream("", StringField(body, "StreamARN"), &stream);
  NextToken token;
  int64_t now = SystemClock()->NowMillis();
  if (s.ok() && HasField(body, "NextToken")) {
    s = DecodeNextToken(StringField(body, "NextToken"), "ListStreamConsumers", now, &token);
    if (s.ok() && token.stream != stream)
      s = Status::InvalidArgument("NextToken was issued for another stream.");
  }
  if (s.ok()) s = e.ListStreamConsumers(stream, &consumers);
  if (!s.ok()) return StatusResponse(s);
  // Pages follow consumer names, whatever order the engine lists them in.
  std::sort(consumers.begin(), consumers.end(), [](const ConsumerInfo& a, const ConsumerInfo& b) {
    return a.consumer_name < b.consumer_name;
  });

  const size_t limit = LimitField(body, "MaxResults", 100, kListConsumersMax);
  JsonWriter w;
  w.StartObject();
  w.Key("Consumers");
  w.StartArray();
  size_t written = 0;
  bool more = false;
  std::string last;
  for (const ConsumerInfo& c : consumers) {
    if (!token.last.empty() && c.consumer_name <= token.last) continue;
    if (written == limit) {
      more = true;
      break;
    }
    WriteConsumer(c, false, &w);
    last = c.consumer_name;
    ++written;
  }
  w.EndArray();
  if (more) {
    NextToken next;
    next.kind = "ListStreamConsumers";
    next.stream = stream;
    next.last = last;
    next.issued_millis = now;
    w.Field("NextToken", EncodeNextToken(next));
  }
  w.EndObject();
  return JsonResponse(w.Release());
}

}  // namespace tidelog::server::kinesis
