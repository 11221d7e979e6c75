// ResponseStream: a response body written over time (an event stream such as
// SubscribeToShard), with backpressure. The handler writes; the connection
// sends what is written as chunks (HTTP/1.1) or DATA frames (HTTP/2).
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

namespace tidelog::server {

// Shared (shared_ptr) by the producer and one connection. Thread-safe.
// Memory stays bounded as long as the producer writes only while writable():
// bytes queued and not yet handed to the socket stay under about
// high_water plus one write.
class ResponseStream {
 public:
  explicit ResponseStream(size_t high_water_bytes = 1 << 20) : high_water_(high_water_bytes) {}

  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;

  // ---- producer side, any thread ----

  // Queues `bytes` after what is queued. False (nothing queued) once the
  // body is finished or the stream cancelled.
  bool Write(std::string bytes);
  // Ends the body once what is queued has been sent. Idempotent.
  void Finish();
  // Less than high_water bytes queued: write more now, or wait for the
  // OnWritable callback.
  bool writable() const;
  // The client went away or the connection closed: stop producing.
  bool cancelled() const;
  // `fn` runs on the connection's event-loop thread, without locks held,
  // each time the queue drains to half of high_water after a Write filled
  // it to high_water, and once when the stream is cancelled. It must not
  // block. Set it before handing the response over.
  void OnWritable(std::function<void()> fn);

  // ---- connection side, its event-loop thread ----

  // `wake` is called (from the producer's thread, or inline) when data or
  // the end arrives after a Take() found nothing to send.
  void Attach(std::function<void()> wake);
  struct Taken {
    size_t bytes = 0;   // appended to *out
    bool done = false;  // the body is finished and everything was taken
  };
  // Appends up to `max` queued bytes to *out. When it returns 0 bytes and
  // not done, the wake callback is armed.
  Taken Take(std::string* out, size_t max);
  // The client is gone: drops what is queued, refuses later writes, tells
  // the producer (OnWritable callback). Idempotent.
  void Cancel();

 private:
  const size_t high_water_;
  mutable std::mutex mu_;
  std::deque<std::string> queue_;  // guarded by mu_
  size_t front_offset_ = 0;        // bytes of queue_.front() already taken
  size_t queued_ = 0;              // bytes in queue_ not yet taken
  bool finished_ = false;
  bool cancelled_ = false;
  bool wake_armed_ = false;
  bool producer_blocked_ = false;  // a Write reached high_water
  std::function<void()> wake_;
  std::function<void()> on_writable_;
};

}  // namespace tidelog::server
