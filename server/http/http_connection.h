// Internal to tidelog_http: one HTTP/1.1 connection (plain or TLS). Reads
// requests (pipelined), dispatches each to the RequestHandler, and writes
// responses in request order whatever order the handler completes them in;
// a streaming response is sent chunked.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/http/http_loop.h"
#include "server/http/http_message.h"
#include "server/http/transport.h"

namespace tidelog::server {

// Owned by shared_ptr: pending async operations and outstanding Responders
// hold references. Every member function except Complete() runs on the
// owning loop's thread. The socket is destroyed on that thread, by Close() or
// by the last handler of an operation Close() ended (see http_loop.h), so
// a connection outliving its loop never touches Asio.
class HttpConnection : public LoopConnection, public std::enable_shared_from_this<HttpConnection> {
 public:
  // `received`: bytes already read from the transport (while the protocol
  // was chosen), parsed before anything else is read.
  HttpConnection(HttpServer::Loop* loop, Transport transport, std::string remote_address,
                 std::string received);

  void Start();
  // Stop reading new requests; close once the requests in flight are answered.
  void BeginDrain() override;
  // Idempotent. Deregisters from the loop.
  void Close() override;
  // Closes an idle connection or ends a linger whose deadline passed.
  void OnTick(int64_t now_ms) override;

  // Any thread: hands the response of request `seq` to the loop.
  void Complete(uint64_t seq, HttpResponse response);

 private:
  // kAwaitBudget: a request's head is in, its body waits for room under the
  // in-flight body limits (HttpServerOptions::max_*_body_bytes).
  enum class ReadState { kIdle, kHeader, kAwaitBudget, kAwaitContinue, kBody };

  // One request in flight, in arrival order.
  struct Slot {
    bool ready = false;
    bool keep_alive = true;
    bool close_after = false;  // server-made error: close (lingering) after it
    bool is_head = false;      // HEAD: the body is not sent (RFC 9110 9.3.2)
    size_t body_bytes = 0;     // body budget held until the response arrives
    HttpResponse response;
    std::string head;        // serialized status line and headers, while being written
    bool head_sent = false;  // streaming response: its head is out, chunks follow
  };

  void ReadHeader();
  void OnHeader(boost::system::error_code ec);
  // Takes body budget for the request whose head is in, or waits for it.
  void AdmitBody();
  bool TryTakeBodyBudget(size_t bytes);
  // Gives back budget; wakes the loop's waiters and this connection.
  void ReleaseBodyBudget(size_t bytes);
  void ContinueBody();
  // Leaves ReadState::kAwaitBudget for `next` (keeps the server's count).
  void EndAwaitBudget(ReadState next);
  void WriteContinueThenReadBody();
  void ReadBody();
  void OnBody(boost::system::error_code ec);
  void Dispatch();
  void OnReadError(boost::system::error_code ec);
  void EnqueueErrorAndClose(int status);
  void EnqueueResponseAndClose(HttpResponse response, bool is_head = false);
  Responder MakeResponder(uint64_t seq);
  void OnComplete(uint64_t seq, HttpResponse response);
  // Writes what is ready, resumes paused reads, closes when done.
  void Pump();
  void OnWritten(boost::system::error_code ec, size_t slots_written);
  // The front slot's response is a ResponseStream: writes its head, then
  // each chunk as it is produced, then the last chunk; false when nothing
  // can be written now (waiting for the producer).
  bool PumpStream();
  void OnStreamWritten(boost::system::error_code ec, bool done, bool close);
  void CancelStreams();
  void StartLinger();
  void ReadAndDiscard();
  std::string SerializeHead(Slot& slot, bool close);
  // First thing in every completion handler. False once closed (the caller
  // returns); the last handler after Close() closes the socket.
  bool OperationDone();
  void CloseSocket();

  HttpServer::Loop* const loop_;
  const HttpServerOptions& options_;
  std::optional<Transport> transport_;  // reset once closed and no operation is pending
  std::string remote_address_;

  boost::beast::flat_buffer read_buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  // The request being read: its head from OnHeader() on, handed on by Dispatch().
  std::optional<HttpRequest> request_;
  // Set when the handler answered the head and the (small) body is read only
  // to keep the connection: Dispatch() answers this instead of calling Handle().
  std::optional<HttpResponse> early_response_;
  ReadState read_state_ = ReadState::kIdle;
  size_t body_charge_ = 0;              // budget taken for the body being read
  size_t inflight_body_ = 0;            // body_charge_ plus every slot's body_bytes
  bool awaiting_budget_queue_ = false;  // in the loop's body_waiters
  bool stop_reading_ = false;           // no request after the ones in slots_ will be read
  bool paused_ = false;                 // reading stopped by max_pipelined_requests

  std::deque<Slot> slots_;
  uint64_t first_seq_ = 0;  // sequence number of slots_.front()
  bool writing_ = false;
  std::vector<asio::const_buffer> write_buffers_;
  // Set while a streaming response waits for its producer, when no
  // operation or responder holds this connection: the loop's registry does
  // not own it.
  std::shared_ptr<HttpConnection> self_while_waiting_;
  // The streaming chunk being written: its size line and data.
  std::string chunk_size_line_;
  std::string chunk_data_;
  bool close_after_write_ = false;
  bool linger_after_write_ = false;

  bool lingering_ = false;
  int64_t linger_deadline_ms_ = 0;
  std::unique_ptr<char[]> discard_buffer_;

  int64_t last_activity_ms_;
  int ops_in_flight_ = 0;  // initiated operations whose handler has not run
  bool closed_ = false;
};

}  // namespace tidelog::server
