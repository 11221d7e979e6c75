// Internal to tidelog_http: one event loop (io_context + thread) of an
// HttpServer.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "server/http/http_server.h"
#include "server/http/loop_mailbox.h"

namespace tidelog::server {

namespace asio = boost::asio;

class HttpConnection;

// What a loop knows of each connection it owns, whatever its protocol
// (ProtocolSelector while the protocol is chosen, then HttpConnection or
// Http2Connection). Loop thread only. A connection is registered in
// Loop::connections from its Start() until its Close(); Close() also
// uncounts it (HttpServer::OnConnectionCountChanged) unless it handed its
// transport on to another connection, which then owns the count.
class LoopConnection {
 public:
  virtual ~LoopConnection() = default;
  // Stop taking new requests; close once those in flight are answered.
  virtual void BeginDrain() = 0;
  // Idempotent. Deregisters from the loop.
  virtual void Close() = 0;
  // Every tick (200 ms): idle and linger deadlines.
  virtual void OnTick(int64_t now_ms) = 0;
};

// Every Asio object of a loop, the io_context first (its io_uring ring), is
// created by the loop thread in CreateIo() and destroyed by it in DestroyIo()
// as it exits. The kernel registers the creator and every submitter of a ring
// with it, and ring teardown signals each of them (task work: EINTR in their
// timed system calls), so no other thread may create, use or destroy these.
//
// Nothing here ever cancels an Asio I/O operation, directly (cancel()) or by
// closing or releasing an object with an operation pending. Asio 1.26 (Boost
// 1.81; fixed in 1.27, chriskohlhoff/asio#1215) prepares IORING_OP_ASYNC_CANCEL
// without setting the SQE's user_data, so the cancel's completion is handed to
// whatever operation queue last used that SQE slot: another connection's read
// completes with a made-up result, or a queue is linked twice into the
// scheduler's list and handlers are lost (a loop that never runs out of work).
// Pending operations are ended by the kernel instead: shutdown() on a socket
// or listener completes its reads, writes and accepts, a write to the eventfd
// completes the mailbox's read, and the object is closed once its last
// handler has run (see StopAccepting(), HttpConnection::Close() and
// LoopMailbox::StopReading()). Timers do not use IORING_OP_ASYNC_CANCEL and
// are cancelled as usual.
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
    for (Listener& listener : listeners) listener.acceptor.reset();
    work.reset();
    ioc.reset();
  }

  HttpServer* server;
  std::optional<asio::io_context> ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  // One listening socket: the plain one (which also takes TLS when the
  // server has a TLS context) or the TLS-only one.
  struct Listener {
    std::optional<asio::ip::tcp::acceptor> acceptor;  // on every loop (reuse_port) or loop 0
    asio::ip::tcp::endpoint bound;                    // the acceptor's address, once bound
    bool tls_only = false;
    bool accept_in_flight = false;  // an async_accept is in the kernel
  };
  // Sized before the loop thread starts (never resized after: handlers hold
  // pointers into it); the acceptors are made by the loop thread.
  std::vector<Listener> listeners;
  std::optional<asio::steady_timer> tick;          // idle, linger and drain checks
  std::optional<asio::steady_timer> accept_retry;  // back-off after EMFILE and the like
  LoopMailbox mailbox;                             // the only way other threads reach this loop
  std::thread thread;
  bool accepting_stopped = false;  // the acceptors are closed or close on their handlers

  // Loop thread only. A connection is registered from Start() until Close().
  std::unordered_set<LoopConnection*> connections;
  // This loop's share of HttpServerOptions::max_inflight_body_bytes still
  // free, and the connections waiting for some of it, oldest first (a
  // connection closed or no longer waiting is skipped when reached).
  size_t body_budget = 0;
  std::deque<std::shared_ptr<HttpConnection>> body_waiters;
  bool draining = false;
  bool stopping = false;
};

// "127.0.0.1:80", "[::1]:80".
std::string FormatEndpoint(const asio::ip::tcp::endpoint& endpoint);

// Milliseconds of the steady clock, for deadlines.
int64_t SteadyNowMillis();

}  // namespace tidelog::server
