// Resharding: SplitShard, MergeShards and UpdateShardCount (UNIFORM_SCALING).
//
// All of it runs on the committer thread, serialised with appends: an append
// prepared before a split lands in the parent, one prepared after it in a
// child, and the parent's EndingSequenceNumber is its last assigned seq. The
// parent is closed and its children created in the same WriteBatch, and the
// children start above the parents' last seq, so a consumer draining parents
// before children sees every key in order.
#include <algorithm>

#include "engine/src/engine_impl.h"
#include "engine/src/limits.h"
#include "engine/src/messages.h"

namespace tidelog {
namespace {

Status OnDemandRejects(std::string_view op, const StreamState& s, const std::string& account) {
  return Status::Validation(std::string(op) + " is not supported for stream " + s.name +
                            " under account " + account + " because it is in ON_DEMAND mode.");
}

Status NotEligible(const ShardState& sh, const StreamState& s, const std::string& account) {
  return Status::InvalidArgument("Shard " + sh.id() + " in stream " + s.name + " under account " +
                                 account +
                                 " has already been merged or split, and thus is not eligible "
                                 "for merging or splitting.");
}

// The shard a request's ShardId names (ResolveShardId), or AWS's
// ResourceNotFoundException: naming the id as sent when it names no shard
// index, canonically when it does but the stream has no such shard.
Status FindShard(StreamState* s, std::string_view shard_id, const std::string& account,
                 ShardState** out) {
  uint32_t index = 0;
  if (!ResolveShardId(shard_id, &index)) return msg::CouldNotFindShard(shard_id, s->name, account);
  auto it = s->shards.find(index);
  if (it == s->shards.end()) return msg::CouldNotFindShard(FormatShardId(index), s->name, account);
  *out = it->second.get();
  return Status::OK();
}

}  // namespace

Status EngineImpl::SplitLocked(StreamState* s, ShardState* sh, u128 new_start,
                               storage::LogBatch* batch, bool any_interior_key) {
  const HashKeyRange r = sh->range;
  // SplitShard's rule: start + 1 < key < end. UpdateShardCount may split at
  // any key that leaves both children non-empty: start < key <= end. Written
  // as differences so a range starting at 2^128 - 1 cannot wrap.
  const bool above_start =
      new_start > r.starting_hash_key && (any_interior_key || new_start - r.starting_hash_key > 1);
  const bool valid = above_start && (any_interior_key ? new_start <= r.ending_hash_key
                                                      : new_start < r.ending_hash_key);
  if (!valid) {
    return Status::InvalidArgument(
        "NewStartingHashKey " + U128ToDecimal(new_start) + " used in SplitShard() on shard " +
        sh->id() + " in stream " + s->name + " under account " + account() +
        " is not both greater than one plus the shard's StartingHashKey " +
        U128ToDecimal(r.starting_hash_key) + " and less than the shard's EndingHashKey " +
        U128ToDecimal(r.ending_hash_key) + ".");
  }
  CloseShard(s, sh, batch);
  const uint64_t start_seq = sh->last_seq + 1;
  NewShard(s, {r.starting_hash_key, new_start - 1}, sh->index, -1, start_seq, batch);
  NewShard(s, {new_start, r.ending_hash_key}, sh->index, -1, start_seq, batch);
  s->RebuildRouting();
  batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
  return Status::OK();
}

Status EngineImpl::MergeLocked(StreamState* s, ShardState* a, ShardState* b,
                               storage::LogBatch* batch) {
  // Adjacent means one ends just below where the other starts; compare without
  // overflowing at 2^128 - 1.
  auto adjacent = [](const ShardState* lo, const ShardState* hi) {
    return lo->range.ending_hash_key != kMaxHashKey &&
           lo->range.ending_hash_key + 1 == hi->range.starting_hash_key;
  };
  if (adjacent(b, a)) std::swap(a, b);
  if (!adjacent(a, b)) {
    return Status::InvalidArgument("Shards " + a->id() + " and " + b->id() + " in stream " +
                                   s->name + " under account " + account() +
                                   " are not an adjacent pair of shards eligible for merging");
  }
  CloseShard(s, a, batch);
  CloseShard(s, b, batch);
  const uint64_t start_seq = std::max(a->last_seq, b->last_seq) + 1;
  NewShard(s, {a->range.starting_hash_key, b->range.ending_hash_key}, a->index, b->index, start_seq,
           batch);
  s->RebuildRouting();
  batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
  return Status::OK();
}

Status EngineImpl::SplitShard(std::string_view stream, std::string_view shard_to_split,
                              u128 new_starting_hash_key) {
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    StreamState* s = FindStream(stream);
    if (!s) return msg::StreamNotFound(stream, account());
    if (Status active = RequireActive(*s); !active.ok()) return active;
    if (s->mode == StreamMode::kOnDemand) return OnDemandRejects("SplitShard", *s, account());
    ShardState* sh = nullptr;
    if (Status found = FindShard(s, shard_to_split, account(), &sh); !found.ok()) return found;
    if (sh->closed) return NotEligible(*sh, *s, account());
    // The parent stays counted until it expires: a split adds two shards.
    Status limit = msg::CheckShardLimit(account(), options_.region, catalog_.TotalShards(),
                                        options_.shard_limit, 2);
    if (!limit.ok()) return limit;
    Status split = SplitLocked(s, sh, new_starting_hash_key, batch, /*any_interior_key=*/false);
    if (split.ok()) MarkUpdating(s);
    return split;
  });
}

Status EngineImpl::MergeShards(std::string_view stream, std::string_view shard_to_merge,
                               std::string_view adjacent_shard_to_merge) {
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    StreamState* s = FindStream(stream);
    if (!s) return msg::StreamNotFound(stream, account());
    if (Status active = RequireActive(*s); !active.ok()) return active;
    if (s->mode == StreamMode::kOnDemand) return OnDemandRejects("MergeShards", *s, account());
    ShardState* a = nullptr;
    ShardState* b = nullptr;
    if (Status found = FindShard(s, shard_to_merge, account(), &a); !found.ok()) return found;
    if (Status found = FindShard(s, adjacent_shard_to_merge, account(), &b); !found.ok())
      return found;
    if (a->closed) return NotEligible(*a, *s, account());
    if (b->closed) return NotEligible(*b, *s, account());
    if (a == b) {
      return Status::InvalidArgument("Shards " + a->id() + " and " + b->id() + " in stream " +
                                     s->name + " under account " + account() +
                                     " are not an adjacent pair of shards eligible for merging");
    }
    Status merged = MergeLocked(s, a, b, batch);
    if (merged.ok()) MarkUpdating(s);
    return merged;
  });
}

// UNIFORM_SCALING with pairwise operations only, so lineage stays within
// ParentShardId/AdjacentParentShardId: first split every open shard at each
// target boundary strictly inside it, then merge the pieces of each target
// range left to right. Intermediate shards close at once, as on AWS.
Status EngineImpl::UpdateShardCount(std::string_view stream, int32_t target,
                                    int32_t* current_shard_count) {
  if (target < 1) {
    return msg::Validation({msg::Constraint(std::to_string(target), "targetShardCount",
                                            "have value greater than or equal to 1")});
  }
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    StreamState* s = FindStream(stream);
    if (!s) return msg::StreamNotFound(stream, account());
    if (Status active = RequireActive(*s); !active.ok()) return active;
    if (s->mode == StreamMode::kOnDemand) {
      return OnDemandRejects("UpdateShardCount", *s, account());
    }
    const int32_t open = s->OpenShardCount();
    *current_shard_count = open;
    const std::string prefix = "UpdateShardCount request for stream " + s->name +
                               " under account " + account() + " failed: ";
    // In 64 bits: target may be any positive int32.
    if (int64_t{target} > 2 * int64_t{open}) return msg::ScaleUpOverDouble(open, target);
    if (2 * int64_t{target} < int64_t{open}) return msg::ScaleDownBelowHalf(open, target);
    if (target > kMaxShardsPerStream) {
      return Status::InvalidArgument(prefix + "target shard count " + std::to_string(target) +
                                     " exceeds the maximum of 10000 shards per stream.");
    }
    const int64_t now = NowMs();
    std::erase_if(s->scaling_events_ms, [&](int64_t t) { return t <= now - kDayMs; });
    if (s->scaling_events_ms.size() >= kMaxScalingsPerDay) {
      return Status::LimitExceeded(prefix +
                                   "at most 10 UpdateShardCount calls are allowed in a "
                                   "rolling 24-hour period.");
    }
    if (target == open) return Status::OK();

    // Target boundaries, as CreateStream splits the key space (target <=
    // kMaxShardsPerStream bounds this vector).
    std::vector<u128> starts;
    for (const HashKeyRange& r : UniformHashKeyRanges(static_cast<uint32_t>(target))) {
      if (r.starting_hash_key != 0) starts.push_back(r.starting_hash_key);
    }

    // Shards the scaling adds, checked against the account limit before any
    // is made: two per boundary inside an open shard (a split), then one per
    // merge, and the open + splits pieces merge down to `target`.
    int64_t splits = 0;
    for (u128 b : starts) {
      const ShardState* holder = s->Route(b);
      if (holder == nullptr) return Status::Internal("open shards do not cover the key space");
      splits += holder->range.starting_hash_key != b ? 1 : 0;
    }
    const int64_t added = 2 * splits + (int64_t{open} + splits - int64_t{target});
    Status limit = msg::CheckShardLimit(account(), options_.region, catalog_.TotalShards(),
                                        options_.shard_limit, added);
    if (!limit.ok()) return limit;

    // Phase 1: split at interior boundaries.
    std::vector<ShardState*> opens(s->open_by_hash.begin(), s->open_by_hash.end());
    for (ShardState* sh : opens) {
      ShardState* cur = sh;
      for (u128 b : starts) {
        if (b <= cur->range.starting_hash_key || b > cur->range.ending_hash_key) continue;
        Status st = SplitLocked(s, cur, b, batch, /*any_interior_key=*/true);
        if (!st.ok()) return st;
        cur = s->Route(b);  // the right-hand child continues
      }
    }
    // Phase 2: merge pieces within each target range.
    std::vector<u128> range_starts = {0};
    range_starts.insert(range_starts.end(), starts.begin(), starts.end());
    for (size_t i = 0; i < range_starts.size(); ++i) {
      u128 lo = range_starts[i];
      u128 hi = i + 1 < range_starts.size() ? range_starts[i + 1] - 1 : kMaxHashKey;
      for (;;) {
        ShardState* first = s->Route(lo);
        if (first == nullptr) return Status::Internal("open shards do not cover the key space");
        if (first->range.ending_hash_key >= hi) break;
        ShardState* next = s->Route(first->range.ending_hash_key + 1);
        if (next == nullptr) return Status::Internal("open shards do not cover the key space");
        Status st = MergeLocked(s, first, next, batch);
        if (!st.ok()) return st;
      }
    }
    s->scaling_events_ms.push_back(now);
    MarkUpdating(s);
    batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
    return Status::OK();
  });
}

}  // namespace tidelog
