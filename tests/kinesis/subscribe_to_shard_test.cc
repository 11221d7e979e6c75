// SubscribeToShard through KinesisService: the event-stream response (decoded
// with event_stream.h), records pushed on append, the errors before the stream
// as ordinary responses and after it as exception events, the end of a closed
// shard, the lifetime, a cancelled stream and a slow reader.
#include <condition_variable>
#include <mutex>

#include "kinesis_service_fixture.h"
#include "server/kinesis/cbor_reader.h"
#include "server/kinesis/cbor_writer.h"
#include "server/kinesis/event_stream.h"
#include "tidelog/base64.h"

namespace tidelog::server::testing {
namespace {

using kinesis::DecodedEventMessage;
using kinesis::EventStreamError;

constexpr auto kTimeout = std::chrono::seconds(10);

// Reads a ResponseStream as a connection would (Attach, Take) and decodes
// its messages.
class StreamReader {
 public:
  explicit StreamReader(std::shared_ptr<ResponseStream> stream) : stream_(std::move(stream)) {
    stream_->Attach([this] {
      std::lock_guard<std::mutex> lock(mu_);
      woken_ = true;
      cv_.notify_all();
    });
  }
  ~StreamReader() { stream_->Cancel(); }

  struct Message {
    std::string message_type, event_type, exception_type, content_type;
    std::string payload;
    kinesis::JsonValue json;
  };

  // The next message; false when the body ended first or nothing came in time.
  bool Next(Message* out) {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    for (;;) {
      DecodedEventMessage m;
      EventStreamError e = kinesis::DecodeEventStreamMessage(buffer_, &m);
      if (e == EventStreamError::kOk) {
        auto text = [&](std::string_view name) {
          const kinesis::EventHeader* h = m.Find(name);
          return h ? std::string(h->bytes_value) : std::string();
        };
        out->message_type = text(":message-type");
        out->event_type = text(":event-type");
        out->exception_type = text(":exception-type");
        out->content_type = text(":content-type");
        out->payload = std::string(m.payload);
        if (out->content_type == "application/x-amz-cbor-1.1") {
          EXPECT_TRUE(kinesis::ParseCbor(out->payload, &out->json));
        } else {
          EXPECT_TRUE(kinesis::ParseJson(out->payload, &out->json)) << out->payload;
        }
        buffer_.erase(0, m.total_length);
        return true;
      }
      EXPECT_EQ(e, EventStreamError::kTruncated);
      if (done_) return false;
      {
        std::unique_lock<std::mutex> lock(mu_);
        woken_ = false;
      }
      ResponseStream::Taken t = stream_->Take(&buffer_, 1 << 20);
      done_ = t.done;
      if (t.bytes > 0 || t.done) continue;
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_until(lock, deadline, [&] { return woken_; })) return false;
    }
  }

  // True once the body has ended with nothing more in it.
  bool Ended() {
    Message m;
    return !Next(&m) && done_ && buffer_.empty();
  }

  ResponseStream& stream() { return *stream_; }

 private:
  std::shared_ptr<ResponseStream> stream_;
  std::string buffer_;
  bool done_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
};

class SubscribeToShardTest : public KinesisServiceFixture {
 protected:
  void ReopenWith(int64_t lifetime_ms) {
    service_.reset();
    engine_.reset();
    EngineOptions options;
    options.data_dir = dir_ + "/data2";
    options.durability = Durability::kAsync;
    options.quotas_enabled = false;
    options.retention_interval_ms = 0;
    options.subscription_lifetime_ms = lifetime_ms;
    ASSERT_TRUE(Engine::Open(options, &engine_).ok());
    service_ = std::make_unique<KinesisService>(engine_.get(), KinesisServiceOptions{});
  }

  void SetUpConsumer(int shards = 1) {
    CreateStream("s", shards);
    Answer a = Call("RegisterStreamConsumer",
                    R"({"StreamARN":")" + engine_->StreamArn("s") + R"(","ConsumerName":"c"})");
    ASSERT_EQ(a.status, 200) << a.body;
    arn_ = a.json.Find("Consumer")->Find("ConsumerARN")->string;
  }

  HttpResponse Subscribe(const std::string& position,
                         const std::string& shard = "shardId-000000000000", bool cbor = false) {
    HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.headers = {
        {"content-type", cbor ? "application/x-amz-cbor-1.1" : "application/x-amz-json-1.1"},
        {"x-amz-target", "Kinesis_20131202.SubscribeToShard"}};
    req.body = R"({"ConsumerARN":")" + arn_ + R"(","ShardId":")" + shard +
               R"(","StartingPosition":)" + position + "}";
    if (cbor) req.body = kinesis::JsonToCbor(req.body);
    auto promise = std::make_shared<std::promise<HttpResponse>>();
    auto future = promise->get_future();
    service_->Handle(std::move(req), [promise](HttpResponse r) { promise->set_value(r); });
    EXPECT_EQ(future.wait_for(kTimeout), std::future_status::ready);
    return future.get();
  }

  static std::string Header(const HttpResponse& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return "";
  }

  void Put(const std::string& data, const std::string& key = "k") {
    Answer a = Call("PutRecord", R"({"StreamName":"s","PartitionKey":")" + key + R"(","Data":")" +
                                     Base64Encode(data) + R"("})");
    ASSERT_EQ(a.status, 200) << a.body;
  }

  // The initial-response, then the first (empty) SubscribeToShardEvent.
  void ExpectStart(StreamReader* reader) {
    StreamReader::Message m;
    ASSERT_TRUE(reader->Next(&m));
    EXPECT_EQ(m.message_type, "event");
    EXPECT_EQ(m.event_type, "initial-response");
    EXPECT_EQ(m.content_type, "application/json");
    EXPECT_EQ(m.payload, "{}");
    ASSERT_TRUE(reader->Next(&m));
    EXPECT_EQ(m.event_type, "SubscribeToShardEvent");
    EXPECT_EQ(m.json.Find("Records")->array.size(), 0u);
    EXPECT_NE(m.json.Find("ContinuationSequenceNumber"), nullptr);
    EXPECT_EQ(m.json.Find("MillisBehindLatest")->integer, 0);
  }

  std::string arn_;
};

TEST_F(SubscribeToShardTest, PushesRecordsAsEvents) {
  SetUpConsumer();
  Put("before");
  HttpResponse r = Subscribe(R"({"Type":"LATEST"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Header(r, "Content-Type"), "application/vnd.amazon.eventstream");
  ASSERT_NE(r.stream, nullptr);
  EXPECT_TRUE(r.body.empty());
  StreamReader reader(r.stream);
  ExpectStart(&reader);
  Put("one");
  Put("two");
  std::vector<std::string> got;
  std::string last_seq;
  while (got.size() < 2) {
    StreamReader::Message m;
    ASSERT_TRUE(reader.Next(&m));
    ASSERT_EQ(m.event_type, "SubscribeToShardEvent") << m.payload;
    for (const auto& rec : m.json.Find("Records")->array) {
      std::string data;
      ASSERT_TRUE(Base64Decode(rec.Find("Data")->string, &data));
      got.push_back(data);
      EXPECT_EQ(rec.Find("PartitionKey")->string, "k");
      EXPECT_NE(rec.Find("ApproximateArrivalTimestamp"), nullptr);
      last_seq = rec.Find("SequenceNumber")->string;
    }
    EXPECT_EQ(m.json.Find("ContinuationSequenceNumber")->string, last_seq);
    EXPECT_EQ(m.json.Find("ChildShards"), nullptr);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"one", "two"}));
}

// A CBOR request (the Java SDK's default) gets its events in CBOR: Data as a
// byte string, ApproximateArrivalTimestamp as tag 1 epoch milliseconds.
TEST_F(SubscribeToShardTest, CborRequestGetsCborEvents) {
  SetUpConsumer();
  Put("before");
  HttpResponse r = Subscribe(R"({"Type":"TRIM_HORIZON"})", "shardId-000000000000", true);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_NE(r.stream, nullptr);
  StreamReader reader(r.stream);
  StreamReader::Message m;
  ASSERT_TRUE(reader.Next(&m));
  EXPECT_EQ(m.event_type, "initial-response");
  EXPECT_EQ(m.content_type, "application/x-amz-cbor-1.1");
  ASSERT_TRUE(reader.Next(&m));
  ASSERT_EQ(m.event_type, "SubscribeToShardEvent");
  EXPECT_EQ(m.content_type, "application/x-amz-cbor-1.1");
  const kinesis::JsonValue* records = m.json.Find("Records");
  ASSERT_NE(records, nullptr);
  ASSERT_EQ(records->array.size(), 1u);
  const kinesis::JsonValue* data = records->array[0].Find("Data");
  ASSERT_NE(data, nullptr);
  EXPECT_TRUE(data->bytes);
  EXPECT_EQ(data->string, "before");
  const kinesis::JsonValue* at = records->array[0].Find("ApproximateArrivalTimestamp");
  ASSERT_NE(at, nullptr);
  EXPECT_TRUE(at->exact_millis);
  EXPECT_GT(at->millis, 0);
}

TEST_F(SubscribeToShardTest, ErrorsBeforeTheStreamAreOrdinaryResponses) {
  SetUpConsumer();
  const std::string good = arn_;
  arn_ = engine_->StreamArn("s") + "/consumer/nobody:1";
  HttpResponse r = Subscribe(R"({"Type":"LATEST"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Header(r, "x-amzn-ErrorType"), "ResourceNotFoundException");
  EXPECT_EQ(r.stream, nullptr);
  arn_ = good;
  r = Subscribe(R"({"Type":"LATEST"})", "shardId-000000000007");
  EXPECT_EQ(Header(r, "x-amzn-ErrorType"), "ResourceNotFoundException");
  r = Subscribe(R"({"Type":"AT_SEQUENCE_NUMBER"})");
  EXPECT_EQ(Header(r, "x-amzn-ErrorType"), "InvalidArgumentException");
  r = Subscribe(R"({"Type":"NOPE"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.stream, nullptr);

  HttpResponse first = Subscribe(R"({"Type":"LATEST"})");
  ASSERT_EQ(first.status, 200);
  StreamReader reader(first.stream);
  r = Subscribe(R"({"Type":"LATEST"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Header(r, "x-amzn-ErrorType"), "ResourceInUseException");
  EXPECT_NE(r.body.find("Another active subscription exists for this consumer: "),
            std::string::npos)
      << r.body;
}

TEST_F(SubscribeToShardTest, DeregisteringEndsWithAnExceptionEvent) {
  SetUpConsumer();
  HttpResponse r = Subscribe(R"({"Type":"TRIM_HORIZON"})");
  ASSERT_EQ(r.status, 200);
  StreamReader reader(r.stream);
  ExpectStart(&reader);
  Answer a = Call("DeregisterStreamConsumer", R"({"ConsumerARN":")" + arn_ + R"("})");
  ASSERT_EQ(a.status, 200) << a.body;
  StreamReader::Message m;
  ASSERT_TRUE(reader.Next(&m));
  EXPECT_EQ(m.message_type, "exception") << m.event_type << " " << m.payload;
  EXPECT_EQ(m.exception_type, "ResourceNotFoundException");
  EXPECT_EQ(m.content_type, "application/json");
  ASSERT_NE(m.json.Find("message"), nullptr) << m.payload;
  EXPECT_NE(m.json.Find("message")->string.find("Consumer c under stream s"), std::string::npos);
  EXPECT_TRUE(reader.Ended());
}

TEST_F(SubscribeToShardTest, ClosedShardEndsWithChildShardsAndNoContinuation) {
  SetUpConsumer();
  HttpResponse r = Subscribe(R"({"Type":"TRIM_HORIZON"})");
  ASSERT_EQ(r.status, 200);
  StreamReader reader(r.stream);
  ExpectStart(&reader);
  Put("a");
  Answer a =
      Call("SplitShard", R"({"StreamName":"s","ShardToSplit":"shardId-000000000000",)"
                         R"("NewStartingHashKey":"170141183460469231731687303715884105728"})");
  ASSERT_EQ(a.status, 200) << a.body;
  size_t records = 0;
  for (;;) {
    StreamReader::Message m;
    ASSERT_TRUE(reader.Next(&m));
    ASSERT_EQ(m.event_type, "SubscribeToShardEvent");
    records += m.json.Find("Records")->array.size();
    if (m.json.Find("ContinuationSequenceNumber") == nullptr) {
      const kinesis::JsonValue* children = m.json.Find("ChildShards");
      ASSERT_NE(children, nullptr);
      ASSERT_EQ(children->array.size(), 2u);
      EXPECT_EQ(children->array[0].Find("ShardId")->string, "shardId-000000000001");
      EXPECT_EQ(children->array[0].Find("ParentShards")->array[0].string, "shardId-000000000000");
      EXPECT_NE(children->array[1].Find("HashKeyRange")->Find("StartingHashKey"), nullptr);
      break;
    }
  }
  EXPECT_EQ(records, 1u);
  EXPECT_TRUE(reader.Ended());
}

TEST_F(SubscribeToShardTest, LifetimeEndsTheStreamCleanly) {
  ReopenWith(100);
  SetUpConsumer();
  HttpResponse r = Subscribe(R"({"Type":"LATEST"})");
  ASSERT_EQ(r.status, 200);
  StreamReader reader(r.stream);
  ExpectStart(&reader);
  EXPECT_TRUE(reader.Ended()) << "no exception event: the body just ends";
  // And the next subscription is accepted at once.
  HttpResponse again = Subscribe(R"({"Type":"LATEST"})");
  EXPECT_EQ(again.status, 200);
  StreamReader reader2(again.stream);
}

TEST_F(SubscribeToShardTest, CancelledStreamReleasesTheSubscription) {
  SetUpConsumer();
  HttpResponse r = Subscribe(R"({"Type":"LATEST"})");
  ASSERT_EQ(r.status, 200);
  r.stream->Cancel();  // the client went away
  r.stream.reset();
  // Bounded wait for the release: then the same consumer may subscribe again
  // at once, which it may not while the old one is active.
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  HttpResponse again;
  do {
    again = Subscribe(R"({"Type":"LATEST"})");
  } while (again.status != 200 && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(again.status, 200) << again.body;
  StreamReader reader(again.stream);
  ExpectStart(&reader);
}

TEST_F(SubscribeToShardTest, SlowReaderIsHeldBackNotTheWriters) {
  SetUpConsumer();
  HttpResponse r = Subscribe(R"({"Type":"TRIM_HORIZON"})");
  ASSERT_EQ(r.status, 200);
  // Nobody takes from the stream for a while: the session stops at the
  // stream's high water instead of queueing the whole shard.
  const std::string blob(60000, 'x');
  for (int i = 0; i < 60; ++i) Put(blob + std::to_string(i));  // ~3.6 MB, ~4.8 MB as base64
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (r.stream->writable() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  EXPECT_FALSE(r.stream->writable());
  StreamReader reader(r.stream);
  StreamReader::Message m;
  size_t records = 0;
  ASSERT_TRUE(reader.Next(&m));  // initial-response
  while (records < 60) {
    ASSERT_TRUE(reader.Next(&m)) << records;
    const size_t n = m.json.Find("Records")->array.size();
    EXPECT_LE(n * blob.size(), size_t{1} << 20) << "events stay within 1 MiB of data";
    records += n;
  }
  EXPECT_EQ(records, 60u);
}

}  // namespace
}  // namespace tidelog::server::testing
