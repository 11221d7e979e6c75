// JsonValue: a parsed JSON request body as a small owned tree. Object members
// keep their arrival order, which validation messages depend on.
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
