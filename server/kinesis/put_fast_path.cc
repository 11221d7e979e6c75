// PutRecord(s) bodies parsed in place: see put_fast_path.h for what is
// accepted. Every check here is at least as strict as the general path's.
#include "server/kinesis/put_fast_path.h"

#include <cstdint>
#include <cstring>

#include "server/kinesis/shape.h"

namespace tidelog::server::kinesis {
namespace {

// 0..63 for the alphabet, 0xff otherwise.
struct DecodeTable {
  uint8_t v[256];
  constexpr DecodeTable() : v() {
    for (int i = 0; i < 256; ++i) v[i] = 0xff;
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) v[static_cast<uint8_t>(a[i])] = static_cast<uint8_t>(i);
  }
};
constexpr DecodeTable kDecode;

// Strict padded base64 (what CheckBlob + Base64Decode accept, minus nothing):
// appends the bytes at *o. False on anything the general path would reject.
bool DecodeBase64(std::string_view in, char** o) {
  const size_t n = in.size();
  if (n % 4 != 0) return false;
  if (n == 0) return true;
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  size_t pad = 0;
  if (p[n - 1] == '=') pad = p[n - 2] == '=' ? 2 : 1;
  const size_t full = n - (pad ? 4 : 0);
  char* out = *o;
  for (size_t i = 0; i < full; i += 4) {
    const uint32_t a = kDecode.v[p[i]], b = kDecode.v[p[i + 1]], c = kDecode.v[p[i + 2]],
                   d = kDecode.v[p[i + 3]];
    if ((a | b | c | d) & 0x80) return false;
    const uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    out[0] = static_cast<char>(v >> 16);
    out[1] = static_cast<char>(v >> 8);
    out[2] = static_cast<char>(v);
    out += 3;
  }
  if (pad) {
    const uint8_t* q = p + full;
    const uint32_t a = kDecode.v[q[0]], b = kDecode.v[q[1]];
    const uint32_t c = pad == 1 ? kDecode.v[q[2]] : 0;
    if ((a | b | c) & 0x80) return false;
    if (pad == 2) {
      if (b & 0x0f) return false;  // unused bits must be zero
      *out++ = static_cast<char>((a << 2) | (b >> 4));
    } else {
      if (c & 0x03) return false;
      const uint32_t v = (a << 18) | (b << 12) | (c << 6);
      *out++ = static_cast<char>(v >> 16);
      *out++ = static_cast<char>(v >> 8);
    }
  }
  *o = out;
  return true;
}

// A strict single-pass reader of the JSON subset the fast path takes: objects,
// one array, and strings of printable ASCII without escapes. Anything else
// makes a call return false.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  // Skips whitespace; consumes `c` if it is next.
  bool Consume(char c) {
    SkipSpace();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }

  bool String(std::string_view* out) {
    SkipSpace();
    if (p_ >= end_ || *p_ != '"') return false;
    const char* start = ++p_;
    while (p_ < end_) {
      const unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        *out = std::string_view(start, static_cast<size_t>(p_ - start));
        ++p_;
        return true;
      }
      if (c < 0x20 || c == '\\' || c >= 0x80) return false;
      ++p_;
    }
    return false;
  }

  // A string whose content is only checked by the base64 decoder (which
  // rejects '\\' and everything outside the alphabet): found with memchr.
  bool RawString(std::string_view* out) {
    SkipSpace();
    if (p_ >= end_ || *p_ != '"') return false;
    const char* start = ++p_;
    const void* q = std::memchr(start, '"', static_cast<size_t>(end_ - start));
    if (q == nullptr) return false;
    p_ = static_cast<const char*>(q);
    *out = std::string_view(start, static_cast<size_t>(p_ - start));
    ++p_;
    return true;
  }

  bool AtEnd() {
    SkipSpace();
    return p_ == end_;
  }

 private:
  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  const char* p_;
  const char* end_;
};

bool ValidStreamName(std::string_view s) {
  return !s.empty() && s.size() <= kFastPathMaxStreamNameChars && MatchesPattern(Pattern::kName, s);
}

bool ValidHashKey(std::string_view s, u128* out) {
  return MatchesPattern(Pattern::kHashKey, s) && ParseU128Decimal(s, out);
}

enum Member : unsigned { kPartitionKey = 1, kData = 2, kHashKey = 4, kStream = 8, kRecords = 16 };

// The value of record member `key` (PartitionKey, Data, ExplicitHashKey).
// False when `key` is none of them or the value is not plainly valid.
bool RecordMember(Scanner& in, std::string_view key, unsigned* seen, std::string_view* raw_data,
                  PutRecordEntry* entry) {
  unsigned bit;
  if (key == "Data") {
    bit = kData;
    if (!in.RawString(raw_data)) return false;
  } else if (key == "PartitionKey") {
    bit = kPartitionKey;
    // ASCII only, so bytes are UTF-16 units.
    if (!in.String(&entry->partition_key) || entry->partition_key.empty() ||
        entry->partition_key.size() > kFastPathMaxPartitionKeyChars)
      return false;
  } else if (key == "ExplicitHashKey") {
    bit = kHashKey;
    std::string_view s;
    u128 k = 0;
    if (!in.String(&s) || !ValidHashKey(s, &k)) return false;
    entry->explicit_hash_key = k;
  } else {
    return false;
  }
  if (*seen & bit) return false;  // repeated: last-one-wins is the general path's job
  *seen |= bit;
  return true;
}

// Decodes the Data of a record once all its members are read.
bool FinishRecord(unsigned seen, std::string_view raw_data, char** cursor, PutRecordEntry* entry) {
  if ((seen & (kPartitionKey | kData)) != (kPartitionKey | kData)) return false;
  if (raw_data.size() / 4 * 3 > kFastPathMaxDataBytes + 2) return false;
  char* start = *cursor;
  if (!DecodeBase64(raw_data, cursor)) return false;
  const size_t n = static_cast<size_t>(*cursor - start);
  if (n > kFastPathMaxDataBytes) return false;
  entry->data = std::string_view(start, n);
  return true;
}

// One PutRecords entry: {"Data":..,"PartitionKey":..[,"ExplicitHashKey":..]}.
bool Record(Scanner& in, char** cursor, PutRecordEntry* entry) {
  if (!in.Consume('{')) return false;
  unsigned seen = 0;
  std::string_view raw_data;
  do {
    std::string_view key;
    if (!in.String(&key) || !in.Consume(':')) return false;
    if (!RecordMember(in, key, &seen, &raw_data, entry)) return false;
  } while (in.Consume(','));
  if (!in.Consume('}')) return false;
  return FinishRecord(seen, raw_data, cursor, entry);
}

bool Parse(bool batch, FastPut* out) {
  const std::string& body = out->body;
  // Decoded data is at most 3/4 of the base64 in the body: one allocation,
  // never reallocated, so the entries' views stay valid.
  out->data.resize(body.size() / 4 * 3 + 4);
  char* cursor = out->data.data();

  Scanner in(body);
  if (!in.Consume('{')) return false;
  unsigned seen = 0;
  std::string_view raw_data;
  PutRecordEntry single;
  do {
    std::string_view key;
    if (!in.String(&key) || !in.Consume(':')) return false;
    if (key == "StreamName") {
      if ((seen & kStream) || !in.String(&out->stream) || !ValidStreamName(out->stream))
        return false;
      seen |= kStream;
    } else if (batch && key == "Records") {
      if ((seen & kRecords) || !in.Consume('[')) return false;
      seen |= kRecords;
      out->entries.reserve(kFastPathMaxRecords);
      do {
        if (out->entries.size() == kFastPathMaxRecords) return false;
        if (!Record(in, &cursor, &out->entries.emplace_back())) return false;
      } while (in.Consume(','));
      if (!in.Consume(']')) return false;
    } else if (batch || !RecordMember(in, key, &seen, &raw_data, &single)) {
      return false;
    }
  } while (in.Consume(','));
  if (!in.Consume('}') || !in.AtEnd()) return false;

  if (!(seen & kStream)) return false;
  if (batch) {
    if (!(seen & kRecords)) return false;
  } else {
    if (!FinishRecord(seen, raw_data, &cursor, &single)) return false;
    out->entries.push_back(single);
  }
  size_t total = 0;
  for (const PutRecordEntry& e : out->entries) total += e.data.size() + e.partition_key.size();
  if (total > kFastPathMaxPutRecordsBytes) return false;
  out->data.resize(static_cast<size_t>(cursor - out->data.data()));  // shrinks: no move
  return true;
}

}  // namespace

bool ParsePutFast(bool batch, std::string* body, FastPut* out) {
  out->body = std::move(*body);
  if (Parse(batch, out)) return true;
  *body = std::move(out->body);
  out->data.clear();
  out->entries.clear();
  out->stream = {};
  return false;
}

}  // namespace tidelog::server::kinesis
