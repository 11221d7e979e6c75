// The HttpServer tests' fixture: RecordingHandler, a RequestHandler that keeps
// every request and its responder until the test answers it (or echoes at
// once) and can answer requests from their head alone, and HttpServerTest,
// which runs a server over one on an ephemeral port.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/http/http_server.h"

namespace tidelog::server::testing {

inline constexpr auto kWait = std::chrono::seconds(5);

// Keeps every request and its responder until the test answers it. With
// `echo`, answers at once with the request body.
class RecordingHandler : public RequestHandler {
 public:
  explicit RecordingHandler(bool echo = false) : echo_(echo) {}

  // Answers the heads for which it returns a response. Set before the server
  // starts (HttpServerTest::StartServer).
  std::function<std::optional<HttpResponse>(const HttpRequest&)> check_head;
  std::optional<HttpResponse> CheckHead(const HttpRequest& head) override {
    return check_head ? check_head(head) : std::nullopt;
  }

  void Handle(HttpRequest request, Responder done) override {
    if (echo_) {
      HttpResponse r;
      r.body = request.body;
      r.headers.emplace_back("content-type", "text/plain");
      done(std::move(r));
    }
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(std::move(request));
    responders_.push_back(echo_ ? nullptr : std::move(done));
    cv_.notify_all();
  }

  // Waits (bounded) until `n` requests have arrived.
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return requests_.size() >= n; });
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.size();
  }
  HttpRequest request(size_t i) {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.at(i);
  }
  Responder TakeResponder(size_t i) {
    std::lock_guard<std::mutex> lock(mu_);
    return std::move(responders_.at(i));
  }

 private:
  const bool echo_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<HttpRequest> requests_;
  std::vector<Responder> responders_;
};

inline HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

class HttpServerTest : public ::testing::Test {
 protected:
  // The handler outlives the server: both are members, handler_ first.
  RecordingHandler& StartServer(
      bool echo, HttpServerOptions options = {},
      std::function<std::optional<HttpResponse>(const HttpRequest&)> check_head = {}) {
    handler_ = std::make_unique<RecordingHandler>(echo);
    handler_->check_head = std::move(check_head);
    options.listen = "127.0.0.1:0";
    if (options.threads == 0) options.threads = 2;
    server_ = std::make_unique<HttpServer>(options, handler_.get());
    std::string error;
    EXPECT_TRUE(server_->Start(&error)) << error;
    EXPECT_NE(server_->local_port(), 0);
    return *handler_;
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  uint16_t port() const { return server_->local_port(); }

  std::unique_ptr<RecordingHandler> handler_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace tidelog::server::testing
