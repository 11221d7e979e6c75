// HttpServer: binding, the event-loop threads, accepting, and drain on Stop().
#include "server/http/http_server.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/socket_base.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <utility>

#include "server/http/http_connection.h"
#include "server/http/http_loop.h"

namespace tidelog::server {

using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTickInterval = std::chrono::milliseconds(200);
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

// A descriptor in transit between loops; closed if never taken.
class OwnedFd {
 public:
  explicit OwnedFd(int fd) : fd_(fd) {}
  ~OwnedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int Take() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// "host:port", "[v6]:port". False on a malformed address.
bool SplitHostPort(std::string_view address, std::string* host, std::string* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= address.size()) return false;
  std::string_view h = address.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty()) return false;
  std::string_view p = address.substr(colon + 1);
  for (char c : p)
    if (c < '0' || c > '9') return false;
  if (p.size() > 5 || std::stoul(std::string(p)) > 65535) return false;
  *host = std::string(h);
  *port = std::string(p);
  return true;
}

// getaddrinfo() directly: an Asio resolver would make this thread create an
// io_uring ring (see http_loop.h).
bool Resolve(const std::string& host, const std::string& port, tcp::endpoint* endpoint,
             std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* results = nullptr;
  int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &results);
  if (rc != 0 || results == nullptr) {
    *error = "cannot resolve '" + host + "': " + (rc != 0 ? gai_strerror(rc) : "no address");
    return false;
  }
  endpoint->resize(results->ai_addrlen);
  std::memcpy(endpoint->data(), results->ai_addr, results->ai_addrlen);
  ::freeaddrinfo(results);
  return true;
}

bool OpenAcceptor(tcp::acceptor* acceptor, const tcp::endpoint& endpoint, bool reuse_port,
                  std::string* error) {
  error_code ec;
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && reuse_port) {
    int one = 1;
    if (::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
      ec = error_code(errno, boost::system::system_category());
    }
  }
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  // O_NONBLOCK, so the kernel's IORING_OP_ACCEPT waits on an internal poll
  // that StopAccepting()'s shutdown() ends (EINVAL), instead of possibly
  // blocking in accept() in an io-wq worker, which nothing interrupts.
  if (!ec) acceptor->non_blocking(true, ec);
  if (ec) {
    *error = "cannot listen on " + FormatEndpoint(endpoint) + ": " + ec.message();
    return false;
  }
  return true;
}

// Loop thread. Closes the listener, at once or, if an accept is pending, in
// its handler once shutdown() has ended it (see http_loop.h).
void StopAccepting(HttpServer::Loop* loop) {
  loop->accepting_stopped = true;
  loop->accept_retry->cancel();
  if (!loop->acceptor || !loop->acceptor->is_open()) return;
  if (loop->accept_in_flight) {
    ::shutdown(loop->acceptor->native_handle(), SHUT_RDWR);
  } else {
    error_code ec;
    loop->acceptor->close(ec);
  }
}

void ScheduleTick(HttpServer::Loop* loop) {
  loop->tick->expires_after(kTickInterval);
  loop->tick->async_wait([loop](error_code ec) {
    if (ec || loop->stopping) return;
    const int64_t now = SteadyNowMillis();
    std::vector<HttpConnection*> connections(loop->connections.begin(), loop->connections.end());
    for (HttpConnection* c : connections) c->OnTick(now);
    ScheduleTick(loop);
  });
}

// The body of a loop thread.
void RunLoop(HttpServer::Loop* l, bool reuse_port, std::optional<tcp::endpoint> bind_to,
             std::promise<std::string>* ready) {
  l->CreateIo();
  if (bind_to) {
    std::string error;
    l->acceptor.emplace(*l->ioc);
    if (!OpenAcceptor(&*l->acceptor, *bind_to, reuse_port, &error)) {
      l->DestroyIo();
      ready->set_value(error);
      return;
    }
    l->bound = l->acceptor->local_endpoint();
  }
  l->mailbox.StartReading();
  ScheduleTick(l);
  ready->set_value("");  // `ready` dies with Start()'s frame: not touched again
  for (;;) {
    try {
      l->ioc->run();
      break;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tidelog http: event loop: %s\n", e.what());
    }
  }
  l->DestroyIo();
}

}  // namespace

std::string FormatEndpoint(const asio::ip::tcp::endpoint& endpoint) {
  // Appends rather than operator+: GCC 12 at -O3 reports a false -Wrestrict
  // on "[" + std::string.
  std::string out;
  const bool v6 = endpoint.address().is_v6();
  if (v6) out.push_back('[');
  out.append(endpoint.address().to_string());
  if (v6) out.push_back(']');
  out.push_back(':');
  out.append(std::to_string(endpoint.port()));
  return out;
}

int64_t SteadyNowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

HttpServer::HttpServer(HttpServerOptions options, RequestHandler* handler)
    : options_(std::move(options)), handler_(handler) {}

HttpServer::~HttpServer() { Stop(); }

bool HttpServer::Start(std::string* error) {
  if (started_) {
    *error = "HttpServer::Start called twice";
    return false;
  }
  std::string host, port;
  if (!SplitHostPort(options_.listen, &host, &port)) {
    *error = "bad listen address '" + options_.listen + "' (expected HOST:PORT)";
    return false;
  }
  tcp::endpoint endpoint;
  if (!Resolve(host, port, &endpoint, error)) return false;

  int threads = options_.threads > 0 ? options_.threads
                                     : static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  const size_t body_share = std::max(
      options_.max_inflight_body_bytes / static_cast<size_t>(threads), options_.max_body_bytes);
  for (int i = 0; i < threads; ++i) {
    loops_.push_back(std::make_unique<Loop>(this));
    loops_.back()->body_budget = body_share;
  }

  // Loop 0 binds first so the others learn the real port when 0 was asked.
  for (int i = 0; i < threads; ++i) {
    std::optional<tcp::endpoint> bind_to;
    if (i == 0 || options_.reuse_port) bind_to = endpoint;
    std::promise<std::string> ready;
    std::future<std::string> result = ready.get_future();
    Loop* l = loops_[i].get();
    const bool reuse_port = options_.reuse_port;
    l->thread =
        std::thread([l, reuse_port, bind_to, &ready] { RunLoop(l, reuse_port, bind_to, &ready); });
    *error = result.get();
    if (!error->empty()) {
      QuitLoops();
      loops_.clear();
      return false;
    }
    if (i == 0) {
      endpoint = l->bound;
      local_port_ = endpoint.port();
      local_address_ = FormatEndpoint(endpoint);
    }
  }
  started_ = true;
  for (auto& loop : loops_) {
    Loop* l = loop.get();
    if (l->acceptor) l->mailbox.Post([this, l] { AcceptNext(l); });
  }
  return true;
}

void HttpServer::AcceptNext(Loop* loop) {
  Loop* target = loop;
  if (!options_.reuse_port) {
    target = loops_[next_loop_].get();
    next_loop_ = (next_loop_ + 1) % loops_.size();
  }
  loop->accept_in_flight = true;
  loop->acceptor->async_accept([this, loop, target](error_code ec, tcp::socket socket) {
    loop->accept_in_flight = false;
    if (loop->accepting_stopped) {
      // A connection accepted as the stop raced in is closed with `socket`.
      error_code close_ec;
      loop->acceptor->close(close_ec);
      return;
    }
    if (ec) {
      // EMFILE and the like: back off instead of spinning.
      loop->accept_retry->expires_after(kAcceptRetryDelay);
      loop->accept_retry->async_wait([this, loop](error_code wait_ec) {
        if (!wait_ec && !loop->accepting_stopped) AcceptNext(loop);
      });
      return;
    }
    // Counted from here, so the cap holds exactly however many are being
    // handed over; HttpConnection::Close() (or a failed hand-over) uncounts.
    if (open_connections_.fetch_add(1) >= options_.max_connections) {
      open_connections_.fetch_sub(1);
      WarnRateLimited("refusing connections: " + std::to_string(options_.max_connections) +
                      " are open (--max-connections)");
      // Closed before any operation was started on it (nothing to cancel).
      error_code close_ec;
      socket.close(close_ec);
      AcceptNext(loop);
      return;
    }
    // The target loop gets the bare descriptor and makes its own socket of
    // it, so the socket is registered with, used by and destroyed on that
    // loop's thread only.
    error_code socket_ec;
    socket.set_option(tcp::no_delay(true), socket_ec);
    const tcp protocol = loop->bound.protocol();
    auto fd = std::make_shared<OwnedFd>(socket.release(socket_ec));
    if (!socket_ec) {
      target->mailbox.Post([this, target, fd, protocol] {
        tcp::socket adopted(*target->ioc);
        error_code assign_ec;
        adopted.assign(protocol, fd->Take(), assign_ec);
        if (assign_ec) {
          OnConnectionCountChanged();
          return;
        }
        std::make_shared<HttpConnection>(target, std::move(adopted))->Start();
      });
    } else {
      OnConnectionCountChanged();
    }
    AcceptNext(loop);
  });
}

void HttpServer::OnConnectionCountChanged() {
  open_connections_.fetch_sub(1);
  std::lock_guard<std::mutex> lock(drain_mu_);
  drain_cv_.notify_all();
}

void HttpServer::Log(std::string_view message) {
  if (options_.log) {
    options_.log(message);
  } else {
    std::fprintf(stderr, "tidelog http: %.*s\n", static_cast<int>(message.size()), message.data());
  }
}

void HttpServer::WarnRateLimited(std::string_view message) {
  // At most one line a second, whichever loop asks.
  const int64_t now = SteadyNowMillis();
  int64_t last = last_refusal_warning_ms_.load();
  if (now - last < 1000 || !last_refusal_warning_ms_.compare_exchange_strong(last, now)) return;
  Log(message);
}

void HttpServer::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;

  for (auto& loop : loops_) {
    Loop* l = loop.get();
    l->mailbox.Post([l] {
      StopAccepting(l);
      l->draining = true;
      std::vector<HttpConnection*> connections(l->connections.begin(), l->connections.end());
      for (HttpConnection* c : connections) c->BeginDrain();
    });
  }
  {
    std::unique_lock<std::mutex> lock(drain_mu_);
    drain_cv_.wait_for(lock, std::chrono::milliseconds(options_.drain_timeout_ms),
                       [this] { return open_connections_.load() == 0; });
  }
  QuitLoops();
}

void HttpServer::QuitLoops() {
  for (auto& loop : loops_) {
    Loop* l = loop.get();
    l->mailbox.Post([l] {
      l->stopping = true;
      StopAccepting(l);
      std::vector<HttpConnection*> connections(l->connections.begin(), l->connections.end());
      for (HttpConnection* c : connections) c->Close();
      l->tick->cancel();
      l->mailbox.StopReading();
      l->work.reset();
    });
  }
  for (auto& loop : loops_) {
    if (loop->thread.joinable()) loop->thread.join();
    loop->mailbox.Close();
  }
}

}  // namespace tidelog::server
