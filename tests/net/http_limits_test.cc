// HttpServer's defences against floods: requests answered from their head
// without their body being read, the in-flight body budgets (per connection
// and per loop), the connection cap, and internal details that are logged,
// never sent.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/http/http_server.h"
#include "tests/net/http_test_fixture.h"
#include "tests/net/raw_http_client.h"

namespace tidelog::server {
namespace {

using testing::HttpServerTest;
using testing::RawHttpClient;
using testing::RawResponse;
using testing::RecordingHandler;
using testing::Text;

// Polls `done` every millisecond for up to five seconds.
template <typename F>
bool PollUntil(F done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

std::optional<HttpResponse> RejectMarked(const HttpRequest& head) {
  if (head.Header("x-reject") == nullptr) return std::nullopt;
  EXPECT_TRUE(head.body.empty());
  return Text(400, "rejected from the head");
}

TEST_F(HttpServerTest, HeadAnswerNeverReadsALargeBody) {
  RecordingHandler& handler = StartServer(/*echo=*/true, {}, RejectMarked);
  RawHttpClient client(port());
  // 7 MB announced, none of it sent: the answer comes from the head alone.
  ASSERT_TRUE(
      client.Send("POST / HTTP/1.1\r\nHost: x\r\nX-Reject: 1\r\nContent-Length: 7000000\r\n\r\n"));
  std::optional<RawResponse> r = client.ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->body, "rejected from the head");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_EQ(handler.count(), 0u);

  // A client that waits for 100 Continue gets the final answer instead.
  RawHttpClient waiting(port());
  ASSERT_TRUE(waiting.Send(
      "POST / HTTP/1.1\r\nHost: x\r\nX-Reject: 1\r\nExpect: 100-continue\r\nContent-Length: "
      "10\r\n\r\n"));
  std::optional<RawResponse> r2 = waiting.ReadResponse();
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->status, 400);
  EXPECT_EQ(handler.count(), 0u);
}

TEST_F(HttpServerTest, HeadAnswerKeepsTheConnectionForASmallBody) {
  RecordingHandler& handler = StartServer(/*echo=*/true, {}, RejectMarked);
  RawHttpClient client(port());
  ASSERT_TRUE(client.Send(RawHttpClient::Post(std::string(1000, 'a'), "X-Reject: 1\r\n") +
                          RawHttpClient::Post("next")));
  std::optional<RawResponse> r = client.ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->Header("connection"), "");
  std::optional<RawResponse> next = client.ReadResponse();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "next");
  ASSERT_EQ(handler.count(), 1u);  // only the second reached Handle()
  EXPECT_EQ(handler.request(0).body, "next");
}

TEST_F(HttpServerTest, BodiesPastTheLoopBudgetWaitUnread) {
  HttpServerOptions options;
  options.threads = 1;
  options.max_body_bytes = 1 << 20;
  options.max_inflight_body_bytes = 1 << 20;  // one loop: a 1 MiB share
  RecordingHandler& handler = StartServer(/*echo=*/false, options);
  const std::string body(600 << 10, 'b');

  RawHttpClient first(port());
  ASSERT_TRUE(first.Send(RawHttpClient::Post(body)));
  ASSERT_TRUE(handler.WaitFor(1));
  // 600 KiB is held by the first request: the second's 600 KiB must wait.
  RawHttpClient second(port());
  ASSERT_TRUE(second.Send(RawHttpClient::Post(body)));
  ASSERT_TRUE(PollUntil([&] { return server_->requests_awaiting_body_budget() == 1; }));
  EXPECT_EQ(handler.count(), 1u);
  // A request without a body needs no budget and is not held up.
  RawHttpClient empty(port());
  ASSERT_TRUE(empty.Send(RawHttpClient::Post("")));
  ASSERT_TRUE(handler.WaitFor(2));
  EXPECT_EQ(handler.request(1).body, "");

  handler.TakeResponder(0)(Text(200, "one"));
  ASSERT_TRUE(handler.WaitFor(3));
  EXPECT_EQ(handler.request(2).body.size(), body.size());
  EXPECT_EQ(server_->requests_awaiting_body_budget(), 0u);
  handler.TakeResponder(1)(Text(200, "empty"));
  handler.TakeResponder(2)(Text(200, "two"));
  std::optional<RawResponse> r1 = first.ReadResponse();
  std::optional<RawResponse> r2 = second.ReadResponse();
  ASSERT_TRUE(r1.has_value() && r2.has_value());
  EXPECT_EQ(r1->body, "one");
  EXPECT_EQ(r2->body, "two");
}

TEST_F(HttpServerTest, WaitingBodiesAreAdmittedInArrivalOrder) {
  HttpServerOptions options;
  options.threads = 1;
  options.max_body_bytes = 1 << 20;
  options.max_inflight_body_bytes = 1 << 20;
  RecordingHandler& handler = StartServer(/*echo=*/false, options);

  RawHttpClient holder(port());
  ASSERT_TRUE(holder.Send(RawHttpClient::Post(std::string(900 << 10, 'h'))));
  ASSERT_TRUE(handler.WaitFor(1));
  // A large body waits first; a small one that would fit must not overtake it.
  RawHttpClient large(port());
  ASSERT_TRUE(large.Send(RawHttpClient::Post(std::string(800 << 10, 'l'))));
  ASSERT_TRUE(PollUntil([&] { return server_->requests_awaiting_body_budget() == 1; }));
  RawHttpClient small(port());
  ASSERT_TRUE(small.Send(RawHttpClient::Post(std::string(10 << 10, 's'))));
  // 900 + 10 KiB would fit in the 1 MiB share, yet the small body waits too.
  ASSERT_TRUE(PollUntil([&] { return server_->requests_awaiting_body_budget() == 2; }));
  EXPECT_EQ(handler.count(), 1u);

  // Both fit once the holder is answered (they may finish reading in either order).
  handler.TakeResponder(0)(Text(200, ""));
  ASSERT_TRUE(handler.WaitFor(3));
  EXPECT_EQ(handler.request(1).body.size() + handler.request(2).body.size(), size_t{810} << 10);
  handler.TakeResponder(1)(Text(200, ""));
  handler.TakeResponder(2)(Text(200, ""));
}

TEST_F(HttpServerTest, PipelinedBodiesPastTheConnectionBudgetWait) {
  HttpServerOptions options;
  options.max_body_bytes = 600 << 10;
  options.max_connection_body_bytes = 1 << 20;
  RecordingHandler& handler = StartServer(/*echo=*/false, options);
  const std::string body(500 << 10, 'p');

  RawHttpClient client(port());
  ASSERT_TRUE(client.Send(RawHttpClient::Post(body) + RawHttpClient::Post(body) +
                          RawHttpClient::Post("tail")));
  ASSERT_TRUE(handler.WaitFor(2));
  // 1000 KiB in flight on this connection: the third (4 bytes) fits, the
  // budget counts bytes, not requests.
  ASSERT_TRUE(handler.WaitFor(3));
  RawHttpClient other(port());
  ASSERT_TRUE(other.Send(RawHttpClient::Post(body) + RawHttpClient::Post(body) +
                         RawHttpClient::Post(body)));
  ASSERT_TRUE(handler.WaitFor(5));
  ASSERT_TRUE(PollUntil([&] { return server_->requests_awaiting_body_budget() == 1; }));
  EXPECT_EQ(handler.count(), 5u);
  handler.TakeResponder(3)(Text(200, "a"));
  ASSERT_TRUE(handler.WaitFor(6));
  for (size_t i : {0, 1, 2, 4, 5}) handler.TakeResponder(i)(Text(200, "x"));
}

TEST_F(HttpServerTest, ConnectionsPastTheCapAreClosed) {
  HttpServerOptions options;
  options.max_connections = 2;
  std::vector<std::string> log;
  std::mutex log_mu;
  options.log = [&](std::string_view line) {
    std::lock_guard<std::mutex> lock(log_mu);
    log.emplace_back(line);
  };
  StartServer(/*echo=*/true, options);
  auto a = std::make_unique<RawHttpClient>(port());
  RawHttpClient b(port());
  for (RawHttpClient* c : {a.get(), &b}) {
    ASSERT_TRUE(c->Send(RawHttpClient::Post("hi")));
    ASSERT_TRUE(c->ReadResponse().has_value());
  }
  RawHttpClient refused(port());
  EXPECT_TRUE(refused.ReadsEof());
  {
    std::lock_guard<std::mutex> lock(log_mu);
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0], "refusing connections: 2 are open (--max-connections)");
  }
  a.reset();
  ASSERT_TRUE(PollUntil([&] { return server_->open_connections() == 1; }));
  RawHttpClient again(port());
  ASSERT_TRUE(again.Send(RawHttpClient::Post("back")));
  std::optional<RawResponse> r = again.ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "back");
}

TEST_F(HttpServerTest, InternalDetailIsLoggedWithTheRequestIdAndNeverSent) {
  HttpServerOptions options;
  std::vector<std::string> log;
  std::mutex log_mu;
  options.log = [&](std::string_view line) {
    std::lock_guard<std::mutex> lock(log_mu);
    log.emplace_back(line);
  };
  RecordingHandler& handler = StartServer(/*echo=*/false, options);
  RawHttpClient client(port());
  ASSERT_TRUE(client.Send(RawHttpClient::Post("x")));
  ASSERT_TRUE(handler.WaitFor(1));
  HttpResponse failure = Text(500, "generic");
  failure.internal_detail = "IO error: /srv/data/000123.log: No space left on device";
  handler.TakeResponder(0)(std::move(failure));
  std::optional<RawResponse> r = client.ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body, "generic");
  for (const auto& [name, value] : r->headers) {
    EXPECT_EQ(value.find("/srv/data"), std::string::npos) << name;
  }
  std::lock_guard<std::mutex> lock(log_mu);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("request " + r->Header("x-amzn-requestid") + " "), std::string::npos)
      << log[0];
  EXPECT_NE(log[0].find("No space left on device"), std::string::npos) << log[0];
}

}  // namespace
}  // namespace tidelog::server
