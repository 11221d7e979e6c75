// ResponseStream: the queue between a streaming handler and its connection.
#include "server/http/response_stream.h"

#include <algorithm>
#include <utility>

namespace tidelog::server {

bool ResponseStream::Write(std::string bytes) {
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_ || cancelled_) return false;
    if (bytes.empty()) return true;
    queued_ += bytes.size();
    queue_.push_back(std::move(bytes));
    if (queued_ >= high_water_) producer_blocked_ = true;
    if (wake_armed_) {
      wake_armed_ = false;
      wake = wake_;
    }
  }
  if (wake) wake();
  return true;
}

void ResponseStream::Finish() {
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_ || cancelled_) return;
    finished_ = true;
    if (wake_armed_) {
      wake_armed_ = false;
      wake = wake_;
    }
  }
  if (wake) wake();
}

bool ResponseStream::writable() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !cancelled_ && !finished_ && queued_ < high_water_;
}

bool ResponseStream::cancelled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancelled_;
}

void ResponseStream::OnWritable(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  on_writable_ = std::move(fn);
}

void ResponseStream::Attach(std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(mu_);
  wake_ = std::move(wake);
}

ResponseStream::Taken ResponseStream::Take(std::string* out, size_t max) {
  Taken taken;
  std::function<void()> on_writable;
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (taken.bytes < max && !queue_.empty()) {
      std::string& front = queue_.front();
      const size_t n = std::min(max - taken.bytes, front.size() - front_offset_);
      out->append(front, front_offset_, n);
      taken.bytes += n;
      front_offset_ += n;
      queued_ -= n;
      if (front_offset_ == front.size()) {
        queue_.pop_front();
        front_offset_ = 0;
      }
    }
    taken.done = finished_ && queue_.empty();
    if (taken.done) wake_ = nullptr;  // whatever it holds is not needed again
    if (taken.bytes == 0 && !taken.done) wake_armed_ = true;
    if (producer_blocked_ && queued_ <= high_water_ / 2) {
      producer_blocked_ = false;
      on_writable = on_writable_;
    }
  }
  if (on_writable) on_writable();
  return taken;
}

void ResponseStream::Cancel() {
  std::function<void()> on_writable;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_) return;
    cancelled_ = true;
    queue_.clear();
    front_offset_ = 0;
    queued_ = 0;
    wake_armed_ = false;
    wake_ = nullptr;
    on_writable = on_writable_;
  }
  if (on_writable) on_writable();
}

}  // namespace tidelog::server
