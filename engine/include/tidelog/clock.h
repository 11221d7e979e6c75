// Clock: the engine's only source of time. Injectable so tests can move time
// (retention, iterator expiry, quotas) without sleeping.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace tidelog {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in microseconds since the Unix epoch. May step backwards;
  // the engine never relies on it being monotonic.
  virtual int64_t NowMicros() const = 0;
  int64_t NowMillis() const { return NowMicros() / 1000; }
};

// The real clock (CLOCK_REALTIME). Thread-safe.
std::shared_ptr<Clock> SystemClock();

// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_micros) : now_(start_micros) {}
  int64_t NowMicros() const override { return now_.load(std::memory_order_acquire); }
  void AdvanceMicros(int64_t d) { now_.fetch_add(d, std::memory_order_acq_rel); }
  void AdvanceMillis(int64_t d) { AdvanceMicros(d * 1000); }
  void SetMicros(int64_t t) { now_.store(t, std::memory_order_release); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace tidelog
