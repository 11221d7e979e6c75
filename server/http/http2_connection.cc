// HTTP/2 connection I/O and lifecycle: reads feed nghttp2, its output is
// coalesced into one write at a time, responders hand responses back through
// the loop's mailbox, and drain, idle timeout, errors and close end it.
#include "server/http/http2_connection.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/write.hpp>
#include <utility>

namespace tidelog::server {

using boost::system::error_code;

namespace {

constexpr size_t kReadBufferBytes = 64 << 10;
// Output buffer capacity kept by a connection with nothing to write.
constexpr size_t kIdleWriteBufferBytes = 32 << 10;

// The responder given to the handler. Copies share one state; if every copy
// is dropped unused, the stream still gets an answer (500).
struct ResponderState {
  ResponderState(std::shared_ptr<Http2Connection> c, int32_t id)
      : conn(std::move(c)), stream_id(id) {}
  ~ResponderState() {
    if (!used.exchange(true)) conn->Complete(stream_id, HttpResponse{500, {}, {}});
  }
  std::shared_ptr<Http2Connection> conn;
  int32_t stream_id;
  std::atomic<bool> used{false};
};

}  // namespace

Http2Connection::Http2Connection(HttpServer::Loop* loop, Transport transport,
                                 std::string remote_address, std::string received)
    : loop_(loop),
      options_(loop->server->options_),
      transport_(std::move(transport)),
      remote_address_(std::move(remote_address)),
      received_(std::move(received)),
      read_buffer_(std::make_unique<uint8_t[]>(kReadBufferBytes)),
      last_activity_ms_(SteadyNowMillis()) {}

Http2Connection::~Http2Connection() { EndSession(); }

void Http2Connection::Start() {
  loop_->connections.insert(this);  // counted in open_connections_ when accepted
  if (!CreateSession()) {
    loop_->server->Log("HTTP/2 session setup failed for " + remote_address_);
    Close();
    return;
  }
  if (!received_.empty()) {
    Feed(reinterpret_cast<const uint8_t*>(received_.data()), received_.size());
    std::string().swap(received_);
  }
  // A connection handed over as the server drains: SETTINGS, then GOAWAY
  // with no stream accepted, so the client retries elsewhere.
  if (loop_->draining && Live()) SubmitGoaway();
  Flush();
  if (Live()) Read();
}

bool Http2Connection::Live() const { return !closed_ && !lingering_ && !session_failed_; }

void Http2Connection::Read() {
  if (closed_ || reading_) return;
  reading_ = true;
  ++ops_in_flight_;
  transport_->async_read_some(
      asio::buffer(read_buffer_.get(), kReadBufferBytes),
      [self = shared_from_this()](error_code ec, size_t bytes) { self->OnRead(ec, bytes); });
}

void Http2Connection::OnRead(error_code ec, size_t bytes) {
  reading_ = false;
  if (!OperationDone()) return;
  if (ec) {
    // EOF or reset (also the end of a linger): HTTP/2 has no half-closed
    // connection to answer, so the client is gone.
    Close();
    return;
  }
  if (Live()) {
    Feed(read_buffer_.get(), bytes);
    Flush();  // also sends what the input asked for at once (SETTINGS and PING acks)
  }
  if (closed_) return;
  // While lingering input is discarded until EOF; a session done with
  // reading (GOAWAY exchanged, nothing open) closes once Flush() finishes.
  if (lingering_ || (Live() && nghttp2_session_want_read(session_) != 0)) Read();
}

void Http2Connection::Feed(const uint8_t* data, size_t length) {
  const ssize_t rv = nghttp2_session_mem_recv(session_, data, length);
  if (rv >= 0) return;
  // A fatal error (bad preface, flood, out of memory): the session may not be
  // used again. Recoverable protocol errors never get here; nghttp2 queues
  // GOAWAY for them itself and stops wanting to read.
  session_failed_ = true;
  close_deadline_ms_ = SteadyNowMillis() + options_.linger_timeout_ms;
}

void Http2Connection::Flush() {
  if (closed_ || lingering_ || write_in_flight_) return;
  while (!session_failed_ && out_.size() < kWriteBatchBytes) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      session_failed_ = true;  // fatal only; what out_ holds is still sent
      break;
    }
    if (n == 0) break;
    out_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  if (out_.empty()) {
    if (writing_.capacity() > kIdleWriteBufferBytes) std::string().swap(writing_);
    if (out_.capacity() > kIdleWriteBufferBytes) std::string().swap(out_);
    // Nothing left to send: nghttp2 is done with a connection that has
    // exchanged GOAWAY with no stream open, or that failed.
    if (session_failed_ || nghttp2_session_want_read(session_) == 0) StartLinger();
    return;
  }
  writing_.swap(out_);
  out_.clear();
  write_in_flight_ = true;
  ++ops_in_flight_;
  asio::async_write(*transport_, asio::buffer(writing_),
                    [self = shared_from_this()](error_code ec, size_t) { self->OnWritten(ec); });
}

void Http2Connection::OnWritten(error_code ec) {
  write_in_flight_ = false;
  if (!OperationDone()) return;
  if (ec) {
    Close();
    return;
  }
  writing_.clear();
  Flush();
}

void Http2Connection::SubmitGoaway() {
  if (goaway_submitted_) return;
  goaway_submitted_ = true;
  // Streams up to the last one processed are still answered; later ones are
  // refused by nghttp2 and the client may retry them elsewhere.
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
}

void Http2Connection::StartLinger() {
  if (closed_ || lingering_) return;
  lingering_ = true;
  close_deadline_ms_ = SteadyNowMillis() + options_.linger_timeout_ms;
  EndSession();
  // Unread input at close() would make the kernel send RST, which can
  // destroy output the client has not read yet: half-close, then discard
  // (a read in progress continues, its handler sees lingering_).
  transport_->Shutdown(asio::socket_base::shutdown_send);
  Read();
}

void Http2Connection::EndSession() {
  for (auto& [id, s] : streams_) {
    if (s->stream && !s->stream_done) s->stream->Cancel();
  }
  streams_.clear();
  if (session_ != nullptr) {
    nghttp2_session_del(session_);  // runs no callbacks
    session_ = nullptr;
  }
  std::string().swap(out_);
}

void Http2Connection::BeginDrain() {
  if (!Live()) return;  // already going away
  SubmitGoaway();
  Flush();
}

void Http2Connection::OnTick(int64_t now_ms) {
  if (closed_) return;
  if (close_deadline_ms_ && now_ms >= *close_deadline_ms_) {
    Close();  // a linger, or a GOAWAY the client does not read
    return;
  }
  if (!Live() || close_deadline_ms_ || write_in_flight_ ||
      now_ms - last_activity_ms_ < options_.idle_timeout_ms) {
    return;
  }
  // Idle: nothing for the handler or the client to finish. Streams whose
  // request is still coming count as idle once their DATA stops (a stalled
  // upload), as on HTTP/1.1; they end with the connection.
  const bool busy = std::any_of(streams_.begin(), streams_.end(), [](const auto& entry) {
    return entry.second->dispatched || entry.second->responded;
  });
  if (!busy) {
    SubmitGoaway();
    close_deadline_ms_ = now_ms + options_.linger_timeout_ms;
    Flush();
  }
}

void Http2Connection::Close() {
  if (closed_) return;
  closed_ = true;
  EndSession();
  // shutdown() ends any read or write in progress (never cancel; see
  // http_loop.h). Their buffers are members, alive until their handlers,
  // which hold references, have run; the last of them closes the transport.
  transport_->Shutdown(asio::socket_base::shutdown_both);
  if (ops_in_flight_ == 0) CloseTransport();
  loop_->connections.erase(this);
  loop_->server->OnConnectionCountChanged();
}

bool Http2Connection::OperationDone() {
  --ops_in_flight_;
  if (!closed_) return true;
  if (ops_in_flight_ == 0) CloseTransport();
  return false;
}

void Http2Connection::CloseTransport() {
  transport_->Close();
  transport_.reset();
}

Responder Http2Connection::MakeResponder(int32_t stream_id) {
  auto state = std::make_shared<ResponderState>(shared_from_this(), stream_id);
  return [state](HttpResponse response) {
    if (state->used.exchange(true)) return;
    state->conn->Complete(state->stream_id, std::move(response));
  };
}

void Http2Connection::Complete(int32_t stream_id, HttpResponse response) {
  auto shared = std::make_shared<HttpResponse>(std::move(response));
  loop_->mailbox.Post([self = shared_from_this(), stream_id, shared] {
    self->OnComplete(stream_id, std::move(*shared));
  });
}

void Http2Connection::OnComplete(int32_t stream_id, HttpResponse response) {
  if (auto held = held_by_handler_.find(stream_id); held != held_by_handler_.end()) {
    // A stream the client closed: the handler is done with its body now.
    if (Live()) {
      nghttp2_session_consume_connection(session_, held->second);
      Flush();
    }
    held_by_handler_.erase(held);
  }
  Stream* s = Live() ? FindStream(stream_id) : nullptr;
  if (s == nullptr || !s->dispatched || s->responded) {
    // Reset by the client, or the connection is gone: dropped.
    if (response.stream) response.stream->Cancel();
    return;
  }
  ReleaseBody(*s);  // the handler is done with the request body
  SubmitResponse(*s, std::move(response));
  Flush();
}

void Http2Connection::OnStreamWake(int32_t stream_id) {
  if (!Live()) return;
  Stream* s = FindStream(stream_id);
  if (s == nullptr || !s->deferred) return;  // a stale wake: the data was already taken
  s->deferred = false;
  nghttp2_session_resume_data(session_, stream_id);
  Flush();
}

}  // namespace tidelog::server
