// CBOR appenders and the JSON -> CBOR transcoder (over simdjson's DOM).
#include "server/kinesis/cbor_writer.h"

#include <simdjson.h>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include "server/kinesis/json_writer.h"
#include "server/kinesis/request_fields.h"
#include "tidelog/base64.h"

namespace tidelog::server::kinesis {
namespace {

// The timestamp members of every Kinesis output shape (botocore's model,
// data/kinesis/2013-12-02/service-2.json; tests/kinesis/cbor_model_test.cc
// checks the list against it).
constexpr std::array<std::string_view, 6> kTimestampMembers = {"ApproximateArrivalTimestamp",
                                                               "ConsumerCreationTimestamp",
                                                               "EarliestAllowedEndAt",
                                                               "EndedAt",
                                                               "StartedAt",
                                                               "StreamCreationTimestamp"};

// Milliseconds of a JSON epoch-seconds number, saturating (overflow-safe).
int64_t SecondsToMillisSaturating(int64_t seconds) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 1000;
  if (seconds > kMax) return std::numeric_limits<int64_t>::max();
  if (seconds < -kMax) return std::numeric_limits<int64_t>::min();
  return seconds * 1000;
}

class Transcoder {
 public:
  explicit Transcoder(std::string* out) : out_(out) {}

  // `key`: the member name the value belongs to ("" in arrays and at the top).
  void Value(simdjson::dom::element e, std::string_view key) {
    using simdjson::dom::element_type;
    switch (e.type()) {
      case element_type::NULL_VALUE:
        return AppendCborNull(out_);
      case element_type::BOOL:
        return AppendCborBool(e.get_bool().value_unsafe(), out_);
      case element_type::INT64: {
        const int64_t v = e.get_int64().value_unsafe();
        if (IsTimestampMember(key)) return AppendCborTimestamp(SecondsToMillisSaturating(v), out_);
        return AppendCborInt(v, out_);
      }
      case element_type::UINT64: {
        const uint64_t v = e.get_uint64().value_unsafe();
        if (IsTimestampMember(key))
          return AppendCborTimestamp(std::numeric_limits<int64_t>::max(), out_);
        return AppendCborHead(0, v, out_);
      }
      case element_type::DOUBLE: {
        const double d = e.get_double().value_unsafe();
        if (IsTimestampMember(key)) return AppendCborTimestamp(SecondsToMillis(d), out_);
        return AppendCborDouble(d, out_);
      }
      case element_type::STRING: {
        const std::string_view s = e.get_string().value_unsafe();
        if (IsBlobMember(key)) {
          scratch_.clear();
          if (Base64Decode(s, &scratch_)) return AppendCborBytes(scratch_, out_);
        }
        return AppendCborText(s, out_);
      }
      case element_type::ARRAY: {
        simdjson::dom::array a = e.get_array().value_unsafe();
        AppendCborHead(4, a.size(), out_);
        for (simdjson::dom::element child : a) Value(child, "");
        return;
      }
      case element_type::OBJECT: {
        simdjson::dom::object o = e.get_object().value_unsafe();
        AppendCborHead(5, o.size(), out_);
        for (simdjson::dom::key_value_pair kv : o) {
          AppendCborText(kv.key, out_);
          Value(kv.value, kv.key);
        }
        return;
      }
    }
  }

 private:
  std::string* out_;
  std::string scratch_;  // decoded blob bytes
};

}  // namespace

void AppendCborHead(uint8_t major, uint64_t arg, std::string* out) {
  const auto m = static_cast<char>(major << 5);
  if (arg < 24) {
    out->push_back(static_cast<char>(m | static_cast<char>(arg)));
    return;
  }
  char buf[9];
  size_t n;
  if (arg <= 0xff) {
    buf[0] = static_cast<char>(m | 24);
    n = 1;
  } else if (arg <= 0xffff) {
    buf[0] = static_cast<char>(m | 25);
    n = 2;
  } else if (arg <= 0xffffffff) {
    buf[0] = static_cast<char>(m | 26);
    n = 4;
  } else {
    buf[0] = static_cast<char>(m | 27);
    n = 8;
  }
  for (size_t i = 0; i < n; ++i) buf[1 + i] = static_cast<char>(arg >> (8 * (n - 1 - i)));
  out->append(buf, n + 1);
}

void AppendCborInt(int64_t v, std::string* out) {
  // -1 - v for negatives, computed without overflow.
  if (v >= 0)
    AppendCborHead(0, static_cast<uint64_t>(v), out);
  else
    AppendCborHead(1, ~static_cast<uint64_t>(v), out);
}

void AppendCborText(std::string_view s, std::string* out) {
  AppendCborHead(3, s.size(), out);
  out->append(s);
}

void AppendCborBytes(std::string_view bytes, std::string* out) {
  AppendCborHead(2, bytes.size(), out);
  out->append(bytes);
}

void AppendCborBool(bool b, std::string* out) { out->push_back(b ? '\xf5' : '\xf4'); }

void AppendCborNull(std::string* out) { out->push_back('\xf6'); }

void AppendCborDouble(double d, std::string* out) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof(bits));
  out->push_back('\xfb');
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(bits >> (8 * i)));
}

void AppendCborTimestamp(int64_t millis, std::string* out) {
  out->push_back('\xc1');  // tag 1
  AppendCborInt(millis, out);
}

void AppendCborU128Decimal(u128 v, std::string* out) {
  char buf[kMaxU128DecimalChars + 1];
  const char* end = WriteU128Decimal(v, buf);
  const auto n = static_cast<size_t>(end - buf);
  AppendCborHead(3, n, out);
  out->append(buf, n);
}

void AppendCborSequenceNumber(const SequenceNumber& v, std::string* out) {
  char buf[kMaxSequenceNumberDecimalChars + 1];
  const char* end = WriteSequenceNumberDecimal(v, buf);
  const auto n = static_cast<size_t>(end - buf);
  AppendCborHead(3, n, out);
  out->append(buf, n);
}

void AppendCborShardId(uint32_t index, std::string* out) {
  // "shardId-" + at least 12 digits; a uint32 has at most 10: always 20 bytes.
  out->push_back('\x74');
  AppendShardId(index, out);
}

bool IsTimestampMember(std::string_view name) {
  for (std::string_view t : kTimestampMembers)
    if (t == name) return true;
  return false;
}

bool IsBlobMember(std::string_view name) { return name == "Data"; }

std::string JsonToCbor(std::string_view json) {
  std::string out;
  if (json.empty()) return out;
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) return out;
  out.reserve(json.size());
  Transcoder(&out).Value(root, "");
  return out;
}

}  // namespace tidelog::server::kinesis
