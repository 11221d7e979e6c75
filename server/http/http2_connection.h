// Internal to tidelog_http: one HTTP/2 connection (h2c prior knowledge, or
// TLS with ALPN "h2" or the preface). nghttp2 does framing, HPACK and flow
// control; this class feeds it from the loop's Transport, hands each
// request stream to the RequestHandler as an HttpRequest, and sends the
// responses as they complete, in any order. Connection I/O, lifecycle and
// responders are in http2_connection.cc; the nghttp2 session, its callbacks,
// request streams and response submission in http2_session.cc.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "server/http/http_loop.h"
#include "server/http/http_message.h"
#include "server/http/transport.h"

namespace tidelog::server {

// Owned by shared_ptr: pending async operations, outstanding Responders and
// mailbox posts hold references (ResponseStream wakes hold weak ones). Every
// member function except Complete() runs on the owning loop's thread, and
// none of them is ever re-entered from an nghttp2 callback: callbacks only
// record state and submit frames, and output is produced by Flush() outside
// them. The transport is destroyed on the loop thread, by Close() or by the
// last handler of an operation Close() ended (see http_loop.h).
class Http2Connection : public LoopConnection,
                        public std::enable_shared_from_this<Http2Connection> {
 public:
  // `received`: bytes already read from the transport (the preface, or its
  // start), fed to nghttp2 before anything else is read.
  Http2Connection(HttpServer::Loop* loop, Transport transport, std::string remote_address,
                  std::string received);
  ~Http2Connection() override;

  void Start();
  // GOAWAY; the streams already accepted are answered, then the connection
  // closes.
  void BeginDrain() override;
  void Close() override;
  void OnTick(int64_t now_ms) override;

  // Any thread: hands the response of stream `stream_id` to the loop.
  void Complete(int32_t stream_id, HttpResponse response);

 private:
  friend struct Http2Callbacks;  // nghttp2's callbacks, in http2_session.cc

  // Output gathered into one write; nghttp2 keeps the rest queued until the
  // write completes.
  static constexpr size_t kWriteBatchBytes = 256 << 10;

  // One request stream, from its first HEADERS until nghttp2 closes it
  // (on_stream_close). Owned by streams_; nghttp2 points at it as the
  // response's data source, which it never reads after the close.
  struct Stream {
    explicit Stream(int32_t stream_id) : id(stream_id) {}
    const int32_t id;
    // Request side: the head and the body being received, handed to the
    // handler at END_STREAM (dispatched).
    HttpRequest request;
    std::string authority;
    size_t header_bytes = 0;  // RFC 9113 size (name + value + 32 each), saturating
    std::optional<uint64_t> content_length;
    bool headers_too_large = false;
    bool expects_continue = false;
    bool is_head = false;
    // Answered without the handler (CheckHead, 413, 431): DATA still
    // arriving is dropped, and the stream is reset (NO_ERROR) once the
    // response has gone out if the client is still sending.
    bool rejected = false;
    bool dispatched = false;
    bool responded = false;  // a final response was submitted
    // DATA bytes of this stream's body whose connection-level window has not
    // been given back: returned when the response arrives or the stream
    // closes, so a connection's unanswered bodies stay within its window.
    size_t held_bytes = 0;
    // Response side. A fixed body, sent from body_offset; or a stream, its
    // bytes Take()n into `staged` just ahead of the DATA frame that carries
    // them.
    std::string body;
    size_t body_offset = 0;
    std::shared_ptr<ResponseStream> stream;
    std::string staged;
    size_t staged_offset = 0;
    bool stream_done = false;  // the ResponseStream finished and was emptied
    bool deferred = false;     // nghttp2 waits for resume_data (OnStreamWake)
  };

  // ---- streams (http2_session.cc) ----
  // Creates the server session and queues its SETTINGS. False on failure.
  bool CreateSession();
  Stream* FindStream(int32_t stream_id);
  void OnHeaderField(Stream& s, std::string_view name, std::string_view value, bool trailer);
  void OnRequestHead(Stream& s, bool end_stream);
  void OnRequestData(Stream& s, const uint8_t* data, size_t length);
  void OnRequestEnd(Stream& s);
  // Answers `s` without the handler; the body received so far is dropped.
  void RespondEarly(Stream& s, HttpResponse response);
  void OnStreamClosed(int32_t stream_id);
  // Gives back the connection window held by the stream's body.
  void ReleaseBody(Stream& s);
  // Headers (lower-cased, with content-length, date, x-amzn-requestid) and
  // the body's data source; logs internal_detail.
  void SubmitResponse(Stream& s, HttpResponse response);

  // ---- responses coming back (http2_connection.cc) ----
  Responder MakeResponder(int32_t stream_id);
  void OnComplete(int32_t stream_id, HttpResponse response);
  // A ResponseStream has data again: resumes its deferred DATA.
  void OnStreamWake(int32_t stream_id);

  // ---- connection I/O (http2_connection.cc) ----
  // Not closed, not lingering, and the session usable.
  bool Live() const;
  void Read();
  void OnRead(boost::system::error_code ec, size_t bytes);
  // Hands input to nghttp2; on a fatal error stops using the session.
  void Feed(const uint8_t* data, size_t length);
  // Serializes what nghttp2 has queued and writes it (one write in flight),
  // or, with nothing left to write, finishes the connection when nghttp2 is
  // done with it.
  void Flush();
  void OnWritten(boost::system::error_code ec);
  void SubmitGoaway();
  // Cancels the streams' ResponseStreams, drops every stream and deletes the
  // session (no callbacks run). Never from inside an nghttp2 callback.
  void EndSession();
  // Output is complete: half-close and discard input until the client
  // closes or linger_timeout_ms passes, so it can read everything first.
  void StartLinger();
  // First thing in every completion handler. False once closed (the caller
  // returns); the last handler after Close() closes the transport.
  bool OperationDone();
  void CloseTransport();

  HttpServer::Loop* const loop_;
  const HttpServerOptions& options_;
  std::optional<Transport> transport_;  // reset by CloseTransport()
  const std::string remote_address_;
  std::string received_;  // fed by Start()

  nghttp2_session* session_ = nullptr;  // deleted by EndSession()
  bool session_failed_ = false;         // fatal nghttp2 error: only out_ is still written
  std::unordered_map<int32_t, std::unique_ptr<Stream>> streams_;
  // Body bytes of streams the client closed while the handler still held
  // their request (dispatched, not yet answered), by stream id: their
  // connection window comes back only when the responder runs, so resetting
  // streams cannot take memory past the window.
  std::unordered_map<int32_t, size_t> held_by_handler_;

  std::unique_ptr<uint8_t[]> read_buffer_;
  bool reading_ = false;
  // Frames serialized by nghttp2 and not yet handed to a write; the send
  // data callback appends DATA payloads here directly (their only copy).
  std::string out_;
  std::string writing_;  // the bytes of the write in flight
  bool write_in_flight_ = false;

  bool goaway_submitted_ = false;
  bool lingering_ = false;
  // While going away (idle or failed) or lingering: closed regardless then.
  std::optional<int64_t> close_deadline_ms_;
  // Last time a stream opened or closed or request DATA arrived; the idle
  // timeout counts from it.
  int64_t last_activity_ms_;
  int ops_in_flight_ = 0;  // initiated operations whose handler has not run
  bool closed_ = false;
};

}  // namespace tidelog::server
