// The HTTP fuzz targets' harness: a real HttpServer on loopback and a one-connection client.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "server/http/http_server.h"
#include "server/http/response_stream.h"
#include "tests/fuzz/fuzz_util.h"

namespace tidelog::fuzz {

// One real HttpServer (one event loop, small limits) on a loopback port with a handler that checks
// what it is handed and answers in several ways (at once, later and out of order, streamed, from
// the head), and a client that sends one input over a fresh connection, half-closes, and reads
// until the server closes.

using server::HttpRequest;
using server::HttpResponse;
using server::Responder;

inline constexpr size_t kMaxBodyBytes = 64 << 10;
inline constexpr size_t kMaxHeaderBytes = 8 << 10;

inline server::HttpServerOptions FuzzServerOptions() {
  server::HttpServerOptions o;
  o.listen = "127.0.0.1:0";
  o.threads = 1;
  o.max_body_bytes = kMaxBodyBytes;
  o.max_header_bytes = kMaxHeaderBytes;
  o.max_pipelined_requests = 4;
  o.max_connection_body_bytes = 2 * kMaxBodyBytes;
  o.max_inflight_body_bytes = 4 * kMaxBodyBytes;
  o.linger_timeout_ms = 500;
  o.log = [](std::string_view) {};
  return o;
}

// What the handler saw of the current input's connection.
struct Observed {
  std::vector<std::string> head_methods;  // every CheckHead, in order
  uint64_t handled = 0;                   // Handle calls
};

class FuzzHandler final : public server::RequestHandler {
 public:
  FuzzHandler() : worker_([this] { RunLater(); }) {}
  ~FuzzHandler() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

  // Called by the fuzzer thread before each connection.
  void Reset() {
    std::lock_guard<std::mutex> lock(mu_);
    observed_ = Observed{};
    seq_ = 0;
  }
  Observed observed() {
    std::lock_guard<std::mutex> lock(mu_);
    return observed_;
  }

  std::optional<HttpResponse> CheckHead(const HttpRequest& head) override {
    CheckRequest(head);
    FUZZ_CHECK(head.body.empty());
    std::lock_guard<std::mutex> lock(mu_);
    observed_.head_methods.push_back(head.method);
    const uint64_t seq = seq_++;
    if (head.Header("x-fuzz-reject") == nullptr) return std::nullopt;
    HttpResponse r;
    r.status = 403;
    r.body = Label(seq, head) + "rejected";
    return r;
  }

  void Handle(HttpRequest request, Responder done) override {
    CheckRequest(request);
    FUZZ_CHECK(request.body.size() <= kMaxBodyBytes);
    uint64_t seq;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++observed_.handled;
      // The request whose head was seen last is this one (HTTP/1.1 reads
      // one request at a time; HTTP/2 numbers are not checked).
      seq = seq_ == 0 ? 0 : seq_ - 1;
    }
    const std::string* mode = request.Header("x-fuzz-mode");
    HttpResponse r;
    r.headers.emplace_back("content-type", "text/plain");
    const std::string label = Label(seq, request);
    if (mode != nullptr && *mode == "stream") {
      auto stream = std::make_shared<server::ResponseStream>(64);
      stream->Write(label);
      stream->Write(std::string(100, 'b'));
      stream->Write("end");
      stream->Finish();
      r.stream = std::move(stream);
      done(std::move(r));
    } else if (mode != nullptr && *mode == "empty") {
      r.status = 204;
      done(std::move(r));
    } else if (mode != nullptr && *mode == "later") {
      r.body = label + request.body.substr(0, 64);
      std::lock_guard<std::mutex> lock(mu_);
      later_.emplace_back(std::move(done), std::move(r));
      cv_.notify_all();
    } else {
      r.body = label + request.body.substr(0, 64);
      done(std::move(r));
    }
  }

  // The first bytes of every body this handler writes.
  static std::string Label(uint64_t seq, const HttpRequest& r) {
    return "seq=" + std::to_string(seq) + " " + std::string(r.protocol) + "\n";
  }

 private:
  static void CheckRequest(const HttpRequest& r) {
    FUZZ_CHECK(r.protocol == "HTTP/1.1" || r.protocol == "HTTP/2", std::string(r.protocol));
    for (const auto& [name, value] : r.headers) {
      for (char c : name) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'), name);
    }
  }

  // Answers "later" requests from another thread, newest first, so the
  // connection has to put responses back in order.
  void RunLater() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait_for(lock, std::chrono::milliseconds(2), [&] { return stop_ || later_.size() >= 2; });
      if (stop_) return;
      std::deque<std::pair<Responder, HttpResponse>> batch;
      batch.swap(later_);
      lock.unlock();
      while (!batch.empty()) {
        auto [done, response] = std::move(batch.back());
        batch.pop_back();
        done(std::move(response));
      }
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  Observed observed_;
  uint64_t seq_ = 0;
  std::deque<std::pair<Responder, HttpResponse>> later_;
  bool stop_ = false;
  std::thread worker_;
};

struct Harness {
  FuzzHandler handler;
  server::HttpServer server{FuzzServerOptions(), &handler};
  Harness() {
    std::string error;
    if (!server.Start(&error)) {
      std::fprintf(stderr, "HttpServer did not start: %s\n", error.c_str());
      std::abort();
    }
  }
};

// Never destroyed: the server's threads run until the process exits.
inline Harness& GetHarness() {
  static Harness* harness = new Harness();
  return *harness;
}

// Sends `prefix` + `input` on a new connection, half-closes, and returns all
// the server wrote until it closed. The server must close: a client that has
// stopped sending leaves nothing to wait for.
inline std::string Exchange(std::string_view prefix, std::string_view input) {
  Harness& h = GetHarness();
  h.handler.Reset();
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  FUZZ_CHECK(fd >= 0);
  // RST on close: no TIME_WAIT, so a long run does not exhaust local ports.
  const linger no_linger{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &no_linger, sizeof(no_linger));
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(h.server.local_port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  FUZZ_CHECK(rc == 0 || errno == EINPROGRESS, std::string(std::strerror(errno)));

  std::string out(prefix);
  out.append(input);
  size_t sent = 0;
  bool write_closed = false;
  std::string received;
  char buf[16384];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (true) {
    pollfd p{fd, static_cast<short>(POLLIN | (write_closed ? 0 : POLLOUT)), 0};
    const int n = ::poll(&p, 1, 100);
    FUZZ_CHECK(n >= 0 || errno == EINTR);
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "sent %zu of %zu bytes, received %zu\n", sent, out.size(),
                   received.size());
      FUZZ_CHECK(false && "the server did not close a connection the client half-closed", received);
    }
    if (n <= 0) continue;
    if (!write_closed && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
      if (sent < out.size()) {
        const ssize_t w = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (w > 0) {
          sent += static_cast<size_t>(w);
        } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
          write_closed = true;  // the server closed first (e.g. after an error answer)
        }
      }
      if (sent == out.size() && !write_closed) {
        ::shutdown(fd, SHUT_WR);
        write_closed = true;
      }
    }
    if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
      const ssize_t r = ::recv(fd, buf, sizeof(buf), 0);
      if (r > 0) {
        received.append(buf, static_cast<size_t>(r));
        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        break;  // closed (or reset, after the server had answered and closed)
      }
    }
  }
  ::close(fd);
  return received;
}

}  // namespace tidelog::fuzz
