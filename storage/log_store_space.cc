// LogStore's disk-full and write-error handling: admission of writes under the
// free-space reserve, the free-space cache, background-error bookkeeping,
// DB::Resume() (and when to reopen instead), the resumer thread, and the
// memtable anchor that makes a resume after a WAL error safe.
#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <mutex>

#include "storage/log_store.h"

namespace tidelog::storage {
namespace {

// In the meta column family ('~' keys are the store's own): see
// LogStore::AnchorMemtable().
constexpr char kAnchorKey[] = "~tidelog/wal-anchor";

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void LogStore::AnchorMemtable() {
  // Once per active meta memtable: set before the Put, so a seal racing it
  // only costs one more anchor.
  if (meta_anchored_.exchange(true, std::memory_order_acq_rel)) return;
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;  // memtable only: cannot fail on a full disk
  db_->Put(wo, meta_, kAnchorKey, "").PermitUncheckedError();
}

void LogStore::Log(LogLevel level, const std::string& line) const { log_sink_(level, line); }

void LogStore::NoteError(const rocksdb::Status& s, const char* what) {
  if (!s.IsIOError() && !s.IsNoSpace()) return;  // e.g. a dropped column family
  if (!degraded_.exchange(true, std::memory_order_acq_rel)) {
    {
      std::lock_guard<std::mutex> lock(error_mu_);
      degraded_since_ns_ = NowNs();
    }
    Log(LogLevel::kError, std::string("storage ") + what + ": " + s.ToString() +
                              "; writes are refused until the store resumes");
  }
}

uint64_t LogStore::FreeBytes() {
  const int64_t now = NowNs();
  const int64_t checked = free_checked_ns_.load(std::memory_order_acquire);
  if (checked != INT64_MIN &&
      now - checked < std::chrono::nanoseconds(kFreeSpaceInterval).count()) {
    // Between two statvfs calls, what was written since counts as used.
    const uint64_t cached = free_bytes_.load(std::memory_order_relaxed);
    const uint64_t written = written_since_check_.load(std::memory_order_relaxed);
    return cached > written ? cached - written : 0;
  }
  written_since_check_.store(0, std::memory_order_relaxed);
  struct statvfs st {};
  uint64_t free = std::numeric_limits<uint64_t>::max();  // unknown: never refuse
  if (::statvfs(dir_.c_str(), &st) == 0) {
    free = static_cast<uint64_t>(st.f_bavail) * static_cast<uint64_t>(st.f_frsize);
  }
  free_bytes_.store(free, std::memory_order_relaxed);
  free_checked_ns_.store(now, std::memory_order_release);
  return free;
}

rocksdb::Status LogStore::TryResume(bool force) {
  if (!degraded()) return rocksdb::Status::OK();
  // The hold first (lock order: the hold, then resume_mu_): db_ stays put.
  Hold hold(this);
  std::lock_guard<std::mutex> lock(resume_mu_);
  if (!degraded()) return rocksdb::Status::OK();  // another thread resumed or reopened
  if (!db_) return Closed();
  if (reopen_wanted_.load(std::memory_order_acquire)) {
    return rocksdb::Status::IOError("store stopped after a write error; reopening");
  }
  const int64_t now = NowNs();
  const uint64_t free = FreeBytes();
  const bool space = min_free_bytes_ == 0 || free >= min_free_bytes_;
  if ((!space && !force) ||
      (last_resume_ns_ != INT64_MIN &&
       now - last_resume_ns_ < std::chrono::nanoseconds(kResumeInterval).count())) {
    return rocksdb::Status::NoSpace("store stopped after a write error");
  }
  if (wal_failed_.load(std::memory_order_acquire) && !AnyMemtableHoldsData()) {
    // RocksDB 7.8 switches to a new WAL on Resume() only by flushing a
    // non-empty memtable; otherwise the next write reuses the failed WAL
    // writer and aborts (assertion in WritableFileWriter). AnchorMemtable()
    // before every write keeps this from happening; should it anyway, the
    // store reopens RocksDB rather than resume.
    WantReopen("the write-ahead log failed while no memtable held data");
    return rocksdb::Status::IOError("store stopped after a write-ahead log error; reopening");
  }
  last_resume_ns_ = now;
  rocksdb::Status s = db_->Resume();
  if (!s.ok()) {
    // A fatal error (RocksDB 7.8: EIO on the WAL or the MANIFEST) is never
    // resumed; other failures usually mean the errors go on, but a store
    // whose resumes keep failing is reopened too.
    if (s.severity() >= rocksdb::Status::Severity::kFatalError) {
      WantReopen("the error is fatal to this RocksDB instance");
    } else if (++resume_failures_ >= kResumeFailuresBeforeReopen) {
      WantReopen("resuming keeps failing");
    }
    if (s.IsNoSpace()) return rocksdb::Status::NoSpace("store stopped after a write error");
    return rocksdb::Status::IOError("store stopped after a write error");
  }
  resume_failures_ = 0;
  wal_failed_.store(false, std::memory_order_release);
  degraded_.store(false, std::memory_order_release);
  resumes_.fetch_add(1, std::memory_order_relaxed);
  int64_t since = 0;
  {
    std::lock_guard<std::mutex> elock(error_mu_);
    since = degraded_since_ns_;
  }
  Log(LogLevel::kWarning, "storage resumed after " + std::to_string((NowNs() - since) / 1000000) +
                              " ms (" + std::to_string(free) + " bytes free)");
  return rocksdb::Status::OK();
}

void LogStore::RunResumer() {
  std::unique_lock<std::mutex> lock(resumer_mu_);
  while (!resumer_stop_) {
    resumer_cv_.wait_for(lock, kResumeInterval, [this] { return resumer_stop_; });
    if (resumer_stop_) break;
    if (!degraded()) continue;
    lock.unlock();
    if (!reopen_wanted_.load(std::memory_order_acquire)) {
      TryResume().PermitUncheckedError();
    } else if (NowNs() >= next_reopen_ns_ &&
               (min_free_bytes_ == 0 || FreeBytes() >= min_free_bytes_)) {
      // Reopening on a full disk would only trade a store that reads for
      // one that does not open: wait for space, as a resume does.
      if (Reopen().ok()) {
        reopen_attempts_ = 0;
        next_reopen_ns_ = INT64_MIN;
      } else {
        const int shift = std::min(reopen_attempts_++, 4);
        next_reopen_ns_ =
            NowNs() + std::min(std::chrono::nanoseconds(kReopenInterval).count() << shift,
                               std::chrono::nanoseconds(kReopenMaxInterval).count());
      }
    }
    lock.lock();
  }
}

bool LogStore::AnyMemtableHoldsData() {
  Hold hold(this);
  if (!db_) return false;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs{default_cf_, meta_};
  std::vector<std::shared_ptr<Segment>> keep;
  {
    std::shared_lock<std::shared_mutex> lock(segments_mu_);
    for (const auto& [start, seg] : segments_) {
      keep.push_back(seg);
      if (seg->handle() != nullptr) cfs.push_back(seg->handle());
    }
  }
  for (auto* cf : cfs) {
    uint64_t n = 0;
    if (db_->GetIntProperty(cf, "rocksdb.num-entries-active-mem-table", &n) && n > 0) return true;
  }
  return false;
}

rocksdb::Status LogStore::Admit(WriteKind kind) {
  if (degraded()) {
    rocksdb::Status s = TryResume(kind == WriteKind::kReclaim);
    if (!s.ok()) return s;
  }
  if (kind != WriteKind::kAppend || min_free_bytes_ == 0) return rocksdb::Status::OK();
  const uint64_t free = FreeBytes();
  if (free < min_free_bytes_) {
    if (!refusing_.exchange(true, std::memory_order_relaxed)) {
      Log(LogLevel::kError, "data disk " + dir_ + " has " + std::to_string(free) +
                                " bytes free, below the reserve of " +
                                std::to_string(min_free_bytes_) +
                                " bytes: appends are refused until space is freed");
    }
    return rocksdb::Status::NoSpace("free space below the reserve");
  }
  if (refusing_.exchange(false, std::memory_order_relaxed)) {
    Log(LogLevel::kWarning, "data disk " + dir_ + " has " + std::to_string(free) +
                                " bytes free again: appends accepted");
  }
  return rocksdb::Status::OK();
}

}  // namespace tidelog::storage
