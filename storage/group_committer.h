// GroupCommitter: the single writer of a LogStore.
//
// Jobs are submitted from any thread and run on one committer thread in
// submission order. Each job adds its records and metadata to the current
// group's batch (Prepare); the group is written as one WriteBatch with one
// fsync in sync mode (so concurrent appends share an fsync), then every job of
// the group learns the outcome (Complete). While a group is being written,
// new jobs queue up and form the next group: no timer, no added latency.
//
// Because Prepare runs serially, state it touches (sequence counters,
// routing tables, write quotas) needs no locks. "The writer" is whichever
// thread holds the writer role: the committer thread, or a caller of
// RunOrSubmit() that found the committer idle and runs its own group inline
// (as RocksDB's write leader does), which saves two thread hand-offs per
// call. Only one thread holds the role at a time, and the role passes under
// mu_, so each writer sees everything the previous one did.
//
// Failures never wedge the committer. Before a job is prepared it is admitted
// by LogStore::Admit(job's WriteKind): a refused job completes with that
// NoSpace status, unprepared, so its Prepare never touches state. A group
// whose write fails completes with the write's error, but its jobs were
// prepared (sequence counters and catalogue already moved on), so its sealed
// WriteBatch is kept and written again, before any later group, once the
// store can write; until then every job is refused. Completing with an error
// thus means "not acknowledged", as after a crash: the effect may still land.
#pragma once

#include <rocksdb/status.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "storage/histogram.h"
#include "storage/log_store.h"

namespace tidelog::storage {

class CommitJob {
 public:
  virtual ~CommitJob() = default;
  // Adds this job's writes to `batch` (all or nothing). The writer only.
  virtual void Prepare(LogStore* store, LogBatch* batch) = 0;
  // The outcome of the write holding this job (OK if Prepare added nothing).
  // The writer only. Called once, with or without a prior Prepare.
  virtual void Complete(const rocksdb::Status& status) = 0;
  // Whether this job may add data (refused while free space is below the
  // store's reserve) or only deletes (admitted while RocksDB can write).
  virtual WriteKind kind() const { return WriteKind::kAppend; }
};

class GroupCommitter {
 public:
  // `sync`: fsync the WAL of every group. `max_group_bytes`: a group is cut
  // once its batch reaches this size.
  GroupCommitter(LogStore* store, bool sync, size_t max_group_bytes);
  // Runs every job already submitted, then joins the thread.
  ~GroupCommitter();

  // Queues `job` for the committer thread. Never blocks on I/O.
  void Submit(std::unique_ptr<CommitJob> job);
  // If no group is being written or queued, runs `job` as a group of its own
  // on this thread (Prepare, write, Complete) before returning; otherwise
  // queues it like Submit(). For callers that will wait for the job anyway.
  void RunOrSubmit(std::unique_ptr<CommitJob> job);

  // Groups written so far (for tests and stats).
  uint64_t groups_written() const { return groups_written_.load(std::memory_order_relaxed); }

  // For metrics (any thread): jobs per written group, the time of each
  // group's write (with its fsync in sync mode), and failed group writes.
  struct Stats {
    uint64_t groups_written = 0;
    uint64_t failed_writes = 0;
    HistogramData jobs_per_group;
    HistogramData write_micros;
  };
  Stats ReadStats() const;

 private:
  void Run();
  // Writes `jobs` as groups. Caller holds the writer role.
  void WriteGroups(std::deque<std::unique_ptr<CommitJob>>* jobs);

  LogStore* const store_;
  const bool sync_;
  const size_t max_group_bytes_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<CommitJob>> queue_;  // guarded by mu_
  bool stopping_ = false;                         // guarded by mu_
  bool writing_ = false;  // guarded by mu_: some thread holds the writer role

  LogBatch batch_;  // the writer only; reused across groups
  // The writer only: the sealed batch of a group whose write failed, written
  // before the next group (empty when none).
  rocksdb::WriteBatch unwritten_;
  bool has_unwritten_ = false;
  std::atomic<uint64_t> groups_written_{0};
  std::atomic<uint64_t> failed_writes_{0};
  Histogram jobs_per_group_{kCountBounds};
  Histogram write_micros_{kLatencyBoundsUs};
  std::thread thread_;
};

}  // namespace tidelog::storage
