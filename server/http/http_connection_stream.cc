// HTTP/1.1 streaming responses: a ResponseStream's body written chunked
// (RFC 9112 section 7.1) as its producer writes it, then the last chunk.
#include <boost/asio/write.hpp>
#include <cstdio>
#include <string_view>

#include "server/http/http_connection.h"

namespace tidelog::server {

using boost::system::error_code;

namespace {

// Largest chunk of a streaming response written at once.
constexpr size_t kMaxChunkBytes = 256 << 10;

}  // namespace

bool HttpConnection::PumpStream() {
  // Alive to the end of this call even if it was only held for the wait.
  const std::shared_ptr<HttpConnection> hold = std::move(self_while_waiting_);
  Slot& slot = slots_.front();
  const std::shared_ptr<ResponseStream>& stream = slot.response.stream;
  write_buffers_.clear();
  if (!slot.head_sent) {
    // The producer's wake comes from its own thread: through the mailbox.
    // Weak, so a stream outliving its connection does not keep it.
    stream->Attach([weak = weak_from_this(), loop = loop_] {
      loop->mailbox.Post([weak] {
        if (auto self = weak.lock()) self->Pump();
      });
    });
    const bool no_more_requests =
        stop_reading_ && read_state_ == ReadState::kIdle && slots_.size() == 1;
    slot.close_after = slot.close_after || !slot.keep_alive || no_more_requests;
    slot.head = SerializeHead(slot, slot.close_after);
    slot.head_sent = true;
    write_buffers_.emplace_back(asio::buffer(slot.head));
  }
  chunk_data_.clear();
  const ResponseStream::Taken taken = stream->Take(&chunk_data_, kMaxChunkBytes);
  static constexpr std::string_view kCrlf = "\r\n";
  static constexpr std::string_view kLastChunk = "0\r\n\r\n";
  if (taken.bytes > 0) {
    char size_line[24];
    const int n = std::snprintf(size_line, sizeof(size_line), "%zx\r\n", taken.bytes);
    chunk_size_line_.assign(size_line, static_cast<size_t>(n));
    write_buffers_.emplace_back(asio::buffer(chunk_size_line_));
    write_buffers_.emplace_back(asio::buffer(chunk_data_));
    write_buffers_.emplace_back(asio::buffer(kCrlf.data(), kCrlf.size()));
  }
  if (taken.done) write_buffers_.emplace_back(asio::buffer(kLastChunk.data(), kLastChunk.size()));
  if (write_buffers_.empty()) {
    self_while_waiting_ = shared_from_this();  // until the wake calls Pump() again
    return false;
  }
  writing_ = true;
  ++ops_in_flight_;
  asio::async_write(*transport_, write_buffers_,
                    [self = shared_from_this(), done = taken.done, close = slot.close_after](
                        error_code ec, size_t) { self->OnStreamWritten(ec, done, close); });
  return true;
}

void HttpConnection::OnStreamWritten(error_code ec, bool done, bool close) {
  writing_ = false;
  if (!OperationDone()) return;
  if (ec) {
    Close();
    return;
  }
  last_activity_ms_ = SteadyNowMillis();
  write_buffers_.clear();
  if (done) {
    slots_.pop_front();
    ++first_seq_;
    if (close) {
      Close();
      return;
    }
  }
  Pump();
}

void HttpConnection::CancelStreams() {
  for (Slot& slot : slots_) {
    if (slot.response.stream) slot.response.stream->Cancel();
  }
}

}  // namespace tidelog::server
