// Blocking keep-alive HTTP/1.1 client for the load tool.
#include "bench/load/kinesis_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace tidelog::load {

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

KinesisClient::KinesisClient(std::string host, uint16_t port, server::Credential credential,
                             std::string region)
    : host_(std::move(host)),
      port_(port),
      credential_(std::move(credential)),
      region_(std::move(region)) {}

KinesisClient::~KinesisClient() { Disconnect(); }

bool KinesisClient::Connect(std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* results = nullptr;
  std::string port = std::to_string(port_);
  int rc = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &results);
  if (rc != 0) {
    *error = std::string("resolve: ") + gai_strerror(rc);
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
    *error = std::string("connect: ") + std::strerror(errno);
    return false;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{60, 0};  // a call that takes longer than this counts as failed
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  buffer_.clear();
  return true;
}

void KinesisClient::Disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

bool KinesisClient::SendAll(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
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
  server::HttpRequest request;
  request.method = "POST";
  request.target = "/";
  request.headers = {{"host", host_ + ":" + std::to_string(port_)},
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

}  // namespace tidelog::load
