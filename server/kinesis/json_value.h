// JsonValue: a parsed JSON (or CBOR, see cbor_reader.h) request body as a
// small owned tree. Object members keep their arrival order, which validation
// messages depend on.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tidelog::server::kinesis {

struct JsonMember;

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Type type = Type::kNull;
  bool boolean = false;
  // Every JSON number as a double; `integral` when it was written without a
  // fraction or exponent and fits in int64 (then `integer` is exact).
  double number = 0;
  bool integral = false;
  int64_t integer = 0;
  std::string string;
  // CBOR only. `bytes`: the string came from a byte string, so a Blob takes
  // it as is (no base64). `exact_millis`: the number came from a tag 1
  // timestamp in epoch milliseconds and `millis` holds it exactly (`number`
  // then holds the same instant in seconds, as JSON would spell it).
  bool bytes = false;
  bool exact_millis = false;
  int64_t millis = 0;
  std::vector<JsonValue> array;
  std::vector<JsonMember> object;

  bool is_null() const { return type == Type::kNull; }
  bool is_string() const { return type == Type::kString; }
  bool is_object() const { return type == Type::kObject; }
  bool is_array() const { return type == Type::kArray; }

  // The member named `key` of an object (the last one if repeated, as
  // JavaScript's JSON.parse), or nullptr if absent, null, or not an object.
  const JsonValue* Find(std::string_view key) const;
  JsonValue* FindMutable(std::string_view key);
};

struct JsonMember {
  std::string key;
  JsonValue value;
};

// Parses `text` as one JSON document. Returns false when it is not valid JSON
// (including invalid UTF-8).
bool ParseJson(std::string_view text, JsonValue* out);

}  // namespace tidelog::server::kinesis
