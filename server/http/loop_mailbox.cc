// LoopMailbox: an eventfd-signalled queue of closures for one event loop.
#include "server/http/loop_mailbox.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <cerrno>
#include <stdexcept>
#include <string>

namespace tidelog::server {

namespace {
int MakeEventFd() {
  // Blocking on purpose: the loop's read waits in the kernel (io_uring arms a
  // poll); writers never block since the counter cannot overflow in practice.
  int fd = ::eventfd(0, EFD_CLOEXEC);
  if (fd < 0) throw std::runtime_error("eventfd: " + std::to_string(errno));
  return fd;
}
}  // namespace

LoopMailbox::LoopMailbox() : wakeup_fd_(MakeEventFd()) {}

LoopMailbox::~LoopMailbox() {
  ReleaseIo();
  ::close(wakeup_fd_);
}

void LoopMailbox::AttachIo(boost::asio::io_context& ioc) { wakeup_.emplace(ioc, wakeup_fd_); }

void LoopMailbox::ReleaseIo() {
  if (!wakeup_) return;
  reading_ = false;
  wakeup_->release();
  wakeup_.reset();
}

bool LoopMailbox::Post(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return false;
  const bool was_empty = queue_.empty();
  queue_.push_back(std::move(fn));
  if (was_empty) {
    // The loop takes the whole queue at once, so only the first post after a
    // drain needs to wake it. Under mu_ so Close() cannot race the write.
    const uint64_t one = 1;
    while (::write(wakeup_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
  }
  return true;
}

void LoopMailbox::StartReading() {
  if (reading_) return;
  reading_ = true;
  ReadNext();
}

void LoopMailbox::ReadNext() {
  wakeup_->async_read_some(boost::asio::buffer(&counter_, sizeof(counter_)),
                           [this](boost::system::error_code ec, size_t) {
                             if (ec || !reading_) return;
                             RunQueued();
                             if (reading_) ReadNext();
                           });
}

void LoopMailbox::RunQueued() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(queue_);
  }
  for (auto& fn : batch) fn();
}

void LoopMailbox::StopReading() {
  reading_ = false;
  // Usually called from a queued closure, that is inside the read's handler:
  // no read is pending then, and with reading_ false none is armed again.
  // Called from elsewhere, a pending read is ended by writing the counter,
  // never cancelled (see http_loop.h; the eventfd is blocking, so the read may
  // sit in an io-wq worker that a cancel cannot interrupt). Either way the
  // io_context can run out of work.
  const uint64_t one = 1;
  while (::write(wakeup_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
}

void LoopMailbox::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
}

}  // namespace tidelog::server
