// HTTP/1.1 connection: request parsing with Beast, in-order responses
// (streaming ones in http_connection_stream.cc).
#include "server/http/http_connection.h"

#include <algorithm>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <cstring>

#include "server/http/http_date.h"
#include "server/http/request_id.h"

namespace tidelog::server {

namespace http = boost::beast::http;
using boost::system::error_code;

namespace {

constexpr size_t kDiscardBufferBytes = 16 << 10;
// Most read-buffer room reserved for a body.
constexpr size_t kMaxBodyReserveBytes = 1 << 20;
// Read-buffer room kept by a connection between requests; more is given back.
constexpr size_t kIdleReadBufferBytes = 16 << 10;
// A request the handler answered from its head alone whose body is at most
// this is still read (and dropped) to keep the connection; a larger one is
// never read and the connection closes.
constexpr size_t kReadEarlyAnsweredBodyBytes = 64 << 10;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return boost::beast::iequals(a, b);
}

// The responder given to the handler. Copies share one state; if every copy
// is dropped unused, the request still gets an answer (500) so the
// connection's response order is never stuck.
struct ResponderState {
  ResponderState(std::shared_ptr<HttpConnection> c, uint64_t s) : conn(std::move(c)), seq(s) {}
  ~ResponderState() {
    if (!used.exchange(true)) conn->Complete(seq, HttpResponse{500, {}, {}});
  }
  std::shared_ptr<HttpConnection> conn;
  uint64_t seq;
  std::atomic<bool> used{false};
};

}  // namespace

HttpConnection::HttpConnection(HttpServer::Loop* loop, Transport transport,
                               std::string remote_address, std::string received)
    : loop_(loop),
      options_(loop->server->options_),
      transport_(std::move(transport)),
      remote_address_(std::move(remote_address)),
      last_activity_ms_(SteadyNowMillis()) {
  if (!received.empty()) {
    auto room = read_buffer_.prepare(received.size());
    std::memcpy(room.data(), received.data(), received.size());
    read_buffer_.commit(received.size());
  }
}

void HttpConnection::Start() {
  loop_->connections.insert(this);  // counted in open_connections_ when accepted
  if (loop_->draining) {
    Close();
    return;
  }
  ReadHeader();
}

void HttpConnection::ReadHeader() {
  if (closed_ || stop_reading_ || read_state_ != ReadState::kIdle) return;
  if (slots_.size() >= options_.max_pipelined_requests) {
    paused_ = true;
    return;
  }
  paused_ = false;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(options_.max_header_bytes));
  parser_->body_limit(static_cast<uint64_t>(options_.max_body_bytes));
  read_state_ = ReadState::kHeader;
  ++ops_in_flight_;
  http::async_read_header(
      *transport_, read_buffer_, *parser_,
      [self = shared_from_this()](error_code ec, size_t) { self->OnHeader(ec); });
}

void HttpConnection::OnHeader(error_code ec) {
  read_state_ = ReadState::kIdle;
  if (!OperationDone()) return;
  if (lingering_) {
    ReadAndDiscard();
    return;
  }
  if (stop_reading_) {
    // A header read BeginDrain() abandoned (no read starts once stop_reading_
    // is set): shutdown(SHUT_RD) still lets queued bytes through, but a
    // request that arrives after the drain began is not taken; the client
    // was or will be told Connection: close and sends it again elsewhere.
    Pump();
    return;
  }
  if (ec) {
    OnReadError(ec);
    return;
  }
  last_activity_ms_ = SteadyNowMillis();
  auto length = parser_->content_length();
  if (length && *length > options_.max_body_bytes) {
    EnqueueErrorAndClose(413);
    return;
  }

  const auto& message = parser_->get();
  HttpRequest& request = request_.emplace();
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.headers.reserve(16);
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  request.remote_address = remote_address_;

  const bool expects_continue =
      EqualsIgnoreCase(message[http::field::expect], "100-continue") && message.version() >= 11;
  if (auto answer = loop_->server->handler_->CheckHead(request)) {
    const bool small_body = length && *length <= kReadEarlyAnsweredBodyBytes;
    if (!parser_->is_done() && (expects_continue || !small_body)) {
      // Never read: a client waiting for 100 Continue sends no body after a
      // final answer, and a large one is not worth receiving.
      const bool is_head = request.method == "HEAD";
      request_.reset();
      EnqueueResponseAndClose(std::move(*answer), is_head);
      return;
    }
    early_response_ = std::move(*answer);
  }
  if (parser_->is_done()) {
    Dispatch();
    return;
  }
  AdmitBody();
}

void HttpConnection::AdmitBody() {
  const size_t need = static_cast<size_t>(
      parser_->content_length().value_or(static_cast<uint64_t>(options_.max_body_bytes)));
  if (TryTakeBodyBudget(need)) {
    ContinueBody();
    return;
  }
  if (read_state_ != ReadState::kAwaitBudget) {
    read_state_ = ReadState::kAwaitBudget;
    loop_->server->awaiting_body_budget_.fetch_add(1);
  }
}

void HttpConnection::EndAwaitBudget(ReadState next) {
  if (read_state_ != ReadState::kAwaitBudget) return;
  read_state_ = next;
  loop_->server->awaiting_body_budget_.fetch_sub(1);
}

bool HttpConnection::TryTakeBodyBudget(size_t bytes) {
  // One connection alone may always have a body of max_body_bytes in flight.
  const size_t connection_limit =
      std::max(options_.max_connection_body_bytes, options_.max_body_bytes);
  if (inflight_body_ > 0 && inflight_body_ + bytes > connection_limit) {
    return false;  // retried as this connection's responses arrive
  }
  auto& waiters = loop_->body_waiters;
  const bool first_in_line = waiters.empty() || waiters.front().get() == this;
  if (!first_in_line || loop_->body_budget < bytes) {
    if (!awaiting_budget_queue_) {
      awaiting_budget_queue_ = true;
      waiters.push_back(shared_from_this());
    }
    return false;
  }
  if (awaiting_budget_queue_) {
    awaiting_budget_queue_ = false;
    waiters.pop_front();
  }
  loop_->body_budget -= bytes;
  body_charge_ = bytes;
  inflight_body_ += bytes;
  return true;
}

void HttpConnection::ReleaseBodyBudget(size_t bytes) {
  if (bytes == 0) return;
  inflight_body_ -= bytes;
  loop_->body_budget += bytes;
  auto& waiters = loop_->body_waiters;
  while (!waiters.empty()) {
    std::shared_ptr<HttpConnection> next = waiters.front();
    if (next->closed_ || next->read_state_ != ReadState::kAwaitBudget) {
      next->awaiting_budget_queue_ = false;
      waiters.pop_front();
      continue;
    }
    const size_t need = static_cast<size_t>(
        next->parser_->content_length().value_or(static_cast<uint64_t>(options_.max_body_bytes)));
    if (!next->TryTakeBodyBudget(need)) break;
    next->ContinueBody();
  }
  if (!closed_ && read_state_ == ReadState::kAwaitBudget && !awaiting_budget_queue_) AdmitBody();
}

void HttpConnection::ContinueBody() {
  EndAwaitBudget(ReadState::kIdle);
  auto expect = parser_->get()[http::field::expect];
  if (EqualsIgnoreCase(expect, "100-continue") && parser_->get().version() >= 11) {
    // The interim answer must not interleave with earlier responses.
    read_state_ = ReadState::kAwaitContinue;
    Pump();
    return;
  }
  ReadBody();
}

void HttpConnection::WriteContinueThenReadBody() {
  writing_ = true;
  ++ops_in_flight_;
  asio::async_write(*transport_, asio::buffer(kContinue.data(), kContinue.size()),
                    [self = shared_from_this()](error_code ec, size_t) {
                      self->writing_ = false;
                      if (!self->OperationDone()) return;
                      if (ec) {
                        self->Close();
                        return;
                      }
                      self->ReadBody();
                    });
}

void HttpConnection::ReadBody() {
  read_state_ = ReadState::kBody;
  // Beast reads max(512, free capacity) bytes at a time: without room for the
  // body a 100 KB PutRecords took ~180 receives. Capped, since the header
  // alone asks for it; Dispatch() gives large buffers back.
  if (auto length = parser_->content_length()) {
    read_buffer_.reserve(read_buffer_.size() +
                         std::min(static_cast<size_t>(*length), kMaxBodyReserveBytes));
  }
  ++ops_in_flight_;
  http::async_read(*transport_, read_buffer_, *parser_,
                   [self = shared_from_this()](error_code ec, size_t) { self->OnBody(ec); });
}

void HttpConnection::OnBody(error_code ec) {
  read_state_ = ReadState::kIdle;
  if (!OperationDone()) return;
  if (lingering_) {
    ReadAndDiscard();
    return;
  }
  if (ec) {
    OnReadError(ec);
    return;
  }
  last_activity_ms_ = SteadyNowMillis();
  Dispatch();
}

void HttpConnection::OnReadError(error_code ec) {
  if (ec == http::error::body_limit) {
    EnqueueErrorAndClose(413);
  } else if (ec == http::error::header_limit) {
    EnqueueErrorAndClose(431);
  } else if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
             ec != http::error::end_of_stream && ec != http::error::partial_message) {
    EnqueueErrorAndClose(400);  // malformed request
  } else {
    // EOF (also after a drain's shutdown) or reset: no more requests. Answer the ones
    // in flight, then close.
    stop_reading_ = true;
    Pump();
  }
}

void HttpConnection::EnqueueErrorAndClose(int status) {
  HttpResponse response;
  response.status = status;
  EnqueueResponseAndClose(std::move(response));
}

void HttpConnection::EnqueueResponseAndClose(HttpResponse response, bool is_head) {
  stop_reading_ = true;
  // A body being read (or waited for) is dropped unread.
  ReleaseBodyBudget(std::exchange(body_charge_, 0));
  Slot slot;
  slot.ready = true;
  slot.keep_alive = false;
  slot.close_after = true;
  slot.is_head = is_head;
  slot.response = std::move(response);
  slots_.push_back(std::move(slot));
  Pump();
}

void HttpConnection::Dispatch() {
  auto message = parser_->release();
  parser_.reset();
  if (read_buffer_.capacity() > kIdleReadBufferBytes) read_buffer_.shrink_to_fit();
  HttpRequest request = std::move(*request_);
  request_.reset();
  request.body = std::move(message.body());

  Slot slot;
  slot.keep_alive = message.keep_alive();
  slot.is_head = request.method == "HEAD";
  if (!slot.keep_alive) stop_reading_ = true;
  // The slot holds the budget of the body it hands on (a chunked body may
  // have come in under its charge) until its response arrives.
  const size_t charge = std::exchange(body_charge_, 0);
  slot.body_bytes = early_response_ ? 0 : std::min(charge, request.body.size());
  const uint64_t seq = first_seq_ + slots_.size();
  if (early_response_) {
    slot.ready = true;
    slot.response = std::move(*early_response_);
    early_response_.reset();
    slots_.push_back(std::move(slot));
    ReleaseBodyBudget(charge);
    Pump();
  } else {
    const size_t unused = charge - slot.body_bytes;
    slots_.push_back(std::move(slot));
    ReleaseBodyBudget(unused);
    loop_->server->handler_->Handle(std::move(request), MakeResponder(seq));
  }
  ReadHeader();
}

Responder HttpConnection::MakeResponder(uint64_t seq) {
  auto state = std::make_shared<ResponderState>(shared_from_this(), seq);
  return [state](HttpResponse response) {
    if (state->used.exchange(true)) return;
    state->conn->Complete(state->seq, std::move(response));
  };
}

void HttpConnection::Complete(uint64_t seq, HttpResponse response) {
  auto shared = std::make_shared<HttpResponse>(std::move(response));
  loop_->mailbox.Post(
      [self = shared_from_this(), seq, shared] { self->OnComplete(seq, std::move(*shared)); });
}

void HttpConnection::OnComplete(uint64_t seq, HttpResponse response) {
  if (seq < first_seq_ || seq - first_seq_ >= slots_.size()) {
    if (response.stream) response.stream->Cancel();
    return;
  }
  Slot& slot = slots_[seq - first_seq_];
  // The handler is done with the body: its budget is free again, even if the
  // connection closed meanwhile (the handler held the body until now).
  ReleaseBodyBudget(std::exchange(slot.body_bytes, 0));
  if (closed_) {
    if (response.stream) response.stream->Cancel();
    return;
  }
  slot.response = std::move(response);
  slot.ready = true;
  Pump();
}

std::string HttpConnection::SerializeHead(Slot& slot, bool close) {
  const HttpResponse& r = slot.response;
  std::string head;
  head.reserve(256);
  head.append("HTTP/1.1 ").append(std::to_string(r.status)).push_back(' ');
  std::string_view reason = http::obsolete_reason(static_cast<http::status>(r.status));
  head.append(reason.empty() ? std::string_view("Unknown") : reason).append("\r\n");
  const std::string* request_id = nullptr;
  for (const auto& [name, value] : r.headers) {
    if (EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "connection") ||
        EqualsIgnoreCase(name, "date") || EqualsIgnoreCase(name, "transfer-encoding")) {
      continue;  // owned by this layer
    }
    if (EqualsIgnoreCase(name, "x-amzn-requestid")) request_id = &value;
    head.append(name).append(": ").append(value).append("\r\n");
  }
  std::string new_id;
  if (request_id == nullptr) {
    new_id = NewRequestId();
    request_id = &new_id;
    head.append("x-amzn-RequestId: ").append(new_id).append("\r\n");
  }
  head.append("x-amz-id-2: ").append(NewExtendedRequestId()).append("\r\n");
  if (!r.internal_detail.empty()) {
    loop_->server->Log("request " + *request_id + " from " + remote_address_ + " answered " +
                       std::to_string(r.status) + ": " + r.internal_detail);
  }
  head.append("Date: ").append(CurrentHttpDate()).append("\r\n");
  if (r.stream) {
    head.append("Transfer-Encoding: chunked\r\n");
  } else {
    head.append("Content-Length: ").append(std::to_string(r.body.size())).append("\r\n");
  }
  if (close) head.append("Connection: close\r\n");
  head.append("\r\n");
  return head;
}

void HttpConnection::Pump() {
  if (closed_ || writing_ || lingering_) return;

  if (read_state_ == ReadState::kAwaitContinue && slots_.empty()) {
    WriteContinueThenReadBody();
    return;
  }

  if (!slots_.empty() && slots_.front().ready && slots_.front().is_head &&
      slots_.front().response.stream) {
    // No body goes to a HEAD, so a streamed one is not produced at all.
    slots_.front().response.stream->Cancel();
    slots_.front().response.stream.reset();
  }
  if (!slots_.empty() && slots_.front().ready && slots_.front().response.stream) {
    PumpStream();
    return;
  }

  // Gather every ready response at the front into one gathered write (up to
  // a streaming one, which goes on its own).
  write_buffers_.clear();
  size_t count = 0;
  close_after_write_ = false;
  linger_after_write_ = false;
  while (count < slots_.size() && slots_[count].ready && !slots_[count].response.stream) {
    Slot& slot = slots_[count];
    const bool last_in_flight = count + 1 == slots_.size();
    const bool no_more_requests = stop_reading_ && read_state_ == ReadState::kIdle;
    const bool close = !slot.keep_alive || slot.close_after || (last_in_flight && no_more_requests);
    slot.head = SerializeHead(slot, close);
    write_buffers_.emplace_back(asio::buffer(slot.head));
    if (!slot.response.body.empty() && !slot.is_head) {
      write_buffers_.emplace_back(asio::buffer(slot.response.body));
    }
    ++count;
    if (close) {
      close_after_write_ = true;
      linger_after_write_ = slot.close_after;
      break;
    }
  }

  if (count > 0) {
    writing_ = true;
    ++ops_in_flight_;
    asio::async_write(
        *transport_, write_buffers_,
        [self = shared_from_this(), count](error_code ec, size_t) { self->OnWritten(ec, count); });
    return;
  }

  if (slots_.empty() && stop_reading_ && read_state_ == ReadState::kIdle) {
    Close();
    return;
  }
  if (paused_ && read_state_ == ReadState::kIdle) ReadHeader();
}

void HttpConnection::OnWritten(error_code ec, size_t slots_written) {
  writing_ = false;
  if (!OperationDone()) return;
  if (ec) {
    Close();
    return;
  }
  last_activity_ms_ = SteadyNowMillis();
  for (size_t i = 0; i < slots_written; ++i) slots_.pop_front();
  first_seq_ += slots_written;
  write_buffers_.clear();
  if (close_after_write_) {
    if (linger_after_write_) {
      StartLinger();
    } else {
      Close();
    }
    return;
  }
  Pump();
}

void HttpConnection::StartLinger() {
  // Unread request bytes at close() would make the kernel send RST, and the
  // client could lose the answer before reading it: half-close, then discard
  // what still arrives (never stored) until EOF or the deadline.
  lingering_ = true;
  linger_deadline_ms_ = SteadyNowMillis() + options_.linger_timeout_ms;
  transport_->Shutdown(asio::socket_base::shutdown_send);
  read_buffer_.clear();
  discard_buffer_ = std::make_unique<char[]>(kDiscardBufferBytes);
  // A read still in progress is not cancelled (see http_loop.h): its handler
  // sees lingering_ and starts discarding.
  if (read_state_ == ReadState::kHeader || read_state_ == ReadState::kBody) return;
  ReadAndDiscard();
}

void HttpConnection::ReadAndDiscard() {
  ++ops_in_flight_;
  transport_->async_read_some(asio::buffer(discard_buffer_.get(), kDiscardBufferBytes),
                              [self = shared_from_this()](error_code ec, size_t) {
                                if (!self->OperationDone()) return;
                                if (ec) {
                                  self->Close();
                                  return;
                                }
                                self->ReadAndDiscard();
                              });
}

void HttpConnection::BeginDrain() {
  stop_reading_ = true;
  if (read_state_ == ReadState::kHeader || read_state_ == ReadState::kAwaitBudget ||
      read_state_ == ReadState::kAwaitContinue) {
    // Waiting for a request not yet received: abandon it. A body being read
    // belongs to a request in flight and is let finish. Shutting the read
    // side down ends the pending read with EOF (never cancel; see
    // http_loop.h) while responses can still be written. The state changes
    // now rather than in that read's handler, so an idle connection closes at
    // once (Pump); the socket itself closes after the handler (Close()).
    if (read_state_ == ReadState::kHeader) {
      transport_->Shutdown(asio::socket_base::shutdown_receive);
    }
    EndAwaitBudget(ReadState::kIdle);
    read_state_ = ReadState::kIdle;
    request_.reset();
    early_response_.reset();
    ReleaseBodyBudget(std::exchange(body_charge_, 0));
  }
  Pump();
}

void HttpConnection::OnTick(int64_t now_ms) {
  if (closed_) return;
  if (lingering_) {
    if (now_ms >= linger_deadline_ms_) Close();
    return;
  }
  if (slots_.empty() && !writing_ && now_ms - last_activity_ms_ >= options_.idle_timeout_ms) {
    Close();
  }
}

void HttpConnection::Close() {
  if (closed_) return;
  closed_ = true;
  // The body being read is dropped; slots keep theirs until their responses
  // arrive (OnComplete), since the handler may still hold those bodies.
  EndAwaitBudget(ReadState::kIdle);
  ReleaseBodyBudget(std::exchange(body_charge_, 0));
  // shutdown() ends any read or write in progress (never cancel; see
  // http_loop.h). Its buffers are members, alive until its handler, which
  // holds a reference, has run; the last such handler closes the socket.
  CancelStreams();
  transport_->Shutdown(asio::socket_base::shutdown_both);
  if (ops_in_flight_ == 0) CloseSocket();
  loop_->connections.erase(this);
  loop_->server->OnConnectionCountChanged();
  // Last: this may be the final reference.
  const std::shared_ptr<HttpConnection> release = std::move(self_while_waiting_);
}

bool HttpConnection::OperationDone() {
  --ops_in_flight_;
  if (!closed_) return true;
  if (ops_in_flight_ == 0) CloseSocket();
  return false;
}

void HttpConnection::CloseSocket() {
  transport_->Close();
  transport_.reset();
}

}  // namespace tidelog::server
