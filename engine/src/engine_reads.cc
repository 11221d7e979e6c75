// GetRecords, and reading a shard's records in place (GetRecords and
// SubscribeToShard share it) and naming a closed shard's children.
#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <ctime>

#include "engine/src/engine_impl.h"
#include "engine/src/limits.h"
#include "engine/src/messages.h"
#include "storage/record_generated.h"
#include "storage/sequence.h"
#include "tidelog/sequence_number.h"

namespace tidelog {
namespace {

// "Thu Jan 22 01:22:02 UTC 2015", as AWS prints times in ExpiredIterator.
std::string JavaDate(int64_t ms) {
  time_t t = static_cast<time_t>(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  strftime(buf, sizeof(buf), "%a %b %d %H:%M:%S UTC %Y", &tm);
  return buf;
}

}  // namespace

Status EngineImpl::ReadRecords(const ShardState& shard, uint64_t after, uint64_t upto,
                               int32_t max_records, size_t max_bytes, const RecordVisitor& visit,
                               ShardRead* out) {
  *out = ShardRead{};
  out->last = after;
  Status decode_error;
  rocksdb::Status rs =
      store_->ReadShard(shard.uid, after, upto, [&](uint64_t seq, std::string_view value) {
        flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(value.data()),
                                       value.size());
        if (!verifier.VerifyBuffer<storage::fb::Record>(nullptr)) {
          decode_error = Status::Internal("corrupt record at seq " + std::to_string(seq));
          return false;
        }
        const auto* rec = flatbuffers::GetRoot<storage::fb::Record>(value.data());
        const size_t data_size = rec->data() ? rec->data()->size() : 0;
        const size_t key_size = rec->partition_key() ? rec->partition_key()->size() : 0;
        if (out->count > 0 && out->bytes + data_size + key_size > max_bytes) {
          out->stopped_early = true;
          return false;
        }
        RecordView r;
        r.sequence_number = shard.external_seq(seq);
        r.arrival_millis = rec->arrival_ms();
        if (rec->partition_key()) {
          r.partition_key = std::string_view(rec->partition_key()->data(), key_size);
        }
        if (rec->data()) {
          r.data = std::string_view(reinterpret_cast<const char*>(rec->data()->data()), data_size);
        }
        if (rec->explicit_hash_key() && rec->explicit_hash_key()->size() == 16) {
          u128 v = 0;
          for (uint8_t b : *rec->explicit_hash_key()) v = (v << 8) | b;
          r.explicit_hash_key = v;
        }
        visit(r);
        out->bytes += data_size + key_size;
        out->last = seq;
        if (++out->count < max_records) return true;
        out->stopped_early = out->last < upto;
        return false;
      });
  if (!rs.ok()) return Status::IoError(rs.ToString());
  return decode_error;
}

std::vector<ChildShard> EngineImpl::ChildShardsOf(uint64_t stream_uid, uint32_t shard_index) const {
  std::vector<ChildShard> children;
  auto st = catalog_.streams_by_uid.find(stream_uid);
  if (st == catalog_.streams_by_uid.end()) return children;
  const int64_t parent = shard_index;
  for (const auto& [index, child] : st->second->shards) {
    if (child->parent != parent && child->adjacent_parent != parent) continue;
    ChildShard c;
    c.shard_id = child->id();
    if (child->parent >= 0) c.parent_shards.push_back(FormatShardId(child->parent));
    if (child->adjacent_parent >= 0)
      c.parent_shards.push_back(FormatShardId(child->adjacent_parent));
    c.hash_key_range = child->range;
    children.push_back(std::move(c));
  }
  return children;
}

Status EngineImpl::GetRecords(std::string_view shard_iterator, int32_t limit,
                              GetRecordsResult* result) {
  std::vector<Record> records;
  Status s = GetRecords(
      shard_iterator, limit,
      [&](const RecordView& v) {
        Record& r = records.emplace_back();
        r.sequence_number = v.sequence_number;
        r.arrival_millis = v.arrival_millis;
        r.partition_key.assign(v.partition_key);
        r.data.assign(v.data);
        r.explicit_hash_key = v.explicit_hash_key;
      },
      result);
  if (s.ok()) result->records = std::move(records);
  return s;
}

Status EngineImpl::GetRecords(std::string_view shard_iterator, int32_t limit,
                              const RecordVisitor& visit, GetRecordsResult* result) {
  if (limit < 1) {
    return msg::Validation(
        {msg::Constraint(std::to_string(limit), "limit", "have value greater than or equal to 1")});
  }
  if (limit > kMaxGetRecordsLimit) {
    return msg::Validation({msg::Constraint(std::to_string(limit), "limit",
                                            "have value less than or equal to 10000")});
  }
  IteratorPosition pos;
  if (!iterators_->Decode(shard_iterator, &pos)) {
    return Status::InvalidArgument("Invalid ShardIterator.");
  }
  const int64_t now_us = NowUs();
  const int64_t now = now_us / 1000;
  if (now - pos.created_ms > options_.iterator_ttl_ms) {
    return Status::ExpiredIterator("Iterator expired. The iterator was created at time " +
                                   JavaDate(pos.created_ms) + " while right now it is " +
                                   JavaDate(now) +
                                   " which is further in the future than the tolerated delay of " +
                                   std::to_string(options_.iterator_ttl_ms) + " milliseconds.");
  }

  std::shared_ptr<ShardState> shard;
  std::shared_ptr<StreamStats> stream_stats;
  std::string stream_name;
  int32_t retention_hours = 24;
  {
    std::shared_lock<std::shared_mutex> lock(catalog_.mu);
    auto st = catalog_.streams_by_uid.find(pos.stream_uid);
    auto sh = catalog_.shards_by_uid.find(pos.shard_uid);
    if (st == catalog_.streams_by_uid.end() || sh == catalog_.shards_by_uid.end()) {
      // A deleted stream's iterator names its shard, as AWS's does.
      auto gone = catalog_.deleted_shards.find(pos.shard_uid);
      if (gone != catalog_.deleted_shards.end()) {
        return msg::ShardNotFound(FormatShardId(gone->second.index), gone->second.stream,
                                  account());
      }
      return Status::NotFound("Shard " + std::string("referenced by the iterator") +
                              " under account " + account() + " does not exist");
    }
    shard = sh->second;
    stream_stats = st->second->stats;
    stream_name = st->second->name;
    retention_hours = st->second->retention_hours;
    if (ShardExpired(retention_hours, *shard, now)) {
      return msg::ShardNotFound(shard->id(), stream_name, account());
    }
  }

  if (options_.quotas_enabled) {
    std::lock_guard<std::mutex> lock(shard->read_mu);
    if (!shard->read_calls.CanTake(now_us, 1) || !shard->read_bytes.HasCredit(now_us)) {
      Count(shard->stats.traffic.read_throttled_calls);
      Count(stream_stats->traffic.read_throttled_calls);
      return msg::ShardThrottled(shard->id(), stream_name, account());
    }
    shard->read_calls.Take(1);
  }

  // The readable window: not expired, and acknowledged.
  const uint64_t trim = TrimSeq(retention_hours, now);
  const uint64_t after = std::max(pos.after_seq, trim - 1);
  const uint64_t durable = shard->durable_seq.load(std::memory_order_acquire);
  bool closed;
  uint64_t ending;
  {
    std::shared_lock<std::shared_mutex> lock(catalog_.mu);
    closed = shard->closed;
    ending = shard->ending_seq;
  }
  const uint64_t upto = closed ? std::min(ending, durable) : durable;

  result->records.clear();
  result->child_shards.clear();
  ShardRead read;
  Status rs = ReadRecords(*shard, after, upto, limit, kMaxGetRecordsBytes, visit, &read);
  if (!rs.ok()) return rs;
  const size_t bytes = read.bytes;
  const uint64_t last = read.last;
  const bool stopped_early = read.stopped_early;  // by Limit or the 10 MiB cap

  if (options_.quotas_enabled && bytes > 0) {
    std::lock_guard<std::mutex> lock(shard->read_mu);
    shard->read_bytes.Take(bytes);
  }

  if (closed && last >= ending) {
    // End of a closed shard: no next iterator; name the children.
    result->next_shard_iterator.clear();
    std::shared_lock<std::shared_mutex> lock(catalog_.mu);
    result->child_shards = ChildShardsOf(pos.stream_uid, shard->index);
    result->millis_behind_latest = 0;
  } else {
    result->next_shard_iterator = iterators_->Encode({pos.stream_uid, pos.shard_uid, last, now});
    // Caught up (nothing acknowledged is left unread): 0. Otherwise the age
    // of the last record returned, a lower bound of the distance to the tip.
    result->millis_behind_latest =
        stopped_early ? std::max<int64_t>(0, now - storage::SeqMillis(last)) : 0;
  }
  CountRead(&shard->stats.traffic, &stream_stats->traffic, static_cast<uint64_t>(read.count),
            bytes);
  Count(stream_stats->get_records_success);
  shard->stats.iterator_age_ms.store(result->millis_behind_latest, std::memory_order_relaxed);
  shard->stats.last_read_ms.store(now, std::memory_order_relaxed);
  stream_stats->get_records_latency_us.Record(
      static_cast<uint64_t>(std::max<int64_t>(0, NowUs() - now_us)));
  return Status::OK();
}

}  // namespace tidelog
