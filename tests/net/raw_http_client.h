// A blocking HTTP/1.1 test client over a raw TCP socket, so tests control
// exactly which bytes go out (pipelining, partial bodies, bad requests).
// Every read is bounded by a receive timeout.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace tidelog::server::testing {

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  size_t chunks = 0;  // chunked responses: chunks received, the last one included
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class RawHttpClient {
 public:
  explicit RawHttpClient(uint16_t port, int timeout_ms = 5000) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawHttpClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawHttpClient(const RawHttpClient&) = delete;
  RawHttpClient& operator=(const RawHttpClient&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  static std::string Post(std::string_view body, std::string_view extra_headers = "") {
    std::string r = "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n";
    r.append(extra_headers);
    r.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
    r.append(body);
    return r;
  }

  // Reads one response (Content-Length framed or chunked). nullopt on EOF,
  // error or timeout.
  std::optional<RawResponse> ReadResponse() {
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    RawResponse response;
    std::string_view head(buffer_.data(), header_end);
    size_t line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    if (status_line.size() < 12) return std::nullopt;
    response.status = std::stoi(std::string(status_line.substr(9, 3)));
    size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string_view::npos) end = head.size();
      std::string_view line = head.substr(pos, end - pos);
      size_t colon = line.find(':');
      std::string name(line.substr(0, colon));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      response.headers[name] = std::string(value);
      pos = end + 2;
    }
    buffer_.erase(0, header_end + 4);
    if (response.Header("transfer-encoding") == "chunked") {
      // Chunks until the zero-length one; no trailers are expected.
      for (;;) {
        std::optional<std::string> size_line = ReadUntil("\r\n");
        if (!size_line) return std::nullopt;
        const size_t size = std::stoul(*size_line, nullptr, 16);
        while (buffer_.size() < size + 2) {
          if (!Fill()) return std::nullopt;
        }
        response.body.append(buffer_, 0, size);
        buffer_.erase(0, size + 2);
        ++response.chunks;
        if (size == 0) return response;
      }
    }
    size_t length = 0;
    if (response.headers.count("content-length")) {
      length = std::stoul(response.headers["content-length"]);
    }
    while (buffer_.size() < length) {
      if (!Fill()) return std::nullopt;
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  // Reads raw bytes until `marker` is buffered; returns and consumes them.
  std::optional<std::string> ReadUntil(std::string_view marker) {
    size_t at;
    while ((at = buffer_.find(marker)) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    std::string out = buffer_.substr(0, at + marker.size());
    buffer_.erase(0, at + marker.size());
    return out;
  }

  // True when the server closes the connection (EOF or reset) after
  // whatever bytes it still sends (discarded); false on timeout.
  bool DrainsToEof() {
    buffer_.clear();
    for (;;) {
      char chunk[4096];
      ssize_t n = Recv(chunk, sizeof(chunk));
      if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
      if (n < 0) return false;
    }
  }

  // True when the server has closed the connection (EOF or reset) with no
  // more bytes pending; false on timeout or data.
  bool ReadsEof() {
    if (!buffer_.empty()) return false;
    char c;
    ssize_t n = Recv(&c, 1);
    if (n == 0) return true;
    if (n < 0 && (errno == ECONNRESET)) return true;
    if (n > 0) buffer_.push_back(c);
    return false;
  }

 private:
  bool Fill() {
    char chunk[16384];
    ssize_t n = Recv(chunk, sizeof(chunk));
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  // recv() bounded by SO_RCVTIMEO; EINTR is retried.
  ssize_t Recv(char* out, size_t n) {
    ssize_t r;
    do {
      r = ::recv(fd_, out, n, 0);
    } while (r < 0 && errno == EINTR);
    return r;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

}  // namespace tidelog::server::testing
