// Segment and LogBatch: a time-window column family as callers hold it, and
// the batch that packs records into chunks and commits them with metadata.
#include <cassert>
#include <cinttypes>
#include <cstdio>
#include <mutex>

#include "storage/keys.h"
#include "storage/log_store.h"

namespace tidelog::storage {

// ---- Segment ---------------------------------------------------------------

Segment::Segment(LogStore* store, rocksdb::ColumnFamilyHandle* cf, int64_t start_ms, int64_t end_ms)
    : store_(store), cf_(cf), start_ms_(start_ms), end_ms_(end_ms) {
  std::lock_guard<std::mutex> lock(store_->retire_mu_);
  store_->live_segments_.push_back(this);
}

Segment::~Segment() { store_->RetireHandle(this); }

std::string Segment::Name(int64_t start_ms, int64_t end_ms) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "seg-%016" PRId64 "-%016" PRId64, start_ms, end_ms);
  return buf;
}

bool Segment::ParseName(const std::string& name, int64_t* start_ms, int64_t* end_ms) {
  int64_t s = 0, e = 0;
  int consumed = 0;
  if (std::sscanf(name.c_str(), "seg-%16" SCNd64 "-%16" SCNd64 "%n", &s, &e, &consumed) != 2 ||
      static_cast<size_t>(consumed) != name.size() || e <= s) {
    return false;
  }
  *start_ms = s;
  *end_ms = e;
  return true;
}

// ---- LogBatch --------------------------------------------------------------

LogBatch::~LogBatch() {
  open_.clear();
  ReleaseStore();
}

void LogBatch::HoldStore() {
  if (held_) return;
  store_->Enter();
  held_ = true;
}

void LogBatch::ReleaseStore() {
  if (!held_) return;
  held_ = false;
  store_->Exit();
}

void LogBatch::PutRecord(const std::shared_ptr<Segment>& segment, uint64_t shard, uint64_t seq,
                         std::string_view value) {
  HoldStore();
  OpenChunk& open = open_[shard];
  assert(open.chunk.empty() || seq > open.chunk.last_seq());
  if (open.segment != segment) {
    if (!open.chunk.empty()) SealChunk(shard, &open);
    open.segment = segment;
  }
  const size_t before = open.chunk.size_bytes();
  open.chunk.Add(seq, value);
  open_bytes_ += open.chunk.size_bytes() - before;  // the entry's encoded bytes
  if (open.chunk.size_bytes() >= kChunkTargetBytes) SealChunk(shard, &open);
}

void LogBatch::SealChunk(uint64_t shard, OpenChunk* open) {
  if (open->segment->handle() == nullptr) {  // gone: see lost_column_family()
    lost_cf_ = true;
    open_bytes_ -= open->chunk.size_bytes() - ChunkBuilder::kHeaderBytes;
    open->chunk.Reset();
    return;
  }
  RecordKey key(shard, open->chunk.last_seq());
  const rocksdb::Slice key_slice(key.bytes, kRecordKeySize);
  pieces_.clear();
  for (std::string_view piece : open->chunk.Finish())
    pieces_.emplace_back(piece.data(), piece.size());
  // The WriteBatch copies the record bytes once, straight from the callers'
  // buffers.
  batch_
      .Put(open->segment->handle(), rocksdb::SliceParts(&key_slice, 1),
           rocksdb::SliceParts(pieces_.data(), static_cast<int>(pieces_.size())))
      .PermitUncheckedError();
  open_bytes_ -= open->chunk.size_bytes() - ChunkBuilder::kHeaderBytes;
  open->chunk.Reset();
}

void LogBatch::Seal() {
  for (auto& [shard, open] : open_) {
    if (!open.chunk.empty()) SealChunk(shard, &open);
  }
  open_.clear();
  open_bytes_ = 0;
}

void LogBatch::Clear() {
  batch_.Clear();
  open_.clear();
  open_bytes_ = 0;
  lost_cf_ = false;
  ReleaseStore();
}

void LogBatch::PutMeta(std::string_view key, std::string_view value) {
  HoldStore();
  if (store_->meta_ == nullptr) {
    lost_cf_ = true;
    return;
  }
  batch_
      .Put(store_->meta_, rocksdb::Slice(key.data(), key.size()),
           rocksdb::Slice(value.data(), value.size()))
      .PermitUncheckedError();
}

void LogBatch::DeleteMeta(std::string_view key) {
  HoldStore();
  if (store_->meta_ == nullptr) {
    lost_cf_ = true;
    return;
  }
  batch_.Delete(store_->meta_, rocksdb::Slice(key.data(), key.size())).PermitUncheckedError();
}

}  // namespace tidelog::storage
