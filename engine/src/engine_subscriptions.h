// SubscribeToShard inside the engine: SubscriptionImpl (one consumer's push
// subscription to one shard) and SubscriptionRegistry (who listens to which
// shard, the exclusivity rule, and the timers that end subscriptions after
// their lifetime or resume throttled ones).
//
// Ownership: the caller of Engine::SubscribeToShard holds the subscription by
// shared_ptr; the registry holds it too while it is active and drops it the
// moment it ends. The subscription owns its wake callback until it ends, and
// then lets go of it (so a callback that owns the caller's state breaks that
// cycle). Timers hold weak_ptrs only. A subscription reaches the registry by
// weak_ptr, so one outliving the engine never touches it; ReadEvent never
// touches the engine once the subscription has ended, and the engine's
// destructor ends every subscription (waiting for a ReadEvent in progress)
// before anything else goes.
//
// Wakeup path: AppendJob::Complete (the committer thread, after the group
// commit that made records durable and after durable_seq moved) calls
// SubscriptionRegistry::NotifyShard, which calls Wake() on the shard's
// subscriptions: one atomic exchange each, and the callback only when the
// previous wake was consumed by a ReadEvent. No locks are held while callbacks
// run.
//
// Locks, in order: SubscriptionImpl::mu_ -> Catalog::mu (shared) ->
// SubscriptionRegistry::mu_ -> SubscriptionImpl::wake_mu_. The registry never
// calls into a subscription while holding its own lock.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine/src/token_bucket.h"
#include "tidelog/engine.h"

namespace tidelog {

class EngineImpl;
class SubscriptionRegistry;
struct ShardState;
struct StreamStats;

// AWS: a second SubscribeToShard of a consumer to a shard within 5 s of a
// successful one is refused (ResourceInUseException); a later one takes over.
inline constexpr int64_t kSubscriptionTakeoverMs = 5000;

class SubscriptionImpl final : public ShardSubscription,
                               public std::enable_shared_from_this<SubscriptionImpl> {
 public:
  // What the subscription reads and for whom; fixed at creation.
  struct Identity {
    uint64_t stream_uid = 0;
    std::string stream_name;
    std::shared_ptr<ShardState> shard;
    std::shared_ptr<StreamStats> stream_stats;  // the stream's counters (engine_stats.h)
    std::string consumer_name;
    int64_t consumer_created_ms = 0;
    std::string consumer_arn;
  };

  SubscriptionImpl(EngineImpl* engine, std::weak_ptr<SubscriptionRegistry> registry, Identity id,
                   uint64_t after_seq, int64_t started_ms, std::function<void()> wake);

  Status ReadEvent(int32_t max_records, size_t max_bytes,
                   const std::function<void(const RecordView&)>& visit,
                   SubscriptionEvent* event) override;
  void Close() override;

  // ---- engine side ----
  // Asks the owner to ReadEvent: calls the callback unless a wake is already
  // pending (not yet consumed by a ReadEvent). `force`: call it even then (a
  // retry timer, whose ReadEvent left the flag set). Never blocks.
  void Wake(bool force = false);
  // Ends the subscription unless it has ended; removes it from the registry,
  // drops the wake callback and, with `wake`, calls it once first. Waits for
  // a ReadEvent in progress.
  void End(SubscriptionEnd why, Status status, bool wake);
  void OnRetryTimer();

  const Identity& id() const { return id_; }
  int64_t started_ms() const { return started_ms_; }
  bool active() const { return !ended_.load(std::memory_order_acquire); }

 private:
  // Marks the end; caller holds mu_. Returns the callback to drop (or call)
  // after mu_ is released, or nullptr if it had already ended.
  std::shared_ptr<const std::function<void()>> EndLocked(SubscriptionEnd why, Status status);
  void Unregister();

  EngineImpl* const engine_;  // used only while active, under mu_
  const std::weak_ptr<SubscriptionRegistry> registry_;
  const Identity id_;
  const int64_t started_ms_;  // engine clock

  std::mutex mu_;  // serialises ReadEvent and End; guards the fields below
  uint64_t after_seq_;
  bool first_event_ = true;
  SubscriptionEnd end_ = SubscriptionEnd::kNone;
  Status end_status_;
  TokenBucket bytes_;  // subscription_bytes_per_sec (quotas on)
  uint64_t last_taken_bytes_ = 0;

  std::atomic<bool> ended_{false};
  std::atomic<bool> wake_pending_{false};
  std::atomic<bool> retry_armed_{false};
  std::mutex wake_mu_;  // guards wake_ (a leaf lock)
  std::shared_ptr<const std::function<void()>> wake_;
};

class SubscriptionRegistry {
 public:
  SubscriptionRegistry() = default;
  ~SubscriptionRegistry();  // StopTimers()
  SubscriptionRegistry(const SubscriptionRegistry&) = delete;
  SubscriptionRegistry& operator=(const SubscriptionRegistry&) = delete;

  // Adds `sub` under AWS's rule when `exclusive`: ResourceInUse while another
  // active subscription of the consumer to the shard began less than
  // kSubscriptionTakeoverMs before `now_ms`; an older one is returned in
  // *taken_over for the caller to end. Refused once closed.
  Status Add(const std::shared_ptr<SubscriptionImpl>& sub, bool exclusive, int64_t now_ms,
             std::string_view account, std::shared_ptr<SubscriptionImpl>* taken_over);
  void Remove(const SubscriptionImpl* sub);
  // The committer thread, after a group commit: wakes the shard's subscribers.
  void NotifyShard(uint64_t shard_uid);
  std::vector<std::shared_ptr<SubscriptionImpl>> All() const;
  // Refuses new subscriptions and returns (and forgets) every active one.
  std::vector<std::shared_ptr<SubscriptionImpl>> CloseAll();
  bool empty() const { return count_.load(std::memory_order_acquire) == 0; }

  enum class TimerKind { kLifetime, kRetry };
  // Runs `kind` for `sub` (if it still exists) after `delay_us` of steady
  // time, on the registry's timer thread (started on first use).
  void ArmTimer(int64_t delay_us, std::weak_ptr<SubscriptionImpl> sub, TimerKind kind);
  // Drops every timer and joins the timer thread; later ArmTimer calls are
  // ignored. Not from the timer thread.
  void StopTimers();

 private:
  using Steady = std::chrono::steady_clock;
  struct Timer {
    std::weak_ptr<SubscriptionImpl> sub;
    TimerKind kind;
  };
  void TimerLoop();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<uint64_t, std::vector<std::shared_ptr<SubscriptionImpl>>> by_shard_;
  std::multimap<Steady::time_point, Timer> timers_;
  bool closed_ = false;
  bool stop_ = false;
  std::thread thread_;
  std::atomic<size_t> count_{0};
};

}  // namespace tidelog
