// ProtocolSelector: TLS or plain, then HTTP/2 or HTTP/1.1, for one connection.
#include "server/http/protocol_selector.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

#include "server/http/http2_connection.h"
#include "server/http/http_connection.h"

namespace tidelog::server {

using boost::system::error_code;

namespace {

// How long a client may take to start TLS and send its first bytes.
constexpr int64_t kSetupTimeoutMs = 10'000;
// The start of the HTTP/2 client preface (RFC 9113 section 3.4). No HTTP/1.1
// request begins with "PRI": the method does not exist (it was chosen so).
// nghttp2 checks the rest of the preface.
constexpr std::string_view kPrefacePrefix = "PRI";
constexpr unsigned char kTlsHandshakeRecord = 0x16;

}  // namespace

ProtocolSelector::ProtocolSelector(HttpServer::Loop* loop, asio::ip::tcp::socket socket,
                                   std::shared_ptr<asio::ssl::context> tls, bool tls_only)
    : loop_(loop),
      tls_(std::move(tls)),
      tls_only_(tls_only),
      socket_(std::move(socket)),
      deadline_ms_(SteadyNowMillis() +
                   std::min(kSetupTimeoutMs, loop->server->options_.idle_timeout_ms)) {
  error_code ec;
  auto remote = socket_->remote_endpoint(ec);
  if (!ec) remote_address_ = FormatEndpoint(remote);
}

void ProtocolSelector::Start() {
  loop_->connections.insert(this);
  if (loop_->draining) {
    Close();
    return;
  }
  if (tls_ && tls_only_) {
    transport_.emplace(std::move(*socket_), tls_);
    socket_.reset();
    Handshake();
  } else if (tls_) {
    WaitForFirstByte();
  } else {
    transport_.emplace(std::move(*socket_));
    socket_.reset();
    ReadPreface();
  }
}

void ProtocolSelector::WaitForFirstByte() {
  // Peeked, not read, so the TLS engine or the HTTP parser still sees it.
  ++ops_in_flight_;
  socket_->async_wait(asio::socket_base::wait_read,
                      [self = shared_from_this()](error_code ec) { self->OnReadable(ec); });
}

void ProtocolSelector::OnReadable(error_code ec) {
  if (!OperationDone()) return;
  if (ec) {
    Close();
    return;
  }
  unsigned char first = 0;
  const ssize_t n = ::recv(socket_->native_handle(), &first, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    WaitForFirstByte();
    return;
  }
  if (n <= 0) {  // EOF or error before any byte
    Close();
    return;
  }
  if (first == kTlsHandshakeRecord) {
    transport_.emplace(std::move(*socket_), tls_);
    socket_.reset();
    Handshake();
  } else {
    transport_.emplace(std::move(*socket_));
    socket_.reset();
    ReadPreface();
  }
}

void ProtocolSelector::Handshake() {
  ++ops_in_flight_;
  transport_->async_handshake([self = shared_from_this()](error_code ec) {
    if (!self->OperationDone()) return;
    if (ec) {
      self->Close();  // not TLS, no shared protocol version, or gone
      return;
    }
    const std::string_view alpn = self->transport_->alpn();
    if (alpn == "h2") {
      self->HandOff(true);
    } else if (alpn == "http/1.1") {
      self->HandOff(false);
    } else {
      self->ReadPreface();  // no ALPN (Java's Netty client sends h2 this way)
    }
  });
}

void ProtocolSelector::ReadPreface() {
  ++ops_in_flight_;
  transport_->async_read_some(asio::buffer(read_buffer_, sizeof(read_buffer_)),
                              [self = shared_from_this()](error_code ec, size_t n) {
                                if (!self->OperationDone()) return;
                                if (ec) {
                                  self->Close();
                                  return;
                                }
                                self->received_.append(self->read_buffer_, n);
                                self->Decide();
                              });
}

void ProtocolSelector::Decide() {
  const size_t n = std::min(received_.size(), kPrefacePrefix.size());
  if (std::string_view(received_).substr(0, n) != kPrefacePrefix.substr(0, n)) {
    HandOff(false);
  } else if (n == kPrefacePrefix.size()) {
    HandOff(true);
  } else {
    ReadPreface();
  }
}

void ProtocolSelector::HandOff(bool http2) {
  // The open-connection count passes to the new connection with the transport.
  handed_off_ = true;
  closed_ = true;
  loop_->connections.erase(this);
  if (http2) {
    std::make_shared<Http2Connection>(loop_, std::move(*transport_), std::move(remote_address_),
                                      std::move(received_))
        ->Start();
  } else {
    std::make_shared<HttpConnection>(loop_, std::move(*transport_), std::move(remote_address_),
                                     std::move(received_))
        ->Start();
  }
  transport_.reset();
}

void ProtocolSelector::BeginDrain() { Close(); }

void ProtocolSelector::OnTick(int64_t now_ms) {
  if (now_ms >= deadline_ms_) Close();
}

void ProtocolSelector::Close() {
  if (closed_) return;
  closed_ = true;
  // shutdown() ends the pending wait, handshake step or read (never cancel;
  // see http_loop.h); the last handler closes the socket.
  if (socket_) {
    error_code ec;
    socket_->shutdown(asio::socket_base::shutdown_both, ec);
    if (ops_in_flight_ == 0) {
      socket_->close(ec);
      socket_.reset();
    }
  } else if (transport_) {
    transport_->Shutdown(asio::socket_base::shutdown_both);
    if (ops_in_flight_ == 0) {
      transport_->Close();
      transport_.reset();
    }
  }
  loop_->connections.erase(this);
  loop_->server->OnConnectionCountChanged();
}

bool ProtocolSelector::OperationDone() {
  --ops_in_flight_;
  if (!closed_) return true;
  if (ops_in_flight_ == 0 && !handed_off_) {
    error_code ec;
    if (socket_) {
      socket_->close(ec);
      socket_.reset();
    }
    if (transport_) {
      transport_->Close();
      transport_.reset();
    }
  }
  return false;
}

}  // namespace tidelog::server
