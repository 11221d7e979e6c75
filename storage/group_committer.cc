// GroupCommitter: one thread turning queued jobs into synced WriteBatches.
#include "storage/group_committer.h"

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
  while (!jobs->empty()) {
    batch_.Clear();
    group.clear();
    while (!jobs->empty() && batch_.ByteSize() < max_group_bytes_) {
      group.push_back(std::move(jobs->front()));
      jobs->pop_front();
      if (failed_.ok()) group.back()->Prepare(store_, &batch_);
    }
    rocksdb::Status s = failed_;
    if (s.ok() && !batch_.empty()) {
      s = store_->Write(&batch_, sync_);
      if (!s.ok()) failed_ = s;
      groups_written_.fetch_add(1, std::memory_order_relaxed);
    }
    for (auto& job : group) job->Complete(s);
  }
}

}  // namespace tidelog::storage
