// HTTP/2 streams: the nghttp2 server session and its callbacks, how a request
// stream's headers and DATA become an HttpRequest for the handler, and how a
// response is submitted and its body (fixed or streamed) fed to nghttp2.
#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>
#include <utility>
#include <vector>

#include "server/http/http2_connection.h"
#include "server/http/http_date.h"
#include "server/http/request_id.h"

namespace tidelog::server {

namespace {

constexpr uint32_t kMaxConcurrentStreams = 128;
constexpr size_t kHeaderFieldOverhead = 32;  // RFC 9113 section 6.5.2
// Most body room reserved up front from a Content-Length: the client has not
// sent those bytes yet, and 128 streams may each declare a large body.
constexpr size_t kMaxBodyReserveBytes = 64 << 10;
constexpr size_t kMaxSendHeaderBlockBytes = 64 << 10;
constexpr size_t kDeflateTableBytes = 4096;
constexpr size_t kMaxOutboundAcks = 1000;
constexpr size_t kMaxSettingsEntries = 32;
constexpr size_t kFrameHeaderBytes = 9;

int32_t ClampWindow(size_t bytes) {
  return static_cast<int32_t>(std::clamp<size_t>(bytes, NGHTTP2_INITIAL_WINDOW_SIZE,
                                                 static_cast<size_t>(NGHTTP2_MAX_WINDOW_SIZE)));
}

uint32_t ClampU32(size_t value) {
  return static_cast<uint32_t>(std::min<size_t>(value, std::numeric_limits<uint32_t>::max()));
}

std::string_view View(const uint8_t* data, size_t length) {
  return {reinterpret_cast<const char*>(data), length};
}

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

nghttp2_nv Nv(std::string_view name, std::string_view value) {
  return {const_cast<uint8_t*>(Bytes(name)), const_cast<uint8_t*>(Bytes(value)), name.size(),
          value.size(), NGHTTP2_NV_FLAG_NONE};
}

void ToLower(std::string* s) {
  for (char& c : *s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Digits only; false on anything else or on overflow.
bool ParseContentLength(std::string_view text, uint64_t* out) {
  if (text.empty()) return false;
  uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (n > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    n = n * 10 + digit;
  }
  *out = n;
  return true;
}

// Headers this layer owns (added by it) or that HTTP/2 forbids.
bool IsDroppedResponseHeader(std::string_view lower_name) {
  return lower_name == "content-length" || lower_name == "date" || lower_name == "connection" ||
         lower_name == "keep-alive" || lower_name == "transfer-encoding" ||
         lower_name == "upgrade" || lower_name == "proxy-connection" || lower_name == "te";
}

HttpResponse StatusOnly(int status) {
  HttpResponse response;
  response.status = status;
  return response;
}

}  // namespace

// nghttp2 calls these from inside mem_recv / mem_send with the connection as
// user_data. They never call back into nghttp2's recv or send, never close
// the connection and never erase a stream other than in OnStreamClose.
struct Http2Callbacks {
  using Stream = Http2Connection::Stream;
  static Http2Connection* Self(void* user_data) { return static_cast<Http2Connection*>(user_data); }

  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    Http2Connection* c = Self(user_data);
    const int32_t id = frame->hd.stream_id;
    c->streams_.emplace(id, std::make_unique<Stream>(id));
    c->last_activity_ms_ = SteadyNowMillis();
    return 0;
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    Http2Connection* c = Self(user_data);
    if (Stream* s = c->FindStream(frame->hd.stream_id)) {
      c->OnHeaderField(*s, View(name, name_length), View(value, value_length),
                       frame->headers.cat != NGHTTP2_HCAT_REQUEST);
    }
    return 0;
  }

  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    Http2Connection* c = Self(user_data);
    Stream* s = c->FindStream(frame->hd.stream_id);
    if (s == nullptr) return 0;
    const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      c->OnRequestHead(*s, end_stream);
    }
    if (end_stream) c->OnRequestEnd(*s);
    return 0;
  }

  static int OnDataChunkRecv(nghttp2_session* session, uint8_t, int32_t stream_id,
                             const uint8_t* data, size_t length, void* user_data) {
    Http2Connection* c = Self(user_data);
    if (Stream* s = c->FindStream(stream_id)) {
      c->OnRequestData(*s, data, length);
    } else {
      nghttp2_session_consume(session, stream_id, length);
    }
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t, void* user_data) {
    Self(user_data)->OnStreamClosed(stream_id);
    return 0;
  }

  // A response that ended while the request is still coming (answered from
  // its head, or 413/431): the rest of the body is refused (RFC 9113 8.1).
  static int OnFrameSend(nghttp2_session* session, const nghttp2_frame* frame, void*) {
    if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
      return 0;
    }
    if (nghttp2_session_get_stream_remote_close(session, frame->hd.stream_id) == 0) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
    }
    return 0;
  }

  // A response head that could not be sent (e.g. a header block over
  // kMaxSendHeaderBlockBytes) leaves its stream open: reset it.
  static int OnFrameNotSend(nghttp2_session* session, const nghttp2_frame* frame, int error,
                            void*) {
    if (frame->hd.type == NGHTTP2_HEADERS && error != NGHTTP2_ERR_STREAM_CLOSED &&
        error != NGHTTP2_ERR_STREAM_CLOSING) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                NGHTTP2_INTERNAL_ERROR);
    }
    return 0;
  }

  // The response body's data source. NO_COPY: nghttp2 only learns the
  // length here; SendData() then copies the bytes straight into out_.
  static ssize_t ReadResponse(nghttp2_session*, int32_t, uint8_t*, size_t length, uint32_t* flags,
                              nghttp2_data_source* source, void*) {
    Stream* s = static_cast<Stream*>(source->ptr);
    *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
    if (!s->stream) {
      const size_t left = s->body.size() - s->body_offset;
      const size_t n = std::min(length, left);
      if (n == left) *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(n);
    }
    size_t have = s->staged.size() - s->staged_offset;
    if (have < length && !s->stream_done) {
      // At most one frame's worth: the rest stays in the ResponseStream,
      // where the producer's high water bounds it.
      ResponseStream::Taken taken = s->stream->Take(&s->staged, length - have);
      have += taken.bytes;
      s->stream_done = taken.done;
    }
    if (have == 0 && !s->stream_done) {
      s->deferred = true;  // Take() armed the wake: OnStreamWake resumes
      return NGHTTP2_ERR_DEFERRED;
    }
    const size_t n = std::min(length, have);
    if (s->stream_done && n == have) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  static int SendData(nghttp2_session*, nghttp2_frame* frame, const uint8_t* frame_header,
                      size_t length, nghttp2_data_source* source, void* user_data) {
    if (frame->data.padlen != 0) return NGHTTP2_ERR_CALLBACK_FAILURE;  // never padded
    Http2Connection* c = Self(user_data);
    Stream* s = static_cast<Stream*>(source->ptr);
    c->out_.append(reinterpret_cast<const char*>(frame_header), kFrameHeaderBytes);
    if (!s->stream) {
      c->out_.append(s->body, s->body_offset, length);
      s->body_offset += length;
      if (s->body_offset == s->body.size()) std::string().swap(s->body);
      return Continue(c);
    }
    c->out_.append(s->staged, s->staged_offset, length);
    s->staged_offset += length;
    if (s->staged_offset == s->staged.size()) {
      s->staged.clear();
      s->staged_offset = 0;
    }
    return Continue(c);
  }

  // One mem_send() call goes on from DATA frame to DATA frame for as long as
  // the client's windows allow (up to 2^31 bytes): PAUSE makes it return
  // once a write's worth is gathered, and Flush() writes it.
  static int Continue(Http2Connection* c) {
    return c->out_.size() >= Http2Connection::kWriteBatchBytes ? NGHTTP2_ERR_PAUSE : 0;
  }
};

bool Http2Connection::CreateSession() {
  nghttp2_session_callbacks* callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) return false;
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks,
                                                          &Http2Callbacks::OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &Http2Callbacks::OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Http2Callbacks::OnFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks,
                                                            &Http2Callbacks::OnDataChunkRecv);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Http2Callbacks::OnStreamClose);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &Http2Callbacks::OnFrameSend);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(callbacks,
                                                           &Http2Callbacks::OnFrameNotSend);
  nghttp2_session_callbacks_set_send_data_callback(callbacks, &Http2Callbacks::SendData);

  nghttp2_option* option = nullptr;
  if (nghttp2_option_new(&option) != 0) {
    nghttp2_session_callbacks_del(callbacks);
    return false;
  }
  // Windows are given back by hand (ReleaseBody, OnRequestData).
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_option_set_no_closed_streams(option, 1);
  nghttp2_option_set_max_send_header_block_length(option, kMaxSendHeaderBlockBytes);
  nghttp2_option_set_max_deflate_dynamic_table_size(option, kDeflateTableBytes);
  // Floods end the session with an error: acks (SETTINGS, PING) the client
  // never reads, SETTINGS with too many entries. Debian's 1.52 also caps
  // CONTINUATION frames per header block and the RST_STREAM rate by default
  // (options only its backports have, so their defaults are kept).
  nghttp2_option_set_max_outbound_ack(option, kMaxOutboundAcks);
  nghttp2_option_set_max_settings(option, kMaxSettingsEntries);
  const int rv = nghttp2_session_server_new2(&session_, callbacks, this, option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);
  if (rv != 0) {
    session_ = nullptr;
    return false;
  }

  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams},
      // Per stream, DATA is acknowledged as it arrives; the connection window
      // below is what bounds the bodies held.
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE,
       static_cast<uint32_t>(ClampWindow(options_.max_body_bytes))},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, ClampU32(options_.max_header_bytes)},
      {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
  };
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0) {
    return false;
  }
  // As HttpConnection: one connection may always hold one full body.
  const size_t connection_window =
      std::max(options_.max_connection_body_bytes, options_.max_body_bytes);
  return nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                               ClampWindow(connection_window)) == 0;
}

Http2Connection::Stream* Http2Connection::FindStream(int32_t stream_id) {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : it->second.get();
}

void Http2Connection::OnHeaderField(Stream& s, std::string_view name, std::string_view value,
                                    bool trailer) {
  // nghttp2 caps one field at 64 KiB, so the sum cannot wrap; saturate anyway.
  const size_t field = name.size() + value.size() + kHeaderFieldOverhead;
  s.header_bytes = field > std::numeric_limits<size_t>::max() - s.header_bytes
                       ? std::numeric_limits<size_t>::max()
                       : s.header_bytes + field;
  if (s.header_bytes > options_.max_header_bytes) {
    if (!s.headers_too_large) {
      s.headers_too_large = true;  // answered 431 when the block ends
      std::vector<std::pair<std::string, std::string>>().swap(s.request.headers);
    }
    return;
  }
  if (trailer || s.headers_too_large) return;  // trailers count, but are not kept
  if (!name.empty() && name.front() == ':') {
    if (name == ":method") {
      s.request.method = std::string(value);
      s.is_head = value == "HEAD";
    } else if (name == ":path") {
      s.request.target = std::string(value);
    } else if (name == ":authority") {
      s.authority = std::string(value);
    }
    return;  // :scheme is implied by the transport
  }
  std::string lower(name);
  ToLower(&lower);  // nghttp2 already refuses upper case; cheap insurance
  if (lower == "content-length") {
    uint64_t length = 0;
    if (ParseContentLength(value, &length)) s.content_length = length;
  } else if (lower == "expect") {
    s.expects_continue = EqualsIgnoreCase(value, "100-continue");
  }
  if (s.request.headers.empty()) s.request.headers.reserve(16);
  s.request.headers.emplace_back(std::move(lower), std::string(value));
}

void Http2Connection::OnRequestHead(Stream& s, bool end_stream) {
  HttpRequest& request = s.request;
  request.protocol = "HTTP/2";
  request.remote_address = remote_address_;
  if (s.headers_too_large) {
    RespondEarly(s, StatusOnly(431));
    return;
  }
  // SigV4 signs `host`; HTTP/2 clients send :authority instead.
  if (!s.authority.empty() && request.Header("host") == nullptr) {
    request.headers.emplace(request.headers.begin(), "host", std::move(s.authority));
  }
  if (s.content_length && *s.content_length > options_.max_body_bytes) {
    RespondEarly(s, StatusOnly(413));
    return;
  }
  if (auto answer = loop_->server->handler_->CheckHead(request)) {
    RespondEarly(s, std::move(*answer));
    return;
  }
  if (end_stream) return;
  if (s.content_length) {
    request.body.reserve(
        static_cast<size_t>(std::min<uint64_t>(*s.content_length, kMaxBodyReserveBytes)));
  }
  if (s.expects_continue) {
    const nghttp2_nv continue_status = Nv(":status", "100");
    nghttp2_submit_headers(session_, NGHTTP2_FLAG_NONE, s.id, nullptr, &continue_status, 1,
                           nullptr);
  }
}

void Http2Connection::OnRequestData(Stream& s, const uint8_t* data, size_t length) {
  if (s.rejected || s.dispatched) {
    // Dropped at once: the connection window comes back, the stream's does
    // not (the client should stop; the reset follows the response).
    nghttp2_session_consume_connection(session_, length);
    return;
  }
  // body.size() <= max_body_bytes always holds, so this cannot wrap.
  if (length > options_.max_body_bytes - s.request.body.size()) {
    nghttp2_session_consume_connection(session_, length);
    RespondEarly(s, StatusOnly(413));
    return;
  }
  s.request.body.append(reinterpret_cast<const char*>(data), length);
  s.held_bytes += length;
  last_activity_ms_ = SteadyNowMillis();
  nghttp2_session_consume_stream(session_, s.id, length);
}

void Http2Connection::OnRequestEnd(Stream& s) {
  if (s.rejected || s.dispatched) return;
  if (s.headers_too_large) {  // by the trailers
    RespondEarly(s, StatusOnly(431));
    return;
  }
  s.dispatched = true;
  loop_->server->handler_->Handle(std::move(s.request), MakeResponder(s.id));
}

void Http2Connection::RespondEarly(Stream& s, HttpResponse response) {
  s.rejected = true;
  ReleaseBody(s);
  s.request = HttpRequest{};
  SubmitResponse(s, std::move(response));
}

void Http2Connection::OnStreamClosed(int32_t stream_id) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  Stream& s = *it->second;
  if (s.dispatched && !s.responded && s.held_bytes > 0) {
    // The handler still holds the body: the window waits for its answer.
    held_by_handler_[stream_id] = std::exchange(s.held_bytes, 0);
  } else {
    ReleaseBody(s);
  }
  if (s.stream && !s.stream_done) s.stream->Cancel();
  streams_.erase(it);
  last_activity_ms_ = SteadyNowMillis();
}

void Http2Connection::ReleaseBody(Stream& s) {
  if (s.held_bytes == 0) return;
  if (session_ != nullptr && !session_failed_) {
    nghttp2_session_consume_connection(session_, s.held_bytes);
  }
  s.held_bytes = 0;
}

void Http2Connection::SubmitResponse(Stream& s, HttpResponse response) {
  s.responded = true;
  const int status = response.status >= 200 && response.status <= 999 ? response.status : 500;
  const bool bodyless_status = status == 204 || status == 304;
  const bool send_body = !s.is_head && !bodyless_status;
  const std::string status_text = std::to_string(status);

  // nghttp2 copies every name and value on submit: these need only live
  // until then. Reserved, so pointers into `names` stay valid.
  std::vector<std::string> names;
  names.reserve(response.headers.size());
  std::vector<nghttp2_nv> nva;
  nva.reserve(response.headers.size() + 4);
  nva.push_back(Nv(":status", status_text));
  const std::string* request_id = nullptr;
  for (const auto& [name, value] : response.headers) {
    std::string& lower = names.emplace_back(name);
    ToLower(&lower);  // HTTP/2 forbids upper-case names
    if (lower.empty() || lower.front() == ':' || IsDroppedResponseHeader(lower) ||
        nghttp2_check_header_name(Bytes(lower), lower.size()) == 0 ||
        nghttp2_check_header_value(Bytes(value), value.size()) == 0) {
      names.pop_back();
      continue;
    }
    if (lower == "x-amzn-requestid") request_id = &value;
    nva.push_back(Nv(lower, value));
  }
  std::string new_id;
  if (request_id == nullptr) {
    new_id = NewRequestId();
    request_id = &new_id;
    nva.push_back(Nv("x-amzn-requestid", new_id));
  }
  const std::string id_2 = NewExtendedRequestId();
  nva.push_back(Nv("x-amz-id-2", id_2));
  if (!response.internal_detail.empty()) {
    loop_->server->Log("request " + *request_id + " from " + remote_address_ + " answered " +
                       status_text + ": " + response.internal_detail);
  }
  const std::string date = CurrentHttpDate();
  nva.push_back(Nv("date", date));

  std::string length_text;
  nghttp2_data_provider provider{};
  provider.source.ptr = &s;
  provider.read_callback = &Http2Callbacks::ReadResponse;
  bool has_body = false;
  if (response.stream) {
    if (send_body) {
      s.stream = std::move(response.stream);
      const int32_t id = s.id;
      // Weak: the ResponseStream (held by the producer too) must not keep
      // the connection alive. Runs on any thread; OnStreamWake on the loop.
      s.stream->Attach([weak = weak_from_this(), id] {
        if (auto self = weak.lock()) {
          self->loop_->mailbox.Post([self, id] { self->OnStreamWake(id); });
        }
      });
      has_body = true;
    } else {
      response.stream->Cancel();
    }
  } else {
    if (!bodyless_status) {
      length_text = std::to_string(response.body.size());
      nva.push_back(Nv("content-length", length_text));
    }
    if (send_body && !response.body.empty()) {
      s.body = std::move(response.body);
      s.body_offset = 0;
      has_body = true;
    }
  }
  const int rv = nghttp2_submit_response(session_, s.id, nva.data(), nva.size(),
                                         has_body ? &provider : nullptr);
  if (rv != 0) {
    if (s.stream) s.stream->Cancel();
    s.stream.reset();
    std::string().swap(s.body);
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_INTERNAL_ERROR);
  }
}

}  // namespace tidelog::server
