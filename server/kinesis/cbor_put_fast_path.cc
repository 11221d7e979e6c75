// PutRecord(s) CBOR bodies read in one pass, in place: see ParsePutFastCbor
// in put_fast_path.h for what is accepted. Data byte strings are views into
// the body, so nothing is allocated per record. Every check is at least as
// strict as the general path's; anything else returns false.
#include <cstdint>

#include "server/kinesis/put_fast_path.h"
#include "server/kinesis/shape.h"

namespace tidelog::server::kinesis {
namespace {

constexpr uint8_t kIndefinite = 31;
constexpr uint64_t kIndefiniteCount = ~uint64_t{0};

class Scanner {
 public:
  explicit Scanner(std::string_view body)
      : p_(reinterpret_cast<const uint8_t*>(body.data())), end_(p_ + body.size()) {}

  bool AtEnd() const { return p_ == end_; }

  // A map or array head of `major`: *count members, or kIndefiniteCount.
  bool Container(uint8_t major, uint64_t* count) {
    if (p_ == end_ || (*p_ >> 5) != major) return false;
    if ((*p_ & 0x1f) == kIndefinite) {
      ++p_;
      *count = kIndefiniteCount;
      return true;
    }
    return Head(major, count);
  }

  // Whether another member follows; consumes the break of an indefinite one.
  // An indefinite container ends only at its break: at the end of the input
  // the caller reads on and fails (the body is truncated).
  bool More(uint64_t count, uint64_t seen) {
    if (count != kIndefiniteCount) return seen < count;
    if (p_ < end_ && *p_ == 0xff) {
      ++p_;
      return false;
    }
    return true;
  }

  // A definite text (major 3) or byte (major 2) string, as a view.
  bool String(uint8_t major, std::string_view* out) {
    uint64_t n = 0;
    if (!Head(major, &n) || n > static_cast<uint64_t>(end_ - p_)) return false;
    *out = std::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return true;
  }

 private:
  // A definite head of `major`, its argument in *arg.
  bool Head(uint8_t major, uint64_t* arg) {
    if (p_ == end_ || (*p_ >> 5) != major) return false;
    const uint8_t ai = *p_++ & 0x1f;
    if (ai < 24) {
      *arg = ai;
      return true;
    }
    if (ai > 27) return false;
    const size_t n = size_t{1} << (ai - 24);
    if (static_cast<size_t>(end_ - p_) < n) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | p_[i];
    p_ += n;
    *arg = v;
    return true;
  }

  const uint8_t* p_;
  const uint8_t* end_;
};

// ASCII only: one byte is one UTF-16 unit, and valid UTF-8.
bool IsAscii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

enum Member : unsigned { kPartitionKey = 1, kData = 2, kHashKey = 4, kStream = 8, kRecords = 16 };

// The value of record member `key` (PartitionKey, Data, ExplicitHashKey).
bool RecordMember(Scanner& in, std::string_view key, unsigned* seen, PutRecordEntry* entry) {
  unsigned bit;
  if (key == "Data") {
    bit = kData;
    if (!in.String(2, &entry->data) || entry->data.size() > kFastPathMaxDataBytes) return false;
  } else if (key == "PartitionKey") {
    bit = kPartitionKey;
    std::string_view& k = entry->partition_key;
    if (!in.String(3, &k) || k.empty() || k.size() > kFastPathMaxPartitionKeyChars || !IsAscii(k))
      return false;
  } else if (key == "ExplicitHashKey") {
    bit = kHashKey;
    std::string_view s;
    u128 k = 0;
    if (!in.String(3, &s) || !MatchesPattern(Pattern::kHashKey, s) || !ParseU128Decimal(s, &k))
      return false;
    entry->explicit_hash_key = k;
  } else {
    return false;
  }
  if (*seen & bit) return false;  // repeated: last-one-wins is the general path's job
  *seen |= bit;
  return true;
}

bool Complete(unsigned seen) { return (seen & (kPartitionKey | kData)) == (kPartitionKey | kData); }

bool Record(Scanner& in, PutRecordEntry* entry) {
  uint64_t count = 0;
  if (!in.Container(5, &count)) return false;
  unsigned seen = 0;
  for (uint64_t i = 0; in.More(count, i); ++i) {
    std::string_view key;
    if (!in.String(3, &key) || !RecordMember(in, key, &seen, entry)) return false;
  }
  return Complete(seen);
}

bool Records(Scanner& in, std::vector<PutRecordEntry>* entries) {
  uint64_t count = 0;
  if (!in.Container(4, &count)) return false;
  if (count != kIndefiniteCount && (count == 0 || count > kFastPathMaxRecords)) return false;
  entries->reserve(kFastPathMaxRecords);
  for (uint64_t i = 0; in.More(count, i); ++i) {
    if (entries->size() == kFastPathMaxRecords) return false;
    if (!Record(in, &entries->emplace_back())) return false;
  }
  return !entries->empty();
}

bool Parse(bool batch, FastPut* out) {
  Scanner in(out->body);
  uint64_t count = 0;
  if (!in.Container(5, &count)) return false;
  unsigned seen = 0;
  PutRecordEntry single;
  for (uint64_t i = 0; in.More(count, i); ++i) {
    std::string_view key;
    if (!in.String(3, &key)) return false;
    if (key == "StreamName") {
      if ((seen & kStream) || !in.String(3, &out->stream) || out->stream.empty() ||
          out->stream.size() > kFastPathMaxStreamNameChars ||
          !MatchesPattern(Pattern::kName, out->stream))
        return false;
      seen |= kStream;
    } else if (batch && key == "Records") {
      if ((seen & kRecords) || !Records(in, &out->entries)) return false;
      seen |= kRecords;
    } else if (batch || !RecordMember(in, key, &seen, &single)) {
      return false;
    }
  }
  if (!in.AtEnd() || !(seen & kStream)) return false;
  if (batch) {
    if (!(seen & kRecords)) return false;
  } else {
    if (!Complete(seen)) return false;
    out->entries.push_back(single);
  }
  size_t total = 0;
  for (const PutRecordEntry& e : out->entries) total += e.data.size() + e.partition_key.size();
  return total <= kFastPathMaxPutRecordsBytes;
}

}  // namespace

bool ParsePutFastCbor(bool batch, std::string* body, FastPut* out) {
  out->body = std::move(*body);
  out->format = WireFormat::kCbor;
  if (Parse(batch, out)) return true;
  *body = std::move(out->body);
  out->entries.clear();
  out->stream = {};
  return false;
}

}  // namespace tidelog::server::kinesis
