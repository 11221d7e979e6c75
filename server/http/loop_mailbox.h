// LoopMailbox: how other threads hand work to an event loop without touching
// its io_uring. asio::post from a foreign thread would submit to the loop's
// ring from that thread (Asio wakes the loop with a NOP and flushes pending
// SQEs), so completions of the loop's own operations would be delivered as
// task work to the poster: EINTR in its timed system calls, and cancellation
// of those operations when the poster exits. Here posters only write() to an
// eventfd that the loop itself reads.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace tidelog::server {

class LoopMailbox {
 public:
  LoopMailbox();  // creates the eventfd; posts queue until the loop reads
  ~LoopMailbox();

  LoopMailbox(const LoopMailbox&) = delete;
  LoopMailbox& operator=(const LoopMailbox&) = delete;

  // Any thread. `fn` runs on the loop thread, in posting order. False (and
  // `fn` dropped) once closed.
  bool Post(std::function<void()> fn);

  // Loop thread: binds the eventfd to the loop's io_context.
  void AttachIo(boost::asio::io_context& ioc);
  // Loop thread: start (and keep) reading the eventfd.
  void StartReading();
  // Loop thread: stop reading so the io_context can run out of work. Posts
  // still queue until Close() but no longer run.
  void StopReading();
  // Any thread, after the loop thread has exited: later posts are dropped.
  void Close();
  // Loop thread, as it exits: destroys the Asio descriptor (keeping the
  // eventfd open for late writers until destruction).
  void ReleaseIo();

 private:
  void ReadNext();
  void RunQueued();

  std::optional<boost::asio::posix::stream_descriptor> wakeup_;  // reads the eventfd
  int wakeup_fd_;         // owned by this object; wakeup_ releases it, never closes it
  uint64_t counter_ = 0;  // read target, loop thread only
  bool reading_ = false;  // loop thread only

  std::mutex mu_;
  std::vector<std::function<void()>> queue_;  // guarded by mu_
  bool closed_ = false;                       // guarded by mu_
};

}  // namespace tidelog::server
