// tidelog_fuzz_seedgen: writes the seeds of the formats the project encodes itself.
#include <flatbuffers/flatbuffers.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/src/catalog.h"
#include "engine/src/iterator_token.h"
#include "server/kinesis/event_stream.h"
#include "server/kinesis/next_token.h"
#include "storage/record_chunk.h"
#include "storage/record_generated.h"
#include "storage/sequence.h"
#include "tidelog/base64.h"
#include "tidelog/sequence_number.h"

namespace {

using namespace tidelog;

std::filesystem::path g_dir;

void Write(const std::string& target, const std::string& name, std::string_view bytes) {
  const std::filesystem::path dir = g_dir / target;
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string Prefixed(char first, std::string_view rest) {
  return std::string(1, first) + std::string(rest);
}

void IteratorTokens() {
  const IteratorCodec codec(std::string(32, '\x5a'));  // fuzz_iterator_token's key
  const uint64_t seq = storage::MakeSeq(1704067200000, 3);
  const IteratorPosition positions[] = {
      {1, 1, 0, 1704067200000},
      {7, 42, seq, 1704067200123},
      {~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}, INT64_MAX},
  };
  int i = 0;
  for (const IteratorPosition& p : positions) {
    const std::string token = codec.Encode(p);
    Write("iterator_token", "token-" + std::to_string(i), Prefixed('\0', token));
    std::string raw;
    Base64Decode(token, &raw);
    raw.resize(raw.size() - 16);  // the FlatBuffer without its MAC
    Write("iterator_token", "flatbuffer-" + std::to_string(i), Prefixed('\1', raw));
    ++i;
  }
}

void NextTokens() {
  server::kinesis::NextToken t;
  t.kind = "ListShards";
  t.stream = "fuzz";
  t.last = "shardId-000000000001";
  t.filter_type = "AT_TIMESTAMP";
  t.filter_timestamp_millis = 1699999990000;
  t.issued_millis = 1700000000000 - 1000;  // fuzz_next_token's clock, one second before
  Write("next_token", "list-shards", Prefixed('\0', server::kinesis::EncodeNextToken(t)));
  t.kind = "ListStreams";
  t.stream.clear();
  t.last = "stream-9";
  t.filter_type.clear();
  t.filter_timestamp_millis = 0;
  Write("next_token", "list-streams", Prefixed('\1', server::kinesis::EncodeNextToken(t)));
  t.kind = "ListStreamConsumers";
  t.stream = "fuzz";
  t.last = "consumer-1";
  t.issued_millis = 1700000000000 - 400000;  // expired
  Write("next_token", "expired", Prefixed('\2', server::kinesis::EncodeNextToken(t)));
}

// A record value as the engine stores it (engine_data.cc: EncodeRecordValue).
std::string RecordValue(std::string_view key, std::string_view data, bool hash_key) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.ForceDefaults(true);
  auto k = fbb.CreateString(key.data(), key.size());
  flatbuffers::Offset<flatbuffers::Vector<uint8_t>> ehk;
  if (hash_key) {
    const uint8_t bytes[16] = {0x80};
    ehk = fbb.CreateVector(bytes, 16);
  }
  auto d = fbb.CreateVector(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  storage::fb::RecordBuilder b(fbb);
  b.add_arrival_ms(1704067200000);
  b.add_partition_key(k);
  if (hash_key) b.add_explicit_hash_key(ehk);
  b.add_data(d);
  fbb.Finish(b.Finish());
  return {reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize()};
}

void RecordChunks() {
  const uint64_t base = storage::MakeSeq(1704067200000, 0);
  std::vector<std::string> values = {RecordValue("pk", "hello", false),
                                     RecordValue("key-2", std::string(33, 'x'), true),
                                     RecordValue("k", "", false)};
  for (size_t n = 1; n <= values.size(); ++n) {
    storage::ChunkBuilder b;
    for (size_t i = 0; i < n; ++i) b.Add(base + i + 1, values[i]);
    std::string chunk;
    for (std::string_view piece : b.Finish()) chunk.append(piece);
    Write("record_chunk", "chunk-" + std::to_string(n), chunk);
  }
}

void CatalogMeta() {
  StreamState s;
  s.uid = 3;
  s.name = "fuzz";
  s.created_ms = 1704067200000;
  s.retention_hours = 48;
  s.mode = StreamMode::kOnDemand;
  s.encryption = EncryptionType::kKms;
  s.key_id = "alias/aws/kinesis";
  s.metrics = {"IncomingBytes", "OutgoingRecords"};
  s.tags = {{"team", "data"}, {"env", ""}};
  s.consumers.push_back({"fuzz-consumer", 1704067200000, "{}", {{"a", "b"}}});
  s.quota = ShardQuota{};
  s.next_shard_index = 4;
  s.scaling_events_ms = {1704067201000, 1704067202000};
  s.policy = "{\"Version\":\"2012-10-17\"}";
  s.stream_id = DerivedStreamId(s.uid);
  s.max_record_size_kib = 2048;
  s.warm_target_mibps = 10;
  Write("catalog", "stream", Prefixed('\0', EncodeStreamMeta(s)));
  StreamState plain;
  plain.uid = 1;
  plain.name = "a";
  Write("catalog", "stream-plain", Prefixed('\0', EncodeStreamMeta(plain)));

  ShardState sh;
  sh.uid = 9;
  sh.index = 2;
  sh.range = {u128{1} << 127, kMaxHashKey};
  sh.parent = 0;
  sh.adjacent_parent = 1;
  sh.starting_seq = storage::MakeSeq(1704067200000, 0);
  sh.closed = true;
  sh.ending_seq = sh.starting_seq + 100;
  sh.created_ms = 1704067200000;
  sh.closed_ms = 1704067300000;
  sh.seq_epoch_secs = 1704067201;
  Write("catalog", "shard", Prefixed('\1', EncodeShardMeta(3, sh)));

  AccountSettings a;
  a.commitment = CommitmentStatus::kEnabledUntilEarliestAllowedEnd;
  a.started_millis = 1704067200000;
  a.earliest_allowed_end_millis = 1704153600000;
  Write("catalog", "account", Prefixed('\2', EncodeAccountSettings(a)));
}

void EventStreams() {
  namespace k = server::kinesis;
  std::string initial;
  (void)k::AppendEventMessage(&initial, "initial-response", k::kEventStreamJsonContentType, "{}");
  Write("event_stream", "initial-response", initial);
  std::string event;
  (void)k::AppendEventMessage(
      &event, "SubscribeToShardEvent", k::kEventStreamJsonContentType,
      R"({"ContinuationSequenceNumber":"49590338271490256608559692538361571095921575989136588898",)"
      R"("MillisBehindLatest":0,"Records":[{"ApproximateArrivalTimestamp":1704067200.123,)"
      R"("Data":"aGVsbG8=","PartitionKey":"pk","SequenceNumber":)"
      R"("49590338271490256608559692538361571095921575989136588898"}]})");
  Write("event_stream", "records-event", event);
  Write("event_stream", "stream-of-two", initial + event);
  std::string cbor;
  (void)k::AppendEventMessage(&cbor, "SubscribeToShardEvent", k::kEventStreamCborContentType,
                              "\xbf\x72MillisBehindLatest\x00\x67Records\x80\xff");
  Write("event_stream", "cbor-event", cbor);
  std::string exception;
  (void)k::AppendExceptionMessage(&exception, "ResourceInUseException",
                                  k::kEventStreamJsonContentType,
                                  R"({"message":"Another active subscription exists"})");
  Write("event_stream", "exception", exception);
  const k::EventHeader every[] = {
      k::EventHeader::Bool("t", true),
      k::EventHeader::Bool("f", false),
      k::EventHeader::Byte("b", -5),
      k::EventHeader::Int16("s", -300),
      k::EventHeader::Int32("i", 70000),
      k::EventHeader::Int64("l", -(int64_t{1} << 40)),
      k::EventHeader::ByteArray("y", "\x00\xff"),
      k::EventHeader::String("str", "caf\xc3\xa9"),
      k::EventHeader::Timestamp("ts", 1704067200000),
      k::EventHeader::Uuid("u", std::string_view("0123456789abcdef", 16)),
  };
  std::string all;
  (void)k::AppendEventStreamMessage(&all, every, "payload");
  Write("event_stream", "every-header-type", all);
}

}  // namespace

// Writes the seeds of the binary formats the project encodes itself (iterator and next tokens,
// record chunks, catalog metadata, event-stream messages) with its own encoders. Usage:
// tidelog_fuzz_seedgen DIR (tests/fuzz/corpus); its output is committed.
int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  g_dir = argv[1];
  IteratorTokens();
  NextTokens();
  RecordChunks();
  CatalogMeta();
  EventStreams();
  return 0;
}
