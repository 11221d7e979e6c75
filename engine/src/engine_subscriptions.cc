// SubscribeToShard in the engine: subscribing (consumer, shard, starting
// position, AWS's exclusivity rule), reading events past the durable
// watermark, ending subscriptions, and the registry's timers. See
// engine_subscriptions.h for ownership, locks and the wakeup path.
#include "engine/src/engine_subscriptions.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>

#include "engine/src/engine_impl.h"
#include "engine/src/messages.h"
#include "storage/record_generated.h"
#include "storage/sequence.h"
#include "tidelog/sequence_number.h"

namespace tidelog {
namespace {

Status TakenOver(std::string_view account, const SubscriptionImpl::Identity& id) {
  // AWS's text, as clients log it (awslabs/amazon-kinesis-client#391).
  return Status::InUse(
      "Another active subscription exists for this consumer: " + std::string(account) + ":" +
      id.stream_name + ":" + id.shard->id() + ":" + id.consumer_name);
}

}  // namespace

// ---- SubscriptionImpl -------------------------------------------------------

SubscriptionImpl::SubscriptionImpl(EngineImpl* engine, std::weak_ptr<SubscriptionRegistry> registry,
                                   Identity id, uint64_t after_seq, int64_t started_ms,
                                   std::function<void()> wake)
    : engine_(engine),
      registry_(std::move(registry)),
      id_(std::move(id)),
      started_ms_(started_ms),
      after_seq_(after_seq),
      wake_(std::make_shared<const std::function<void()>>(std::move(wake))) {}

void SubscriptionImpl::Wake(bool force) {
  if (ended_.load(std::memory_order_acquire)) return;
  // Pairs with the fence in ReadEvent: either that read sees the new
  // durable_seq, or this exchange sees the flag it cleared.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (wake_pending_.exchange(true, std::memory_order_seq_cst) && !force) return;
  std::shared_ptr<const std::function<void()>> fn;
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    fn = wake_;
  }
  if (fn && *fn) (*fn)();
}

void SubscriptionImpl::OnRetryTimer() {
  retry_armed_.store(false, std::memory_order_release);
  Wake(/*force=*/true);
}

std::shared_ptr<const std::function<void()>> SubscriptionImpl::EndLocked(SubscriptionEnd why,
                                                                         Status status) {
  if (end_ != SubscriptionEnd::kNone) return nullptr;
  end_ = why;
  end_status_ = std::move(status);
  ended_.store(true, std::memory_order_release);
  std::lock_guard<std::mutex> lock(wake_mu_);
  return std::move(wake_);
}

void SubscriptionImpl::Unregister() {
  if (auto registry = registry_.lock()) registry->Remove(this);
}

void SubscriptionImpl::End(SubscriptionEnd why, Status status, bool wake) {
  std::shared_ptr<const std::function<void()>> fn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn = EndLocked(why, std::move(status));
  }
  if (!fn) return;
  Unregister();
  if (wake && *fn) (*fn)();
  // fn (and whatever the callback owns) goes here, outside every lock.
}

void SubscriptionImpl::Close() { End(SubscriptionEnd::kClosed, Status::OK(), /*wake=*/false); }

Status SubscriptionImpl::ReadEvent(int32_t max_records, size_t max_bytes,
                                   const std::function<void(const RecordView&)>& visit,
                                   SubscriptionEvent* event) {
  *event = SubscriptionEvent();
  std::shared_ptr<const std::function<void()>> ended_fn;  // dropped after mu_
  std::unique_lock<std::mutex> lock(mu_);
  auto finish = [&](SubscriptionEnd why, Status status) {
    ended_fn = EndLocked(why, std::move(status));
    event->end = end_;
    event->end_status = end_status_;
  };
  if (end_ != SubscriptionEnd::kNone) {
    event->end = end_;
    event->end_status = end_status_;
    return Status::OK();
  }
  wake_pending_.store(false, std::memory_order_seq_cst);
  std::atomic_thread_fence(std::memory_order_seq_cst);

  EngineImpl* e = engine_;
  const int64_t now_us = e->NowUs();
  const int64_t now = now_us / 1000;
  if (now - started_ms_ >= e->options_.subscription_lifetime_ms) {
    finish(SubscriptionEnd::kLifetime, Status::OK());
    lock.unlock();
    Unregister();
    return Status::OK();
  }
  const bool quotas = e->options_.quotas_enabled && e->options_.subscription_bytes_per_sec > 0;
  if (quotas) {
    bytes_.SetRate(e->options_.subscription_bytes_per_sec, now_us);
    if (!bytes_.HasCredit(now_us)) {
      // In debt by less than the last read: credit is back within that
      // read's time at the rate; retry then, and at least every 100 ms.
      wake_pending_.store(true, std::memory_order_seq_cst);  // appends need not wake us
      if (!retry_armed_.exchange(true)) {
        const int64_t delay_us = std::min<int64_t>(
            100'000, static_cast<int64_t>(last_taken_bytes_ * 1'000'000 /
                                          e->options_.subscription_bytes_per_sec) +
                         1000);
        if (auto registry = registry_.lock()) {
          registry->ArmTimer(delay_us, weak_from_this(), SubscriptionRegistry::TimerKind::kRetry);
        }
      }
      return Status::OK();
    }
  }

  const ShardState& shard = *id_.shard;
  bool closed;
  uint64_t ending;
  int32_t retention_hours;
  {
    std::shared_lock<std::shared_mutex> catalog_lock(e->catalog_.mu);
    auto st = e->catalog_.streams_by_uid.find(id_.stream_uid);
    if (st == e->catalog_.streams_by_uid.end()) {
      finish(SubscriptionEnd::kStreamDeleted, msg::StreamNotFound(id_.stream_name, e->account()));
      catalog_lock.unlock();
      lock.unlock();
      Unregister();
      return Status::OK();
    }
    closed = shard.closed;
    ending = shard.ending_seq;
    retention_hours = st->second->retention_hours;
  }
  const uint64_t trim = EngineImpl::TrimSeq(retention_hours, now);
  // Positions below the shard's start or the trim horizon all mean "from
  // the first record": normalised, so "nothing new" compares like with like.
  const uint64_t after = std::max({after_seq_, trim - 1, shard.starting_seq - 1});
  const uint64_t durable = shard.durable_seq.load(std::memory_order_acquire);
  const uint64_t upto = closed ? std::min(ending, durable) : durable;
  const bool at_end = closed && after >= ending;
  if (after >= upto && !first_event_ && !at_end) return Status::OK();  // nothing new

  EngineImpl::ShardRead read;
  Status failure = e->ReadRecords(shard, after, upto, max_records, max_bytes, visit, &read);
  const size_t bytes = read.bytes;
  const uint64_t last = read.last;
  const bool stopped_early = read.stopped_early;
  const int32_t count = read.count;
  if (!failure.ok()) {
    finish(SubscriptionEnd::kFailed, Status::Internal("Internal Service Failure"));
    lock.unlock();
    Unregister();
    return failure;
  }
  if (quotas && bytes > 0) {
    bytes_.Take(bytes);
    last_taken_bytes_ = bytes;
  }
  after_seq_ = last;
  first_event_ = false;
  event->has_event = true;
  event->record_count = count;
  event->record_bytes = bytes;
  CountRead(&id_.shard->stats.traffic, &id_.stream_stats->traffic, static_cast<uint64_t>(count),
            bytes);
  Count(id_.stream_stats->subscribe_to_shard_events);
  Count(id_.stream_stats->subscribe_to_shard_event_records, static_cast<uint64_t>(count));
  Count(id_.stream_stats->subscribe_to_shard_event_bytes, bytes);
  if (closed && last >= ending) {
    // The end of a closed shard: no continuation; name the children.
    std::shared_lock<std::shared_mutex> catalog_lock(e->catalog_.mu);
    event->child_shards = e->ChildShardsOf(id_.stream_uid, shard.index);
    catalog_lock.unlock();
    finish(SubscriptionEnd::kShardEnd, Status::OK());
    lock.unlock();
    Unregister();
    return Status::OK();
  }
  // AFTER_SEQUENCE_NUMBER this resumes right after what was handed over.
  const uint64_t continuation = std::max<uint64_t>(last, shard.starting_seq - 1);
  event->continuation_sequence_number = shard.external_seq(continuation);
  event->millis_behind_latest =
      stopped_early ? std::max<int64_t>(0, now - storage::SeqMillis(last)) : 0;
  id_.shard->stats.push_behind_ms.store(event->millis_behind_latest, std::memory_order_relaxed);
  id_.shard->stats.last_push_ms.store(now, std::memory_order_relaxed);
  return Status::OK();
}

// ---- SubscriptionRegistry ---------------------------------------------------

SubscriptionRegistry::~SubscriptionRegistry() { StopTimers(); }

void SubscriptionRegistry::StopTimers() {
  std::thread thread;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    thread = std::move(thread_);
    timers_.clear();
  }
  cv_.notify_all();
  if (thread.joinable()) thread.join();
}

Status SubscriptionRegistry::Add(const std::shared_ptr<SubscriptionImpl>& sub, bool exclusive,
                                 int64_t now_ms, std::string_view account,
                                 std::shared_ptr<SubscriptionImpl>* taken_over) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status::Internal("The broker is shutting down.");
  auto& subs = by_shard_[sub->id().shard->uid];
  if (exclusive) {
    for (auto it = subs.begin(); it != subs.end(); ++it) {
      const SubscriptionImpl& old = **it;
      if (old.id().consumer_arn != sub->id().consumer_arn || !old.active()) continue;
      if (now_ms - old.started_ms() < kSubscriptionTakeoverMs) return TakenOver(account, old.id());
      *taken_over = *it;
      subs.erase(it);
      count_.fetch_sub(1, std::memory_order_acq_rel);
      break;
    }
  }
  subs.push_back(sub);
  count_.fetch_add(1, std::memory_order_acq_rel);
  return Status::OK();
}

void SubscriptionRegistry::Remove(const SubscriptionImpl* sub) {
  std::shared_ptr<SubscriptionImpl> last_ref;  // released after mu_
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_shard_.find(sub->id().shard->uid);
  if (it == by_shard_.end()) return;
  auto& subs = it->second;
  for (auto s = subs.begin(); s != subs.end(); ++s) {
    if (s->get() != sub) continue;
    last_ref = std::move(*s);
    subs.erase(s);
    count_.fetch_sub(1, std::memory_order_acq_rel);
    break;
  }
  if (subs.empty()) by_shard_.erase(it);
}

void SubscriptionRegistry::NotifyShard(uint64_t shard_uid) {
  if (empty()) return;
  // Copied so no callback runs under mu_; a small vector per group commit.
  std::vector<std::shared_ptr<SubscriptionImpl>> subs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_shard_.find(shard_uid);
    if (it == by_shard_.end()) return;
    subs = it->second;
  }
  for (const auto& sub : subs) sub->Wake();
}

std::vector<std::shared_ptr<SubscriptionImpl>> SubscriptionRegistry::All() const {
  std::vector<std::shared_ptr<SubscriptionImpl>> all;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [uid, subs] : by_shard_) all.insert(all.end(), subs.begin(), subs.end());
  return all;
}

std::vector<std::shared_ptr<SubscriptionImpl>> SubscriptionRegistry::CloseAll() {
  std::vector<std::shared_ptr<SubscriptionImpl>> all;
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  for (auto& [uid, subs] : by_shard_) {
    for (auto& s : subs) all.push_back(std::move(s));
  }
  by_shard_.clear();
  count_.store(0, std::memory_order_release);
  return all;
}

void SubscriptionRegistry::ArmTimer(int64_t delay_us, std::weak_ptr<SubscriptionImpl> sub,
                                    TimerKind kind) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    if (!thread_.joinable()) thread_ = std::thread([this] { TimerLoop(); });
    timers_.emplace(Steady::now() + std::chrono::microseconds(std::max<int64_t>(0, delay_us)),
                    Timer{std::move(sub), kind});
  }
  cv_.notify_all();
}

void SubscriptionRegistry::TimerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (timers_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const auto when = timers_.begin()->first;
    if (Steady::now() < when) {
      cv_.wait_until(lock, when);  // a timer, re-armed by ArmTimer's notify
      continue;
    }
    Timer t = std::move(timers_.begin()->second);
    timers_.erase(timers_.begin());
    lock.unlock();
    if (auto sub = t.sub.lock()) {
      if (t.kind == TimerKind::kLifetime) {
        sub->End(SubscriptionEnd::kLifetime, Status::OK(), /*wake=*/true);
      } else {
        sub->OnRetryTimer();
      }
    }
    lock.lock();
  }
}

// ---- EngineImpl ---------------------------------------------------------------

Status EngineImpl::SubscribeToShard(const SubscribeToShardRequest& request,
                                    std::function<void()> wake,
                                    std::shared_ptr<ShardSubscription>* subscription) {
  SubscriptionImpl::Identity id;
  id.consumer_arn = request.consumer_arn;
  {
    std::shared_lock<std::shared_mutex> lock(catalog_.mu);
    StreamState* s = nullptr;
    size_t index = 0;
    Status st = FindConsumer("", "", request.consumer_arn, &s, &index);
    if (!st.ok()) return st;
    id.stream_uid = s->uid;
    id.stream_name = s->name;
    id.stream_stats = s->stats;
    id.consumer_name = s->consumers[index].name;
    id.consumer_created_ms = s->consumers[index].created_ms;
  }
  // The starting position as GetShardIterator resolves it (same checks and
  // texts), then the shard it names.
  std::string token;
  Status st = GetShardIterator(id.stream_name, request.shard_id, request.starting_position,
                               request.sequence_number, request.timestamp_millis, &token);
  if (!st.ok()) return st;
  IteratorPosition pos;
  if (!iterators_->Decode(token, &pos)) return Status::Internal("Internal Service Failure");
  {
    std::shared_lock<std::shared_mutex> lock(catalog_.mu);
    auto sh = catalog_.shards_by_uid.find(pos.shard_uid);
    if (pos.stream_uid != id.stream_uid || sh == catalog_.shards_by_uid.end()) {
      return msg::ShardNotFound(request.shard_id, id.stream_name, account());
    }
    id.shard = sh->second;
  }
  const int64_t now = NowMs();
  auto sub = std::make_shared<SubscriptionImpl>(this, subscriptions_, std::move(id), pos.after_seq,
                                                now, std::move(wake));
  std::shared_ptr<SubscriptionImpl> taken_over;
  st = subscriptions_->Add(sub, options_.exclusive_subscriptions, now, account(), &taken_over);
  if (!st.ok()) return st;
  if (taken_over) {
    taken_over->End(SubscriptionEnd::kTakenOver, TakenOver(account(), taken_over->id()),
                    /*wake=*/true);
  }
  subscriptions_->ArmTimer(options_.subscription_lifetime_ms * 1000, sub,
                           SubscriptionRegistry::TimerKind::kLifetime);
  Count(sub->id().stream_stats->subscribe_to_shard_success);
  *subscription = std::move(sub);
  return Status::OK();
}

void EngineImpl::EndSubscriptions() {
  for (const auto& sub : subscriptions_->CloseAll()) {
    sub->End(SubscriptionEnd::kClosed, Status::OK(), /*wake=*/true);
  }
}

void EngineImpl::NotifySubscribers(uint64_t shard_uid) { subscriptions_->NotifyShard(shard_uid); }

void EngineImpl::RevalidateSubscriptions() {
  if (subscriptions_->empty()) return;
  struct Doomed {
    std::shared_ptr<SubscriptionImpl> sub;
    SubscriptionEnd why;
    Status status;
  };
  std::vector<Doomed> doomed;
  std::vector<std::shared_ptr<SubscriptionImpl>> closed_shards;
  {
    std::shared_lock<std::shared_mutex> lock(catalog_.mu);
    for (auto& sub : subscriptions_->All()) {
      const SubscriptionImpl::Identity& id = sub->id();
      auto st = catalog_.streams_by_uid.find(id.stream_uid);
      if (st == catalog_.streams_by_uid.end()) {
        doomed.push_back({std::move(sub), SubscriptionEnd::kStreamDeleted,
                          msg::StreamNotFound(id.stream_name, account())});
        continue;
      }
      const auto& consumers = st->second->consumers;
      const bool registered = std::any_of(consumers.begin(), consumers.end(), [&](const auto& c) {
        return c.name == id.consumer_name && c.created_ms == id.consumer_created_ms;
      });
      if (!registered) {
        doomed.push_back(
            {std::move(sub), SubscriptionEnd::kConsumerDeleted,
             Status::NotFound("Consumer " + id.consumer_name + " under stream " + id.stream_name +
                              " under account " + account() + " not found.")});
      } else if (id.shard->closed) {
        closed_shards.push_back(std::move(sub));
      }
    }
  }
  for (Doomed& d : doomed) d.sub->End(d.why, std::move(d.status), /*wake=*/true);
  for (const auto& sub : closed_shards) sub->Wake();
}

}  // namespace tidelog
