// Internal to tidelog_http: one event loop (io_context + thread) of an
// HttpServer.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>

#include "server/http/http_server.h"
#include "server/http/loop_mailbox.h"

namespace tidelog::server {

namespace asio = boost::asio;

class HttpConnection;

// Every Asio object of a loop, the io_context first (its io_uring ring), is
// created by the loop thread in CreateIo() and destroyed by it in DestroyIo()
// as it exits. The kernel registers the creator and every submitter of a ring
// with it, and ring teardown signals each of them (task work: EINTR in their
// timed system calls), so no other thread may create, use or destroy these.
struct HttpServer::Loop {
  explicit Loop(HttpServer* owner) : server(owner) {}
  ~Loop() { DestroyIo(); }

  void CreateIo() {
    ioc.emplace(1);
    work.emplace(asio::make_work_guard(*ioc));
    tick.emplace(*ioc);
    accept_retry.emplace(*ioc);
    mailbox.AttachIo(*ioc);
  }
  void DestroyIo() {
    mailbox.ReleaseIo();
    accept_retry.reset();
    tick.reset();
    acceptor.reset();
    work.reset();
    ioc.reset();
  }

  HttpServer* server;
  std::optional<asio::io_context> ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::optional<asio::ip::tcp::acceptor> acceptor;  // on every loop (reuse_port) or loop 0
  std::optional<asio::steady_timer> tick;           // idle, linger and drain checks
  std::optional<asio::steady_timer> accept_retry;   // back-off after EMFILE and the like
  LoopMailbox mailbox;                              // the only way other threads reach this loop
  std::thread thread;
  asio::ip::tcp::endpoint bound;  // the acceptor's address, once bound

  // Loop thread only. A connection is registered from Start() until Close().
  std::unordered_set<HttpConnection*> connections;
  bool draining = false;
  bool stopping = false;
};

// "127.0.0.1:80", "[::1]:80".
std::string FormatEndpoint(const asio::ip::tcp::endpoint& endpoint);

// Milliseconds of the steady clock, for deadlines.
int64_t SteadyNowMillis();

}  // namespace tidelog::server
