// HttpServer: binding, the event-loop threads, accepting, and drain on Stop().
#include "server/http/http_server.h"

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/socket_base.hpp>
#include <chrono>
#include <cstdio>

#include "server/http/http_connection.h"
#include "server/http/http_loop.h"

namespace tidelog::server {

using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTickInterval = std::chrono::milliseconds(200);
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

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

std::string FormatEndpoint(const tcp::endpoint& ep) {
  if (ep.address().is_v6()) return "[" + ep.address().to_string() + "]:" + std::to_string(ep.port());
  return ep.address().to_string() + ":" + std::to_string(ep.port());
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
  if (ec) {
    *error = "cannot listen on " + FormatEndpoint(endpoint) + ": " + ec.message();
    return false;
  }
  return true;
}

void ScheduleTick(HttpServer::Loop* loop) {
  loop->tick.expires_after(kTickInterval);
  loop->tick.async_wait([loop](error_code ec) {
    if (ec || loop->stopping) return;
    const int64_t now = SteadyNowMillis();
    std::vector<HttpConnection*> connections(loop->connections.begin(), loop->connections.end());
    for (HttpConnection* c : connections) c->OnTick(now);
    ScheduleTick(loop);
  });
}

}  // namespace

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
  {
    asio::io_context resolver_context;
    tcp::resolver resolver(resolver_context);
    error_code ec;
    auto results = resolver.resolve(host, port, tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      *error = "cannot resolve '" + host + "': " + (ec ? ec.message() : "no address");
      return false;
    }
    endpoint = results.begin()->endpoint();
  }

  int threads = options_.threads > 0 ? options_.threads
                                     : static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  for (int i = 0; i < threads; ++i) loops_.push_back(std::make_unique<Loop>(this));

  const int acceptors = options_.reuse_port ? threads : 1;
  for (int i = 0; i < acceptors; ++i) {
    Loop* loop = loops_[i].get();
    loop->acceptor.emplace(loop->ioc);
    if (!OpenAcceptor(&*loop->acceptor, endpoint, options_.reuse_port, error)) {
      loops_.clear();
      return false;
    }
    if (i == 0) {
      endpoint = loop->acceptor->local_endpoint();  // the real port when 0 was asked
      local_port_ = endpoint.port();
      local_address_ = FormatEndpoint(endpoint);
    }
  }

  started_ = true;
  for (auto& loop : loops_) {
    Loop* l = loop.get();
    ScheduleTick(l);
    if (l->acceptor) AcceptNext(l);
    l->thread = std::thread([l] {
      for (;;) {
        try {
          l->ioc.run();
          return;
        } catch (const std::exception& e) {
          std::fprintf(stderr, "tidelog http: event loop: %s\n", e.what());
        }
      }
    });
  }
  return true;
}

void HttpServer::AcceptNext(Loop* loop) {
  Loop* target = loop;
  if (!options_.reuse_port) {
    target = loops_[next_loop_].get();
    next_loop_ = (next_loop_ + 1) % loops_.size();
  }
  loop->acceptor->async_accept(
      target->ioc.get_executor(), [this, loop, target](error_code ec, auto socket) {
        if (ec == asio::error::operation_aborted || loop->stopping || !loop->acceptor ||
            !loop->acceptor->is_open()) {
          return;
        }
        if (ec) {
          // EMFILE and the like: back off instead of spinning.
          loop->accept_retry.expires_after(kAcceptRetryDelay);
          loop->accept_retry.async_wait([this, loop](error_code wait_ec) {
            if (!wait_ec && !loop->stopping && loop->acceptor && loop->acceptor->is_open()) {
              AcceptNext(loop);
            }
          });
          return;
        }
        error_code opt_ec;
        socket.set_option(tcp::no_delay(true), opt_ec);
        asio::post(target->ioc, [target, s = tcp::socket(std::move(socket))]() mutable {
          std::make_shared<HttpConnection>(target, std::move(s))->Start();
        });
        AcceptNext(loop);
      });
}

void HttpServer::OnConnectionCountChanged() {
  open_connections_.fetch_sub(1);
  std::lock_guard<std::mutex> lock(drain_mu_);
  drain_cv_.notify_all();
}

void HttpServer::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;

  for (auto& loop : loops_) {
    Loop* l = loop.get();
    asio::post(l->ioc, [l] {
      error_code ec;
      if (l->acceptor) l->acceptor->close(ec);
      l->accept_retry.cancel();
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
  for (auto& loop : loops_) {
    Loop* l = loop.get();
    asio::post(l->ioc, [l] {
      l->stopping = true;
      std::vector<HttpConnection*> connections(l->connections.begin(), l->connections.end());
      for (HttpConnection* c : connections) c->Close();
      l->tick.cancel();
      l->accept_retry.cancel();
      l->work.reset();
    });
  }
  for (auto& loop : loops_) {
    if (loop->thread.joinable()) loop->thread.join();
    loop->gate->Close();
  }
}

}  // namespace tidelog::server
