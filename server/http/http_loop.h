// Internal to tidelog_http: one event loop (io_context + thread) of an
// HttpServer, and the gate through which any thread may post to it.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <utility>

#include "server/http/http_server.h"

namespace tidelog::server {

namespace asio = boost::asio;

class HttpConnection;

// Posts to a loop's io_context while the loop exists. Closed (under the mutex)
// after the loop thread has been joined and before the io_context is
// destroyed, so a Responder firing late on a worker thread is dropped instead
// of touching a dead io_context.
class LoopGate {
 public:
  explicit LoopGate(asio::io_context* ioc) : ioc_(ioc) {}

  template <class Fn>
  bool Post(Fn&& fn) {
    std::lock_guard<std::mutex> lock(mu_);
    if (ioc_ == nullptr) return false;
    asio::post(*ioc_, std::forward<Fn>(fn));
    return true;
  }

  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    ioc_ = nullptr;
  }

 private:
  std::mutex mu_;
  asio::io_context* ioc_;  // nullptr once closed
};

struct HttpServer::Loop {
  explicit Loop(HttpServer* owner)
      : server(owner),
        work(asio::make_work_guard(ioc)),
        tick(ioc),
        accept_retry(ioc),
        gate(std::make_shared<LoopGate>(&ioc)) {}

  HttpServer* server;
  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::optional<asio::ip::tcp::acceptor> acceptor;  // on every loop (reuse_port) or loop 0
  asio::steady_timer tick;                          // idle, linger and drain checks
  asio::steady_timer accept_retry;                  // back-off after EMFILE and the like
  std::shared_ptr<LoopGate> gate;
  std::thread thread;

  // Loop thread only. A connection is registered from Start() until Close().
  std::unordered_set<HttpConnection*> connections;
  bool draining = false;
  bool stopping = false;
};

// Milliseconds of the steady clock, for deadlines.
int64_t SteadyNowMillis();

}  // namespace tidelog::server
