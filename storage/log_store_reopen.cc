// LogStore's hold and reopening: how calls keep RocksDB objects valid (a
// shared hold, re-entrant per thread), how the handles of destroyed segments
// are given back, and how the resumer closes and reopens RocksDB in place
// when DB::Resume() cannot clear a write error.
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "storage/log_store.h"

namespace tidelog::storage {
namespace {

// The stores this thread holds, with how many times (holds nest: a call
// made while a batch holds the store, or a visitor calling back in).
struct HeldStore {
  const LogStore* store;
  int depth;
};
thread_local std::vector<HeldStore> t_held;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void LogStore::Enter() {
  for (HeldStore& h : t_held) {
    if (h.store == this) {
      ++h.depth;
      return;
    }
  }
  for (;;) {
    active_.fetch_add(1, std::memory_order_seq_cst);
    if (!reopening_.load(std::memory_order_seq_cst)) break;
    // A reopen is waiting for the holders to drain: step back and wait for
    // it, so that a steady stream of calls cannot starve it.
    if (active_.fetch_sub(1, std::memory_order_seq_cst) == 1) {
      std::lock_guard<std::mutex> lock(gate_mu_);
      drain_cv_.notify_all();
    }
    std::unique_lock<std::mutex> lock(gate_mu_);
    gate_cv_.wait(lock, [this] { return !reopening_.load(std::memory_order_seq_cst); });
  }
  t_held.push_back({this, 1});
}

void LogStore::Exit() {
  for (size_t i = 0; i < t_held.size(); ++i) {
    if (t_held[i].store != this) continue;
    if (--t_held[i].depth > 0) return;
    t_held.erase(t_held.begin() + static_cast<std::ptrdiff_t>(i));
    break;
  }
  if (has_retired_.load(std::memory_order_acquire)) DestroyRetiredHandles();
  if (active_.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
      reopening_.load(std::memory_order_seq_cst)) {
    std::lock_guard<std::mutex> lock(gate_mu_);
    drain_cv_.notify_all();
  }
}

rocksdb::Status LogStore::Closed() {
  return rocksdb::Status::IOError("store is closed after a write error; reopening");
}

void LogStore::RetireHandle(Segment* segment) {
  std::lock_guard<std::mutex> lock(retire_mu_);
  std::erase(live_segments_, segment);
  if (segment->cf_ != nullptr) {
    retired_.push_back(segment->cf_);
    segment->cf_ = nullptr;
    has_retired_.store(true, std::memory_order_release);
  }
}

// Holding the store, or during a reopen: the handles belong to db_.
void LogStore::DestroyRetiredHandles() {
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  {
    std::lock_guard<std::mutex> lock(retire_mu_);
    handles.swap(retired_);
    has_retired_.store(false, std::memory_order_release);
  }
  for (auto* cf : handles) db_->DestroyColumnFamilyHandle(cf).PermitUncheckedError();
}

// During a reopen (no thread holds the store), or the destructor.
void LogStore::CloseDb() {
  DestroyRetiredHandles();
  {
    std::lock_guard<std::mutex> lock(retire_mu_);
    for (Segment* segment : live_segments_) {
      if (segment->cf_ == nullptr) continue;
      db_->DestroyColumnFamilyHandle(segment->cf_).PermitUncheckedError();
      segment->cf_ = nullptr;
    }
  }
  if (meta_ != nullptr) db_->DestroyColumnFamilyHandle(meta_).PermitUncheckedError();
  if (default_cf_ != nullptr) db_->DestroyColumnFamilyHandle(default_cf_).PermitUncheckedError();
  meta_ = nullptr;
  default_cf_ = nullptr;
  db_->Close().PermitUncheckedError();
  db_.reset();
  ResetStalls();  // the closed instance's column families report no more changes
}

void LogStore::WantReopen(const char* why) {
  if (!reopen_wanted_.exchange(true, std::memory_order_acq_rel)) {
    Log(LogLevel::kError,
        std::string("storage cannot resume (") + why + "): closing and reopening the database");
  }
}

rocksdb::Status LogStore::Reopen() {
  auto open_gate = [this] {
    {
      std::lock_guard<std::mutex> lock(gate_mu_);
      reopening_.store(false, std::memory_order_seq_cst);
    }
    gate_cv_.notify_all();
  };
  {
    std::unique_lock<std::mutex> lock(gate_mu_);
    reopening_.store(true, std::memory_order_seq_cst);
    if (!drain_cv_.wait_for(lock, kReopenDrainWait,
                            [this] { return active_.load(std::memory_order_seq_cst) == 0; })) {
      lock.unlock();
      open_gate();
      Log(LogLevel::kWarning, "storage reopen postponed: a call is still inside the database");
      return rocksdb::Status::Busy("calls in flight");
    }
  }
  // From here until open_gate(), no thread holds the store.
  if (db_) {
    // Everything acknowledged is in the WAL or in SST files: skip the flush
    // at close (it would fail on the disk that just failed) and replay the
    // WAL on open instead.
    db_->SetDBOptions({{"avoid_flush_during_shutdown", "true"}}).PermitUncheckedError();
    CloseDb();
  }
  const rocksdb::Status s = OpenDb();
  if (!s.ok()) {
    // db_ stays null: every call answers Closed() until a later attempt.
    open_gate();
    Log(LogLevel::kError, "storage reopen failed: " + s.ToString() + "; retrying");
    return s;
  }
  meta_anchored_.store(false, std::memory_order_release);
  wal_failed_.store(false, std::memory_order_release);
  reopen_wanted_.store(false, std::memory_order_release);
  {
    std::lock_guard<std::mutex> rlock(resume_mu_);
    resume_failures_ = 0;
    last_resume_ns_ = INT64_MIN;
  }
  degraded_.store(false, std::memory_order_release);
  reopens_.fetch_add(1, std::memory_order_relaxed);
  int64_t since = 0;
  {
    std::lock_guard<std::mutex> elock(error_mu_);
    since = degraded_since_ns_;
  }
  open_gate();
  Log(LogLevel::kWarning,
      "storage reopened after " + std::to_string((NowNs() - since) / 1000000) + " ms");
  return rocksdb::Status::OK();
}

}  // namespace tidelog::storage
