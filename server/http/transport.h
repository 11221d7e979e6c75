// Transport: the byte stream under one connection, a TCP socket or TLS over
// one. HttpConnection (through Beast) and Http2Connection read and write it
// without knowing which; only the connection setup (ProtocolSelector) does.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

namespace tidelog::server {

namespace asio = boost::asio;

// An Asio AsyncReadStream and AsyncWriteStream. Loop thread only, like the
// socket it owns (see http_loop.h). Pending operations are ended with
// Shutdown(), never cancelled; the owner calls Close() once the last
// handler has run.
class Transport {
 public:
  using executor_type = asio::ip::tcp::socket::executor_type;

  explicit Transport(asio::ip::tcp::socket socket) : plain_(std::move(socket)) {}
  // TLS server side; `context` (certificate, ALPN) is kept alive by the
  // transport, so a reload may replace the server's context meanwhile.
  Transport(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> context)
      : context_(std::move(context)) {
    tls_.emplace(std::move(socket), *context_);
  }

  Transport(Transport&&) = default;
  Transport& operator=(Transport&&) = delete;

  bool is_tls() const { return tls_.has_value(); }
  asio::ip::tcp::socket& socket() { return tls_ ? tls_->next_layer() : *plain_; }
  executor_type get_executor() { return socket().get_executor(); }

  template <typename MutableBuffers, typename Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      plain_->async_read_some(buffers, std::forward<Handler>(handler));
    }
  }
  template <typename ConstBuffers, typename Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_write_some(buffers, std::forward<Handler>(handler));
    } else {
      plain_->async_write_some(buffers, std::forward<Handler>(handler));
    }
  }
  // TLS only: the server handshake.
  template <typename Handler>
  void async_handshake(Handler&& handler) {
    tls_->async_handshake(asio::ssl::stream_base::server, std::forward<Handler>(handler));
  }
  // The protocol the client and server agreed on by ALPN ("h2",
  // "http/1.1"), or empty (plain TCP, or a client that offered none).
  std::string_view alpn() const {
    if (!tls_) return {};
    const unsigned char* data = nullptr;
    unsigned int size = 0;
    SSL_get0_alpn_selected(const_cast<Transport*>(this)->tls_->native_handle(), &data, &size);
    return {reinterpret_cast<const char*>(data), size};
  }

  // Ends every pending read and write (their handlers run with an error).
  // TLS: no close_notify is sent; HTTP's own framing marks message ends.
  void Shutdown(asio::socket_base::shutdown_type what) {
    boost::system::error_code ec;
    socket().shutdown(what, ec);
  }
  void Close() {
    boost::system::error_code ec;
    socket().close(ec);
  }

 private:
  std::shared_ptr<asio::ssl::context> context_;
  std::optional<asio::ip::tcp::socket> plain_;
  std::optional<asio::ssl::stream<asio::ip::tcp::socket>> tls_;
};

}  // namespace tidelog::server
