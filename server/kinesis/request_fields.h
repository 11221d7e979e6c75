// Typed access to the members of a checked request body (see validation.h:
// after CheckTypes every member has its model type).
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/kinesis/json_value.h"
#include "tidelog/types.h"

namespace tidelog::server::kinesis {

// "" when absent.
inline std::string_view StringField(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = obj.Find(name);
  return v ? std::string_view(v->string) : std::string_view();
}

inline bool HasField(const JsonValue& obj, std::string_view name) {
  return obj.Find(name) != nullptr;
}

inline std::optional<int64_t> IntField(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = obj.Find(name);
  if (!v) return std::nullopt;
  return v->integer;
}

inline bool BoolField(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = obj.Find(name);
  return v && v->boolean;
}

// A Timestamp member (epoch seconds, possibly fractional) in milliseconds.
inline std::optional<int64_t> TimestampMillisField(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = obj.Find(name);
  if (!v) return std::nullopt;
  return static_cast<int64_t>(std::llround(v->number * 1000.0));
}

inline std::vector<std::string> StringListField(const JsonValue& obj, std::string_view name) {
  std::vector<std::string> r;
  if (const JsonValue* v = obj.Find(name))
    for (const JsonValue& e : v->array) r.push_back(e.string);
  return r;
}

inline std::vector<Tag> TagMapField(const JsonValue& obj, std::string_view name) {
  std::vector<Tag> r;
  if (const JsonValue* v = obj.Find(name))
    for (const auto& [k, val] : v->object) r.push_back(Tag{k, val.string});
  return r;
}

}  // namespace tidelog::server::kinesis
