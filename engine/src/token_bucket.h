// TokenBucket: one per-shard rate limit (bytes/s or operations/s).
//
// Capacity is one second of rate (AWS's burst). Tokens are kept in
// micro-units so refill is exact integer arithmetic on clock microseconds. A
// rate of 0 means unlimited. A request larger than the capacity is admitted
// when the bucket is full and leaves it in debt, so oversized-but-legal
// records are slowed, never refused forever. Not thread-safe: each bucket is
// owned by one thread or guarded by its owner's lock.
#pragma once

#include <algorithm>
#include <cstdint>

namespace tidelog {

class TokenBucket {
 public:
  void SetRate(uint64_t per_second, int64_t now_us) {
    if (per_second == rate_) return;
    rate_ = per_second;
    tokens_ = Capacity();
    last_us_ = now_us;
  }
  uint64_t rate() const { return rate_; }
  bool unlimited() const { return rate_ == 0; }

  // Whether `n` tokens can be taken now (refilling first).
  bool CanTake(int64_t now_us, uint64_t n) {
    if (unlimited()) return true;
    Refill(now_us);
    return tokens_ >= Scaled(n) || tokens_ >= Capacity();
  }
  void Take(uint64_t n) {
    if (!unlimited()) tokens_ -= Scaled(n);
  }
  // Debt-style admission for reads of unknown size: any positive balance.
  bool HasCredit(int64_t now_us) {
    if (unlimited()) return true;
    Refill(now_us);
    return tokens_ > 0;
  }

 private:
  static constexpr int64_t kScale = 1'000'000;
  int64_t Scaled(uint64_t n) const { return static_cast<int64_t>(n) * kScale; }
  int64_t Capacity() const { return static_cast<int64_t>(rate_) * kScale; }
  void Refill(int64_t now_us) {
    int64_t elapsed = now_us - last_us_;
    if (elapsed <= 0) return;  // clock stepped back: no refill, no penalty
    last_us_ = now_us;
    // elapsed us * rate tokens/s = elapsed * rate micro-tokens; cap to avoid overflow.
    int64_t add = elapsed >= kScale * 3600 ? Capacity() : elapsed * static_cast<int64_t>(rate_);
    tokens_ = std::min(Capacity(), tokens_ + add);
  }

  uint64_t rate_ = 0;
  int64_t tokens_ = 0;
  int64_t last_us_ = 0;
};

}  // namespace tidelog
