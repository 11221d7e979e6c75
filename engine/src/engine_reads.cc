// Reading a shard's records in place (GetRecords and SubscribeToShard share
// it) and naming a closed shard's children.
#include <flatbuffers/flatbuffers.h>

#include "engine/src/engine_impl.h"
#include "storage/record_generated.h"
#include "tidelog/sequence_number.h"

namespace tidelog {

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

}  // namespace tidelog
