// Histogram: a fixed-bucket distribution that any thread may record into
// without a lock (one relaxed atomic add per bucket, count and sum), read by
// metrics exporters as a snapshot. Buckets are "at most bound[i]", the last
// one above every bound, as in Prometheus histograms (upper bounds inclusive).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace tidelog::storage {

// Latency bounds in microseconds: 50 us to 10 s.
inline constexpr uint64_t kLatencyBoundsUs[] = {50,     100,     250,     500,     1000,    2500,
                                                5000,   10000,   25000,   50000,   100000,  250000,
                                                500000, 1000000, 2500000, 5000000, 10000000};
// Group sizes (jobs or records per group commit): powers of two to 4096.
inline constexpr uint64_t kCountBounds[] = {1,   2,   4,   8,    16,   32,  64,
                                            128, 256, 512, 1024, 2048, 4096};

// A consistent-enough copy: each field is read once; a record racing with the
// read may be in `count` but not yet in its bucket (never the reverse sum).
struct HistogramData {
  std::vector<uint64_t> bounds;
  std::vector<uint64_t> counts;  // bounds.size() + 1 entries, not cumulative
  uint64_t count = 0;
  uint64_t sum = 0;
};

class Histogram {
 public:
  // `bounds` must be sorted ascending and outlive the histogram (static).
  explicit Histogram(std::span<const uint64_t> bounds)
      : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds.size() + 1]) {
    for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
  }
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Record(uint64_t value) {
    size_t i = 0;
    while (i < bounds_.size() && value > bounds_[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
  }

  HistogramData Read() const {
    HistogramData d;
    d.bounds.assign(bounds_.begin(), bounds_.end());
    d.counts.resize(bounds_.size() + 1);
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      d.counts[i] = buckets_[i].load(std::memory_order_relaxed);
      d.count += d.counts[i];
    }
    d.sum = sum_.load(std::memory_order_relaxed);
    return d;
  }

 private:
  const std::span<const uint64_t> bounds_;
  const std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_{0};
};

}  // namespace tidelog::storage
