// The data plane: PutRecord(s) and GetShardIterator (GetRecords is in
// engine_reads.cc).
//
// A put is validated and encoded on the caller's thread (hashing, FlatBuffers
// record values), then routed, throttled and sequenced on the committer
// thread, and acknowledged after its group is written (and fsynced in sync
// mode). Only then does each touched shard's durable_seq advance, so readers
// never see a record before it could be acknowledged.
#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <future>

#include "engine/src/engine_impl.h"
#include "engine/src/limits.h"
#include "engine/src/messages.h"
#include "storage/keys.h"
#include "storage/record_generated.h"
#include "storage/sequence.h"
#include "tidelog/sequence_number.h"

namespace tidelog {
namespace {

constexpr size_t kMaxRecordsPerPut = 500;
constexpr size_t kMaxPartitionKey = 256;
// The model's bound on Data; each stream's own (max_record_size_kib, at most
// this) is checked once the stream is found.
constexpr size_t kMaxDataBytes = size_t{kMaxMaxRecordSizeKiB} << 10;

// One record of a put, encoded on the caller's thread.
struct EncodedRecord {
  size_t offset = 0;  // of its storage::fb::Record in EncodedBatch::arena
  size_t size = 0;
  u128 hash = 0;
  uint64_t quota_bytes = 0;  // data + partition key
  size_t data_bytes = 0;
};

// Every record of a put in one allocation. Each value starts 8-byte aligned
// so the committer can stamp arrival_ms in place.
struct EncodedBatch {
  std::string arena;
  std::vector<EncodedRecord> records;
  bool single = false;        // PutRecord (error texts name no list member)
  size_t max_data_bytes = 0;  // the largest Data of the batch
  char* value(const EncodedRecord& r) { return arena.data() + r.offset; }
};

void EncodeRecordValue(flatbuffers::FlatBufferBuilder& fbb, const PutRecordEntry& e) {
  fbb.Clear();
  fbb.ForceDefaults(true);
  auto key = fbb.CreateString(e.partition_key.data(), e.partition_key.size());
  flatbuffers::Offset<flatbuffers::Vector<uint8_t>> ehk;
  if (e.explicit_hash_key) {
    uint8_t b[16];
    u128 v = *e.explicit_hash_key;
    for (int i = 15; i >= 0; --i) {
      b[i] = static_cast<uint8_t>(v & 0xff);
      v >>= 8;
    }
    ehk = fbb.CreateVector(b, 16);
  }
  auto data = fbb.CreateVector(reinterpret_cast<const uint8_t*>(e.data.data()), e.data.size());
  storage::fb::RecordBuilder b(fbb);
  b.add_arrival_ms(0);
  b.add_partition_key(key);
  if (e.explicit_hash_key) b.add_explicit_hash_key(ehk);
  b.add_data(data);
  fbb.Finish(b.Finish());
}

}  // namespace

// One put call on its way through the committer.
class AppendJob final : public storage::CommitJob {
 public:
  // The validation error for the records past the stream's MaxRecordSizeInKiB,
  // in AWS's form (as the model's own Data bound would report them).
  Status RecordSizeError(const StreamState& s) const {
    const size_t max = size_t{static_cast<uint32_t>(s.max_record_size_kib)} << 10;
    std::vector<std::string> errors;
    for (size_t i = 0; i < records_.records.size(); ++i) {
      const size_t n = records_.records[i].data_bytes;
      if (n <= max) continue;
      std::string base = records_.single ? "" : "records." + std::to_string(i + 1) + ".member.";
      errors.push_back(msg::Constraint(msg::Blob(n), base + "data",
                                       "have length less than or equal to " + std::to_string(max)));
    }
    return msg::Validation(errors);
  }

  AppendJob(EngineImpl* engine, std::string stream, EncodedBatch records,
            std::optional<uint64_t> min_seq, Engine::PutCallback done)
      : engine_(engine),
        stream_(std::move(stream)),
        records_(std::move(records)),
        min_seq_(min_seq),
        done_(std::move(done)),
        start_us_(engine->NowUs()) {}

  void Prepare(storage::LogStore* store, storage::LogBatch* batch) override {
    prepared_ = true;
    StreamState* s = engine_->FindStream(stream_);
    if (!s) {
      whole_ = msg::StreamNotFound(stream_, engine_->account());
      return;
    }
    if (engine_->StatusOf(*s) == StreamStatus::kCreating) {  // only ACTIVE and UPDATING take puts
      whole_ = msg::StreamNotFound(stream_, engine_->account());
      return;
    }
    if (records_.max_data_bytes > size_t{static_cast<uint32_t>(s->max_record_size_kib)} << 10) {
      whole_ = RecordSizeError(*s);
      return;
    }
    stream_stats_ = s->stats;
    const bool quotas = engine_->options_.quotas_enabled;
    const int64_t now_us = engine_->NowUs();
    const int64_t now_ms = now_us / 1000;
    const int64_t window = engine_->SegmentWindowMs();
    results_.resize(records_.records.size());
    std::shared_ptr<storage::Segment> segment;
    for (size_t i = 0; i < records_.records.size(); ++i) {
      const EncodedRecord& r = records_.records[i];
      ShardState* shard = s->Route(r.hash);
      if (!shard) {  // open shards always tile the key space
        results_[i].status = Status::Internal("Internal Service Failure");
        continue;
      }
      if (quotas && (!shard->write_bytes.CanTake(now_us, r.quota_bytes) ||
                     !shard->write_records.CanTake(now_us, 1))) {
        results_[i].status = msg::ShardThrottled(shard->id(), s->name, engine_->account());
        Count(shard->stats.traffic.write_throttled_records);
        Count(shard->stats.write_throttled_bytes, r.quota_bytes);
        Count(stream_stats_->traffic.write_throttled_records);
        ++throttled_;
        continue;
      }
      if (quotas) {
        shard->write_bytes.Take(r.quota_bytes);
        shard->write_records.Take(1);
      }
      uint64_t seq = storage::NextSeq(shard->last_seq, now_ms);
      if (min_seq_ && seq <= *min_seq_) seq = *min_seq_ + 1;
      const int64_t ms = storage::SeqMillis(seq);
      if (!segment || ms < segment->start_ms() || ms >= segment->end_ms()) {
        rocksdb::Status st = store->SegmentFor(ms, window, &segment);
        if (!st.ok()) {
          results_[i].status = Status::Internal("Internal Service Failure");
          segment.reset();
          continue;
        }
      }
      shard->last_seq = seq;
      char* value = records_.value(r);
      flatbuffers::GetMutableRoot<storage::fb::Record>(value)->mutate_arrival_ms(ms);
      // Not copied until the write: records_ lives in this job until Complete().
      batch->PutRecord(segment, shard->uid, seq, std::string_view(value, r.size));
      results_[i].shard_index = shard->index;
      results_[i].sequence_number = shard->external_seq(seq);
      Touch(*s, shard, seq, r.quota_bytes);
    }
    for (const Touched& t : touched_) {
      batch->PutMeta(ShardSeqKey(t.shard->uid), storage::BigEndian64(t.seq));
    }
  }

  void Complete(const rocksdb::Status& s) override {
    if (!prepared_ || !s.ok()) {
      done_(EngineImpl::WriteError(s), {});
      return;
    }
    for (const Touched& t : touched_) {
      if (t.shard->durable_seq.load(std::memory_order_relaxed) < t.seq) {
        t.shard->durable_seq.store(t.seq, std::memory_order_release);
      }
    }
    // Push: the records are durable, so their shards' subscribers may read.
    for (const Touched& t : touched_) engine_->NotifySubscribers(t.shard->uid);
    if (whole_.ok() && stream_stats_) CountStored();
    done_(std::move(whole_), std::move(results_));
  }

 private:
  void Touch(const StreamState& s, ShardState* shard, uint64_t seq, uint64_t bytes) {
    for (Touched& t : touched_) {
      if (t.shard.get() == shard) {
        t.seq = seq;
        ++t.records;
        t.bytes += bytes;
        return;
      }
    }
    touched_.push_back({s.shards.at(shard->index), seq, 1, bytes});
  }

  // The CloudWatch counts of a call whose records are durable (Complete).
  void CountStored() {
    StreamStats& st = *stream_stats_;
    uint64_t stored = 0;
    for (const Touched& t : touched_) {
      for (TrafficStats* traffic : {&t.shard->stats.traffic, &st.traffic}) {
        Count(traffic->incoming_records, t.records);
        Count(traffic->incoming_bytes, t.bytes);
      }
      stored += t.records;
    }
    const int64_t elapsed_us = std::max<int64_t>(0, engine_->NowUs() - start_us_);
    if (records_.single) {
      if (stored > 0) Count(st.put_record_success);
      st.put_record_latency_us.Record(static_cast<uint64_t>(elapsed_us));
      return;
    }
    if (stored > 0) Count(st.put_records_success);
    Count(st.put_records_successful_records, stored);
    Count(st.put_records_throttled_records, throttled_);
    Count(st.put_records_failed_records, results_.size() - stored - throttled_);
    st.put_records_latency_us.Record(static_cast<uint64_t>(elapsed_us));
  }

  EngineImpl* const engine_;
  const std::string stream_;
  EncodedBatch records_;
  const std::optional<uint64_t> min_seq_;
  Engine::PutCallback done_;
  bool prepared_ = false;
  Status whole_;
  std::vector<PutRecordResult> results_;
  const int64_t start_us_;  // engine clock, for the call's latency
  // Shards written by this job with their last seq and what was written,
  // kept alive until Complete even if a later job of the same group deletes
  // the stream (stream_stats_ likewise).
  struct Touched {
    std::shared_ptr<ShardState> shard;
    uint64_t seq = 0;
    uint64_t records = 0;
    uint64_t bytes = 0;
  };
  std::vector<Touched> touched_;
  std::shared_ptr<StreamStats> stream_stats_;  // set by Prepare once the stream is found
  uint64_t throttled_ = 0;                     // records refused by the shard quota
};

namespace {

// Validates a put (AWS's checks and texts) and encodes its records.
Status EncodeBatch(std::span<const PutRecordEntry> records, bool single, EncodedBatch* out) {
  if (!single && records.empty()) {
    return msg::Validation(
        {msg::Constraint("[]", "records", "have length greater than or equal to 1")});
  }
  if (records.size() > kMaxRecordsPerPut) {
    return msg::Validation(
        {msg::Constraint("[...]", "records", "have length less than or equal to 500")});
  }
  std::vector<std::string> errors;
  size_t total = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const PutRecordEntry& e = records[i];
    std::string base = single ? "" : "records." + std::to_string(i + 1) + ".member.";
    if (e.partition_key.empty()) {
      errors.push_back(msg::Constraint(e.partition_key, base + "partitionKey",
                                       "have length greater than or equal to 1"));
    } else if (e.partition_key.size() > kMaxPartitionKey) {
      errors.push_back(msg::Constraint(e.partition_key, base + "partitionKey",
                                       "have length less than or equal to 256"));
    }
    if (e.data.size() > kMaxDataBytes) {
      errors.push_back(
          msg::Constraint(msg::Blob(e.data.size()), base + "data",
                          "have length less than or equal to " + std::to_string(kMaxDataBytes)));
    }
    out->max_data_bytes = std::max(out->max_data_bytes, e.data.size());
    total += e.data.size() + e.partition_key.size();
  }
  if (!errors.empty()) return msg::Validation(errors);
  if (!single && total > kMaxPutRecordsRequestBytes) {
    return Status::InvalidArgument("Records size exceeds 10 MB limit");
  }
  out->single = single;
  thread_local flatbuffers::FlatBufferBuilder fbb(4096);
  // Value size is the payload plus at most ~72 bytes of FlatBuffers framing.
  out->arena.reserve(total + records.size() * 80);
  out->records.reserve(records.size());
  for (const PutRecordEntry& e : records) {
    EncodeRecordValue(fbb, e);
    EncodedRecord r;
    r.offset = (out->arena.size() + 7) & ~size_t{7};
    r.size = fbb.GetSize();
    out->arena.resize(r.offset + r.size);
    std::memcpy(out->arena.data() + r.offset, fbb.GetBufferPointer(), r.size);
    r.hash = e.explicit_hash_key ? *e.explicit_hash_key : PartitionKeyHash(e.partition_key);
    r.quota_bytes = e.data.size() + e.partition_key.size();
    r.data_bytes = e.data.size();
    out->records.push_back(r);
  }
  if (fbb.GetSize() > (1 << 16)) fbb.Reset();  // keep the per-thread buffer small
  return Status::OK();
}

}  // namespace

void EngineImpl::PutRecordsAsync(std::string_view stream, std::span<const PutRecordEntry> records,
                                 PutCallback done) {
  EncodedBatch encoded;
  Status s = EncodeBatch(records, false, &encoded);
  if (!s.ok()) {
    done(std::move(s), {});
    return;
  }
  // Always the committer thread: the caller may be an event loop.
  committer_->Submit(std::make_unique<AppendJob>(this, std::string(stream), std::move(encoded),
                                                 std::nullopt, std::move(done)));
}

void EngineImpl::PutRecordAsync(std::string_view stream, const PutRecordEntry& record,
                                PutCallback done) {
  EncodedBatch encoded;
  Status s = EncodeBatch(std::span<const PutRecordEntry>(&record, 1), true, &encoded);
  if (!s.ok()) {
    done(std::move(s), {});
    return;
  }
  committer_->Submit(std::make_unique<AppendJob>(this, std::string(stream), std::move(encoded),
                                                 std::nullopt, std::move(done)));
}

Status EngineImpl::PutRecords(std::string_view stream, std::span<const PutRecordEntry> records,
                              std::vector<PutRecordResult>* results) {
  EncodedBatch encoded;
  Status s = EncodeBatch(records, false, &encoded);
  if (!s.ok()) return s;
  std::promise<Status> promise;
  std::future<Status> future = promise.get_future();
  // This thread waits anyway, so it may write the group itself.
  committer_->RunOrSubmit(
      std::make_unique<AppendJob>(this, std::string(stream), std::move(encoded), std::nullopt,
                                  [&](Status st, std::vector<PutRecordResult> r) {
                                    *results = std::move(r);
                                    promise.set_value(std::move(st));
                                  }));
  return future.get();
}

Status EngineImpl::PutRecord(std::string_view stream, const PutRecordEntry& record,
                             std::optional<SequenceNumber> sequence_number_for_ordering,
                             PutRecordResult* result) {
  EncodedBatch encoded;
  Status s = EncodeBatch(std::span<const PutRecordEntry>(&record, 1), true, &encoded);
  if (!s.ok()) return s;
  std::optional<uint64_t> min_seq;
  if (sequence_number_for_ordering) {
    // Any number in either layout, from any shard ("0" included): the new
    // record's internal seq exceeds the number's. One from the future would
    // drag the shard's clock forward, so it is refused as AWS does.
    DecodedSequenceNumber d;
    const int64_t limit_ms = NowMs() + 60 * 1000;
    if (!DecodeSequenceNumber(*sequence_number_for_ordering, &d) ||
        storage::SeqMillis(d.seq) > limit_ms || d.arrival_secs > limit_ms / 1000) {
      return Status::InvalidArgument("ExclusiveMinimumSequenceNumber " +
                                     SequenceNumberToDecimal(*sequence_number_for_ordering) +
                                     " used in PutRecord on stream " + std::string(stream) +
                                     " under account " + account() + " is invalid.");
    }
    min_seq = d.seq;
  }
  std::promise<Status> promise;
  std::future<Status> future = promise.get_future();
  std::vector<PutRecordResult> results;
  committer_->RunOrSubmit(
      std::make_unique<AppendJob>(this, std::string(stream), std::move(encoded), min_seq,
                                  [&](Status st, std::vector<PutRecordResult> r) {
                                    results = std::move(r);
                                    promise.set_value(std::move(st));
                                  }));
  s = future.get();
  if (!s.ok()) return s;
  if (results.size() != 1) return Status::Internal("Internal Service Failure");
  if (!results[0].status.ok()) return results[0].status;  // PutRecord throws on throttling
  *result = std::move(results[0]);
  return Status::OK();
}

Status EngineImpl::GetShardIterator(std::string_view stream, std::string_view shard_id,
                                    ShardIteratorType type,
                                    std::optional<SequenceNumber> starting_sequence_number,
                                    std::optional<int64_t> timestamp_millis,
                                    std::string* shard_iterator) {
  const bool by_seq = type == ShardIteratorType::kAtSequenceNumber ||
                      type == ShardIteratorType::kAfterSequenceNumber;
  if (by_seq != starting_sequence_number.has_value()) {
    return Status::InvalidArgument(
        "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
        "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
        "Request specified " +
        std::string(ToString(type)) + " and " + (starting_sequence_number ? "also a" : "no") +
        " StartingSequenceNumber.");
  }
  if ((type == ShardIteratorType::kAtTimestamp) != timestamp_millis.has_value()) {
    return Status::InvalidArgument(
        "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current "
        "request has " +
        std::string(ToString(type)) + " iterator type" +
        (timestamp_millis ? " and a timestamp." : " and no timestamp."));
  }
  // As AWS: an id naming no shard index is refused before the stream is
  // looked up, with the id as sent; one naming a missing shard, canonically.
  uint32_t index = 0;
  if (!ResolveShardId(shard_id, &index)) return msg::CouldNotFindShard(shard_id, stream, account());
  const int64_t now = NowMs();
  std::shared_lock<std::shared_mutex> lock(catalog_.mu);
  StreamState* s = FindStream(stream);
  // As AWS: an unknown stream is reported as its shard not existing.
  if (!s) return msg::ShardNotFound(FormatShardId(index), stream, account());
  auto it = s->shards.find(index);
  if (it == s->shards.end() || ShardExpired(s->retention_hours, *it->second, now)) {
    return msg::ShardNotFound(FormatShardId(index), stream, account());
  }
  const ShardState& sh = *it->second;
  IteratorPosition pos{s->uid, sh.uid, 0, now};
  switch (type) {
    case ShardIteratorType::kTrimHorizon:
      pos.after_seq = 0;
      break;
    case ShardIteratorType::kLatest:
      pos.after_seq = sh.closed ? sh.ending_seq : sh.durable_seq.load(std::memory_order_acquire);
      break;
    case ShardIteratorType::kAtTimestamp:
      if (*timestamp_millis > now) {
        return Status::InvalidArgument(
            "The timestampInMillis parameter cannot be greater than the "
            "currentTimestampInMillis. timestampInMillis: " +
            std::to_string(*timestamp_millis) +
            ", currentTimestampInMillis: " + std::to_string(now));
      }
      pos.after_seq = storage::MakeSeq(*timestamp_millis, 0);
      pos.after_seq = pos.after_seq > 0 ? pos.after_seq - 1 : 0;
      break;
    case ShardIteratorType::kAtSequenceNumber:
    case ShardIteratorType::kAfterSequenceNumber: {
      const SequenceNumber& ext = *starting_sequence_number;
      const std::string used_on = "StartingSequenceNumber " + SequenceNumberToDecimal(ext) +
                                  " used in GetShardIterator on shard " + sh.id() + " in stream " +
                                  s->name + " under account " + account() + " is invalid";
      DecodedSequenceNumber d;
      if (!DecodeSequenceNumber(ext, &d) || d.shard_index > UINT32_MAX) {
        return Status::InvalidArgument(used_on + ".");
      }
      if (d.shard_index != sh.index) {
        return Status::InvalidArgument("Invalid StartingSequenceNumber. It encodes " +
                                       FormatShardId(static_cast<uint32_t>(d.shard_index)) +
                                       ", while it was used in a call to a shard with " + sh.id());
      }
      if (!d.legacy && d.epoch_secs != sh.seq_epoch_secs) {
        return Status::InvalidArgument(used_on + " because it did not come from this stream.");
      }
      const uint64_t seq = d.seq;
      if (type == ShardIteratorType::kAtSequenceNumber) {
        pos.after_seq = seq > 0 ? seq - 1 : 0;
      } else {
        pos.after_seq = seq;
      }
      break;
    }
  }
  *shard_iterator = iterators_->Encode(pos);
  return Status::OK();
}

}  // namespace tidelog
