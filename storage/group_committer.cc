// GroupCommitter: one thread turning queued jobs into synced WriteBatches.
#include "storage/group_committer.h"

#include <chrono>
#include <optional>
#include <vector>

namespace tidelog::storage {

GroupCommitter::GroupCommitter(LogStore* store, bool sync, size_t max_group_bytes)
    : store_(store), sync_(sync), max_group_bytes_(max_group_bytes), batch_(store->NewBatch()) {
  thread_ = std::thread([this] { Run(); });
}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void GroupCommitter::Submit(std::unique_ptr<CommitJob> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void GroupCommitter::RunOrSubmit(std::unique_ptr<CommitJob> job) {
  std::unique_lock<std::mutex> lock(mu_);
  if (writing_ || !queue_.empty() || stopping_) {
    queue_.push_back(std::move(job));
    lock.unlock();
    cv_.notify_one();
    return;
  }
  writing_ = true;
  lock.unlock();
  std::deque<std::unique_ptr<CommitJob>> jobs;
  jobs.push_back(std::move(job));
  WriteGroups(&jobs);
  lock.lock();
  writing_ = false;
  const bool more = !queue_.empty();
  lock.unlock();
  if (more) cv_.notify_one();
}

void GroupCommitter::Run() {
  std::deque<std::unique_ptr<CommitJob>> jobs;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return (stopping_ && !writing_) || (!queue_.empty() && !writing_); });
      if (queue_.empty()) return;  // stopping and drained
      jobs.swap(queue_);
      writing_ = true;
    }
    WriteGroups(&jobs);
    {
      std::lock_guard<std::mutex> lock(mu_);
      writing_ = false;
    }
  }
}

void GroupCommitter::WriteGroups(std::deque<std::unique_ptr<CommitJob>>* jobs) {
  std::vector<std::unique_ptr<CommitJob>> group;
  std::vector<rocksdb::Status> refused;  // per job of `group`; OK: prepared
  while (!jobs->empty()) {
    batch_.Clear();
    // Held from admission to the write: the store cannot reopen RocksDB
    // between the Admit() that let a job in and the write of its Prepare.
    batch_.HoldStore();
    group.clear();
    refused.clear();
    // A failed group's batch goes first, so writes land in order.
    rocksdb::Status blocked;
    if (has_unwritten_) {
      blocked = store_->Admit(WriteKind::kReclaim);
      if (blocked.ok()) blocked = store_->WriteRaw(&unwritten_, sync_);
      if (blocked.ok()) {
        unwritten_.Clear();
        has_unwritten_ = false;
      }
    }
    // Admission is decided once per kind per group.
    std::optional<rocksdb::Status> admit[2];
    while (!jobs->empty() && batch_.ByteSize() < max_group_bytes_) {
      group.push_back(std::move(jobs->front()));
      jobs->pop_front();
      CommitJob* job = group.back().get();
      rocksdb::Status a = blocked;
      if (a.ok()) {
        std::optional<rocksdb::Status>& cached = admit[job->kind() == WriteKind::kAppend ? 0 : 1];
        if (!cached) cached = store_->Admit(job->kind());
        a = *cached;
      }
      if (a.ok()) job->Prepare(store_, &batch_);
      refused.push_back(a);
    }
    rocksdb::Status s;
    if (!batch_.empty()) {
      const auto start = std::chrono::steady_clock::now();
      s = store_->Write(&batch_, sync_);
      write_micros_.Record(
          static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::steady_clock::now() - start)
                                    .count()));
      jobs_per_group_.Record(group.size());
      groups_written_.fetch_add(1, std::memory_order_relaxed);
      if (!s.ok()) {
        failed_writes_.fetch_add(1, std::memory_order_relaxed);
        unwritten_ = *batch_.raw();  // sealed by Write: owns its bytes
        has_unwritten_ = true;
      }
    }
    batch_.ReleaseStore();  // Write() did, unless nothing was prepared
    for (size_t i = 0; i < group.size(); ++i) group[i]->Complete(refused[i].ok() ? s : refused[i]);
  }
}

GroupCommitter::Stats GroupCommitter::ReadStats() const {
  Stats stats;
  stats.groups_written = groups_written_.load(std::memory_order_relaxed);
  stats.failed_writes = failed_writes_.load(std::memory_order_relaxed);
  stats.jobs_per_group = jobs_per_group_.Read();
  stats.write_micros = write_micros_.Read();
  return stats;
}

}  // namespace tidelog::storage
