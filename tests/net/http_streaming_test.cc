// Streaming responses over HTTP/1.1: a ResponseStream body goes out chunked,
// in order, with backpressure to the producer, and is cancelled when the
// client goes away.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "server/http/response_stream.h"
#include "tests/net/http_test_fixture.h"
#include "tests/net/raw_http_client.h"

namespace tidelog::server::testing {
namespace {

using namespace std::chrono_literals;

// Writes `count` pieces of `size` bytes into a stream, waiting (bounded)
// through OnWritable whenever the stream is full; records the most bytes it
// ever saw unwritable, which bounds what the connection holds.
class Producer {
 public:
  Producer(std::shared_ptr<ResponseStream> stream, int count, size_t size)
      : stream_(std::move(stream)), count_(count), size_(size) {
    // The callback may still run on the loop after this Producer is gone
    // (ResponseStream calls it outside its lock): it holds the signal it
    // needs, not `this`.
    stream_->OnWritable([signal = signal_] {
      std::lock_guard<std::mutex> lock(signal->mu);
      ++signal->wakeups;
      signal->cv.notify_all();
    });
  }
  ~Producer() {
    if (thread_.joinable()) thread_.join();
  }
  void Start() {
    thread_ = std::thread([this] {
      for (int i = 0; i < count_; ++i) {
        std::unique_lock<std::mutex> lock(signal_->mu);
        while (!stream_->writable() && !stream_->cancelled()) {
          ++blocked_;
          if (!signal_->cv.wait_for(lock, 10s,
                                    [&] { return stream_->writable() || stream_->cancelled(); }))
            return;  // the test fails on what it then reads
        }
        lock.unlock();
        if (stream_->cancelled()) return;
        std::string piece(size_, static_cast<char>('a' + i % 26));
        if (!stream_->Write(std::move(piece))) return;
        written_.fetch_add(1);
      }
      stream_->Finish();
    });
  }
  void Join() { thread_.join(); }
  int written() const { return written_.load(); }
  int blocked() {
    std::lock_guard<std::mutex> lock(signal_->mu);
    return blocked_;
  }

 private:
  std::shared_ptr<ResponseStream> stream_;
  const int count_;
  const size_t size_;
  struct Signal {
    std::mutex mu;
    std::condition_variable cv;
    int wakeups = 0;
  };
  const std::shared_ptr<Signal> signal_ = std::make_shared<Signal>();
  int blocked_ = 0;  // guarded by signal_->mu
  std::atomic<int> written_{0};
  std::thread thread_;
};

std::string Expected(int count, size_t size) {
  std::string out;
  for (int i = 0; i < count; ++i) out.append(size, static_cast<char>('a' + i % 26));
  return out;
}

HttpResponse StreamingResponse(std::shared_ptr<ResponseStream> stream) {
  HttpResponse r;
  r.headers.emplace_back("content-type", "application/vnd.amazon.eventstream");
  r.stream = std::move(stream);
  return r;
}

class HttpStreamingTest : public HttpServerTest {};

TEST_F(HttpStreamingTest, BodyGoesOutChunkedInOrderThenTheConnectionIsReused) {
  RecordingHandler& handler = StartServer(false);
  RawHttpClient client(port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(RawHttpClient::Post("subscribe")));
  ASSERT_TRUE(handler.WaitFor(1));
  auto stream = std::make_shared<ResponseStream>(64 << 10);
  Producer producer(stream, 200, 1000);
  handler.TakeResponder(0)(StreamingResponse(stream));
  producer.Start();
  auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("transfer-encoding"), "chunked");
  EXPECT_EQ(response->Header("content-length"), "");
  EXPECT_EQ(response->Header("content-type"), "application/vnd.amazon.eventstream");
  EXPECT_EQ(response->body, Expected(200, 1000));
  EXPECT_GT(response->chunks, 2u);
  producer.Join();

  // The connection stays usable after the last chunk.
  ASSERT_TRUE(client.Send(RawHttpClient::Post("next")));
  ASSERT_TRUE(handler.WaitFor(2));
  handler.TakeResponder(1)(Text(200, "second"));
  auto second = client.ReadResponse();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, "second");
}

TEST_F(HttpStreamingTest, PipelinedResponseWaitsForTheStreamAhead) {
  RecordingHandler& handler = StartServer(false);
  RawHttpClient client(port());
  ASSERT_TRUE(client.Send(RawHttpClient::Post("one") + RawHttpClient::Post("two")));
  ASSERT_TRUE(handler.WaitFor(2));
  auto stream = std::make_shared<ResponseStream>();
  handler.TakeResponder(1)(Text(200, "after"));  // completes first, sent second
  handler.TakeResponder(0)(StreamingResponse(stream));
  ASSERT_TRUE(stream->Write("early"));
  ASSERT_TRUE(stream->Write("-late"));
  stream->Finish();
  auto first = client.ReadResponse();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "early-late");
  auto second = client.ReadResponse();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, "after");
}

TEST_F(HttpStreamingTest, SlowReaderHoldsTheProducerBack) {
  RecordingHandler& handler = StartServer(false);
  RawHttpClient client(port(), 10000);
  ASSERT_TRUE(client.Send(RawHttpClient::Post("subscribe")));
  ASSERT_TRUE(handler.WaitFor(1));
  constexpr size_t kHighWater = 32 << 10;
  constexpr int kPieces = 2000;  // 8 MB: far more than socket buffers hold
  constexpr size_t kPiece = 4096;
  auto stream = std::make_shared<ResponseStream>(kHighWater);
  Producer producer(stream, kPieces, kPiece);
  handler.TakeResponder(0)(StreamingResponse(stream));
  producer.Start();
  // Not reading: the producer must stop with most of the body unwritten
  // (socket buffers plus the stream's high water), not queue it all.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (producer.blocked() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_GT(producer.blocked(), 0);
  EXPECT_LT(producer.written(), kPieces);
  auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body.size(), kPieces * kPiece);
  EXPECT_EQ(response->body, Expected(kPieces, kPiece));
  producer.Join();
}

TEST_F(HttpStreamingTest, ClientGoneCancelsTheStream) {
  RecordingHandler& handler = StartServer(false);
  auto stream = std::make_shared<ResponseStream>(16 << 10);
  std::atomic<bool> told{false};
  stream->OnWritable([&] { told = true; });
  {
    RawHttpClient client(port());
    ASSERT_TRUE(client.Send(RawHttpClient::Post("subscribe")));
    ASSERT_TRUE(handler.WaitFor(1));
    handler.TakeResponder(0)(StreamingResponse(stream));
    ASSERT_TRUE(stream->Write("first"));
    ASSERT_TRUE(client.ReadUntil("first"));
  }  // the client closes
  // The server notices once a write fails or the idle read sees EOF; keep
  // writing, as a producer would, until it does.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!stream->cancelled() && std::chrono::steady_clock::now() < deadline) {
    stream->Write(std::string(1024, 'x'));
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_TRUE(stream->cancelled());
  EXPECT_TRUE(told.load());
  EXPECT_FALSE(stream->Write("more"));
}

}  // namespace
}  // namespace tidelog::server::testing
