// Blocking keep-alive HTTP/1.1 client, plain or over OpenSSL TLS (SNI, peer
// and host-name verification against the system store or a CA bundle).
#include "tools/client/kinesis_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

namespace tidelog::client {
namespace {

std::string OpenSslErrors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(code, line, sizeof(line));
    if (!text.empty()) text += "; ";
    text += line;
  }
  return text.empty() ? std::string(std::strerror(errno)) : text;
}

bool IsIpLiteral(const std::string& host) {
  unsigned char addr[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), addr) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), addr) == 1;
}

}  // namespace

struct KinesisClient::Tls {
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  ~Tls() {
    if (ssl != nullptr) SSL_free(ssl);
    if (ctx != nullptr) SSL_CTX_free(ctx);
  }
};

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t MonoMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::optional<std::string> ParseEndpointUrl(std::string_view url, Endpoint* out) {
  Endpoint e;
  std::string_view rest;
  if (url.starts_with("https://")) {
    e.tls = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return "endpoint URL must start with http:// or https://: " + std::string(url);
  }
  if (rest.ends_with("/")) rest.remove_suffix(1);
  if (rest.find_first_of("/?#@ ") != std::string_view::npos || rest.empty())
    return "endpoint URL must be scheme://host[:port]: " + std::string(url);
  std::string_view port_text;
  if (rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return "unclosed [ in endpoint URL: " + std::string(url);
    e.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "bad endpoint URL: " + std::string(url);
      port_text = rest.substr(1);
    }
  } else {
    const size_t colon = rest.find(':');
    e.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (e.host.empty()) return "endpoint URL has no host: " + std::string(url);
  e.port = e.tls ? 443 : 80;
  if (!port_text.empty() || rest.ends_with(":")) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535)
      return "bad port in endpoint URL: " + std::string(url);
    e.port = static_cast<uint16_t>(port);
  }
  *out = std::move(e);
  return std::nullopt;
}

AwsError DescribeFailure(const CallResult& result) {
  if (result.status == 0) return {"ConnectionError", result.error};
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view type, message;
  if (parser.parse(result.body).get(doc) == simdjson::SUCCESS &&
      doc["__type"].get(type) == simdjson::SUCCESS) {
    if (doc["message"].get(message) != simdjson::SUCCESS) {
      if (doc["Message"].get(message) != simdjson::SUCCESS) message = "";
    }
    const size_t hash = type.rfind('#');
    if (hash != std::string_view::npos) type.remove_prefix(hash + 1);
    return {std::string(type), std::string(message)};
  }
  return {"HTTP " + std::to_string(result.status), result.body};
}

KinesisClient::KinesisClient(std::string host, uint16_t port, server::Credential credential,
                             std::string region)
    : KinesisClient(Endpoint{false, std::move(host), port}, std::move(credential),
                    std::move(region), TlsOptions{}) {}

KinesisClient::KinesisClient(Endpoint endpoint, server::Credential credential, std::string region,
                             TlsOptions tls)
    : endpoint_(std::move(endpoint)),
      credential_(std::move(credential)),
      region_(std::move(region)),
      tls_options_(std::move(tls)) {}

KinesisClient::~KinesisClient() { Disconnect(); }

bool KinesisClient::Connect(std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* results = nullptr;
  std::string port = std::to_string(endpoint_.port);
  int rc = ::getaddrinfo(endpoint_.host.c_str(), port.c_str(), &hints, &results);
  if (rc != 0) {
    *error = "resolve " + endpoint_.host + ": " + gai_strerror(rc);
    return false;
  }
  for (addrinfo* a = results; a != nullptr; a = a->ai_next) {
    fd_ = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd_ < 0) continue;
    if (::connect(fd_, a->ai_addr, a->ai_addrlen) == 0) break;
    ::close(fd_);
    fd_ = -1;
  }
  ::freeaddrinfo(results);
  if (fd_ < 0) {
    *error = "connect " + endpoint_.host + ":" + port + ": " + std::strerror(errno);
    return false;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{60, 0};  // a call that takes longer than this counts as failed
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  buffer_.clear();
  if (endpoint_.tls && !StartTls(error)) {
    Disconnect();
    return false;
  }
  return true;
}

bool KinesisClient::StartTls(std::string* error) {
  auto tls = std::make_unique<Tls>();
  tls->ctx = SSL_CTX_new(TLS_client_method());
  if (tls->ctx == nullptr) {
    *error = "TLS: " + OpenSslErrors();
    return false;
  }
  SSL_CTX_set_min_proto_version(tls->ctx, TLS1_2_VERSION);
  if (tls_options_.verify_peer) {
    const bool loaded =
        tls_options_.ca_bundle.empty()
            ? SSL_CTX_set_default_verify_paths(tls->ctx) == 1
            : SSL_CTX_load_verify_locations(tls->ctx, tls_options_.ca_bundle.c_str(), nullptr) == 1;
    if (!loaded) {
      *error = "TLS: cannot load CA certificates" +
               (tls_options_.ca_bundle.empty() ? "" : " from " + tls_options_.ca_bundle) + ": " +
               OpenSslErrors();
      return false;
    }
    SSL_CTX_set_verify(tls->ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(tls->ctx, SSL_VERIFY_NONE, nullptr);
  }
  tls->ssl = SSL_new(tls->ctx);
  if (tls->ssl == nullptr || SSL_set_fd(tls->ssl, fd_) != 1) {
    *error = "TLS: " + OpenSslErrors();
    return false;
  }
  const bool ip = IsIpLiteral(endpoint_.host);
  // SNI carries host names only (RFC 6066), never IP literals.
  if (!ip) SSL_set_tlsext_host_name(tls->ssl, endpoint_.host.c_str());
  if (tls_options_.verify_peer) {
    X509_VERIFY_PARAM* param = SSL_get0_param(tls->ssl);
    const int named = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, endpoint_.host.c_str())
                         : X509_VERIFY_PARAM_set1_host(param, endpoint_.host.c_str(), 0);
    if (named != 1) {
      *error = "TLS: cannot verify host " + endpoint_.host;
      return false;
    }
  }
  if (SSL_connect(tls->ssl) != 1) {
    const long verify = SSL_get_verify_result(tls->ssl);
    *error = "TLS handshake with " + endpoint_.host + " failed: " +
             (verify != X509_V_OK ? std::string("certificate verify failed: ") +
                                        X509_verify_cert_error_string(verify)
                                  : OpenSslErrors());
    return false;
  }
  tls_ = std::move(tls);
  return true;
}

void KinesisClient::Disconnect() {
  tls_.reset();  // no close_notify: the connection is dropped either way
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

bool KinesisClient::SendAll(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    if (tls_ != nullptr) {
      size_t n = 0;
      if (SSL_write_ex(tls_->ssl, bytes.data() + sent, bytes.size() - sent, &n) != 1) return false;
      sent += n;
      continue;
    }
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool KinesisClient::ReadResponse(CallResult* result) {
  size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill()) return false;
  }
  if (buffer_.compare(0, 9, "HTTP/1.1 ") != 0 || header_end < 12) return false;
  result->status = std::atoi(buffer_.c_str() + 9);
  size_t length = 0;
  bool close = false;
  size_t pos = buffer_.find("\r\n") + 2;
  while (pos < header_end) {
    size_t end = buffer_.find("\r\n", pos);
    std::string line = buffer_.substr(pos, end - pos);
    for (size_t i = 0; i < line.size() && line[i] != ':'; ++i)
      line[i] = static_cast<char>(std::tolower(line[i]));
    if (line.rfind("content-length:", 0) == 0)
      length = std::strtoull(line.c_str() + 15, nullptr, 10);
    if (line.rfind("connection:", 0) == 0 && line.find("close") != std::string::npos) close = true;
    pos = end + 2;
  }
  buffer_.erase(0, header_end + 4);
  while (buffer_.size() < length) {
    if (!Fill()) return false;
  }
  result->body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  if (close) Disconnect();
  return true;
}

bool KinesisClient::Fill() {
  char chunk[65536];
  if (tls_ != nullptr) {
    size_t n = 0;
    if (SSL_read_ex(tls_->ssl, chunk, sizeof(chunk), &n) != 1) return false;
    buffer_.append(chunk, n);
    return true;
  }
  for (;;) {
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }
}

bool KinesisClient::OpenStream(std::string_view operation, std::string body,
                               std::string* error_body) {
  std::string wire = Wire(operation, std::move(body));
  Disconnect();
  if (!Connect(error_body) || !SendAll(wire)) return false;
  size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill()) return false;
  }
  const bool ok = buffer_.compare(0, 12, "HTTP/1.1 200") == 0;
  std::string head = buffer_.substr(0, header_end);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  buffer_.erase(0, header_end + 4);
  if (!ok || head.find("transfer-encoding: chunked") == std::string::npos) {
    *error_body = head + "\n" + buffer_;
    return false;
  }
  return true;
}

void KinesisClient::ShutdownStream() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

bool KinesisClient::ReadStream(std::string* out) {
  size_t line_end;
  while ((line_end = buffer_.find("\r\n")) == std::string::npos) {
    if (!Fill()) return false;
  }
  const size_t size = std::strtoull(buffer_.c_str(), nullptr, 16);
  if (size == 0) return false;  // the last chunk
  while (buffer_.size() < line_end + 2 + size + 2) {
    if (!Fill()) return false;
  }
  out->append(buffer_, line_end + 2, size);
  buffer_.erase(0, line_end + 2 + size + 2);
  return true;
}

std::string KinesisClient::Wire(std::string_view operation, std::string body) {
  // The Host header names the port only when it is not the scheme's default.
  std::string host =
      endpoint_.host.find(':') != std::string::npos ? "[" + endpoint_.host + "]" : endpoint_.host;
  if (endpoint_.port != (endpoint_.tls ? 443 : 80)) host += ":" + std::to_string(endpoint_.port);
  server::HttpRequest request;
  request.method = "POST";
  request.target = "/";
  request.headers = {{"host", host},
                     {"content-type", "application/x-amz-json-1.1"},
                     {"x-amz-target", "Kinesis_20131202." + std::string(operation)}};
  request.body = std::move(body);
  server::SignRequestV4(&request, credential_, region_, "kinesis", NowMillis());
  std::string wire = "POST / HTTP/1.1\r\n";
  for (const auto& [name, value] : request.headers)
    wire.append(name).append(": ").append(value).append("\r\n");
  wire.append("content-length: ").append(std::to_string(request.body.size())).append("\r\n\r\n");
  wire.append(request.body);
  return wire;
}

CallResult KinesisClient::Call(std::string_view operation, std::string body) {
  const std::string wire = Wire(operation, std::move(body));

  CallResult result;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (fd_ < 0 && !Connect(&result.error)) return result;
    if (SendAll(wire) && ReadResponse(&result)) return result;
    result = CallResult{};
    result.error = std::string("connection lost: ") + std::strerror(errno);
    Disconnect();
  }
  return result;
}

}  // namespace tidelog::client
