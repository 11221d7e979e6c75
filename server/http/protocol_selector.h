// Internal to tidelog_http: the first moments of an accepted connection.
// Tells TLS from plain text (first byte), runs the TLS handshake, and tells
// HTTP/2 from HTTP/1.1 (ALPN, else the client's first bytes), then hands
// the transport to an Http2Connection or an HttpConnection.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "server/http/http_loop.h"
#include "server/http/transport.h"

namespace tidelog::server {

class ProtocolSelector : public LoopConnection,
                         public std::enable_shared_from_this<ProtocolSelector> {
 public:
  // `tls`: the TLS context, or nullptr (plain text only). `tls_only`: the
  // listener is a TLS one, so the first byte is not looked at.
  ProtocolSelector(HttpServer::Loop* loop, asio::ip::tcp::socket socket,
                   std::shared_ptr<asio::ssl::context> tls, bool tls_only);

  void Start();
  void BeginDrain() override;  // nothing in flight yet: closes
  void Close() override;
  void OnTick(int64_t now_ms) override;  // closes once the setup deadline passes

 private:
  void WaitForFirstByte();
  void OnReadable(boost::system::error_code ec);
  void Handshake();
  void ReadPreface();
  // HTTP/2 when the bytes received so far start the preface.
  void Decide();
  void HandOff(bool http2);
  bool OperationDone();

  HttpServer::Loop* const loop_;
  std::shared_ptr<asio::ssl::context> tls_;
  const bool tls_only_;
  std::optional<asio::ip::tcp::socket> socket_;  // until the transport is made
  std::optional<Transport> transport_;
  std::string remote_address_;
  std::string received_;
  char read_buffer_[1024];
  int64_t deadline_ms_;
  int ops_in_flight_ = 0;
  bool closed_ = false;
  bool handed_off_ = false;
};

}  // namespace tidelog::server
