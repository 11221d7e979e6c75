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

#include "server/http/http_loop.h"
#include "server/http/protocol_selector.h"
#include "server/http/tls_context.h"

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

// Loop thread. Closes the listeners, at once or, if an accept is pending,
// in its handler once shutdown() has ended it (see http_loop.h).
void StopAccepting(HttpServer::Loop* loop) {
  loop->accepting_stopped = true;
  loop->accept_retry->cancel();
  for (HttpServer::Loop::Listener& listener : loop->listeners) {
    if (!listener.acceptor || !listener.acceptor->is_open()) continue;
    if (listener.accept_in_flight) {
      ::shutdown(listener.acceptor->native_handle(), SHUT_RDWR);
    } else {
      error_code ec;
      listener.acceptor->close(ec);
    }
  }
}

void ScheduleTick(HttpServer::Loop* loop) {
  loop->tick->expires_after(kTickInterval);
  loop->tick->async_wait([loop](error_code ec) {
    if (ec || loop->stopping) return;
    const int64_t now = SteadyNowMillis();
    std::vector<LoopConnection*> connections(loop->connections.begin(), loop->connections.end());
    for (LoopConnection* c : connections) c->OnTick(now);
    ScheduleTick(loop);
  });
}

// The body of a loop thread. `bind_to[i]`: the address of listener i, if
// this loop has that listener's acceptor.
void RunLoop(HttpServer::Loop* l, bool reuse_port,
             std::vector<std::optional<tcp::endpoint>> bind_to, std::promise<std::string>* ready) {
  l->CreateIo();
  for (size_t i = 0; i < bind_to.size(); ++i) {
    if (!bind_to[i]) continue;
    std::string error;
    HttpServer::Loop::Listener& listener = l->listeners[i];
    listener.acceptor.emplace(*l->ioc);
    if (!OpenAcceptor(&*listener.acceptor, *bind_to[i], reuse_port, &error)) {
      l->DestroyIo();
      ready->set_value(error);
      return;
    }
    listener.bound = listener.acceptor->local_endpoint();
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
  // Listener 0 is the plain one (if any), then the TLS-only one (if any).
  std::vector<std::string> addresses;
  std::vector<bool> tls_only;
  if (!options_.listen.empty()) {
    addresses.push_back(options_.listen);
    tls_only.push_back(false);
  }
  if (!options_.listen_tls.empty()) {
    if (options_.tls == nullptr) {
      *error = "a TLS listener needs a certificate and key";
      return false;
    }
    addresses.push_back(options_.listen_tls);
    tls_only.push_back(true);
  }
  if (addresses.empty()) {
    *error = "nothing to listen on";
    return false;
  }
  std::vector<tcp::endpoint> endpoints(addresses.size());
  for (size_t i = 0; i < addresses.size(); ++i) {
    std::string host, port;
    if (!SplitHostPort(addresses[i], &host, &port)) {
      *error = "bad listen address '" + addresses[i] + "' (expected HOST:PORT)";
      return false;
    }
    if (!Resolve(host, port, &endpoints[i], error)) return false;
  }

  int threads = options_.threads > 0 ? options_.threads
                                     : static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  const size_t body_share = std::max(
      options_.max_inflight_body_bytes / static_cast<size_t>(threads), options_.max_body_bytes);
  for (int i = 0; i < threads; ++i) {
    loops_.push_back(std::make_unique<Loop>(this));
    loops_.back()->body_budget = body_share;
    loops_.back()->listeners.resize(addresses.size());
    for (size_t j = 0; j < addresses.size(); ++j)
      loops_.back()->listeners[j].tls_only = tls_only[j];
  }

  // Loop 0 binds first so the others learn the real ports when 0 was asked.
  for (int i = 0; i < threads; ++i) {
    std::vector<std::optional<tcp::endpoint>> bind_to(addresses.size());
    if (i == 0 || options_.reuse_port) {
      for (size_t j = 0; j < addresses.size(); ++j) bind_to[j] = endpoints[j];
    }
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
      for (size_t j = 0; j < addresses.size(); ++j) {
        endpoints[j] = l->listeners[j].bound;
        if (tls_only[j]) {
          local_tls_port_ = endpoints[j].port();
          local_tls_address_ = FormatEndpoint(endpoints[j]);
        } else {
          local_port_ = endpoints[j].port();
          local_address_ = FormatEndpoint(endpoints[j]);
        }
      }
    }
  }
  started_ = true;
  for (auto& loop : loops_) {
    Loop* l = loop.get();
    for (size_t j = 0; j < l->listeners.size(); ++j) {
      if (l->listeners[j].acceptor) l->mailbox.Post([this, l, j] { AcceptNext(l, j); });
    }
  }
  return true;
}

void HttpServer::AcceptNext(Loop* loop, size_t index) {
  Loop* target = loop;
  if (!options_.reuse_port) {
    target = loops_[next_loop_].get();
    next_loop_ = (next_loop_ + 1) % loops_.size();
  }
  Loop::Listener* listener = &loop->listeners[index];
  listener->accept_in_flight = true;
  listener->acceptor->async_accept(
      [this, loop, listener, index, target](error_code ec, tcp::socket socket) {
        listener->accept_in_flight = false;
        if (loop->accepting_stopped) {
          // A connection accepted as the stop raced in is closed with `socket`.
          error_code close_ec;
          listener->acceptor->close(close_ec);
          return;
        }
        if (ec) {
          // EMFILE and the like: back off instead of spinning.
          loop->accept_retry->expires_after(kAcceptRetryDelay);
          loop->accept_retry->async_wait([this, loop, index](error_code wait_ec) {
            if (!wait_ec && !loop->accepting_stopped) AcceptNext(loop, index);
          });
          return;
        }
        // Counted from here, so the cap holds exactly however many are being
        // handed over; the connection's Close() (or a failed hand-over) uncounts.
        if (open_connections_.fetch_add(1) >= options_.max_connections) {
          open_connections_.fetch_sub(1);
          WarnRateLimited("refusing connections: " + std::to_string(options_.max_connections) +
                          " are open (--max-connections)");
          // Closed before any operation was started on it (nothing to cancel).
          error_code close_ec;
          socket.close(close_ec);
          AcceptNext(loop, index);
          return;
        }
        // The target loop gets the bare descriptor and makes its own socket of
        // it, so the socket is registered with, used by and destroyed on that
        // loop's thread only.
        error_code socket_ec;
        socket.set_option(tcp::no_delay(true), socket_ec);
        const tcp protocol = listener->bound.protocol();
        const bool tls_only = listener->tls_only;
        std::shared_ptr<asio::ssl::context> tls = options_.tls ? options_.tls->Current() : nullptr;
        auto fd = std::make_shared<OwnedFd>(socket.release(socket_ec));
        if (!socket_ec) {
          target->mailbox.Post([this, target, fd, protocol, tls, tls_only] {
            tcp::socket adopted(*target->ioc);
            error_code assign_ec;
            adopted.assign(protocol, fd->Take(), assign_ec);
            if (assign_ec) {
              OnConnectionCountChanged();
              return;
            }
            std::make_shared<ProtocolSelector>(target, std::move(adopted), tls, tls_only)->Start();
          });
        } else {
          OnConnectionCountChanged();
        }
        AcceptNext(loop, index);
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
      std::vector<LoopConnection*> connections(l->connections.begin(), l->connections.end());
      for (LoopConnection* c : connections) c->BeginDrain();
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
      std::vector<LoopConnection*> connections(l->connections.begin(), l->connections.end());
      for (LoopConnection* c : connections) c->Close();
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
