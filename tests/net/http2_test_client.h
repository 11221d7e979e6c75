// HTTP/2 test helpers. H2Client, a blocking client: nghttp2's client session
// over a plain TCP socket (h2c with prior knowledge) or TLS with ALPN h2,
// driven by the test thread. Tests decide
// how bodies are cut into DATA frames, when uploads pause, when the receive
// window opens, and when streams are reset. Every wait is bounded.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "server/http/response_stream.h"

namespace tidelog::server::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

// One request stream as the client sees it.
struct H2Stream {
  int status = 0;             // the final one (a 100 Continue is replaced)
  std::vector<int> statuses;  // every head, interim ones included
  Headers headers;
  std::string body;
  bool closed = false;
  uint32_t close_error = 0;
  // Upload: sent from upload_offset, at most frame_bytes per DATA frame and
  // never past upload_limit (the data source defers there).
  std::string upload;
  size_t upload_offset = 0;
  size_t upload_limit = SIZE_MAX;
  size_t frame_bytes = 16384;
  bool upload_deferred = false;

  std::string Header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return "";
  }
};

struct H2ClientOptions {
  uint32_t initial_window = 65535;  // SETTINGS_INITIAL_WINDOW_SIZE sent to the server
  bool manual_window = false;       // no automatic WINDOW_UPDATE: the test calls Consume()
  int32_t connection_window = 0;    // > 0: the connection receive window (default 65535)
  bool tls = false;                 // TLS offering ALPN "h2" (the certificate is not checked)
};

// A plain socket for bytes nghttp2 would never send.
class RawSocket {
 public:
  explicit RawSocket(uint16_t port, int timeout_ms = 5000) {
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
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  int fd() const { return fd_; }
  bool connected() const { return connected_; }
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Reads until the server closes (true: EOF or reset) or the receive
  // timeout passes (false). What was read is appended to *out.
  bool ReadToEof(std::string* out = nullptr) {
    char chunk[16384];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n == 0) return true;
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno == ECONNRESET;
      }
      if (out != nullptr) out->append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

class H2Client {
 public:
  explicit H2Client(uint16_t port, H2ClientOptions options = {})
      : socket_(port), authority_("127.0.0.1:" + std::to_string(port)) {
    if (!socket_.connected()) return;
    int one = 1;
    ::setsockopt(socket_.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (options.tls && !StartTls()) return;
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, &OnHeader);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &OnFrameRecv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &OnData);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &OnStreamClose);
    nghttp2_option* option = nullptr;
    nghttp2_option_new(&option);
    if (options.manual_window) nghttp2_option_set_no_auto_window_update(option, 1);
    nghttp2_session_client_new2(&session_, callbacks, this, option);
    nghttp2_option_del(option);
    nghttp2_session_callbacks_del(callbacks);
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options.initial_window},
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
    };
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2);
    if (options.connection_window > 0) {
      nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                            options.connection_window);
    }
    // The server's SETTINGS first, so its stream limit is known before
    // anything is submitted.
    ready_ = PumpUntil([this] { return settings_received_; });
  }
  ~H2Client() {
    if (session_ != nullptr) nghttp2_session_del(session_);
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ssl_ctx_ != nullptr) SSL_CTX_free(ssl_ctx_);
  }
  H2Client(const H2Client&) = delete;
  H2Client& operator=(const H2Client&) = delete;

  bool ready() const { return ready_; }
  std::string alpn() const {
    if (ssl_ == nullptr) return "";
    const unsigned char* data = nullptr;
    unsigned int size = 0;
    SSL_get0_alpn_selected(ssl_, &data, &size);
    return std::string(reinterpret_cast<const char*>(data), size);
  }
  nghttp2_session* session() { return session_; }

  // Queues a request; nothing is sent until Pump(). Returns the stream id.
  int32_t Submit(const std::string& method, const std::string& path, const Headers& headers = {},
                 std::optional<std::string> body = std::nullopt, size_t frame_bytes = 16384,
                 size_t upload_limit = SIZE_MAX) {
    std::vector<nghttp2_nv> nva;
    auto add = [&nva](const std::string& name, const std::string& value) {
      nva.push_back({const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(name.data())),
                     const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(value.data())),
                     name.size(), value.size(), NGHTTP2_NV_FLAG_NONE});
    };
    static const std::string kMethod = ":method", kScheme = ":scheme", kHttp = "http",
                             kAuthority = ":authority", kPath = ":path";
    add(kMethod, method);
    add(kScheme, kHttp);
    add(kAuthority, authority_);
    add(kPath, path);
    for (const auto& [name, value] : headers) add(name, value);
    auto stream = std::make_unique<H2Stream>();
    nghttp2_data_provider provider{};
    if (body) {
      stream->upload = std::move(*body);
      stream->frame_bytes = frame_bytes;
      stream->upload_limit = upload_limit;
      provider.source.ptr = stream.get();
      provider.read_callback = &ReadUpload;
    }
    const int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                              body ? &provider : nullptr, nullptr);
    if (id > 0) streams_[id] = std::move(stream);
    return id;
  }

  H2Stream& stream(int32_t id) {
    auto& s = streams_[id];
    if (!s) s = std::make_unique<H2Stream>();
    return *s;
  }
  bool Done(int32_t id) { return stream(id).closed; }

  void Ping() { nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr); }
  void Reset(int32_t id, uint32_t code = NGHTTP2_CANCEL) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, code);
  }
  // Lets the upload of `id` go on up to `limit` bytes.
  void AllowUpload(int32_t id, size_t limit) {
    H2Stream& s = stream(id);
    s.upload_limit = limit;
    if (s.upload_deferred) {
      s.upload_deferred = false;
      nghttp2_session_resume_data(session_, id);
    }
  }
  // manual_window: opens the stream and connection windows by `bytes`.
  void Consume(int32_t id, size_t bytes) { nghttp2_session_consume(session_, id, bytes); }

  // Sends what is queued, waits up to `wait_ms` for input and processes it.
  // False once the connection is over (EOF, error, or nghttp2 is done).
  bool Pump(int wait_ms = 20) {
    if (!SendPending()) return false;
    if (ssl_ == nullptr || SSL_pending(ssl_) == 0) {
      pollfd p{socket_.fd(), POLLIN, 0};
      const int ready = ::poll(&p, 1, wait_ms);
      if (ready < 0) return errno == EINTR;
      if (ready == 0) return true;
    }
    char buffer[65536];
    const ssize_t n = Receive(buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) return true;
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    if (nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(buffer),
                                 static_cast<size_t>(n)) < 0) {
      failed_ = true;
      return false;
    }
    return SendPending();
  }
  // Pumps until `done()` holds or `timeout` passes; the final done().
  bool PumpUntil(const std::function<bool()>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      if (!Pump()) break;
    }
    return done();
  }
  // Pumps until the server closes the connection.
  bool PumpUntilEof(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    return PumpUntil([this] { return eof_; }, timeout);
  }

  bool eof() const { return eof_; }
  bool failed() const { return failed_; }
  bool goaway() const { return goaway_; }
  int32_t goaway_last_stream_id() const { return goaway_last_stream_id_; }
  uint32_t goaway_error() const { return goaway_error_; }
  int ping_acks() const { return ping_acks_; }

 private:
  static H2Client* Self(void* user_data) { return static_cast<H2Client*>(user_data); }

  bool StartTls() {
    ssl_ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ssl_ctx_, TLS1_2_VERSION);
    SSL_CTX_set_verify(ssl_ctx_, SSL_VERIFY_NONE, nullptr);
    ssl_ = SSL_new(ssl_ctx_);
    SSL_set_fd(ssl_, socket_.fd());
    static const unsigned char kH2[] = "\x02h2";
    SSL_set_alpn_protos(ssl_, kH2, 3);
    if (SSL_connect(ssl_) == 1) return true;
    ERR_clear_error();
    return false;
  }
  bool SendBytes(std::string_view bytes) {
    if (ssl_ == nullptr) return socket_.Send(bytes);
    return SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) ==
           static_cast<int>(bytes.size());
  }
  ssize_t Receive(char* buffer, size_t size) {
    if (ssl_ == nullptr) return ::recv(socket_.fd(), buffer, size, 0);
    const int n = SSL_read(ssl_, buffer, static_cast<int>(size));
    if (n <= 0) ERR_clear_error();
    return n;
  }

  bool SendPending() {
    for (;;) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        failed_ = true;
        return false;
      }
      if (n == 0) return true;
      if (!SendBytes({reinterpret_cast<const char*>(data), static_cast<size_t>(n)})) {
        return false;
      }
    }
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void* user_data) {
    H2Client* c = Self(user_data);
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    H2Stream& s = c->stream(frame->hd.stream_id);
    std::string n(reinterpret_cast<const char*>(name), name_length);
    std::string v(reinterpret_cast<const char*>(value), value_length);
    if (n == ":status") {
      s.status = std::stoi(v);
      s.statuses.push_back(s.status);
      s.headers.clear();  // a 1xx head is replaced by the final one
    } else {
      s.headers.emplace_back(std::move(n), std::move(v));
    }
    return 0;
  }

  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    H2Client* c = Self(user_data);
    switch (frame->hd.type) {
      case NGHTTP2_SETTINGS:
        if ((frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) c->settings_received_ = true;
        break;
      case NGHTTP2_PING:
        if ((frame->hd.flags & NGHTTP2_FLAG_ACK) != 0) ++c->ping_acks_;
        break;
      case NGHTTP2_GOAWAY:
        c->goaway_ = true;
        c->goaway_last_stream_id_ = frame->goaway.last_stream_id;
        c->goaway_error_ = frame->goaway.error_code;
        break;
      default:
        break;
    }
    return 0;
  }

  static int OnData(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                    size_t length, void* user_data) {
    Self(user_data)->stream(stream_id).body.append(reinterpret_cast<const char*>(data), length);
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                           void* user_data) {
    H2Stream& s = Self(user_data)->stream(stream_id);
    s.closed = true;
    s.close_error = error_code;
    return 0;
  }

  static ssize_t ReadUpload(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                            nghttp2_data_source* source, void*) {
    H2Stream* s = static_cast<H2Stream*>(source->ptr);
    const size_t left = s->upload.size() - s->upload_offset;
    const size_t allowed =
        s->upload_limit > s->upload_offset ? s->upload_limit - s->upload_offset : 0;
    const size_t n = std::min({left, allowed, s->frame_bytes, length});
    if (n == 0 && left > 0) {
      s->upload_deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    std::memcpy(buf, s->upload.data() + s->upload_offset, n);
    s->upload_offset += n;
    if (s->upload_offset == s->upload.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  RawSocket socket_;
  SSL_CTX* ssl_ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  const std::string authority_;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::unique_ptr<H2Stream>> streams_;
  bool ready_ = false;
  bool settings_received_ = false;
  bool eof_ = false;
  bool failed_ = false;
  bool goaway_ = false;
  int32_t goaway_last_stream_id_ = -1;
  uint32_t goaway_error_ = 0;
  int ping_acks_ = 0;
};

// `size` bytes of a-z, starting `seed` letters in.
inline std::string Pattern(size_t size, size_t seed = 0) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return s;
}

// Whether raw server output (frames after the server's preface) has a GOAWAY.
inline bool HasGoaway(std::string_view bytes) {
  while (bytes.size() >= 9) {
    const size_t length = (static_cast<size_t>(static_cast<uint8_t>(bytes[0])) << 16) |
                          (static_cast<size_t>(static_cast<uint8_t>(bytes[1])) << 8) |
                          static_cast<uint8_t>(bytes[2]);
    if (bytes[3] == NGHTTP2_GOAWAY) return true;
    if (bytes.size() < 9 + length) return false;
    bytes.remove_prefix(9 + length);
  }
  return false;
}

// A producer that writes `total` bytes of Pattern() in `chunk`-sized pieces,
// only while the stream is writable(), waiting for OnWritable otherwise.
class Producer {
 public:
  Producer(std::shared_ptr<ResponseStream> stream, size_t total, size_t chunk)
      : stream_(std::move(stream)), expected_(Pattern(total)), chunk_(chunk) {
    stream_->OnWritable([this] {
      std::lock_guard<std::mutex> lock(mu_);
      ++wakeups_;
      cv_.notify_all();
    });
  }
  ~Producer() {
    stream_->Cancel();  // ends a run a failed test left waiting
    Join();
    stream_->OnWritable({});
  }
  void Start() {
    thread_ = std::thread([this] { Run(); });
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  const std::string& expected() const { return expected_; }
  size_t written() const { return written_.load(); }
  int blocked() const { return blocked_.load(); }
  bool timed_out() const { return timed_out_.load(); }
  int wakeups() {
    std::lock_guard<std::mutex> lock(mu_);
    return wakeups_;
  }

 private:
  void Run() {
    size_t offset = 0;
    while (offset < expected_.size() && !stream_->cancelled()) {
      if (!stream_->writable()) {
        blocked_.fetch_add(1);
        std::unique_lock<std::mutex> lock(mu_);
        if (!cv_.wait_for(lock, std::chrono::seconds(5),
                          [&] { return stream_->writable() || stream_->cancelled(); })) {
          timed_out_ = true;
          return;
        }
        continue;
      }
      const size_t n = std::min(chunk_, expected_.size() - offset);
      written_.fetch_add(n);  // before: the client may see the bytes at once
      if (!stream_->Write(expected_.substr(offset, n))) return;
      offset += n;
    }
    stream_->Finish();
  }

  std::shared_ptr<ResponseStream> stream_;
  const std::string expected_;
  const size_t chunk_;
  std::thread thread_;
  std::atomic<size_t> written_{0};
  std::atomic<int> blocked_{0};
  std::atomic<bool> timed_out_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  int wakeups_ = 0;
};

}  // namespace tidelog::server::testing
