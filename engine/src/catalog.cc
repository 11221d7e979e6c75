// Catalog: routing over open shards and the FlatBuffers encoding of metadata.
#include "engine/src/catalog.h"

#include <algorithm>
#include <random>

#include "engine/src/catalog_generated.h"
#include "storage/keys.h"

namespace tidelog {
namespace {

std::string PrefixedKey(const char* prefix, uint64_t v) {
  return std::string(prefix) + storage::BigEndian64(v);
}

flatbuffers::Offset<flatbuffers::Vector<uint8_t>> HashBytes(flatbuffers::FlatBufferBuilder& fbb,
                                                            u128 v) {
  uint8_t b[16];
  for (int i = 15; i >= 0; --i) {
    b[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
  return fbb.CreateVector(b, 16);
}

bool ReadHash(const flatbuffers::Vector<uint8_t>* v, u128* out) {
  if (v == nullptr || v->size() != 16) return false;
  u128 r = 0;
  for (uint8_t b : *v) r = (r << 8) | b;
  *out = r;
  return true;
}

}  // namespace

void StreamState::RebuildRouting() {
  open_by_hash.clear();
  for (auto& [index, shard] : shards) {
    if (!shard->closed) open_by_hash.push_back(shard.get());
  }
  std::sort(open_by_hash.begin(), open_by_hash.end(), [](const ShardState* a, const ShardState* b) {
    return a->range.starting_hash_key < b->range.starting_hash_key;
  });
}

ShardState* StreamState::Route(u128 hash) const {
  auto it =
      std::upper_bound(open_by_hash.begin(), open_by_hash.end(), hash,
                       [](u128 h, const ShardState* s) { return h < s->range.starting_hash_key; });
  if (it == open_by_hash.begin()) return nullptr;
  ShardState* shard = *std::prev(it);
  return hash <= shard->range.ending_hash_key ? shard : nullptr;
}

std::string StreamMetaKey(uint64_t uid) { return PrefixedKey(kStreamMetaPrefix, uid); }
std::string ShardMetaKey(uint64_t uid) { return PrefixedKey(kShardMetaPrefix, uid); }
std::string ShardSeqKey(uint64_t uid) { return PrefixedKey(kShardSeqPrefix, uid); }

std::string EncodeStreamMeta(const StreamState& s) {
  flatbuffers::FlatBufferBuilder fbb(256);
  std::vector<flatbuffers::Offset<flatbuffers::String>> metrics;
  for (const auto& m : s.metrics) metrics.push_back(fbb.CreateString(m));
  std::vector<flatbuffers::Offset<fb::Tag>> tags;
  for (const auto& [k, v] : s.tags) {
    tags.push_back(fb::CreateTag(fbb, fbb.CreateString(k), fbb.CreateString(v)));
  }
  std::vector<flatbuffers::Offset<fb::Consumer>> consumers;
  for (const auto& c : s.consumers) {
    std::vector<flatbuffers::Offset<fb::Tag>> consumer_tags;
    for (const auto& [k, v] : c.tags) {
      consumer_tags.push_back(fb::CreateTag(fbb, fbb.CreateString(k), fbb.CreateString(v)));
    }
    consumers.push_back(fb::CreateConsumer(
        fbb, fbb.CreateString(c.name), c.created_ms,
        c.policy.empty() ? flatbuffers::Offset<flatbuffers::String>() : fbb.CreateString(c.policy),
        consumer_tags.empty()
            ? flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Tag>>>()
            : fbb.CreateVector(consumer_tags)));
  }
  flatbuffers::Offset<fb::Quota> quota;
  if (s.quota) {
    quota = fb::CreateQuota(fbb, s.quota->write_bytes_per_sec, s.quota->write_records_per_sec,
                            s.quota->read_bytes_per_sec, s.quota->read_calls_per_sec);
  }
  auto name = fbb.CreateString(s.name);
  auto key_id = fbb.CreateString(s.key_id);
  auto metrics_v = fbb.CreateVector(metrics);
  auto tags_v = fbb.CreateVector(tags);
  auto consumers_v = fbb.CreateVector(consumers);
  auto scaling_v = fbb.CreateVector(s.scaling_events_ms);
  flatbuffers::Offset<flatbuffers::String> policy;
  if (!s.policy.empty()) policy = fbb.CreateString(s.policy);
  auto stream_id = fbb.CreateString(s.stream_id);
  fb::StreamMetaBuilder b(fbb);
  b.add_uid(s.uid);
  b.add_name(name);
  b.add_created_ms(s.created_ms);
  b.add_retention_hours(s.retention_hours);
  b.add_on_demand(s.mode == StreamMode::kOnDemand);
  b.add_kms(s.encryption == EncryptionType::kKms);
  b.add_key_id(key_id);
  b.add_metrics(metrics_v);
  b.add_tags(tags_v);
  b.add_consumers(consumers_v);
  if (s.quota) b.add_quota(quota);
  b.add_next_shard_index(s.next_shard_index);
  b.add_scaling_events_ms(scaling_v);
  if (!s.policy.empty()) b.add_policy(policy);
  b.add_stream_id(stream_id);
  b.add_max_record_size_kib(s.max_record_size_kib);
  b.add_warm_target_mibps(s.warm_target_mibps);
  fbb.Finish(b.Finish());
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

bool DecodeStreamMeta(std::string_view bytes, StreamState* s) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  flatbuffers::Verifier verifier(data, bytes.size());
  if (!fb::VerifyStreamMetaBuffer(verifier)) return false;
  const fb::StreamMeta* m = fb::GetStreamMeta(data);
  if (m->name() == nullptr) return false;
  s->uid = m->uid();
  s->name = m->name()->str();
  s->created_ms = m->created_ms();
  s->retention_hours = m->retention_hours();
  s->mode = m->on_demand() ? StreamMode::kOnDemand : StreamMode::kProvisioned;
  s->encryption = m->kms() ? EncryptionType::kKms : EncryptionType::kNone;
  s->key_id = m->key_id() ? m->key_id()->str() : "";
  s->metrics.clear();
  if (m->metrics()) {
    for (const auto* x : *m->metrics()) s->metrics.insert(x->str());
  }
  s->tags.clear();
  if (m->tags()) {
    for (const auto* t : *m->tags()) {
      s->tags[t->key() ? t->key()->str() : ""] = t->value() ? t->value()->str() : "";
    }
  }
  s->consumers.clear();
  if (m->consumers()) {
    for (const auto* c : *m->consumers()) {
      ConsumerState consumer{c->name() ? c->name()->str() : "",
                             c->created_ms(),
                             c->policy() ? c->policy()->str() : "",
                             {}};
      if (c->tags()) {
        for (const auto* t : *c->tags()) {
          consumer.tags[t->key() ? t->key()->str() : ""] = t->value() ? t->value()->str() : "";
        }
      }
      s->consumers.push_back(std::move(consumer));
    }
  }
  s->quota.reset();
  if (m->quota()) {
    s->quota = ShardQuota{m->quota()->write_bytes(), m->quota()->write_records(),
                          m->quota()->read_bytes(), m->quota()->read_calls()};
  }
  s->next_shard_index = m->next_shard_index();
  s->scaling_events_ms.clear();
  if (m->scaling_events_ms()) {
    s->scaling_events_ms.assign(m->scaling_events_ms()->begin(), m->scaling_events_ms()->end());
  }
  s->policy = m->policy() ? m->policy()->str() : "";
  s->stream_id = m->stream_id() && m->stream_id()->size() == kStreamIdLength
                     ? m->stream_id()->str()
                     : DerivedStreamId(s->uid);
  s->max_record_size_kib = std::clamp(m->max_record_size_kib(), 1024, 10240);
  s->warm_target_mibps = std::max(m->warm_target_mibps(), 0);
  return true;
}

namespace {

constexpr char kStreamIdAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";

// 23 characters of kStreamIdAlphabet from `bits`, with '-' after the 20th.
std::string StreamIdFrom(std::mt19937_64& bits) {
  std::string id;
  id.reserve(kStreamIdLength);
  for (size_t i = 0; i < kStreamIdLength; ++i) {
    if (i == 20) {
      id.push_back('-');
      continue;
    }
    id.push_back(kStreamIdAlphabet[bits() % (sizeof(kStreamIdAlphabet) - 1)]);
  }
  return id;
}

}  // namespace

std::string DerivedStreamId(uint64_t stream_uid) {
  std::mt19937_64 bits(stream_uid * 0x9E3779B97F4A7C15ull + 0x5EED);
  return StreamIdFrom(bits);
}

std::string NewStreamId() {
  static thread_local std::mt19937_64 bits(std::random_device{}());
  return StreamIdFrom(bits);
}

std::string EncodeShardMeta(uint64_t stream_uid, const ShardState& sh) {
  flatbuffers::FlatBufferBuilder fbb(128);
  auto start = HashBytes(fbb, sh.range.starting_hash_key);
  auto end = HashBytes(fbb, sh.range.ending_hash_key);
  fb::ShardMetaBuilder b(fbb);
  b.add_uid(sh.uid);
  b.add_stream_uid(stream_uid);
  b.add_index(sh.index);
  b.add_start_hash(start);
  b.add_end_hash(end);
  b.add_parent(sh.parent);
  b.add_adjacent_parent(sh.adjacent_parent);
  b.add_starting_seq(sh.starting_seq);
  b.add_closed(sh.closed);
  b.add_ending_seq(sh.ending_seq);
  b.add_created_ms(sh.created_ms);
  b.add_closed_ms(sh.closed_ms);
  b.add_seq_epoch_secs(sh.seq_epoch_secs);
  fbb.Finish(b.Finish());
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

bool DecodeShardMeta(std::string_view bytes, uint64_t* stream_uid, ShardState* sh) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  flatbuffers::Verifier verifier(data, bytes.size());
  if (!verifier.VerifyBuffer<fb::ShardMeta>(nullptr)) return false;
  const auto* m = flatbuffers::GetRoot<fb::ShardMeta>(data);
  if (!ReadHash(m->start_hash(), &sh->range.starting_hash_key) ||
      !ReadHash(m->end_hash(), &sh->range.ending_hash_key)) {
    return false;
  }
  *stream_uid = m->stream_uid();
  sh->uid = m->uid();
  sh->index = m->index();
  sh->parent = m->parent();
  sh->adjacent_parent = m->adjacent_parent();
  sh->starting_seq = m->starting_seq();
  sh->closed = m->closed();
  sh->ending_seq = m->ending_seq();
  sh->created_ms = m->created_ms();
  sh->closed_ms = m->closed_ms();
  // Shards written before the field keep the epoch their creation implies
  // (their numbers never depended on it, so any fixed choice is safe).
  sh->seq_epoch_secs = m->seq_epoch_secs() >= 0 ? m->seq_epoch_secs() : sh->created_ms / 1000;
  return true;
}

namespace {
int64_t OrUnset(const std::optional<int64_t>& v) { return v.value_or(-1); }
std::optional<int64_t> Unset(int64_t v) { return v < 0 ? std::nullopt : std::optional<int64_t>(v); }
}  // namespace

std::string EncodeAccountSettings(const AccountSettings& a) {
  flatbuffers::FlatBufferBuilder fbb(64);
  fbb.Finish(fb::CreateAccountSettingsMeta(fbb, static_cast<int32_t>(a.commitment),
                                           OrUnset(a.started_millis), OrUnset(a.ended_millis),
                                           OrUnset(a.earliest_allowed_end_millis)));
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

bool DecodeAccountSettings(std::string_view bytes, AccountSettings* a) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  flatbuffers::Verifier verifier(data, bytes.size());
  if (!verifier.VerifyBuffer<fb::AccountSettingsMeta>(nullptr)) return false;
  const auto* m = flatbuffers::GetRoot<fb::AccountSettingsMeta>(data);
  if (m->commitment() < 0 || m->commitment() > 2) return false;
  a->commitment = static_cast<CommitmentStatus>(m->commitment());
  a->started_millis = Unset(m->started_ms());
  a->ended_millis = Unset(m->ended_ms());
  a->earliest_allowed_end_millis = Unset(m->earliest_end_ms());
  return true;
}

}  // namespace tidelog
