// JsonWriter: appends compact JSON to a string, with the AWS JSON 1.1
// encodings of timestamps (epoch seconds, never exponent form), 128-bit
// numbers (decimal strings) and blobs (padded base64).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tidelog/types.h"

namespace tidelog::server::kinesis {

// Appends `s` as a quoted JSON string, escaping '"', '\\' and control bytes.
void AppendJsonString(std::string_view s, std::string* out);

// Appends U128ToDecimal(v) without a temporary (tidelog::WriteU128Decimal).
void AppendU128Decimal(u128 v, std::string* out);
// Appends SequenceNumberToDecimal(v) without a temporary.
void AppendSequenceNumber(const SequenceNumber& v, std::string* out);

// Appends "shardId-000000000007" (FormatShardId) without a temporary.
void AppendShardId(uint32_t index, std::string* out);

// Appends the base64 of `bytes` as a quoted JSON string.
void AppendJsonBlob(std::string_view bytes, std::string* out);

// Appends epoch milliseconds as epoch seconds with up to three fraction
// digits and no trailing zeros: 1459799926480 -> "1459799926.48".
void AppendEpochSeconds(int64_t millis, std::string* out);

class JsonWriter {
 public:
  JsonWriter() = default;

  void StartObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void StartArray() { Open('['); }
  void EndArray() { Close(']'); }

  // Inside an object, each value is preceded by Key().
  void Key(std::string_view key);

  void String(std::string_view s);
  void Int(int64_t v);
  void Bool(bool b);
  void Null();
  void Timestamp(int64_t millis);
  void Blob(std::string_view bytes);
  void Decimal(u128 v);                   // as a JSON string
  void Decimal(const SequenceNumber& v);  // as a JSON string

  // Key + value shorthands.
  void Field(std::string_view key, std::string_view s) { Key(key), String(s); }
  void Field(std::string_view key, const char* s) { Key(key), String(s); }
  void IntField(std::string_view key, int64_t v) { Key(key), Int(v); }
  void BoolField(std::string_view key, bool b) { Key(key), Bool(b); }

  const std::string& str() const { return out_; }
  std::string Release() { return std::move(out_); }

 private:
  void BeforeValue();
  void Open(char c);
  void Close(char c);

  std::string out_;
  // One entry per open container: true once it holds an element.
  std::vector<bool> non_empty_;
  bool after_key_ = false;
};

}  // namespace tidelog::server::kinesis
