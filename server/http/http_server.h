// HttpServer: HTTP/1.1 (keep-alive, pipelining) and HTTP/2 (h2c prior
// knowledge, or over TLS), plain or TLS on the same port, on Boost.Asio with
// the io_uring backend, one event loop per thread, handing each request to a
// RequestHandler and writing its response back.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "server/http/http_message.h"

namespace tidelog::server {

class TlsContext;

struct HttpServerOptions {
  // "host:port" (IPv6 as "[::1]:port"). Port 0 binds an ephemeral port.
  // Empty: no plain listener (then listen_tls is required). A connection is
  // HTTP/2 when it starts with the HTTP/2 preface, else HTTP/1.1; with `tls`
  // set, one that starts with a TLS handshake is TLS.
  std::string listen = "127.0.0.1:4567";
  // A listener that takes TLS only; empty: none. Requires `tls`.
  std::string listen_tls;
  // Certificate and ALPN (h2, http/1.1). Not owned; outlives the server.
  // Each connection takes TlsContext::Current() as it is accepted.
  TlsContext* tls = nullptr;
  // Event-loop threads. 0: std::thread::hardware_concurrency().
  int threads = 0;
  // A request whose Content-Length exceeds this gets 413 (no body) and the
  // connection is closed without the body being read into memory (HTTP/2:
  // the stream is answered 413 and reset; the connection stays).
  // 16 MiB: a 10 MiB PutRecords request in JSON (base64 Data) fits.
  size_t max_body_bytes = 16 << 20;
  // Request line plus headers; beyond it the answer is 431.
  size_t max_header_bytes = 16 << 10;
  // Requests read ahead on one connection before their responses are written;
  // past this the connection stops reading until responses go out.
  size_t max_pipelined_requests = 32;
  // A connection with no request in flight and no complete request received
  // for this long is closed.
  int64_t idle_timeout_ms = 120 * 1000;
  // Stop(): how long in-flight requests get to complete before connections are
  // closed regardless.
  int64_t drain_timeout_ms = 10 * 1000;
  // After an error response that closes the connection (413, 400, 431), how
  // long unread request bytes are discarded so the client can read the answer.
  int64_t linger_timeout_ms = 2 * 1000;
  // Open connections, all loops together. A connection accepted past it is
  // closed at once (and a warning logged, at most once a second).
  size_t max_connections = 4096;
  // Request bodies read but not yet answered, in bytes: on one connection,
  // and in all. A request whose body would pass either limit waits, unread,
  // until earlier requests are answered (FIFO per loop). The total is split
  // evenly across the loops; each share, and the per-connection limit, is at
  // least max_body_bytes. A body of unknown length (chunked) counts as
  // max_body_bytes until it has been read.
  size_t max_connection_body_bytes = 16 << 20;
  size_t max_inflight_body_bytes = 32 << 20;
  // Where the server's log lines go: refused connections (at most one line a
  // second) and each response's internal_detail with its request id.
  // Empty: stderr.
  std::function<void(std::string_view)> log;
  // false: one acceptor hands connections to the loops round-robin (even
  // spread; a second server on the same port fails to bind).
  // true: every loop has its own SO_REUSEPORT acceptor and the kernel spreads
  // connections by 4-tuple hash.
  bool reuse_port = false;
};

class HttpServer {
 public:
  // `handler` must outlive the server's Stop().
  HttpServer(HttpServerOptions options, RequestHandler* handler);
  ~HttpServer();  // Stop()s

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the loops. False with a message in *error when
  // the address is bad or cannot be bound. Call once.
  bool Start(std::string* error);

  // The plain listener's bound port (the real one when 0 was asked); 0
  // before Start() or without one.
  uint16_t local_port() const { return local_port_; }
  // "host:port" as bound, e.g. "127.0.0.1:4567" or "[::1]:4567".
  const std::string& local_address() const { return local_address_; }
  // The same for the TLS-only listener.
  uint16_t local_tls_port() const { return local_tls_port_; }
  const std::string& local_tls_address() const { return local_tls_address_; }

  // Stops accepting, lets requests already received complete (up to
  // drain_timeout_ms), then closes every connection and joins the loops.
  // Responders called after Stop() returns are dropped. Idempotent.
  void Stop();

  // Connections currently open (all loops).
  size_t open_connections() const { return open_connections_.load(); }
  // Requests whose head is in and whose body waits for room under the
  // in-flight body limits (all loops).
  size_t requests_awaiting_body_budget() const { return awaiting_body_budget_.load(); }

  struct Loop;  // one event-loop thread; defined in http_server.cc

 private:
  void AcceptNext(Loop* loop, size_t listener);
  void QuitLoops();
  void OnConnectionCountChanged();
  void Log(std::string_view message);
  void WarnRateLimited(std::string_view message);

  HttpServerOptions options_;
  RequestHandler* handler_;
  std::vector<std::unique_ptr<Loop>> loops_;
  uint16_t local_port_ = 0;
  std::string local_address_;
  uint16_t local_tls_port_ = 0;
  std::string local_tls_address_;
  // Round-robin cursor; used by loop 0's acceptors only (without reuse_port).
  size_t next_loop_ = 0;
  bool started_ = false;
  bool stopped_ = false;

  std::atomic<size_t> open_connections_{0};
  std::atomic<size_t> awaiting_body_budget_{0};
  std::atomic<int64_t> last_refusal_warning_ms_{0};
  std::mutex drain_mu_;
  std::condition_variable drain_cv_;

  friend class HttpConnection;
  friend class Http2Connection;
  friend class ProtocolSelector;
};

}  // namespace tidelog::server
