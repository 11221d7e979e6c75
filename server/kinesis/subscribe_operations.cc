// SubscribeToShard: the enhanced fan-out push over an event stream. The
// response is 200 application/vnd.amazon.eventstream whose body is an
// initial-response event, then SubscribeToShardEvents as records become
// durable, and at the end either nothing more (lifetime, closed shard read to
// its end, shutdown) or one exception event (takeover, deregistration, stream
// deletion, a failed read).
//
// Ownership and threads: a SubscribeSession holds the engine subscription and
// the ResponseStream. The engine's wake callback owns the session (strongly)
// until the subscription ends, when the engine drops it; the stream's
// OnWritable callback holds it weakly; a posted Run holds it while it runs.
// Runs are serialised by `pending_` (one at a time, none lost) and do the
// reading and writing on the service's worker pool; the engine's callback
// (possibly on the committer thread) only counts and posts. A session reads
// only while its stream is writable, so a slow client holds back only itself,
// and its memory stays at about the stream's high water plus one event.
#include <atomic>
#include <memory>
#include <string>

#include "server/http/response_stream.h"
#include "server/kinesis/cbor_writer.h"
#include "server/kinesis/errors.h"
#include "server/kinesis/event_stream.h"
#include "server/kinesis/json_writer.h"
#include "server/kinesis/model_json.h"
#include "server/kinesis/operations.h"
#include "server/kinesis/request_fields.h"

namespace tidelog::server::kinesis {
namespace {

// One event holds at most this much (as a GetRecords page may, but smaller:
// a subscriber is allowed 2 MiB/s).
constexpr int32_t kMaxEventRecords = 10000;
constexpr size_t kMaxEventBytes = 1 << 20;
// Events one Run writes before it lets other work of the pool in.
constexpr int kEventsPerRun = 4;

struct EncodedPayload {
  std::string_view content_type;
  std::string bytes;
};

// The one place event payloads are encoded.
EncodedPayload EncodePayload(std::string json, WireFormat format) {
  // The Java SDK parses each event's payload with the request's protocol:
  // CBOR requests get CBOR events (Data as byte strings, timestamps as tag 1
  // epoch milliseconds).
  if (format == WireFormat::kCbor) return {kEventStreamCborContentType, JsonToCbor(json)};
  return {kEventStreamJsonContentType, std::move(json)};
}

// The model's member name of an error in SubscribeToShardEventStream.
std::string ExceptionType(const Status& s) {
  switch (s.code()) {
    case ErrorCode::kResourceNotFound:
    case ErrorCode::kResourceInUse:
      return std::string(s.aws_name());
    default:
      return "InternalFailureException";
  }
}

class SubscribeSession : public std::enable_shared_from_this<SubscribeSession> {
 public:
  SubscribeSession(WireFormat format, Post post)
      : stream_(std::make_shared<ResponseStream>()), format_(format), post_(std::move(post)) {}

  ~SubscribeSession() {
    if (sub_) sub_->Close();
    stream_->Finish();
  }

  const std::shared_ptr<ResponseStream>& stream() const { return stream_; }

  // Subscribes; on success the caller answers with Response() and calls
  // Start(). Wakes before Start() are only counted: pending_ starts at 1.
  Status Subscribe(Engine& e, const SubscribeToShardRequest& request) {
    std::weak_ptr<SubscribeSession> weak = weak_from_this();
    stream_->OnWritable([weak] {
      if (auto self = weak.lock()) self->Schedule();
    });
    // Owning: the engine holds the session through this until it ends.
    return e.SubscribeToShard(
        request, [self = shared_from_this()] { self->Schedule(); }, &sub_);
  }

  void WriteInitialResponse() {
    EncodedPayload p = EncodePayload("{}", format_);
    std::string message;
    if (AppendEventMessage(&message, "initial-response", p.content_type, p.bytes))
      stream_->Write(std::move(message));
  }

  HttpResponse Response() const {
    HttpResponse r;
    r.status = 200;
    r.headers.emplace_back("Content-Type", "application/vnd.amazon.eventstream");
    r.stream = stream_;
    return r;
  }

  // The first Run (it owes the pending_ count of 1 set at construction).
  void Start() {
    post_([self = shared_from_this()] { self->Run(); });
  }

 private:
  void Schedule() {
    if (pending_.fetch_add(1, std::memory_order_acq_rel) == 0) {
      post_([self = shared_from_this()] { self->Run(); });
    }
  }

  void Run() {
    int n;
    do {
      n = pending_.load(std::memory_order_acquire);
      Pump();
    } while (pending_.fetch_sub(n, std::memory_order_acq_rel) != n);
  }

  // Only ever inside Run, so one at a time: `done_` needs no lock.
  void Pump() {
    if (done_) return;
    if (stream_->cancelled()) return End();
    for (int i = 0; i < kEventsPerRun; ++i) {
      if (!stream_->writable()) return;  // OnWritable schedules us again
      JsonWriter w;
      w.StartObject();
      w.Key("Records");
      w.StartArray();
      SubscriptionEvent ev;
      Status s = sub_->ReadEvent(
          kMaxEventRecords, kMaxEventBytes,
          [&w](const RecordView& r) {
            w.StartObject();
            w.Key("SequenceNumber");
            w.Decimal(r.sequence_number);
            w.Key("ApproximateArrivalTimestamp");
            w.Timestamp(r.arrival_millis);
            w.Key("Data");
            w.Blob(r.data);
            w.Field("PartitionKey", r.partition_key);
            w.EndObject();
          },
          &ev);
      if (!s.ok()) {
        WriteException(ev.end_status.ok() ? Status::Internal("Internal Service Failure")
                                          : ev.end_status);
        return End();
      }
      if (ev.has_event) {
        w.EndArray();
        if (ev.continuation_sequence_number) {
          w.Key("ContinuationSequenceNumber");
          w.Decimal(*ev.continuation_sequence_number);
        }
        w.IntField("MillisBehindLatest", ev.millis_behind_latest);
        if (!ev.continuation_sequence_number) {
          w.Key("ChildShards");
          w.StartArray();
          for (const ChildShard& c : ev.child_shards) WriteChildShard(c, &w);
          w.EndArray();
        }
        w.EndObject();
        EncodedPayload p = EncodePayload(w.Release(), format_);
        std::string message;
        if (!AppendEventMessage(&message, "SubscribeToShardEvent", p.content_type, p.bytes)) {
          WriteException(Status::Internal("event too large"));
          return End();
        }
        stream_->Write(std::move(message));
      }
      if (ev.end != SubscriptionEnd::kNone) {
        if (!ev.end_status.ok()) WriteException(ev.end_status);
        return End();
      }
      if (!ev.has_event) return;  // caught up: the next durable append wakes us
    }
    Schedule();  // more may be readable
  }

  void WriteException(const Status& s) {
    JsonWriter w;
    w.StartObject();
    w.Field("message", s.code() == ErrorCode::kInternalFailure || s.code() == ErrorCode::kIoError
                           ? std::string_view("Internal Service Failure")
                           : std::string_view(s.message()));
    w.EndObject();
    EncodedPayload p = EncodePayload(w.Release(), format_);
    std::string message;
    if (AppendExceptionMessage(&message, ExceptionType(s), p.content_type, p.bytes))
      stream_->Write(std::move(message));
  }

  void End() {
    done_ = true;
    stream_->Finish();
    sub_->Close();  // the engine drops its callback, and with it its hold on us
  }

  const std::shared_ptr<ResponseStream> stream_;
  const WireFormat format_;
  const Post post_;
  std::shared_ptr<ShardSubscription> sub_;  // set by Subscribe, before any Run
  std::atomic<int> pending_{1};
  bool done_ = false;
};

Status ParseRequest(Engine& e, const JsonValue& body, SubscribeToShardRequest* req) {
  req->consumer_arn = std::string(StringField(body, "ConsumerARN"));
  req->shard_id = std::string(StringField(body, "ShardId"));
  const JsonValue* pos = body.Find("StartingPosition");
  if (pos == nullptr) return Status::InvalidArgument("StartingPosition is required.");
  if (!ParseShardIteratorType(StringField(*pos, "Type"), &req->starting_position)) {
    return Status::InvalidArgument("Invalid StartingPosition Type.");
  }
  if (const JsonValue* seq = pos->Find("SequenceNumber")) {
    SequenceNumber v;
    if (!ParseSequenceNumber(seq->string, &v)) {
      return Status::InvalidArgument("StartingSequenceNumber " + seq->string +
                                     " used in SubscribeToShard on shard " + req->shard_id +
                                     " under account " + AccountId(e) + " is invalid.");
    }
    req->sequence_number = v;
  }
  req->timestamp_millis = TimestampMillisField(*pos, "Timestamp");
  return Status::OK();
}

}  // namespace

void SubscribeToShard(Engine& e, JsonValue body, WireFormat format, Responder done,
                      const Post& post) {
  // Subscribing reads the catalog and may take over another subscription:
  // the worker pool, not the event loop.
  post([&e, body = std::move(body), format, done = std::move(done), post]() {
    SubscribeToShardRequest request;
    Status s = ParseRequest(e, body, &request);
    if (!s.ok()) return done(StatusResponse(s));
    auto session = std::make_shared<SubscribeSession>(format, post);
    s = session->Subscribe(e, request);
    if (!s.ok()) return done(StatusResponse(s));
    session->WriteInitialResponse();
    done(session->Response());
    session->Start();
  });
}

}  // namespace tidelog::server::kinesis
