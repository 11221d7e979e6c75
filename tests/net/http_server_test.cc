// HttpServer: request/response basics, keep-alive, pipelining order with
// out-of-order completion, 413 without reading the body, 100-continue, error
// answers, idle timeout, and drain on Stop().
#include "server/http/http_server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <regex>
#include <thread>
#include <vector>

#include "tests/net/http_test_fixture.h"
#include "tests/net/raw_http_client.h"

namespace tidelog::server {
namespace {

using testing::HttpServerTest;
using testing::kWait;
using testing::RawHttpClient;
using testing::RawResponse;
using testing::RecordingHandler;
using testing::Text;

TEST_F(HttpServerTest, RequestAndResponseBasics) {
  RecordingHandler& handler = StartServer(/*echo=*/true);
  EXPECT_EQ(server_->local_address(), "127.0.0.1:" + std::to_string(port()));

  RawHttpClient client(port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(
      "POST /path?q=1 HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target:   Kinesis_20131202.ListStreams "
      " \r\nX-Repeat: a\r\nX-Repeat: b\r\nContent-Length: 5\r\n\r\nhello"));
  std::optional<RawResponse> r = client.ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->Header("content-length"), "5");
  EXPECT_EQ(r->Header("content-type"), "text/plain");
  EXPECT_TRUE(std::regex_match(r->Header("x-amzn-requestid"),
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                          "[0-9a-f]{12}")))
      << r->Header("x-amzn-requestid");
  EXPECT_TRUE(std::regex_match(
      r->Header("date"),
      std::regex("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT")))
      << r->Header("date");
  EXPECT_EQ(r->Header("connection"), "");

  HttpRequest seen = handler.request(0);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/path?q=1");
  ASSERT_NE(seen.Header("x-amz-target"), nullptr);
  EXPECT_EQ(*seen.Header("x-amz-target"), "Kinesis_20131202.ListStreams");
  int repeats = 0;
  for (const auto& [k, v] : seen.headers) repeats += k == "x-repeat";
  EXPECT_EQ(repeats, 2);
  EXPECT_EQ(seen.body, "hello");
  EXPECT_TRUE(seen.remote_address.rfind("127.0.0.1:", 0) == 0) << seen.remote_address;
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  RecordingHandler& handler = StartServer(/*echo=*/true);
  RawHttpClient client(port());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(client.Send(RawHttpClient::Post("request " + std::to_string(i))));
    std::optional<RawResponse> r = client.ReadResponse();
    ASSERT_TRUE(r.has_value()) << i;
    EXPECT_EQ(r->body, "request " + std::to_string(i));
  }
  EXPECT_EQ(handler.count(), 20u);
  EXPECT_EQ(server_->open_connections(), 1u);
}

TEST_F(HttpServerTest, PipelinedResponsesKeepRequestOrder) {
  RecordingHandler& handler = StartServer(/*echo=*/false);
  RawHttpClient client(port());
  constexpr int kRequests = 8;
  std::string batch;
  for (int i = 0; i < kRequests; ++i) batch += RawHttpClient::Post(std::to_string(i));
  ASSERT_TRUE(client.Send(batch));
  ASSERT_TRUE(handler.WaitFor(kRequests));

  // Complete in reverse order, from several threads; one keeps its own id.
  std::vector<std::thread> threads;
  for (int i = kRequests - 1; i >= 0; --i) {
    Responder done = handler.TakeResponder(i);
    threads.emplace_back([done = std::move(done), i] {
      HttpResponse r = Text(200, "answer " + std::to_string(i));
      if (i == 3) r.headers.emplace_back("x-amzn-RequestId", "fixed-id");
      done(std::move(r));
    });
    threads.back().join();
  }
  for (int i = 0; i < kRequests; ++i) {
    std::optional<RawResponse> r = client.ReadResponse();
    ASSERT_TRUE(r.has_value()) << i;
    EXPECT_EQ(r->body, "answer " + std::to_string(i));
    if (i == 3) {
      EXPECT_EQ(r->Header("x-amzn-requestid"), "fixed-id");
    }
  }
}

TEST_F(HttpServerTest, PipelineDepthIsBounded) {
  HttpServerOptions options;
  options.max_pipelined_requests = 2;
  RecordingHandler& handler = StartServer(/*echo=*/false, options);
  RawHttpClient client(port());
  std::string batch;
  for (int i = 0; i < 5; ++i) batch += RawHttpClient::Post(std::to_string(i));
  ASSERT_TRUE(client.Send(batch));
  ASSERT_TRUE(handler.WaitFor(2));
  EXPECT_EQ(handler.count(), 2u);  // the rest wait in the socket
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(handler.WaitFor(i + 1));
    handler.TakeResponder(i)(Text(200, std::to_string(i)));
    std::optional<RawResponse> r = client.ReadResponse();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->body, std::to_string(i));
  }
}

TEST_F(HttpServerTest, OversizedBodyGets413WithoutBeingRead) {
  HttpServerOptions options;
  options.max_body_bytes = 1 << 20;
  RecordingHandler& handler = StartServer(/*echo=*/true, options);
  RawHttpClient client(port());
  // Announces 100 MiB and sends only a little of it: the answer must come at
  // once, from the headers alone.
  ASSERT_TRUE(client.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n"));
  ASSERT_TRUE(client.Send(std::string(4096, 'x')));
  std::optional<RawResponse> r = client.ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->Header("content-length"), "0");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_EQ(handler.count(), 0u);

  // Exactly at the limit is fine.
  RawHttpClient ok(port());
  ASSERT_TRUE(ok.Send(RawHttpClient::Post(std::string(1 << 20, 'y'))));
  std::optional<RawResponse> r2 = ok.ReadResponse();
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->status, 200);
  EXPECT_EQ(r2->body.size(), size_t{1} << 20);
}

TEST_F(HttpServerTest, OversizedChunkedBodyGets413) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  RecordingHandler& handler = StartServer(/*echo=*/true, options);
  RawHttpClient client(port());
  std::string chunk(2048, 'z');
  ASSERT_TRUE(
      client.Send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
                  chunk + "\r\n0\r\n\r\n"));
  std::optional<RawResponse> r = client.ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(handler.count(), 0u);
}

TEST_F(HttpServerTest, ExpectContinue) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  StartServer(/*echo=*/true, options);

  RawHttpClient client(port());
  ASSERT_TRUE(client.Send(
      "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  std::optional<std::string> interim = client.ReadUntil("\r\n\r\n");
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(*interim, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(client.Send("body"));
  std::optional<RawResponse> r = client.ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "body");

  // Too large: 413 straight away, no 100 Continue.
  RawHttpClient big(port());
  ASSERT_TRUE(big.Send(
      "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n"));
  std::optional<RawResponse> r2 = big.ReadResponse();
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->status, 413);
}

TEST_F(HttpServerTest, ConnectionCloseAndHttp10) {
  StartServer(/*echo=*/true);

  RawHttpClient client(port());
  ASSERT_TRUE(client.Send(RawHttpClient::Post("a", "Connection: close\r\n")));
  std::optional<RawResponse> r = client.ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(client.ReadsEof());

  RawHttpClient old(port());
  ASSERT_TRUE(old.Send("POST / HTTP/1.0\r\nContent-Length: 1\r\n\r\nb"));
  std::optional<RawResponse> r2 = old.ReadResponse();
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->body, "b");
  EXPECT_EQ(r2->Header("connection"), "close");
  EXPECT_TRUE(old.ReadsEof());
}

TEST_F(HttpServerTest, MalformedAndOversizedHeaders) {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  RecordingHandler& handler = StartServer(/*echo=*/true, options);

  RawHttpClient bad(port());
  ASSERT_TRUE(bad.Send("NOT AN HTTP REQUEST\r\n\r\n"));
  std::optional<RawResponse> r = bad.ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->Header("connection"), "close");

  RawHttpClient big(port());
  ASSERT_TRUE(big.Send("POST / HTTP/1.1\r\nX-Big: " + std::string(4096, 'h') + "\r\n\r\n"));
  std::optional<RawResponse> r2 = big.ReadResponse();
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->status, 431);
  EXPECT_EQ(handler.count(), 0u);
}

TEST_F(HttpServerTest, DroppedResponderAnswers500) {
  RecordingHandler& handler = StartServer(/*echo=*/false);
  RawHttpClient client(port());
  ASSERT_TRUE(client.Send(RawHttpClient::Post("x") + RawHttpClient::Post("y")));
  ASSERT_TRUE(handler.WaitFor(2));
  { Responder dropped = handler.TakeResponder(0); }
  handler.TakeResponder(1)(Text(200, "second"));
  std::optional<RawResponse> r = client.ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 500);
  std::optional<RawResponse> r2 = client.ReadResponse();
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->body, "second");
}

TEST_F(HttpServerTest, IdleConnectionIsClosed) {
  HttpServerOptions options;
  options.idle_timeout_ms = 300;
  StartServer(/*echo=*/true, options);
  RawHttpClient client(port(), /*timeout_ms=*/5000);
  ASSERT_TRUE(client.connected());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.ReadsEof());  // blocks (bounded) until the server closes
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
}

TEST_F(HttpServerTest, StopDrainsRequestsInFlight) {
  RecordingHandler& handler = StartServer(/*echo=*/false);
  RawHttpClient client(port());
  ASSERT_TRUE(client.Send(RawHttpClient::Post("in flight")));
  ASSERT_TRUE(handler.WaitFor(1));
  RawHttpClient idle(port());
  ASSERT_TRUE(idle.connected());

  std::future<void> stopped = std::async(std::launch::async, [&] { server_->Stop(); });
  // The idle connection is closed at once; the busy one waits for its answer.
  EXPECT_TRUE(idle.ReadsEof());
  bool refused = false;
  for (auto deadline = std::chrono::steady_clock::now() + kWait;
       !refused && std::chrono::steady_clock::now() < deadline;) {
    RawHttpClient probe(port(), 1000);
    refused = !probe.connected();
  }
  EXPECT_TRUE(refused) << "still accepting after Stop()";
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(0)), std::future_status::timeout);

  handler.TakeResponder(0)(Text(200, "done"));
  std::optional<RawResponse> r = client.ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "done");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(client.ReadsEof());
  EXPECT_EQ(stopped.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(server_->open_connections(), 0u);
}

TEST_F(HttpServerTest, StopGivesUpAfterDrainTimeoutAndLateRespondersAreDropped) {
  HttpServerOptions options;
  options.drain_timeout_ms = 200;
  RecordingHandler& handler = StartServer(/*echo=*/false, options);
  RawHttpClient client(port());
  ASSERT_TRUE(client.Send(RawHttpClient::Post("never answered in time")));
  ASSERT_TRUE(handler.WaitFor(1));
  auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, kWait);
  EXPECT_TRUE(client.ReadsEof());
  handler.TakeResponder(0)(Text(200, "late"));  // must not crash
  server_.reset();
}

TEST_F(HttpServerTest, ReusePortMode) {
  HttpServerOptions options;
  options.reuse_port = true;
  options.threads = 3;
  StartServer(/*echo=*/true, options);
  std::vector<std::unique_ptr<RawHttpClient>> clients;
  for (int i = 0; i < 6; ++i) {
    clients.push_back(std::make_unique<RawHttpClient>(port()));
    ASSERT_TRUE(clients.back()->Send(RawHttpClient::Post(std::to_string(i))));
  }
  for (int i = 0; i < 6; ++i) {
    std::optional<RawResponse> r = clients[i]->ReadResponse();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->body, std::to_string(i));
  }
}

TEST(HttpServerStartTest, RejectsBadAddressesAndBusyPorts) {
  RecordingHandler handler;
  std::string error;
  for (const char* bad : {"nonsense", "127.0.0.1:", "127.0.0.1:99999", ":80"}) {
    HttpServerOptions options;
    options.listen = bad;
    HttpServer server(options, &handler);
    EXPECT_FALSE(server.Start(&error)) << bad;
    EXPECT_FALSE(error.empty());
  }
  HttpServerOptions options;
  options.listen = "127.0.0.1:0";
  options.threads = 1;
  HttpServer first(options, &handler);
  ASSERT_TRUE(first.Start(&error)) << error;
  options.listen = "127.0.0.1:" + std::to_string(first.local_port());
  HttpServer second(options, &handler);
  EXPECT_FALSE(second.Start(&error));
  EXPECT_NE(error.find("cannot listen"), std::string::npos) << error;
}

TEST(HttpServerStartTest, ListensOnIpv6Loopback) {
  RecordingHandler handler;
  HttpServerOptions options;
  options.listen = "[::1]:0";
  options.threads = 1;
  HttpServer server(options, &handler);
  std::string error;
  if (!server.Start(&error)) GTEST_SKIP() << "no IPv6 loopback here: " << error;
  EXPECT_EQ(server.local_address(), "[::1]:" + std::to_string(server.local_port()));
}

}  // namespace
}  // namespace tidelog::server
