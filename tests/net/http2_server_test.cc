// HttpServer over HTTP/2 (h2c prior knowledge, and TLS with ALPN), driven by
// nghttp2's client:
// basics, many concurrent streams answered out of order, bodies in small
// frames, 413/431 on one stream only, resets, the connection window as the
// bound on unanswered bodies, PING, streaming responses with backpressure,
// drain on Stop(), idle timeout and bad input.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <regex>
#include <thread>
#include <vector>

#include "server/daemon/self_signed_certificate.h"
#include "server/http/http_server.h"
#include "server/http/tls_context.h"
#include "tests/net/http2_test_client.h"
#include "tests/net/http_test_fixture.h"

namespace tidelog::server {
namespace {

using testing::H2Client;
using testing::H2ClientOptions;
using testing::H2Stream;
using testing::HasGoaway;
using testing::Headers;
using testing::HttpServerTest;
using testing::Pattern;
using testing::Producer;
using testing::RawSocket;
using testing::RecordingHandler;
using testing::Text;

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

class Http2ServerTest : public HttpServerTest {
 protected:
  // Log lines of the server (any loop thread).
  std::vector<std::string> logs() {
    std::lock_guard<std::mutex> lock(log_mu_);
    return logs_;
  }
  HttpServerOptions Logged(HttpServerOptions options = {}) {
    options.log = [this](std::string_view line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      logs_.emplace_back(line);
    };
    return options;
  }

 private:
  std::mutex log_mu_;
  std::vector<std::string> logs_;
};

TEST_F(Http2ServerTest, RequestAndResponseBasics) {
  RecordingHandler& handler = StartServer(/*echo=*/false, Logged());
  H2Client client(port());
  ASSERT_TRUE(client.ready());
  const int32_t id = client.Submit(
      "POST", "/path?q=1",
      {{"x-amz-target", "Kinesis_20131202.ListStreams"}, {"x-repeat", "a"}, {"x-repeat", "b"}},
      std::string("hello"));
  ASSERT_TRUE(client.PumpUntil([&] { return handler.count() == 1; }));

  HttpRequest seen = handler.request(0);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/path?q=1");
  EXPECT_EQ(seen.protocol, "HTTP/2");
  EXPECT_EQ(seen.body, "hello");
  ASSERT_GE(seen.headers.size(), 4u);
  // host from :authority comes first, then the fields in arrival order.
  EXPECT_EQ(seen.headers[0].first, "host");
  EXPECT_EQ(seen.headers[0].second, "127.0.0.1:" + std::to_string(port()));
  EXPECT_EQ(seen.headers[1].first, "x-amz-target");
  EXPECT_EQ(seen.headers[2], (std::pair<std::string, std::string>("x-repeat", "a")));
  EXPECT_EQ(seen.headers[3], (std::pair<std::string, std::string>("x-repeat", "b")));
  for (const auto& [name, value] : seen.headers) EXPECT_NE(name.front(), ':') << name;
  EXPECT_TRUE(seen.remote_address.rfind("127.0.0.1:", 0) == 0) << seen.remote_address;

  HttpResponse response = Text(201, "world");
  response.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                      {"X-Custom", "v"},
                      {"Connection", "keep-alive"},
                      {"Content-Length", "999"}};
  response.internal_detail = "the inner story";
  handler.TakeResponder(0)(std::move(response));
  ASSERT_TRUE(client.PumpUntil([&] { return client.Done(id); }));

  const H2Stream& r = client.stream(id);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "world");
  EXPECT_EQ(r.close_error, 0u);
  EXPECT_EQ(r.Header("content-type"), "application/x-amz-json-1.1");
  EXPECT_EQ(r.Header("x-custom"), "v");
  EXPECT_EQ(r.Header("content-length"), "5");
  EXPECT_EQ(r.Header("connection"), "");
  for (const auto& [name, value] : r.headers) {
    EXPECT_EQ(name, [&] {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return lower;
    }());
  }
  const std::string request_id = r.Header("x-amzn-requestid");
  EXPECT_TRUE(std::regex_match(request_id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-"
                                                      "[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << request_id;
  EXPECT_TRUE(std::regex_match(
      r.Header("date"),
      std::regex("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT")))
      << r.Header("date");
  bool logged = false;
  for (const std::string& line : logs()) {
    logged |= line.find(request_id) != std::string::npos &&
              line.find("the inner story") != std::string::npos;
  }
  EXPECT_TRUE(logged);

  // A request id given by the handler is kept (lower-cased name).
  const int32_t second = client.Submit("GET", "/");
  ASSERT_TRUE(client.PumpUntil([&] { return handler.count() == 2; }));
  HttpResponse with_id = Text(200, "");
  with_id.headers = {{"x-amzn-RequestId", "given-id"}};
  handler.TakeResponder(1)(std::move(with_id));
  ASSERT_TRUE(client.PumpUntil([&] { return client.Done(second); }));
  EXPECT_EQ(client.stream(second).Header("x-amzn-requestid"), "given-id");
  EXPECT_EQ(client.stream(second).Header("content-length"), "0");
  EXPECT_EQ(server_->open_connections(), 1u);
}

TEST_F(Http2ServerTest, ConcurrentStreamsAnsweredInReverseOrder) {
  RecordingHandler& handler = StartServer(/*echo=*/false);
  H2Client client(port());
  ASSERT_TRUE(client.ready());
  constexpr int kStreams = 200;
  std::vector<int32_t> ids;
  for (int i = 0; i < kStreams; ++i) {
    ids.push_back(client.Submit("POST", "/", {}, "request " + std::to_string(i)));
  }
  // The server allows 128 streams at once: the client sends the rest as
  // answers free slots. Each wave is answered last-first.
  size_t answered = 0;
  while (answered < kStreams) {
    const size_t wave_end = std::min<size_t>(answered + 128, kStreams);
    ASSERT_TRUE(client.PumpUntil([&] { return handler.count() >= wave_end; }))
        << handler.count() << " of " << wave_end;
    for (size_t i = wave_end; i-- > answered;) {
      handler.TakeResponder(i)(Text(200, "response to " + handler.request(i).body));
    }
    answered = wave_end;
  }
  ASSERT_TRUE(client.PumpUntil([&] {
    return std::all_of(ids.begin(), ids.end(), [&](int32_t id) { return client.Done(id); });
  }));
  for (int i = 0; i < kStreams; ++i) {
    EXPECT_EQ(client.stream(ids[i]).status, 200);
    EXPECT_EQ(client.stream(ids[i]).body, "response to request " + std::to_string(i));
  }
  EXPECT_EQ(server_->open_connections(), 1u);
}

TEST_F(Http2ServerTest, LargeBodyInManySmallFrames) {
  RecordingHandler& handler = StartServer(/*echo=*/true);
  H2Client client(port());
  ASSERT_TRUE(client.ready());
  const std::string body = Pattern(1 << 20);
  const int32_t id = client.Submit("POST", "/", {}, body, /*frame_bytes=*/1000);
  ASSERT_TRUE(client.PumpUntil([&] { return client.Done(id); }, std::chrono::seconds(10)));
  EXPECT_EQ(client.stream(id).status, 200);
  EXPECT_EQ(client.stream(id).Header("content-length"), std::to_string(body.size()));
  EXPECT_TRUE(client.stream(id).body == body);
  ASSERT_EQ(handler.count(), 1u);
  EXPECT_TRUE(handler.request(0).body == body);
}

TEST_F(Http2ServerTest, LargeResponseToClientWithHugeWindows) {
  // The client's windows never stop the server: its output is still cut
  // into bounded writes, and arrives whole.
  RecordingHandler& handler = StartServer(/*echo=*/false);
  H2ClientOptions options;
  options.initial_window = NGHTTP2_MAX_WINDOW_SIZE;
  options.connection_window = NGHTTP2_MAX_WINDOW_SIZE;
  H2Client client(port(), options);
  ASSERT_TRUE(client.ready());
  const int32_t fixed = client.Submit("GET", "/fixed");
  const int32_t streamed = client.Submit("GET", "/streamed");
  ASSERT_TRUE(client.PumpUntil([&] { return handler.count() == 2; }));
  const std::string body = Pattern(8 << 20);
  auto stream = std::make_shared<ResponseStream>(16 << 20);
  for (size_t offset = 0; offset < body.size(); offset += 1 << 20) {
    ASSERT_TRUE(stream->Write(body.substr(offset, 1 << 20)));
  }
  stream->Finish();
  HttpResponse streamed_response;
  streamed_response.stream = stream;
  for (size_t i = 0; i < 2; ++i) {
    if (handler.request(i).target == "/fixed") {
      handler.TakeResponder(i)(Text(200, body));
    } else {
      handler.TakeResponder(i)(std::move(streamed_response));
    }
  }
  ASSERT_TRUE(client.PumpUntil([&] { return client.Done(fixed) && client.Done(streamed); },
                               std::chrono::seconds(20)));
  EXPECT_TRUE(client.stream(fixed).body == body);
  EXPECT_TRUE(client.stream(streamed).body == body);
}

TEST_F(Http2ServerTest, ExpectContinueGetsInterimResponse) {
  RecordingHandler& handler = StartServer(/*echo=*/true);
  H2Client client(port());
  ASSERT_TRUE(client.ready());
  const int32_t id =
      client.Submit("PUT", "/", {{"expect", "100-continue"}, {"content-length", "4"}},
                    std::string("data"), 16384, /*upload_limit=*/0);
  ASSERT_TRUE(client.PumpUntil([&] { return !client.stream(id).statuses.empty(); }));
  EXPECT_EQ(client.stream(id).statuses, std::vector<int>{100});
  client.AllowUpload(id, SIZE_MAX);
  ASSERT_TRUE(client.PumpUntil([&] { return client.Done(id); }));
  EXPECT_EQ(client.stream(id).statuses, (std::vector<int>{100, 200}));
  EXPECT_EQ(client.stream(id).body, "data");
  EXPECT_EQ(handler.count(), 1u);
}

TEST_F(Http2ServerTest, BodyOverLimitGets413OnThatStreamOnly) {
  HttpServerOptions options;
  options.max_body_bytes = 1000;
  RecordingHandler& handler = StartServer(/*echo=*/true, options);
  H2Client client(port());
  ASSERT_TRUE(client.ready());
  // Declared too large: answered from the head.
  const int32_t declared =
      client.Submit("POST", "/", {{"content-length", "5000"}}, Pattern(5000), 500);
  // Undeclared: answered once the DATA passes the limit.
  const int32_t streamed = client.Submit("POST", "/", {}, Pattern(5000), 500);
  ASSERT_TRUE(client.PumpUntil([&] { return client.Done(declared) && client.Done(streamed); }));
  EXPECT_EQ(client.stream(declared).status, 413);
  EXPECT_EQ(client.stream(streamed).status, 413);
  EXPECT_EQ(client.stream(declared).close_error, NGHTTP2_NO_ERROR);

  const int32_t ok = client.Submit("POST", "/", {}, std::string("fits"));
  ASSERT_TRUE(client.PumpUntil([&] { return client.Done(ok); }));
  EXPECT_EQ(client.stream(ok).status, 200);
  EXPECT_EQ(client.stream(ok).body, "fits");
  EXPECT_EQ(handler.count(), 1u);
  EXPECT_FALSE(client.goaway());
}

TEST_F(Http2ServerTest, CheckHeadAnswersWithoutTheBody) {
  RecordingHandler& handler =
      StartServer(/*echo=*/true, {}, [](const HttpRequest& head) -> std::optional<HttpResponse> {
        if (head.target == "/forbidden") return Text(403, "no");
        return std::nullopt;
      });
  H2Client client(port());
  ASSERT_TRUE(client.ready());
  // The body pauses half way: the answer comes anyway, then a reset tells
  // the client to stop sending.
  const int32_t id = client.Submit("POST", "/forbidden", {}, Pattern(50000), 16384, 20000);
  ASSERT_TRUE(client.PumpUntil([&] { return client.Done(id); }));
  EXPECT_EQ(client.stream(id).status, 403);
  EXPECT_EQ(client.stream(id).body, "no");
  const int32_t ok = client.Submit("POST", "/", {}, std::string("x"));
  ASSERT_TRUE(client.PumpUntil([&] { return client.Done(ok); }));
  EXPECT_EQ(client.stream(ok).status, 200);
  EXPECT_EQ(handler.count(), 1u);
}

TEST_F(Http2ServerTest, ResetMidBodyReleasesItsWindow) {
  HttpServerOptions options;
  options.max_body_bytes = 200 << 10;
  options.max_connection_body_bytes = 256 << 10;
  RecordingHandler& handler = StartServer(/*echo=*/true, options);
  H2Client client(port());
  ASSERT_TRUE(client.ready());
  const int32_t reset = client.Submit("POST", "/", {}, Pattern(200 << 10), 16384, 150 << 10);
  ASSERT_TRUE(client.PumpUntil([&] { return client.stream(reset).upload_deferred; }));
  client.Reset(reset);
  // Only fits in the connection window if the reset stream's 150 KiB were
  // given back.
  const std::string body = Pattern(200 << 10, 3);
  const int32_t next = client.Submit("POST", "/", {}, body);
  ASSERT_TRUE(client.PumpUntil([&] { return client.Done(next); }));
  EXPECT_EQ(client.stream(next).status, 200);
  EXPECT_TRUE(client.stream(next).body == body);
  ASSERT_EQ(handler.count(), 1u);
  EXPECT_EQ(handler.request(0).body.size(), body.size());
  EXPECT_FALSE(client.goaway());
}

TEST_F(Http2ServerTest, ConnectionWindowBoundsUnansweredBodies) {
  HttpServerOptions options;
  options.max_body_bytes = 200 << 10;
  options.max_connection_body_bytes = 256 << 10;
  RecordingHandler& handler = StartServer(/*echo=*/false, options);
  H2Client client(port());
  ASSERT_TRUE(client.ready());
  const int32_t first = client.Submit("POST", "/", {}, Pattern(200 << 10));
  ASSERT_TRUE(client.PumpUntil([&] { return handler.count() == 1; }));
  const int32_t second = client.Submit("POST", "/", {}, Pattern(200 << 10, 1));
  // The connection window runs out: 56 KiB of the second body, no more.
  ASSERT_TRUE(client.PumpUntil([&] {
    return nghttp2_session_get_remote_window_size(client.session()) == 0 &&
           client.stream(second).upload_offset > 0;
  }));
  EXPECT_EQ(client.stream(second).upload_offset, size_t{56} << 10);
  EXPECT_EQ(handler.count(), 1u);
  // Answering the first gives its 200 KiB back.
  handler.TakeResponder(0)(Text(200, "first"));
  ASSERT_TRUE(client.PumpUntil([&] { return handler.count() == 2; }));
  handler.TakeResponder(1)(Text(200, "second"));
  ASSERT_TRUE(client.PumpUntil([&] { return client.Done(first) && client.Done(second); }));
  EXPECT_EQ(client.stream(first).body, "first");
  EXPECT_EQ(client.stream(second).body, "second");
  EXPECT_EQ(handler.request(1).body.size(), size_t{200} << 10);
}

TEST_F(Http2ServerTest, ResetAfterDispatchKeepsTheWindowUntilTheHandlerAnswers) {
  // Resetting streams whose bodies the handler still holds must not reopen
  // the connection window: the memory is still in use.
  HttpServerOptions options;
  options.max_body_bytes = 200 << 10;
  options.max_connection_body_bytes = 256 << 10;
  RecordingHandler& handler = StartServer(/*echo=*/false, options);
  H2Client client(port());
  ASSERT_TRUE(client.ready());
  const int32_t first = client.Submit("POST", "/", {}, Pattern(200 << 10));
  ASSERT_TRUE(client.PumpUntil([&] { return handler.count() == 1; }));
  client.Reset(first);
  const int32_t second = client.Submit("POST", "/", {}, Pattern(200 << 10, 1));
  ASSERT_TRUE(client.PumpUntil([&] {
    return nghttp2_session_get_remote_window_size(client.session()) == 0 &&
           client.stream(second).upload_offset > 0;
  }));
  EXPECT_EQ(client.stream(second).upload_offset, size_t{56} << 10);
  EXPECT_EQ(handler.count(), 1u);
  // The late answer to the reset stream is dropped, and gives the window back.
  handler.TakeResponder(0)(Text(200, "late"));
  ASSERT_TRUE(client.PumpUntil([&] { return handler.count() == 2; }));
  handler.TakeResponder(1)(Text(200, "second"));
  ASSERT_TRUE(client.PumpUntil([&] { return client.Done(second); }));
  EXPECT_EQ(client.stream(second).body, "second");
  EXPECT_FALSE(client.goaway());
}

TEST_F(Http2ServerTest, OversizedHeadersGet431OnThatStreamOnly) {
  RecordingHandler& handler = StartServer(/*echo=*/true);  // max_header_bytes 16 KiB
  H2Client client(port());
  ASSERT_TRUE(client.ready());
  const int32_t big =
      client.Submit("POST", "/", {{"x-big", std::string(20000, 'b')}}, std::string("body"));
  const int32_t ok = client.Submit("POST", "/", {{"x-small", "s"}}, std::string("fine"));
  ASSERT_TRUE(client.PumpUntil([&] { return client.Done(big) && client.Done(ok); }));
  EXPECT_EQ(client.stream(big).status, 431);
  EXPECT_EQ(client.stream(ok).status, 200);
  EXPECT_EQ(client.stream(ok).body, "fine");
  EXPECT_EQ(handler.count(), 1u);
  EXPECT_FALSE(client.goaway());
}

TEST_F(Http2ServerTest, DroppedResponderAnswers500) {
  RecordingHandler& handler = StartServer(/*echo=*/false);
  H2Client client(port());
  ASSERT_TRUE(client.ready());
  const int32_t id = client.Submit("GET", "/");
  ASSERT_TRUE(client.PumpUntil([&] { return handler.count() == 1; }));
  { Responder dropped = handler.TakeResponder(0); }
  ASSERT_TRUE(client.PumpUntil([&] { return client.Done(id); }));
  EXPECT_EQ(client.stream(id).status, 500);
}

TEST_F(Http2ServerTest, PingIsAcknowledged) {
  StartServer(/*echo=*/true);
  H2Client client(port());
  ASSERT_TRUE(client.ready());
  client.Ping();
  client.Ping();
  ASSERT_TRUE(client.PumpUntil([&] { return client.ping_acks() == 2; }));
}

TEST_F(Http2ServerTest, StreamingResponseToSlowReaderStaysBounded) {
  RecordingHandler& handler = StartServer(/*echo=*/false);
  H2ClientOptions options;
  options.initial_window = 16 << 10;
  options.manual_window = true;
  H2Client client(port(), options);
  ASSERT_TRUE(client.ready());
  const int32_t id = client.Submit("GET", "/events");
  ASSERT_TRUE(client.PumpUntil([&] { return handler.count() == 1; }));

  constexpr size_t kHighWater = 64 << 10;
  constexpr size_t kChunk = 8 << 10;
  auto stream = std::make_shared<ResponseStream>(kHighWater);
  Producer producer(stream, 2 << 20, kChunk);
  HttpResponse response;
  response.headers = {{"Content-Type", "application/vnd.amazon.eventstream"}};
  response.stream = stream;
  handler.TakeResponder(0)(std::move(response));
  producer.Start();

  // The client opens no window: the server sends 16 KiB, the producer fills
  // the stream to its high water and stops.
  ASSERT_TRUE(client.PumpUntil(
      [&] { return client.stream(id).body.size() == (16u << 10) && producer.blocked() > 0; }));
  EXPECT_EQ(client.stream(id).status, 200);
  EXPECT_EQ(client.stream(id).Header("content-length"), "");
  // What the producer wrote and the client has not got: the stream's queue
  // (high water plus one write, plus the write being counted) and at most
  // the client's 16 KiB window in flight.
  constexpr size_t kBound = kHighWater + 2 * kChunk + (16 << 10);
  EXPECT_LE(producer.written() - client.stream(id).body.size(), kBound);

  // Now the client reads (slowly: one frame's worth of window at a time).
  size_t consumed = 0;
  ASSERT_TRUE(client.PumpUntil(
      [&] {
        const size_t received = client.stream(id).body.size();
        if (received > consumed) {
          client.Consume(id, received - consumed);
          consumed = received;
        }
        EXPECT_LE(producer.written() - received, kBound);
        return client.Done(id);
      },
      std::chrono::seconds(20)));
  producer.Join();
  EXPECT_FALSE(producer.timed_out());
  EXPECT_GT(producer.wakeups(), 0);
  EXPECT_EQ(client.stream(id).close_error, 0u);
  EXPECT_TRUE(client.stream(id).body == producer.expected());
}

TEST_F(Http2ServerTest, ClientResetCancelsStreamingResponse) {
  RecordingHandler& handler = StartServer(/*echo=*/false);
  H2Client client(port());
  ASSERT_TRUE(client.ready());
  const int32_t id = client.Submit("GET", "/events");
  ASSERT_TRUE(client.PumpUntil([&] { return handler.count() == 1; }));
  auto stream = std::make_shared<ResponseStream>();
  auto on_writable = std::make_shared<std::atomic<int>>(0);
  stream->OnWritable([on_writable] { on_writable->fetch_add(1); });
  ASSERT_TRUE(stream->Write("first event"));
  HttpResponse response;
  response.stream = stream;
  handler.TakeResponder(0)(std::move(response));
  ASSERT_TRUE(client.PumpUntil([&] { return client.stream(id).body == "first event"; }));
  client.Reset(id);
  ASSERT_TRUE(client.PumpUntil([&] { return stream->cancelled(); }));
  EXPECT_GE(on_writable->load(), 1);
  EXPECT_FALSE(stream->Write("late"));

  // The connection goes on.
  const int32_t next = client.Submit("GET", "/");
  ASSERT_TRUE(client.PumpUntil([&] { return handler.count() == 2; }));
  handler.TakeResponder(1)(Text(200, "next"));
  ASSERT_TRUE(client.PumpUntil([&] { return client.Done(next); }));
  EXPECT_EQ(client.stream(next).body, "next");
}

TEST_F(Http2ServerTest, StopSendsGoawayAndFinishesStreamInFlight) {
  RecordingHandler& handler = StartServer(/*echo=*/false);
  auto client = std::make_unique<H2Client>(port());
  ASSERT_TRUE(client->ready());
  const int32_t id = client->Submit("POST", "/", {}, std::string("in flight"));
  ASSERT_TRUE(client->PumpUntil([&] { return handler.count() == 1; }));

  std::thread stopper([this] { server_->Stop(); });
  EXPECT_TRUE(client->PumpUntil([&] { return client->goaway(); }));
  EXPECT_EQ(client->goaway_last_stream_id(), id);
  EXPECT_EQ(client->goaway_error(), NGHTTP2_NO_ERROR);
  EXPECT_FALSE(client->Done(id));
  handler.TakeResponder(0)(Text(200, "answered while draining"));
  EXPECT_TRUE(client->PumpUntil([&] { return client->Done(id); }));
  EXPECT_EQ(client->stream(id).status, 200);
  EXPECT_EQ(client->stream(id).body, "answered while draining");
  EXPECT_TRUE(client->PumpUntilEof());
  client.reset();
  stopper.join();
  EXPECT_EQ(server_->open_connections(), 0u);
}

TEST_F(Http2ServerTest, IdleConnectionGetsGoawayAndCloses) {
  HttpServerOptions options;
  options.idle_timeout_ms = 300;
  StartServer(/*echo=*/true, options);
  H2Client client(port());
  ASSERT_TRUE(client.ready());
  const int32_t id = client.Submit("GET", "/");
  ASSERT_TRUE(client.PumpUntil([&] { return client.Done(id); }));
  EXPECT_TRUE(client.PumpUntilEof());
  EXPECT_TRUE(client.goaway());
  EXPECT_EQ(client.goaway_error(), NGHTTP2_NO_ERROR);
  EXPECT_EQ(client.goaway_last_stream_id(), id);
}

TEST_F(Http2ServerTest, StalledUploadDoesNotKeepConnectionOpen) {
  HttpServerOptions options;
  options.idle_timeout_ms = 300;
  options.linger_timeout_ms = 300;
  RecordingHandler& handler = StartServer(/*echo=*/true, options);
  H2Client client(port());
  ASSERT_TRUE(client.ready());
  const int32_t id = client.Submit("POST", "/", {}, Pattern(10000), 16384, 1000);
  ASSERT_TRUE(client.PumpUntil([&] { return client.stream(id).upload_deferred; }));
  EXPECT_TRUE(client.PumpUntilEof());
  EXPECT_TRUE(client.goaway());
  EXPECT_EQ(handler.count(), 0u);
}

TEST_F(Http2ServerTest, BadPrefaceClosesTheConnection) {
  StartServer(/*echo=*/true);
  {
    RawSocket raw(port());
    ASSERT_TRUE(raw.connected());
    ASSERT_TRUE(raw.Send("PRI * HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_TRUE(raw.ReadToEof());
  }
  {
    // A valid preface, then a SETTINGS frame whose length is not a multiple
    // of 6: a connection error, answered with GOAWAY.
    RawSocket raw(port());
    ASSERT_TRUE(raw.connected());
    std::string bytes(kPreface);
    bytes.append(
        "\x00\x00\x05\x04\x00\x00\x00\x00\x00"
        "\x00\x01\x00\x00\x10",
        14);
    ASSERT_TRUE(raw.Send(bytes));
    std::string received;
    EXPECT_TRUE(raw.ReadToEof(&received));
    EXPECT_TRUE(HasGoaway(received));
  }
  {
    // Garbage after the preface's start.
    RawSocket raw(port());
    ASSERT_TRUE(raw.connected());
    ASSERT_TRUE(raw.Send(std::string(kPreface) + std::string(100, '\xff')));
    EXPECT_TRUE(raw.ReadToEof());
  }
  // The server is fine.
  H2Client client(port());
  ASSERT_TRUE(client.ready());
  const int32_t id = client.Submit("POST", "/", {}, std::string("still here"));
  ASSERT_TRUE(client.PumpUntil([&] { return client.Done(id); }));
  EXPECT_EQ(client.stream(id).body, "still here");
  EXPECT_TRUE(
      client.PumpUntil([&] { return server_->open_connections() == 1; }, std::chrono::seconds(5)));
}

TEST_F(Http2ServerTest, WorksOverTlsWithAlpn) {
  char pattern[] = "/tmp/tidelog-h2-tls-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::string dir = pattern;
  std::string cert, key, error;
  ASSERT_TRUE(EnsureSelfSignedCertificate(dir + "/tls", &cert, &key, &error)) << error;
  std::unique_ptr<TlsContext> tls = TlsContext::Load(cert, key, &error);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(tls) << error;
  HttpServerOptions options;
  options.tls = tls.get();
  StartServer(/*echo=*/true, options);

  {
    H2ClientOptions client_options;
    client_options.tls = true;
    H2Client client(port(), client_options);
    ASSERT_TRUE(client.ready());
    EXPECT_EQ(client.alpn(), "h2");
    const std::string body = Pattern(1 << 20);
    std::vector<int32_t> ids;
    for (int i = 0; i < 4; ++i) ids.push_back(client.Submit("POST", "/", {}, body, 5000));
    ASSERT_TRUE(client.PumpUntil(
        [&] {
          return std::all_of(ids.begin(), ids.end(), [&](int32_t id) { return client.Done(id); });
        },
        std::chrono::seconds(20)));
    for (int32_t id : ids) {
      EXPECT_EQ(client.stream(id).status, 200);
      EXPECT_TRUE(client.stream(id).body == body);
    }
  }
  server_->Stop();  // before `tls` goes
}

}  // namespace
}  // namespace tidelog::server
